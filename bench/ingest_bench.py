"""Ingest throughput against the raw embedder, in one run, on White House briefings.

Takes N documents of ../shared/corpus/wh_briefing_room_2021_2025.jsonl.gz (the first N, or with
--stride K every K-th record, a sample of the whole corpus's mix), chunks them as Podium does,
and measures
  1. the raw throughput of the packaged MiniLM on exactly those chunk texts (chunks/s; with
     --raw-every K on every K-th of them), then
  2. `podium ingest` of the same N documents into a fresh data dir, in a child process
     (chunks/s from its own report; wall time including start-up; its peak RSS), then
  3. the raw throughput again: the machine drifts, so the ratio is taken against the mean of
     the measurements before and after,
and reads the result with `podium status --json` (documents, chunks, disk used).

Run: .venv/bin/python bench/ingest_bench.py [--docs 1000] [--stride K] [--raw-every K]
         [--keep DIR] [--out bench/results/ingest.json]
The first records are long press briefings (the first 1,000 make ~121,000 chunks, 2 h of
embedding here); every 9th record gives ~1,000 documents of the corpus's own mix of briefings,
statements and remarks. Run it with nothing else on the machine. The load average before and
after is recorded.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from podium.config import load_settings
from podium.ingest.chunking import chunk_document
from podium.ingest.parse import parse_document
from podium.models import build_embedder

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "wh_briefing_room_2021_2025.jsonl.gz"
SUMMARY = re.compile(r"(\d+) chunks written in ([\d.]+) s")


def main() -> None:
    """Measure and write the results as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1000, help="documents to ingest")
    parser.add_argument("--stride", type=int, default=1, metavar="K",
                        help="take every K-th record (default: the first N)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--raw-every", type=int, default=1, metavar="K",
                        help="time the raw embedder on every K-th chunk text (default: all)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="build the index in DIR and keep it (for bench/retrieval_bench.py)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ingest.json")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=False)
    work = args.keep or Path(tempfile.mkdtemp(prefix="podium-ingest-bench-"))
    sample = work / f"wh_{args.docs}_every_{args.stride}.jsonl"
    lines = write_sample(args.corpus, sample, args.docs, args.stride)
    settings = load_settings(overrides={"data_dir": work / "data"}, env={},
                             discover=False).settings
    load_before = os.getloadavg()
    texts = list(chunk_texts(lines, settings.ingest.chunk_tokens))[::args.raw_every]
    raw = raw_throughput(settings, texts)
    ingest = podium_ingest(sample, work / "data")
    raw_after = raw_throughput(settings, texts)
    raw_per_s = (raw["chunks_per_s"] + raw_after["chunks_per_s"]) / 2
    results = {
        "command": " ".join(["python", "bench/ingest_bench.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "corpus": (f"first {args.docs} records of {args.corpus.name}" if args.stride == 1 else
                   f"{len(lines)} records of {args.corpus.name}, every {args.stride}th"),
        "words": sum(len(json.loads(line)["text"].split()) for line in lines),
        "embedder": {"model": raw["model"], "batch_size": settings.embedding.batch_size,
                     "threads": settings.embedding.threads},
        "raw_embedder": {"chunks": len(texts), "every": args.raw_every} | {
            "seconds_before_after": [raw["seconds"], raw_after["seconds"]],
            "chunks_per_s_before_after": [raw["chunks_per_s"], raw_after["chunks_per_s"]],
            "chunks_per_s": round(raw_per_s, 2)},
        "ingest": ingest,
        "ingest_vs_raw": round(ingest["chunks_per_s"] / raw_per_s, 3),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def write_sample(corpus: Path, out: Path, n: int, stride: int) -> list[str]:
    """Copy every stride-th record of the corpus, n at most, to a plain JSONL file; return
    the lines."""
    lines = []
    with gzip.open(corpus, "rt", encoding="utf-8") as src:
        for i, line in enumerate(line for line in src if line.strip()):
            if i % stride == 0:
                lines.append(line)
            if len(lines) == n:
                break
    out.write_text("".join(lines), encoding="utf-8")
    return lines


def chunk_texts(lines: list[str], chunk_tokens: int) -> Iterator[str]:
    """The texts Podium embeds for these records (as ingest parses and chunks them)."""
    for line in lines:
        record = json.loads(line)
        metadata = {k: v for k, v in record.items() if k not in ("id", "text") and v is not None}
        parsed = parse_document(record["id"], record["text"], metadata)
        for chunk in chunk_document(parsed, chunk_tokens):
            yield chunk.embedding_text()


def raw_throughput(settings: Any, texts: list[str]) -> dict[str, Any]:
    """The configured embedder alone on these chunk texts, in order: chunks per second.

    Every K-th chunk text (--raw-every) keeps the mix of long and short chunks.
    """
    model, info = build_embedder(settings)
    model.get_text_embedding_batch(texts[:16])  # load and warm up, not timed
    started = time.perf_counter()
    model.get_text_embedding_batch(texts)
    seconds = time.perf_counter() - started
    return {"model": info.name, "chunks": len(texts), "seconds": round(seconds, 1),
            "chunks_per_s": round(len(texts) / seconds, 2)}


def podium_ingest(sample: Path, data_dir: Path) -> dict[str, Any]:
    """`podium ingest` in a child process, then `podium status --json` on its data dir."""
    podium = [sys.executable, "-m", "podium"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_DATA_DIR"] = str(data_dir)
    started = time.perf_counter()
    done = subprocess.run([*podium, "ingest", "--no-progress", str(sample)], env=env,
                          cwd=data_dir.parent, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 3):
        sys.exit(f"podium ingest failed ({done.returncode}):\n{done.stderr}")
    match = SUMMARY.search(done.stdout)
    assert match, done.stdout
    chunks, seconds = int(match.group(1)), float(match.group(2))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    status = json.loads(subprocess.run([*podium, "status", "--json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    return {"documents": status["documents"]["complete"], "chunks": chunks,
            "skipped": done.stdout.count("\n  skipped "),
            "seconds": seconds, "wall_seconds_with_startup": round(wall, 1),
            "chunks_per_s": round(chunks / seconds, 2),
            "docs_per_s": round(status["documents"]["complete"] / seconds, 2),
            "peak_rss_bytes": peak, "peak_rss": f"{peak / 2**20:.0f} MiB",
            "disk_bytes": status["disk"]["bytes"], "disk": status["disk"]["human"],
            "keyword_rows": status["keyword_rows"], "vectors": status["vector_store"]["ids"]}


if __name__ == "__main__":
    main()
