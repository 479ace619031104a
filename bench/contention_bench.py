"""Answers while a `podium ingest` runs on the same machine, against answers on an idle one,
in one run.

Ingests the seed transcripts into a fresh data dir, then asks the first N answerable seed
questions (default settings, warm, in this process) under each condition:
- idle: nothing else of the bench runs;
- nice N: `podium ingest` of a corpus (the White House file by default) into another fresh data
  dir runs at `ingest.nice = N` (PODIUM_INGEST__NICE), started `--settle` seconds before the
  first question and interrupted after the last (its own summary says how many chunks it wrote,
  so the cost to the ingest is measured too).
The conditions run in the order A B C … C B A, so that machine drift hits all alike. Records
first words and whole answer p50/p95 per condition, and their ratio to idle.

Run (on a quiet machine; ~15 minutes with the defaults):
  .venv/bin/python bench/contention_bench.py [--questions 6] [--nice 0,19]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from runtime_bench import MODELS_DIR, REPO, SEED, app_for, questions, summary

from podium.app import Podium
from podium.qa.schema import Answer

CORPUS = REPO.parent / "shared" / "corpus" / "wh_briefing_room_2021_2025.jsonl.gz"


class Ingest:
    """A `podium ingest` child at a nice level, into its own data dir."""

    def __init__(self, nice: int, corpus: Path, settle: float) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="podium-contention-ingest-"))
        env = {**os.environ, "PODIUM_DATA_DIR": str(self.data_dir),
               "PODIUM_MODELS_DIR": str(MODELS_DIR), "PODIUM_INGEST__NICE": str(nice)}
        self.child = subprocess.Popen(
            [str(Path(sys.executable).parent / "podium"), "ingest", "--no-progress", str(corpus)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(settle)  # count the records, load the embedder, start embedding
        if self.child.poll() is not None:
            raise SystemExit(f"the ingest stopped early:\n{self.child.communicate()[0][-2000:]}")

    def stop(self) -> dict[str, Any]:
        """Interrupt it (as Ctrl-C would) and read how much it did."""
        self.child.send_signal(signal.SIGINT)
        out = self.child.communicate(timeout=120)[0]
        found = re.search(r"([\d,]+) chunks written in ([\d.]+) s", out)
        if found is None:
            return {"summary": out.strip()[-300:]}
        chunks, seconds = int(found.group(1).replace(",", "")), float(found.group(2))
        return {"chunks": chunks, "s": seconds, "chunks_per_s": round(chunks / seconds, 1)}


def ask_all(app: Podium, asked: list[str]) -> list[Answer]:
    return [app.ask(question) for question in asked]


def main() -> None:
    """Measure and write the results as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--nice", default="0,19",
                        help="comma-separated ingest.nice levels to compare against idle")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--settle", type=float, default=8.0)
    parser.add_argument("--out", type=Path,
                        default=REPO / "bench" / "results" / "contention.json")
    args = parser.parse_args()
    levels = [int(n) for n in args.nice.split(",")]
    conditions = ["idle", *(f"nice {n}" for n in levels)]
    *asked, warm_up = questions(args.questions)
    load_before = os.getloadavg()
    data_dir = Path(tempfile.mkdtemp(prefix="podium-contention-bench-"))
    app = app_for({}, data_dir)
    app.ingest([SEED], progress=False)
    app.ask(warm_up)  # loads the models; not measured

    answers: dict[str, list[Answer]] = {c: [] for c in conditions}
    ingests: dict[str, list[dict[str, Any]]] = {c: [] for c in conditions[1:]}
    for condition in conditions + conditions[::-1]:
        if condition == "idle":
            answers[condition] += ask_all(app, asked)
            continue
        ingest = Ingest(int(condition.split()[1]), args.corpus, args.settle)
        try:
            answers[condition] += ask_all(app, asked)
        finally:
            ingests[condition].append(ingest.stop())

    figures = {c: summary(answers[c]) for c in conditions}
    idle = figures["idle"]
    results: dict[str, Any] = {
        "command": "python bench/contention_bench.py " + shlex.join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "questions": len(asked),
        "order": conditions + conditions[::-1],
        "by_condition": {
            c: {**figures[c],
                "first_token_p50_vs_idle": round(
                    figures[c]["first_token_p50_s"] / idle["first_token_p50_s"], 2),
                "total_p50_vs_idle": round(figures[c]["total_p50_s"] / idle["total_p50_s"], 2),
                "ingest_while_answering": ingests.get(c)}
            for c in conditions},
        "same_answers_as_idle": {
            c: sum(a.answer == b.answer for a, b in zip(answers[c], answers["idle"], strict=True))
            for c in conditions[1:]},
        "notes": "each condition asks every question twice (A B C … C B A); the ingest runs in "
                 "a child process into its own data dir and is interrupted after the questions; "
                 "the answers run at nice 0 in this process; figures in seconds.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({c: {k: v for k, v in r.items() if k not in ("first_token_s", "total_s")}
                      for c, r in results["by_condition"].items()}, indent=2))

if __name__ == "__main__":
    main()
