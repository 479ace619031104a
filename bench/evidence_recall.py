"""Evidence recall without the language model: for each answerable eval case, do the passages
Podium would show the writer hold the key facts (the eval's "evidence" stage), and does a
retrieved chunk hold the gold evidence?

    .venv/bin/python bench/evidence_recall.py eval/seed.jsonl --data-dir DIR [--out FILE]
        [--reranker none|packaged|FILE]

DIR must already hold the case's documents (e.g. from a `podium eval --ingest` run). Besides
all the passages shown, it counts the cases whose key facts are in the first 1, 2 and 4 of
them (the passages in the order the writer sees them), and how many passages were shown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from podium.app import build_app
from podium.config import load_settings
from podium.embedcache import EmbeddingCache
from podium.eval.dataset import load_dataset
from podium.eval.metrics import key_fact_reasons, normalise
from podium.qa import engine as qa_engine
from podium.qa import evidence as qa_evidence

AT = (1, 2, 4)


def _shown(passages: list[qa_evidence.Passage]) -> str:
    """What the writer reads of the passages: text, speaker, title and date."""
    return " ".join(f"{p.text} {p.speaker or ''} {p.title} {p.date or ''}" for p in passages)


def main() -> int:
    """Print evidence recall by case type; write per-case results with --out."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--without", choices=["parts", "context", "rescorer", "cache"],
                        action="append", default=[],
                        help="measure with a mechanism switched off: per-part evidence of "
                             "multi-part questions, the best passages' run-on context, "
                             "the second sentence scorer (retrieval.rescorer), or the "
                             "sentence embeddings kept between questions")
    parser.add_argument("--reranker", help="retrieval.reranker for this run (default: the "
                                           "settings')")
    args = parser.parse_args()
    if "parts" in args.without:
        qa_engine.question_parts = lambda question: [question]
    if "cache" in args.without:
        EmbeddingCache.embed = lambda self, texts, compute: (  # type: ignore[method-assign]
            np.asarray(compute(list(texts)), dtype=np.float32).reshape(len(texts), -1))
    if "context" in args.without:
        qa_evidence.CONTEXT_UNITS = 0
    overrides: dict[str, Any] = {"data_dir": args.data_dir, "retrieval": {}}
    if "rescorer" in args.without:
        overrides["retrieval"]["rescorer"] = "none"
    if args.reranker:
        overrides["retrieval"]["reranker"] = args.reranker
    app = build_app(load_settings(overrides=overrides).settings)
    cases = [c for c in load_dataset([args.dataset]) if c.answerable]
    rows: list[dict[str, Any]] = []
    shown_ok: Counter[str] = Counter()
    chunk_ok: Counter[str] = Counter()
    total: Counter[str] = Counter()
    first: Counter[int] = Counter()  # cases whose key facts are in the first k passages
    shown_count: list[int] = []
    started = time.perf_counter()
    for case in cases:
        retrieval, evidence = app.engine.evidence(case.question, None)
        shown = _shown(evidence.passages)
        in_chunks = any(normalise(e) in normalise(h.text) for e in case.evidence
                        for h in retrieval.hits)
        ok = not key_fact_reasons(case, shown, False)
        at = {k: not key_fact_reasons(case, _shown(evidence.passages[:k]), False) for k in AT}
        first.update(k for k, hit in at.items() if hit)
        shown_count.append(len(evidence.passages))
        total[case.type] += 1
        shown_ok[case.type] += ok
        chunk_ok[case.type] += in_chunks
        rows.append({"id": case.id, "type": case.type, "shown": ok, "gold_chunk": in_chunks,
                     "in_first": at, "passages": len(evidence.passages)})
    seconds = time.perf_counter() - started
    for kind in total:
        print(f"{kind:<12} {total[kind]:>3} cases  key facts shown {shown_ok[kind]:>3}  "
              f"gold evidence in a retrieved chunk {chunk_ok[kind]:>3}")
    n = sum(total.values())
    print(f"{'all':<12} {n:>3} cases  key facts shown {sum(shown_ok.values()):>3} "
          f"({sum(shown_ok.values()) / n:.2f})  gold chunk {sum(chunk_ok.values()):>3} "
          f"({sum(chunk_ok.values()) / n:.2f})  {1000 * seconds / n:.0f} ms a case")
    print("key facts in the first " + ", ".join(f"{k}: {first[k]}" for k in AT)
          + f" passages; passages shown mean {np.mean(shown_count):.2f}")
    print("missed:", " ".join(r["id"] for r in rows if not r["shown"]))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
