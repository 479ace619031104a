"""Benchmark the default stack on the seed corpus: ingest, embedding rate, ask cold/warm, time
to first streamed word, memory.

Run: .venv/bin/python bench/seed_bench.py [--out bench/results/seed.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from podium.app import build_app
from podium.config import load_settings
from podium.ingest.chunking import chunk_document
from podium.ingest.parse import parse_document
from podium.models import build_embedder
from podium.qa.engine import QAEngine
from podium.qa.generate import ExtractiveGenerator

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "transcripts"
QUESTIONS = [
    "What did Stoltenberg say the Ukrainians are running out of?",
    "Which rocket system was more ammunition announced for?",
    "Who said that everything we do aims at victory?",
    "What did Blinken call the decision to provide cluster munitions?",
]


def main() -> None:
    """Measure and write the results as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "seed.json")
    args = parser.parse_args()
    models_dir = REPO / ".podium" / "models"
    data_dir = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    settings = load_settings(overrides={"data_dir": data_dir, "models_dir": models_dir},
                             env={}, discover=False).settings
    app = build_app(settings)
    t0 = time.perf_counter()
    report = app.ingest([SEED], progress=False)
    ingest_s = time.perf_counter() - t0

    texts = [c.embedding_text() for p in sorted(SEED.glob("*.txt"))
             for c in chunk_document(parse_document(p.name, p.read_text()), 200)]
    embedder, _ = build_embedder(settings)
    t0 = time.perf_counter()
    for _ in range(3):
        embedder.get_text_embedding_batch(texts)
    embed_rate = 3 * len(texts) / (time.perf_counter() - t0)

    env = {"PODIUM_DATA_DIR": str(data_dir), "PODIUM_MODELS_DIR": str(models_dir),
           "PATH": str(Path(sys.executable).parent)}
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "podium"), "ask", "--json", QUESTIONS[0]],
                   env=env, cwd=data_dir, check=True, capture_output=True)
    cold_s = time.perf_counter() - t0
    child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    extractive = QAEngine(retriever=app.retriever, docstore=app.docstore,
                          generator=ExtractiveGenerator(), settings=settings.retrieval,
                          citations=settings.citations, models={})
    extractive_ms = [extractive.ask(q).timings_ms["total"] for q in QUESTIONS]

    app.ask(QUESTIONS[0])  # load the model in this process
    warm, first, retrieve = [], [], []
    for question in QUESTIONS:
        answer = app.ask(question)  # the same streaming path: ask() consumes app.stream()
        warm.append(answer.timings_ms["total"] / 1000)
        first.append(answer.timings_ms["first_token"] / 1000)
        retrieve.append(answer.timings_ms["retrieve"])
    results = {
        "command": "python bench/seed_bench.py",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "seed_ingest_s": round(ingest_s, 2),
        "seed_documents": len(report.added),
        "seed_chunks": report.chunks_written,
        "embedding_chunks_per_s": round(embed_rate, 1),
        "ask_cold_s": round(cold_s, 1),
        "ask_cold_peak_rss_mib": round(child_peak_mib),
        "ask_warm_s": [round(w, 1) for w in warm],
        "ask_warm_median_s": round(statistics.median(warm), 1),
        "first_token_warm_s": [round(f, 1) for f in first],
        "first_token_warm_median_s": round(statistics.median(first), 1),
        "retrieve_warm_ms": retrieve,
        "extractive_ask_ms": extractive_ms,
        "bench_process_peak_rss_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
