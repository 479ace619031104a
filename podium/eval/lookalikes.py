"""Build the index corpus for an eval set: its source documents plus look-alike distractors.

Run: python -m podium.eval.lookalikes OUT.jsonl.gz --eval eval/wide.jsonl \
         --corpus WH.jsonl.gz --corpus UN.jsonl.gz [--days 5] [--per-year 60] [--term PHRASE …]
         [--spread N]

The selection is deterministic (no randomness, no models), so every run indexes the same documents:
1. every document an eval case names as a source;
2. for each source with a full date (a White House post), every dated document published within
   `days` days of it — that week's statements, speeches and briefings; a document longer than
   `long_words` words (a full briefing transcript) only within `long_days` days, since long
   transcripts dominate the ingest time;
3. for each source with a `country` (a UN General Debate speech), every speech by that country,
   and `per_year` more speeches from its session year, in a fixed hash order of their ids;
4. for each `term`, up to `per_term` documents whose text contains it (case-sensitive; same order);
5. `spread` more documents from anywhere in the corpora, none longer than `long_words` words (same
   order): other years and subjects, so that a question's date or topic has to single out its
   source among documents of every kind (0 by default).
Records are copied verbatim, in corpus order, into one .jsonl.gz.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from podium.errors import PodiumError
from podium.eval.dataset import load_dataset

logger = logging.getLogger(__name__)

DAYS = 5
LONG_WORDS = 4000
LONG_DAYS = 1
PER_YEAR = 60
PER_TERM = 15
MIN_DISTRACTORS = 1000


@dataclass(frozen=True)
class Meta:
    """What the selection looks at in one record."""

    doc_id: str
    day: date | None
    year: str
    country: str
    words: int
    order: str  # a fixed pseudo-random rank: the sha1 of the id


@dataclass
class Selection:
    """Which documents were chosen, and why (the first reason that chose each)."""

    reasons: dict[str, str] = field(default_factory=dict)

    def add(self, doc_ids: Iterator[str] | Sequence[str], reason: str) -> None:
        """Choose documents not chosen yet, recording why."""
        for doc_id in doc_ids:
            self.reasons.setdefault(doc_id, reason)

    def counts(self) -> dict[str, int]:
        """How many documents each reason chose."""
        out: dict[str, int] = {}
        for reason in self.reasons.values():
            out[reason] = out.get(reason, 0) + 1
        return out


def _records(corpora: Sequence[Path]) -> Iterator[tuple[str, dict[str, object]]]:
    for corpus in corpora:
        with gzip.open(corpus, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield line, json.loads(line)


def _meta(record: dict[str, object]) -> Meta:
    doc_id, raw_date = str(record["id"]), str(record.get("date") or "")
    words = len(str(record.get("text") or "").split())
    try:
        day = date.fromisoformat(raw_date) if len(raw_date) == 10 else None
    except ValueError:
        day = None
    return Meta(doc_id=doc_id, day=day,
                year=raw_date[:4], country=str(record.get("country") or ""), words=words,
                order=hashlib.sha1(doc_id.encode("utf-8")).hexdigest())


@dataclass(frozen=True)
class Rules:
    """The knobs of the selection (rules 2–5 of the module docstring)."""

    days: int = DAYS
    long_words: int = LONG_WORDS
    long_days: int = LONG_DAYS
    per_year: int = PER_YEAR
    per_term: int = PER_TERM
    spread: int = 0


def select(metas: dict[str, Meta], sources: set[str], term_hits: dict[str, list[str]],
           rules: Rules = Rules()) -> Selection:
    """Choose the sources and their look-alikes (rules 1–5 of the module docstring)."""
    missing = sorted(sources - set(metas))
    if missing:
        raise PodiumError(f"{len(missing)} eval source(s) are in none of the corpora: "
                          f"{', '.join(missing[:5])}", hint="pass every corpus the set uses")
    chosen = Selection()
    chosen.add(sorted(sources), "source")
    wanted = [metas[s] for s in sorted(sources)]
    ranked = sorted(metas.values(), key=lambda m: m.order)
    dates = sorted({m.day for m in wanted if m.day is not None})

    def near(m: Meta) -> bool:
        limit = rules.long_days if m.words > rules.long_words else rules.days
        return m.day is not None and any(abs((m.day - d).days) <= limit for d in dates)

    chosen.add((m.doc_id for m in ranked if near(m)), "same week")
    countries = {m.country for m in wanted if m.country}
    chosen.add((m.doc_id for m in ranked if m.country and m.country in countries), "same country")
    for year in sorted({m.year for m in wanted if m.country}):
        same = [m.doc_id for m in ranked
                if m.country and m.year == year and m.doc_id not in chosen.reasons]
        chosen.add(same[:rules.per_year], "same session")
    for term in sorted(term_hits):
        hits = sorted(term_hits[term], key=lambda i: metas[i].order)
        chosen.add(hits[:rules.per_term], f"term {term!r}")
    anywhere = [m.doc_id for m in ranked
                if m.words <= rules.long_words and m.doc_id not in chosen.reasons]
    chosen.add(anywhere[:rules.spread], "anywhere")
    return chosen


def build(corpora: Sequence[Path], eval_sets: Sequence[Path], out: Path, *,
          rules: Rules = Rules(), terms: Sequence[str] = (),
          min_distractors: int = MIN_DISTRACTORS) -> Selection:
    """Write the sources of eval_sets and their look-alikes from corpora to out (.jsonl.gz)."""
    sources = {s for case in load_dataset(list(eval_sets)) for s in case.sources}
    metas: dict[str, Meta] = {}
    term_hits: dict[str, list[str]] = {t: [] for t in terms}
    for _, record in _records(corpora):
        meta = _meta(record)
        metas.setdefault(meta.doc_id, meta)
        text = str(record.get("text") or "")
        for term in terms:
            if term in text:
                term_hits[term].append(meta.doc_id)
    chosen = select(metas, sources, term_hits, rules)
    distractors = len(chosen.reasons) - len(sources)
    if distractors < min_distractors:
        raise PodiumError(f"only {distractors} distractors chosen (at least {min_distractors} "
                          "wanted)", hint="raise --days or --per-year, or add --term phrases")
    _write(corpora, set(chosen.reasons), out)
    logger.info("wrote %d documents (%s) to %s", len(chosen.reasons), chosen.counts(), out)
    return chosen


def _write(corpora: Sequence[Path], keep: set[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    written: set[str] = set()
    with gzip.open(partial, "wt", encoding="utf-8") as dst:
        for line, record in _records(corpora):
            doc_id = str(record["id"])
            if doc_id in keep and doc_id not in written:
                dst.write(line if line.endswith("\n") else line + "\n")
                written.add(doc_id)
    partial.replace(out)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path, help="the .jsonl.gz to write (under a data dir)")
    parser.add_argument("--eval", dest="eval_sets", action="append", type=Path, required=True)
    parser.add_argument("--corpus", action="append", type=Path, required=True)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--long-words", type=int, default=LONG_WORDS)
    parser.add_argument("--long-days", type=int, default=LONG_DAYS)
    parser.add_argument("--per-year", type=int, default=PER_YEAR)
    parser.add_argument("--term", dest="terms", action="append", default=[])
    parser.add_argument("--per-term", type=int, default=PER_TERM)
    parser.add_argument("--spread", type=int, default=0)
    parser.add_argument("--min-distractors", type=int, default=MIN_DISTRACTORS)
    args = parser.parse_args(argv)
    rules = Rules(days=args.days, long_words=args.long_words, long_days=args.long_days,
                  per_year=args.per_year, per_term=args.per_term, spread=args.spread)
    chosen = build(args.corpus, args.eval_sets, args.out, rules=rules, terms=args.terms,
                   min_distractors=args.min_distractors)
    counts = ", ".join(f"{n} {reason}" for reason, n in chosen.counts().items())
    print(f"{len(chosen.reasons)} documents ({counts}) written to {args.out}")


if __name__ == "__main__":
    main()
