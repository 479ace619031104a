"""How fast the packaged model evaluates a prompt on this machine: the floor under the time to
first words, since every question's passages (~600 tokens after the cached system prefix, see
`bench/results/evidence_sentences.json`) must be evaluated before the first word.

Podium's ik_llama engine as the settings load it (memory-mapped) against the same engine with
the library's run-time repacking (`repack_tensors`: weights rearranged for faster CPU matrix
products, at load), both loaded in one process and timed alternately on the same prompt: the
first seed transcript's opening as a user turn in Podium's ChatML format.

    .venv/bin/python bench/prompt_speed.py [--rounds 4] [--out bench/results/prompt_speed.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

from llama_index.core.base.llms.types import ChatMessage

from podium.config import LLMSettings, load_settings
from podium.prompts import load_chat_format
from podium.providers import xllama
from podium.providers.ik_llama import IkEngine, IkLlamaLLM

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("PODIUM_MODELS_DIR", REPO / ".podium" / "models"))
SEED = sorted((REPO / "data" / "transcripts").iterdir())[0]
EVALUATED = 604  # prompt tokens a question evaluates, 8 passages (evidence_sentences.json)


def load(path: Path, cfg: LLMSettings, repack: bool) -> tuple[IkEngine, float]:
    """Podium's own engine as the settings load it, or with its model repacked at load (which
    keeps the weights in memory instead of mapping the file); and the seconds it took."""
    started = time.perf_counter()
    if not repack:
        return IkEngine(str(path), context_window=cfg.context_window,
                        threads=cfg.threads), time.perf_counter() - started
    from ik_llama_cpp import _ctypes_api as c
    from ik_llama_cpp import _internals as internals

    defaults = c.llama_model_default_params

    def repacking() -> Any:
        params = defaults()
        params.repack_tensors = True
        return params

    with (mock.patch.object(c, "llama_model_default_params", repacking),
          mock.patch.object(internals, "IkModel",
                            functools.partial(internals.IkModel, use_mmap=False))):
        engine = IkEngine(str(path), context_window=cfg.context_window, threads=cfg.threads)
    return engine, time.perf_counter() - started


def evaluate(engine: IkEngine, tokens: list[int]) -> float:
    """Seconds to evaluate the tokens from an empty cache."""
    engine.clear()
    started = time.perf_counter()
    engine.evaluate(tokens, 0)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cfg = load_settings().settings.llm
    path = xllama.packaged_gguf(MODELS_DIR)
    prompt = IkLlamaLLM(model_path=str(path), chat_template=load_chat_format("chatml")).format([
        ChatMessage(role="system", content="Answer from the passages."),
        ChatMessage(role="user", content=SEED.read_text(encoding="utf-8")[:2400]
                    + "\nWhat was said?")])
    runs: dict[str, dict[str, Any]] = {}
    for name, repack in (("mmap", False), ("repacked", True)):
        engine, seconds = load(path, cfg, repack)
        runs[name] = {"load_s": round(seconds, 2), "engine": engine, "tok_per_s": []}
    tokens = engine.tokenize(prompt)  # one vocabulary for both
    for _ in range(args.rounds):
        for run in runs.values():
            run["tok_per_s"].append(round(len(tokens) / evaluate(run["engine"], tokens), 1))
    results = {}
    for name, run in runs.items():
        p50 = statistics.median(run["tok_per_s"])
        results[name] = {"load_s": run["load_s"], "tok_per_s": run["tok_per_s"],
                         "p50_tok_per_s": p50,
                         f"s_for_{EVALUATED}_tokens": round(EVALUATED / p50, 1)}
    result = {
        "command": "python " + " ".join(sys.argv),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cfg.threads} threads",
        "model": path.name, "prompt_tokens": len(tokens), "runs": results,
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
