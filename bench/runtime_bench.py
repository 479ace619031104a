"""Side by side, in one run: the GGUF runtimes (llm.runtime), or any other settings, on the
same seed eval questions through Podium's real pipeline (build_app, hybrid retrieval, evidence,
streaming composer).

For each variant: a cold `podium ask --json` in a new process (imports, model load, first
answer; that process's peak RSS), then, in this process, every question asked of each variant
in turn (the order alternating per question, so that machine drift hits both alike): time to
the first streamed words and to the whole answer, p50/p95, and whether the answers agree.

Run (on a quiet machine; ~10 questions take a few minutes):
  .venv/bin/python bench/runtime_bench.py [--questions 10] [--runtimes xllamacpp,ik_llama]
  .venv/bin/python bench/runtime_bench.py --variant six:retrieval.evidence_sentences=6 \
      --variant eight:retrieval.evidence_sentences=8 --out bench/results/evidence_sentences.json
  .venv/bin/python bench/runtime_bench.py --eval-set eval/wide.jsonl --data-dir .podium/wide \
      --variant six:retrieval.evidence_sentences=6 --variant eight:retrieval.evidence_sentences=8
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from podium.app import Podium, build_app
from podium.config import load_settings
from podium.qa.schema import Answer

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "data" / "transcripts"
EVAL_SET = REPO / "eval" / "seed.jsonl"
MODELS_DIR = Path(os.environ.get("PODIUM_MODELS_DIR", REPO / ".podium" / "models"))


class EvaluatedTokens(logging.Handler):
    """Collects each call's prompt tokens and how many were evaluated (the rest came from the
    cache), from the ik_llama runtime's log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: list[dict[str, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if m := re.search(r"of (\d+) tokens: \d+ reused from the cache, (\d+) evaluated",
                          record.getMessage()):
            self.counts.append({"prompt": int(m.group(1)), "evaluated": int(m.group(2))})


def questions(n: int, eval_set: Path = EVAL_SET) -> list[str]:
    """The first n answerable questions of the seed eval set (unanswerable ones never reach
    the model), then one more to warm up with."""
    cases = [json.loads(line) for line in eval_set.read_text().splitlines() if line.strip()]
    return [c["question"] for c in cases if c["type"] != "unanswerable"][:n + 1]


Overrides = dict[str, str]  # dotted setting -> value ("llm.runtime" -> "ik_llama")


def variant(text: str) -> tuple[str, Overrides]:
    """NAME:KEY=VALUE[,KEY=VALUE…] -> (NAME, {KEY: VALUE})."""
    name, _, pairs = text.partition(":")
    overrides = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
    if not name or not overrides:
        raise argparse.ArgumentTypeError(f"expected NAME:KEY=VALUE[,KEY=VALUE…], got {text!r}")
    return name, overrides


