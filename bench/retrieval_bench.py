"""Retrieval latency on a built index, the generator excluded.

    .venv/bin/python bench/retrieval_bench.py --data-dir DIR [--questions eval/seed.jsonl ...]
        [--out bench/results/retrieval.json]

For every question (the eval sets' questions plus a few made of common words, such as "the
President said", which match a large share of the keyword index), it times, warm and in one
process:
  - the query embedding, the vector search and the keyword search, each alone;
  - `retrieve`, the hybrid retrieval as answers use it (embedding, both searches, fusion, the
    cosines of keyword-only hits): the figure the targets are about;
  - `evidence`, retrieval plus sentence selection and scoring (the rescorer included), which
    must not grow with the corpus.
Each question runs twice; the first pass (OS caches cold for its chunks) and the second are
reported separately. Documents and chunks are read with `podium status --json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from podium.app import build_app
from podium.config import load_settings
from podium.eval.dataset import load_dataset
from podium.qa.retrieve import keyword_terms

REPO = Path(__file__).resolve().parent.parent
COMMON = [
    "the President said",
    "What did the President say?",
    "What did the press secretary say about the economy?",
    "Is it the case that we will have to do more?",
    "What do you think about that?",
]


def main() -> None:
    """Time every stage for every question; write p50/p95 as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=Path, nargs="*",
                        default=[REPO / "eval" / "seed.jsonl", REPO / "eval" / "wide.jsonl"])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "retrieval.json")
    args = parser.parse_args()
    questions = [c.question for c in load_dataset(args.questions)] + COMMON
    app = build_app(load_settings(overrides={"data_dir": args.data_dir}).settings)
    retriever, docstore, index = app.retriever, app.docstore, app.index
    settings = app.settings.retrieval
    app.engine.evidence("warm up the models", None)
    passes = []
    for _ in range(2):
        times: dict[str, list[float]] = {k: [] for k in
                                         ("embed", "vector", "keyword", "retrieve", "evidence")}
        for question in questions:
            embedding = _timed(times["embed"], partial(index.embed_query, question))
            _timed(times["vector"], partial(index.search, embedding, settings.candidates))
            _timed(times["keyword"], partial(docstore.keyword_search, keyword_terms(question),
                                             settings.candidates))
            _timed(times["retrieve"], partial(retriever.retrieve, question))
            _timed(times["evidence"], partial(app.engine.evidence, question, None))
        passes.append({k: _summary(v) for k, v in times.items()})
    common = {q: round(ms, 1) for q, ms in zip(questions, times["keyword"], strict=True)
              if q in COMMON}
    status = json.loads(subprocess.run(
        [sys.executable, "-m", "podium", "status", "--json"], check=True, capture_output=True,
        text=True, env={**os.environ, "PODIUM_DATA_DIR": str(args.data_dir)}).stdout)
    results = {
        "command": " ".join(["python", "bench/retrieval_bench.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": round(os.getloadavg()[0], 2),
        "index": {"documents": status["documents"]["complete"], "chunks": status["chunks"],
                  "keyword_rows": status["keyword_rows"], "disk": status["disk"]["human"]},
        "questions": len(questions),
        "candidates": settings.candidates,
        "rescorer": settings.rescorer,
        "first_pass_ms": passes[0],
        "second_pass_ms": passes[1],
        "keyword_ms_common_words": common,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def _timed(into: list[float], call: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = call()
    into.append(1000 * (time.perf_counter() - started))
    return result


def _summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"p50": round(statistics.median(ordered), 1),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
            "max": round(ordered[-1], 1)}


if __name__ == "__main__":
    main()
