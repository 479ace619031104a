"""Eval sets: load JSONL cases and validate them, naming file:line for every problem.

Loading is a pure function of the files; the evidence check takes a text lookup, so both run
without models, before any question is asked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.errors import PodiumError
from podium.text import lone_surrogate, shorten

logger = logging.getLogger(__name__)

TYPES = ("factoid", "attribution", "paraphrase", "multi", "unanswerable")
REQUIRED = ("id", "type", "question", "answers", "sources")
LIST_FIELDS = ("answers", "all_of", "sources", "evidence")
# Accepted and ignored here: `absent` (phrases no document may contain, on unanswerable cases) is
# for eval/verify_evalset.py, which checks it against the corpora.
IGNORED = frozenset({"absent"})
KNOWN = frozenset(REQUIRED) | frozenset(LIST_FIELDS) | IGNORED
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Case:
    """One eval question with what a right answer must contain."""

    id: str
    type: str
    question: str
    answers: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        """file:line of the case, for messages."""
        return f"{self.file}:{self.line}"

    @property
    def answerable(self) -> bool:
        """False for `unanswerable` cases, which pass only by abstaining."""
        return self.type != "unanswerable"

    def expected(self) -> dict[str, Any]:
        """The case as its JSONL object (without file and line)."""
        return {"id": self.id, "type": self.type, "question": self.question,
                "answers": list(self.answers), "all_of": list(self.all_of),
                "sources": list(self.sources), "evidence": list(self.evidence)}


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        """Record one problem."""
        self.items.append(f"{where}: {message}")


def raise_problems(problems: Sequence[str], what: str,
                   hint: str = "fix the eval set (format in eval/README.md)") -> None:
    """Raise one PodiumError listing up to 20 problems; do nothing when there are none."""
    if not problems:
        return
    shown = "\n".join(f"  {p}" for p in problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    extra = f"\n  … and {more} more" if more > 0 else ""
    noun = "problem" if len(problems) == 1 else "problems"
    raise PodiumError(f"{what}: {len(problems)} {noun} (no question was asked)\n{shown}{extra}",
                      hint=hint)


def load_dataset(paths: Iterable[Path]) -> list[Case]:
    """Read and validate JSONL eval sets; raise PodiumError naming file:line of each problem."""
    problems = _Problems()
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in paths:
        for case in _read_file(Path(path), problems):
            if case.id in seen:
                problems.add(case.where, f"duplicate id {case.id!r} (first at {seen[case.id]})")
                continue
            seen[case.id] = case.where
            cases.append(case)
    if not cases and not problems.items:
        problems.add(", ".join(str(p) for p in paths) or "(no files)", "no cases")
    raise_problems(problems.items, "invalid eval set")
    logger.info("loaded %d eval cases", len(cases))
    return cases


def _read_file(path: Path, problems: _Problems) -> list[Case]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        problems.add(str(path), "file not found")
        return []
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(str(path), f"cannot read ({exc})")
        return []
    cases = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.add(where, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            problems.add(where, "not valid JSON (nested too deeply)")
            continue
        except ValueError:  # an integer with more digits than Python converts
            problems.add(where, "not valid JSON (a number with too many digits)")
            continue
        case = parse_case(record, str(path), number, problems.add)
        if case is not None:
            cases.append(case)
    return cases


def parse_case(record: Any, file: str, line: int,
               report: Callable[[str, str], None]) -> Case | None:
    """Check one decoded JSONL record; report each problem as ("file:line", message)."""
    where = f"{file}:{line}"
    if not isinstance(record, dict):
        report(where, f"expected a JSON object, got {type(record).__name__}")
        return None
    problems = _Counter(report)
    for name in REQUIRED:
        if name not in record:
            problems.add(where, f"missing field {name!r}")
    for name in sorted(set(record) - KNOWN):
        problems.add(where, f"unknown field {shorten(repr(name), 60)} "
                            f"(known: {', '.join(sorted(KNOWN))})")
    for name in ("id", "type", "question"):
        value = record.get(name)
        if name in record and (not isinstance(value, str) or not value.strip()):
            problems.add(where, f"{name!r} must be a non-empty string, got "
                                f"{shorten(repr(value), 80)}")
        elif isinstance(value, str) and (at := lone_surrogate(value)) is not None:
            problems.add(where, f"{name!r} holds a lone UTF-16 surrogate at character {at} "
                                "(not valid Unicode); fix the \\u escape")
    lists = {name: _string_list(record, name, where, problems) for name in LIST_FIELDS}
    kind = record.get("type")
    if isinstance(kind, str) and kind.strip() and kind not in TYPES:
        problems.add(where, f"unknown type {shorten(repr(kind), 60)} (one of {', '.join(TYPES)})")
    if problems.count == 0:
        _check_consistency(str(kind), lists, where, problems)
    if problems.count:
        return None
    return Case(id=record["id"], type=record["type"], question=record["question"],
                answers=lists["answers"], all_of=lists["all_of"], sources=lists["sources"],
                evidence=lists["evidence"], file=file, line=line)


class _Counter:
    """Forwards problems and counts them."""

    def __init__(self, report: Callable[[str, str], None]) -> None:
        self._report = report
        self.count = 0

    def add(self, where: str, message: str) -> None:
        """Forward one problem and count it."""
        self.count += 1
        self._report(where, message)


def _string_list(record: dict[str, Any], name: str, where: str,
                 problems: _Counter) -> tuple[str, ...]:
    value = record.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, f"{name!r} must be a list of strings, got {_brief(value)}")
        return ()
    if any(not v.strip() for v in value):
        problems.add(where, f"{name!r} holds an empty string (it would match any answer)")
        return ()
    if any(lone_surrogate(v) is not None for v in value):
        problems.add(where, f"{name!r} holds a lone UTF-16 surrogate (not valid Unicode); "
                            "fix the \\u escape")
        return ()
    return tuple(value)


def _brief(value: Any) -> str:
    """A JSON value for a message: at most 80 characters, cut between words."""
    try:
        return shorten(json.dumps(value, default=str), 80)
    except (RecursionError, ValueError):
        return type(value).__name__


def _check_consistency(kind: str, lists: dict[str, tuple[str, ...]], where: str,
                       problems: _Counter) -> None:
    if kind == "unanswerable":
        for name in LIST_FIELDS:
            if lists[name]:
                problems.add(where, f"an unanswerable case must have an empty {name!r}")
        return
    if not lists["answers"]:
        problems.add(where, f"a {kind} case needs at least one of 'answers'")
    if not lists["sources"]:
        problems.add(where, f"a {kind} case needs at least one of 'sources'")


def check_sources(cases: Iterable[Case], text_of: Callable[[str], str | None]) -> list[str]:
    """Problems with sources and evidence: every source stored, every evidence verbatim in one."""
    problems: list[str] = []
    for case in cases:
        texts = {}
        for doc_id in case.sources:
            text = text_of(doc_id)
            if text is None:
                problems.append(f"{case.where}: source {doc_id!r} is not in the index")
            else:
                texts[doc_id] = text
        for quote in case.evidence:
            if texts and not any(quote in text for text in texts.values()):
                short = quote if len(quote) <= 60 else quote[:57] + "…"
                problems.append(f"{case.where}: evidence {short!r} is not verbatim in any of "
                                f"{', '.join(case.sources)}")
    return problems


def validate_sources(cases: Iterable[Case], text_of: Callable[[str], str | None]) -> None:
    """Raise PodiumError when a source is missing or an evidence string is not in its source."""
    raise_problems(check_sources(cases, text_of), "eval set does not match the index",
                   hint="ingest the transcripts first (podium eval … --ingest PATH), "
                        "or fix the case's sources/evidence")
