"""`podium eval export-feedback`: rated answers from the UI as eval-case templates.

cli.py wires the command and calls `run_export_feedback`. The file it writes is a template the
evaluator completes before `podium eval` accepts it: fill in `answers`, check `type`, `sources`
and `evidence`, and remove each case's `feedback` key (see podium/feedback.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from podium.errors import PodiumError
from podium.feedback import FILE_NAME, FeedbackStore, export_cases

CASES_NAME = "feedback-cases.jsonl"


def run_export_feedback(data_dir: Path, out: Path | None = None) -> int:
    """Write `<data_dir>/feedback.jsonl` as eval-case templates to `out`; return 0.

    `out` defaults to `<data_dir>/feedback-cases.jsonl` and is replaced atomically. Raise
    PodiumError when there is no feedback to export.
    """
    source = Path(data_dir) / FILE_NAME
    target = Path(out) if out is not None else Path(data_dir) / CASES_NAME
    hint = "rate answers in `podium ui` first"
    if not source.is_file():
        raise PodiumError(f"no feedback yet: {source} does not exist", hint=hint)
    records = FeedbackStore(source).read()
    if not records:
        raise PodiumError(f"no feedback yet: {source} holds no records", hint=hint)
    cases = export_cases(records)
    if not cases:
        raise PodiumError(f"no feedback to export: no record in {source} has a question",
                          hint=hint)
    text = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PodiumError(f"cannot write {target} ({exc})",
                          hint="pick a writable path with --out") from exc
    noun = "case" if len(cases) == 1 else "cases"
    print(f'exported {len(cases)} {noun} to {target}; fill in "answers" (and check "type") '
          "before running podium eval on it")
    print('  then remove each case\'s "feedback" key and check "sources" and "evidence": '
          "podium eval rejects the file until then")
    return 0
