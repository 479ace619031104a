"""Check an eval set against the documents it is written over (standard library only).

    python eval/verify_evalset.py eval/wide.jsonl \
        --corpus ../shared/corpus/wh_briefing_room_2021_2025.jsonl.gz \
        --corpus ../shared/corpus/un_general_debate_2014_2024.jsonl.gz
    python eval/verify_evalset.py eval/seed.jsonl --folder data/transcripts

Every line must parse; ids are unique; types are known. An answerable case needs answers, sources
that exist and evidence strings that are verbatim in one of its sources (each source backed by at
least one); one answer alternative and every `all_of` item must be in its evidence, or at least
in its sources (then a note is printed). An attribution answer must name who speaks the evidence:
it is in the evidence, the label of the speaker turn it sits in (`MR. ZAIDI:`), the prose just
before it ("said Secretary Blinken:") or the document's `speaker` field. An unanswerable case has
empty answers, all_of, sources and evidence, and none of its `absent` phrases may occur in any
document (case-insensitive). Prints one line per failing case; exits 1 when any case fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TYPES = ("factoid", "attribution", "paraphrase", "multi", "unanswerable")
LISTS = ("answers", "all_of", "sources", "evidence")
FIELDS = frozenset({"id", "type", "question", *LISTS, "absent"})
LONG_EVIDENCE = 300
PROSE_WINDOW = 600  # characters before a quote where "said X" may name its speaker
# The same normalisation as podium.eval.metrics.normalise: quotes, dashes, spaces, case.
_CHARS = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032`\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
})
_SPACE = re.compile(r"\s+")
# A speaker turn: `MS. JEAN-PIERRE:`, `SECRETARY BLINKEN:`, `Q` at the start of a line.
_LABEL = re.compile(r"^(?:([A-Z][A-Z0-9 .,'’\-]*[A-Z.]):|Q\s)", re.MULTILINE)


def normalise(text: str) -> str:
    """Casefold; straighten quotes and apostrophes, unify dashes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text.translate(_CHARS)).translate(_CHARS)
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass
class Doc:
    """One document: its verbatim text and the metadata an answer may come from."""

    text: str
    meta: str = ""
    speaker: str = ""
    _norm: str | None = field(default=None, repr=False)

    @property
    def norm(self) -> str:
        """The normalised text and metadata (computed once)."""
        if self._norm is None:
            self._norm = normalise(self.text + "\n" + self.meta)
        return self._norm


def load_corpus(path: Path) -> Iterator[tuple[str, Doc]]:
    """Yield (id, Doc) for every record of a .jsonl or .jsonl.gz corpus."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                meta = " ".join(str(record.get(k) or "") for k in ("title", "speaker"))
                yield record["id"], Doc(record.get("text", ""), meta, record.get("speaker") or "")


def load_folder(folder: Path) -> Iterator[tuple[str, Doc]]:
    """Yield (path relative to folder, Doc) for every visible file under folder."""
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = file.relative_to(folder)
        if not any(part.startswith(".") for part in rel.parts):
            yield rel.as_posix(), Doc(file.read_text(encoding="utf-8-sig"))


def read_cases(path: Path, fail: Callable[[str, str], None]) -> list[dict[str, Any]]:
    """Parse every line; report lines that are not JSON objects with the right field types."""
    cases: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            case = json.loads(raw)
        except json.JSONDecodeError as exc:
            fail(where, f"not valid JSON ({exc.msg})")
            continue
        problems = shape_problems(case)
        if problems:
            who = case.get("id") if isinstance(case, dict) else None
            fail(who if isinstance(who, str) and who else where, "; ".join(problems))
            continue
        if case["id"] in seen:
            fail(case["id"], f"duplicate id (first at line {seen[case['id']]})")
            continue
        seen[case["id"]] = number
        cases.append(case)
    return cases


def shape_problems(case: Any) -> list[str]:
    """What is wrong with a case's fields, before looking at any document."""
    if not isinstance(case, dict):
        return ["not a JSON object"]
    problems = [f"unknown field {k!r}" for k in sorted(set(case) - FIELDS)]
    for name in ("id", "type", "question"):
        if not isinstance(case.get(name), str) or not case[name].strip():
            problems.append(f"{name!r} must be a non-empty string")
    if case.get("type") not in TYPES:
        problems.append(f"unknown type {case.get('type')!r}")
    for name in (*LISTS, "absent"):
        value = case.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(f"{name!r} must be a list of non-empty strings")
    return problems


def check_unanswerable(case: dict[str, Any], docs: dict[str, Doc]) -> tuple[list[str], list[str]]:
    """Empty answers/sources/evidence, and no `absent` phrase in any document."""
    problems = [f"unanswerable but {name!r} is not empty" for name in LISTS if case.get(name)]
    notes = [] if case.get("absent") else ["no 'absent' phrases to check"]
    for phrase in case.get("absent", []):
        wanted = normalise(phrase)
        hits = [doc_id for doc_id, doc in docs.items() if wanted in doc.norm]
        if hits:
            more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
            problems.append(f"absent phrase {phrase!r} occurs in {hits[0]}{more}")
    return problems, notes