def nested(overrides: Overrides) -> dict[str, Any]:
    """{"llm.runtime": "x"} -> {"llm": {"runtime": "x"}}."""
    tree: dict[str, Any] = {}
    for key, value in overrides.items():
        *path, leaf = key.split(".")
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def cold_ask(name: str, overrides: Overrides, data_dir: Path, question: str) -> dict[str, Any]:
    """`podium ask --json` in a new process: wall time, its own peak RSS, its answer."""
    env = {"PODIUM_DATA_DIR": str(data_dir), "PODIUM_MODELS_DIR": str(MODELS_DIR),
           "PATH": str(Path(sys.executable).parent),
           **{"PODIUM_" + key.upper().replace(".", "__"): v for key, v in overrides.items()},
           **{k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "OMP_WAIT_POLICY")}}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(Path(sys.executable).parent / "podium"), "ask", "--json", question],
            env=env, cwd=data_dir, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"cold ask with {name} failed:\n{stderr[-2000:]}")
    reply = json.loads(stdout)
    return {"s": round(seconds, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "first_token_s": reply["timings_ms"].get("first_token", 0) / 1000,
            "answer": reply["answer"]}


def app_for(overrides: Overrides, data_dir: Path) -> Podium:
    """Podium as configured by default, with these settings."""
    settings = load_settings(
        overrides={"data_dir": data_dir, "models_dir": MODELS_DIR, **nested(overrides)},
        env={}, discover=False).settings
    return build_app(settings)


def p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(answers: list[Answer]) -> dict[str, Any]:
    """First-words and total times of one runtime's answers."""
    first = [a.timings_ms["first_token"] / 1000 for a in answers]
    total = [a.timings_ms["total"] / 1000 for a in answers]
    return {"first_token_s": first, "first_token_p50_s": round(statistics.median(first), 2),
            "first_token_p95_s": round(p95(first), 2),
            "total_s": total, "total_p50_s": round(statistics.median(total), 2),
            "total_p95_s": round(p95(total), 2)}


def warm_answers(apps: dict[str, Podium], asked: list[str], warm_up: str
                 ) -> tuple[dict[str, list[Answer]], dict[str, float], list[dict[str, int]]]:
    """Load each runtime with a warm-up question, then ask every question of each in turn:
    the answers, each first (loading) ask's seconds, and ik_llama's evaluated prompt tokens."""
    tokens = EvaluatedTokens()
    logging.getLogger("podium.providers.ik_llama").addHandler(tokens)
    logging.getLogger("podium.providers.ik_llama").setLevel(logging.INFO)
    first_ask = {}
    for runtime, app in apps.items():  # the baseline loads first: its OpenMP reads the env as is
        started = time.perf_counter()
        app.ask(warm_up)  # loads the model; not a measured question (prompt cache)
        first_ask[runtime] = round(time.perf_counter() - started, 2)
    tokens.counts.clear()
    names = list(apps)
    answers: dict[str, list[Answer]] = {n: [] for n in names}
    for i, question in enumerate(asked):
        for name in names[::-1] if i % 2 else names:
            answers[name].append(apps[name].ask(question))
    return answers, first_ask, tokens.counts


def compare(asked: list[str], answers: dict[str, list[Answer]]) -> list[dict[str, Any]]:
    """Each question's answers side by side, and whether they (and the raw replies) agree."""
    rows = []
    for i, question in enumerate(asked):
        row: dict[str, Any] = {"question": question}
        row.update({r: answers[r][i].answer for r in answers})
        row["same_answer"] = len({a[i].answer for a in answers.values()}) == 1
        row["same_reply"] = len({a[i].reply for a in answers.values()}) == 1
        rows.append(row)
    return rows


def main() -> None:
    """Measure and write the results as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--runtimes", default="xllamacpp,ik_llama",
                        help="comma-separated llm.runtime values; the first is the baseline")
    parser.add_argument("--variant", type=variant, action="append", default=[],
                        metavar="NAME:KEY=VALUE[,KEY=VALUE…]",
                        help="settings to compare instead of runtimes (dotted keys, e.g. "
                             "retrieval.evidence_sentences=8); the first is the baseline")
    parser.add_argument("--eval-set", type=Path, default=EVAL_SET,
                        help="the questions: its answerable cases, in order")
    parser.add_argument("--data-dir", type=Path,
                        help="an index to ask (left unchanged); default: a new one of the seed "
                             "corpus")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "runtime.json")
    args = parser.parse_args()
    variants: dict[str, Overrides] = dict(args.variant) or {
        r: {"llm.runtime": r} for r in args.runtimes.split(",")}
    names = list(variants)
    *asked, warm_up = questions(args.questions, args.eval_set)
    load_before, omp_wait_policy = os.getloadavg(), os.environ.get("OMP_WAIT_POLICY")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="podium-runtime-bench-"))
    apps = {names[0]: app_for(variants[names[0]], data_dir)}  # models load at the first question
    if args.data_dir is None:
        apps[names[0]].ingest([SEED], progress=False)
    apps.update({n: app_for(variants[n], data_dir) for n in names[1:]})

    cold = {n: cold_ask(n, variants[n], data_dir, asked[0]) for n in names}
    answers, first_ask, evaluated = warm_answers(apps, asked, warm_up)
    rows = compare(asked, answers)
    results = {
        "command": "python bench/runtime_bench.py " + shlex.join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "omp_wait_policy_at_start": omp_wait_policy,
        "questions": len(asked),
        "baseline": names[0],
        "variants": variants,
        "by_variant": {n: {"cold_ask": cold[n],
                           "cold_answer_same_as_warm": cold[n]["answer"] == answers[n][0].answer,
                           "first_ask_in_process_s": first_ask[n], **summary(answers[n])}
                     for n in names},
        "ik_llama_prompt_tokens": evaluated,
        "same_answers": sum(row["same_answer"] for row in rows),
        "answers": rows,
        "notes": "cold asks read the GGUF from the page cache (it was just assembled or read); "
                 "the variant order alternates per question; peak RSS is the cold podium ask "
                 "process's own (os.wait4); the warm-up question is not measured; "
                 "ik_llama_prompt_tokens holds every ik_llama variant's calls in the order asked.",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "answers"}, indent=2))


if __name__ == "__main__":
    main()
