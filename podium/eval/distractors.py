"""Build the distractor corpus: White House briefings that talk about the seed set's subjects.

Run: python -m podium.eval.distractors SOURCE.jsonl.gz OUT.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

TERMS = re.compile(r"\b(NATO|Blinken|Ukraine|Kuleba)\b")
MIN_TERMS = 3


def select(source: Path, out: Path, *, min_terms: int = MIN_TERMS) -> int:
    """Copy the records naming at least min_terms of the four subjects; return how many."""
    out.parent.mkdir(parents=True, exist_ok=True)
    kept = 0
    partial = out.with_suffix(".part")
    with gzip.open(source, "rt", encoding="utf-8") as src, \
            gzip.open(partial, "wt", encoding="utf-8") as dst:
        for line in src:
            record = json.loads(line)
            if len(set(TERMS.findall(record.get("text", "")))) >= min_terms:
                dst.write(line if line.endswith("\n") else line + "\n")
                kept += 1
    partial.replace(out)
    return kept


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--min-terms", type=int, default=MIN_TERMS)
    args = parser.parse_args()
    kept = select(args.source, args.out, min_terms=args.min_terms)
    print(f"{kept} distractor documents written to {args.out}")


if __name__ == "__main__":
    main()
