"""Answer feedback: thumbs up/down with a comment, kept as JSONL, and exported as eval cases.

`FeedbackStore` appends one JSON object a line to `<data_dir>/feedback.jsonl`. Each record is
written with a single `write()` under a lock and then fsynced, so records from several UI threads
never interleave; a half-written last line (a crash mid-write) is skipped with a warning when
reading, and the next record starts on a line of its own.

`export_cases` turns records into eval-case TEMPLATES in the JSONL format of
`podium/eval/dataset.py` (see eval/README.md). The exported file is not yet a valid eval set:
`podium eval` rejects it until the evaluator completes it, because

- `answers` is left empty for answerable cases (the loader needs at least one alternative);
  the evaluator writes the right answer's short alternatives, whatever the rating said;
- every case carries an extra `feedback` key ({rating, comment, answer, time}) so the evaluator
  can see what the user said; the loader rejects unknown fields, so remove it;
- `type` is a guess ("unanswerable" when Podium abstained, else "factoid"): check it, and for
  answerable cases check `sources` (taken from the answer's citations, which may be wrong or,
  for a thumbs-down, empty) and `evidence` (the cited quotes, verbatim in those sources).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from podium.errors import PodiumError

logger = logging.getLogger(__name__)

RATINGS = ("up", "down")
MAX_COMMENT = 2000
FILE_NAME = "feedback.jsonl"


class FeedbackStore:
    """Append-only JSONL store of ratings of answers; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        """Keep records in `path` (`<data_dir>/feedback.jsonl`); nothing is created until used."""
        self.path = Path(path)
        self._lock = threading.Lock()

    def record(self, answer: dict[str, Any], rating: str, comment: str = "") -> dict[str, Any]:
        """Append one rating of `answer` (an answer's JSON object); return the record written.

        `rating` is "up" or "down"; `comment` is stripped and cut to 2000 characters.
        """
        if rating not in RATINGS:
            raise PodiumError(f"unknown rating {rating!r}",
                              hint='rate an answer "up" or "down"')
        if not isinstance(answer, dict):
            raise PodiumError(f"expected an answer's JSON object, got {type(answer).__name__}",
                              hint="pass the answer's to_dict() (the `ask --json` object)")
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "rating": rating,
            "comment": (comment or "").strip()[:MAX_COMMENT],
            "question": answer.get("question", ""),
            "standalone_question": answer.get("standalone_question", ""),
            "answer": answer.get("answer", ""),
            "abstained": bool(answer.get("abstained", False)),
            "citations": answer.get("citations", []),
            "models": answer.get("models", {}),
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a+b") as fh:
                    if _ends_mid_line(fh):
                        line = b"\n" + line  # a crash left a partial line: start a new one
                    fh.write(line)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise PodiumError(f"cannot write feedback to {self.path} ({exc})",
                                  hint="check that the data directory is writable") from exc
        logger.info("feedback %s recorded in %s", rating, self.path)
        return entry

    def read(self) -> list[dict[str, Any]]:
        """Every record in file order; [] when there is no file; bad lines are skipped."""
        with self._lock:
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                return []
            except OSError as exc:
                raise PodiumError(f"cannot read feedback from {self.path} ({exc})",
                                  hint="check the file's permissions") from exc
        records: list[dict[str, Any]] = []
        # split on \n only: ensure_ascii=False leaves U+2028 and friends raw inside strings
        for number, raw in enumerate(data.decode("utf-8", errors="replace").split("\n"), 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                logger.warning("%s:%d: skipped, not valid JSON (%s)", self.path, number, exc.msg)
                continue
            if not isinstance(value, dict):
                logger.warning("%s:%d: skipped, not a JSON object", self.path, number)
                continue
            records.append(value)
        return records


def _ends_mid_line(fh: BinaryIO) -> bool:
    """True when the file opened in a+b mode is not empty and does not end with a newline."""
    fh.seek(0, 2)
    if fh.tell() == 0:
        return False
    fh.seek(-1, 2)
    return fh.read(1) != b"\n"


def export_cases(records: list[dict[str, Any]], *, start: int = 1) -> list[dict[str, Any]]:
    """Eval-case templates (ids fb001…) from feedback records, one per distinct question.

    The latest record of a question wins (questions compare with case and whitespace folded);
    cases come in the order of those latest records; records without a question are skipped.
    The result still needs the evaluator's `answers` (see the module docstring).
    """
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        question = _question_of(record)
        if not question:
            continue
        key = " ".join(question.split()).casefold()
        latest.pop(key, None)  # re-insert so that the order follows the latest record
        latest[key] = record
    cases = []
    for number, record in enumerate(latest.values(), start=start):
        citations = [c for c in record.get("citations") or [] if isinstance(c, dict)]
        cases.append({
            "id": f"fb{number:03d}",
            "type": "unanswerable" if record.get("abstained") else "factoid",
            "question": _question_of(record),
            "answers": [],
            "all_of": [],
            "sources": _distinct(c.get("doc_id") for c in citations),
            "evidence": _distinct(c.get("quote") for c in citations),
            "feedback": {"rating": record.get("rating", ""), "comment": record.get("comment", ""),
                         "answer": record.get("answer", ""), "time": record.get("time", "")},
        })
    return cases


def _question_of(record: dict[str, Any]) -> str:
    for name in ("standalone_question", "question"):
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _distinct(values: Any) -> list[str]:
    """Non-empty strings of `values`, first occurrence kept, in order."""
    return list(dict.fromkeys(v for v in values if isinstance(v, str) and v.strip()))