def check_answerable(case: dict[str, Any], docs: dict[str, Doc]) -> tuple[list[str], list[str]]:
    """Sources exist, evidence is verbatim in them, key facts are in the evidence."""
    problems: list[str] = []
    for name in ("answers", "sources", "evidence"):
        if not case.get(name):
            problems.append(f"a {case['type']} case needs at least one of {name!r}")
    if case["type"] == "multi" and len(set(case.get("sources", []))) < 2:
        problems.append("a multi case needs two different sources")
    missing = [s for s in case.get("sources", []) if s not in docs]
    problems += [f"source {s!r} is in none of the documents given" for s in missing]
    found = {s: docs[s] for s in case.get("sources", []) if s in docs}
    problems += evidence_problems(case.get("evidence", []), found)
    if problems:
        return problems, []
    return fact_problems(case, found)


def evidence_problems(evidence: list[str], found: dict[str, Doc]) -> list[str]:
    """Every evidence string verbatim in a source; every source backed by one."""
    problems = []
    for quote in evidence:
        if "\n" in quote or "\r" in quote:
            problems.append(f"evidence {quote[:50]!r} spans a line break")
        elif not any(quote in doc.text for doc in found.values()):
            problems.append(f"evidence {quote[:50]!r} is not verbatim in any of its sources")
    for doc_id, doc in found.items():
        if not any(quote in doc.text for quote in evidence):
            problems.append(f"source {doc_id!r} has no evidence string")
    return problems


def fact_problems(case: dict[str, Any], found: dict[str, Doc]) -> tuple[list[str], list[str]]:
    """One answer alternative and every all_of item in the evidence (or, noted, the sources)."""
    evidence = normalise(" | ".join(case["evidence"]))
    if case["type"] == "attribution":
        evidence += " | " + normalise(" | ".join(speakers(case["evidence"], found)))
    sources = " | ".join(doc.norm for doc in found.values())
    problems, notes = [], []
    wanted = [("answers", case["answers"], True)] + [("all_of", [i], False)
                                                      for i in case.get("all_of", [])]
    for name, alternatives, any_of in wanted:
        keys = [normalise(a) for a in alternatives]
        label = " / ".join(repr(a) for a in alternatives) if any_of else repr(alternatives[0])
        if any(k in evidence for k in keys):
            continue
        if case["type"] == "attribution" and name == "answers":
            problems.append(f"answers {label} is not the speaker of the evidence")
        elif any(k in sources for k in keys):
            notes.append(f"{name} {label} is in the sources but not in the evidence")
        else:
            problems.append(f"{name} {label} is in neither the evidence nor the sources")
    if any(len(q) > LONG_EVIDENCE for q in case["evidence"]):
        notes.append(f"an evidence string is longer than {LONG_EVIDENCE} characters")
    return problems, notes


def speakers(evidence: list[str], found: dict[str, Doc]) -> list[str]:
    """Who speaks each evidence string: its turn's label, else the prose just before it
    ("…, said Secretary Blinken:"); and each source's speaker field."""
    labels = [doc.speaker for doc in found.values()]
    for quote in evidence:
        for doc in found.values():
            at = doc.text.find(quote)
            if at >= 0:
                turns = list(_LABEL.finditer(doc.text, 0, at + 1))
                if turns:
                    labels.append(turns[-1].group(1) or "Q")
                else:
                    labels.append(doc.text[max(0, at - PROSE_WINDOW):at])
    return labels


def verify(path: Path, docs: dict[str, Doc]) -> int:
    """Check one eval set, print failures and notes; return how many cases fail."""
    failures: list[str] = []

    def fail(who: str, reason: str) -> None:
        failures.append(f"FAIL {who}: {reason}")

    cases = read_cases(path, fail)
    notes = []
    for case in cases:
        check = check_unanswerable if case["type"] == "unanswerable" else check_answerable
        problems, case_notes = check(case, docs)
        if problems:
            fail(case["id"], "; ".join(problems))
        notes += [f"note {case['id']}: {n}" for n in case_notes]
    for line in notes + failures:
        print(line)
    counts = Counter(c["type"] for c in cases)
    summary = ", ".join(f"{t} {counts[t]}" for t in TYPES)
    print(f"{path}: {len(cases)} cases ({summary}); {len(failures)} failing, {len(notes)} notes")
    return len(failures)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; the exit status is 1 when any case fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("evalsets", nargs="+", type=Path, metavar="EVALSET")
    parser.add_argument("--corpus", action="append", type=Path, default=[],
                        help="a .jsonl or .jsonl.gz corpus (doc id = the record's id)")
    parser.add_argument("--folder", action="append", type=Path, default=[],
                        help="a folder of documents (doc id = the path inside it)")
    args = parser.parse_args(argv)
    if not args.corpus and not args.folder:
        parser.error("give at least one --corpus or --folder")
    docs: dict[str, Doc] = {}
    for corpus in args.corpus:
        docs.update(load_corpus(corpus))
    for folder in args.folder:
        docs.update(load_folder(folder))
    print(f"{len(docs)} documents from {len(args.corpus) + len(args.folder)} source(s)")
    failing = sum(verify(path, docs) for path in args.evalsets)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
