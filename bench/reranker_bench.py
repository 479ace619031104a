"""Cost of the reranker in answering: time to score a question's candidate sentences and the
memory it adds, on this machine, with the packaged model (or --model).

    .venv/bin/python bench/reranker_bench.py eval/seed.jsonl --data-dir DIR [--out FILE]

DIR must hold the eval set's documents (e.g. from a `podium eval --ingest` run). For each
question, the candidate sentences that answering would score are gathered once (reranker off),
then scored by the reranker alone, timed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from podium.app import build_app
from podium.config import load_settings
from podium.eval.dataset import load_dataset
from podium.providers.reranker import OnnxReranker, packaged_model


def _rss_mib() -> float:
    """Peak resident memory of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    """Print p50/p95 reranking time per question and the memory the model adds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    overrides: dict[str, Any] = {"data_dir": args.data_dir,
                                 "retrieval": {"reranker": "none", "evidence_sentences": 20}}
    settings = load_settings(overrides=overrides).settings
    app = build_app(settings)
    candidates = settings.retrieval.rerank_candidates
    sets = []
    for case in load_dataset([args.dataset]):
        _, evidence = app.engine.evidence(case.question, None)
        sets.append((case.question, [p.text for p in evidence.passages][:candidates]))
    before = _rss_mib()
    started = time.perf_counter()
    model = OnnxReranker(args.model or packaged_model())
    load_s = time.perf_counter() - started
    model.probabilities(sets[0][0], sets[0][1])  # first call: onnxruntime's own warm-up
    times = []
    for question, texts in sets:
        t = time.perf_counter()
        model.probabilities(question, texts)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    result = {
        "command": "bench/reranker_bench.py " + str(args.dataset),
        "model": model.name, "questions": len(sets),
        "sentences_per_question": statistics.mean(len(t) for _, t in sets),
        "load_s": round(load_s, 2),
        "rerank_ms_p50": round(statistics.median(times), 1),
        "rerank_ms_p95": round(times[int(0.95 * (len(times) - 1))], 1),
        "rss_added_mib": round(_rss_mib() - before, 1),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
