"""How fast the packaged model evaluates a prompt on this machine: the floor under the time to
first words, since every question's passages (~440 tokens after the cached system prefix, see
`bench/results/runtime.json`) must be evaluated before the first word.

ik_llama.cpp's model as Podium loads it (memory-mapped) against the same model with the
library's run-time repacking (`repack_tensors`: weights rearranged for faster CPU matrix
products, at load), both loaded in one process and timed alternately on the same prompt: the
first seed transcript's opening as a ChatML user turn.

    .venv/bin/python bench/prompt_speed.py [--rounds 4] [--out bench/results/prompt_speed.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from podium.providers import xllama
from podium.providers.extras import prefer_passive_waiting

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("PODIUM_MODELS_DIR", REPO / ".podium" / "models"))
SEED = sorted((REPO / "data" / "transcripts").iterdir())[0]
THREADS = 2


def load(path: Path, repack: bool) -> tuple[Any, Any, float]:
    """(model, context, seconds to load) with or without run-time repacking."""
    from ik_llama_cpp import _ctypes_api as c
    from ik_llama_cpp import _internals as internals

    c.llama_backend_init()
    params = c.llama_model_default_params()
    params.use_mmap = not repack  # repacking rewrites the weights in memory
    params.repack_tensors = repack
    started = time.perf_counter()
    handle = c.llama_model_load_from_file(str(path).encode(), params)
    if not handle:
        raise SystemExit(f"could not load {path}")
    model = internals.IkModel.__new__(internals.IkModel)
    model._model = handle
    model._vocab = c.llama_model_get_vocab(handle)
    model.n_vocab = c.llama_vocab_n_tokens(model._vocab)
    context = internals.IkContext(model, n_ctx=4096, n_threads=THREADS, flash_attn=False)
    return model, context, time.perf_counter() - started


def evaluate(context: Any, tokens: list[int]) -> float:
    """Seconds to evaluate the tokens from an empty cache."""
    from ik_llama_cpp import _ctypes_api as c
    from ik_llama_cpp import _internals as internals

    context.kv_cache_clear()
    step = context._n_ubatch
    started = time.perf_counter()
    for i in range(0, len(tokens), step):
        batch = internals.make_batch_range(tokens[i:i + step], pos_start=i,
                                           logits_last=i + step >= len(tokens))
        status = context.decode(batch)
        c.llama_batch_free(batch)
        if status != 0:
            raise SystemExit(f"llama_decode returned {status}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    prefer_passive_waiting()
    path = xllama.packaged_gguf(MODELS_DIR)
    text = SEED.read_text(encoding="utf-8")[:2400]
    prompt = ("<|im_start|>system\nAnswer from the passages.<|im_end|>\n<|im_start|>user\n"
              f"{text}\nWhat was said?<|im_end|>\n<|im_start|>assistant\n")
    runs: dict[str, dict[str, Any]] = {}
    for name, repack in (("mmap", False), ("repacked", True)):
        model, context, seconds = load(path, repack)
        runs[name] = {"load_s": round(seconds, 2), "context": context, "tok_per_s": []}
    tokens = model.tokenize(prompt, add_bos=False, special=True)  # one vocabulary for both
    for _ in range(args.rounds):
        for run in runs.values():
            run["tok_per_s"].append(round(len(tokens) / evaluate(run["context"], tokens), 1))
    result = {
        "command": "python " + " ".join(sys.argv),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {THREADS} threads",
        "model": path.name, "prompt_tokens": len(tokens),
        "runs": {name: {"load_s": run["load_s"], "tok_per_s": run["tok_per_s"],
                        "p50_tok_per_s": statistics.median(run["tok_per_s"]),
                        "s_for_440_tokens": round(440 / statistics.median(run["tok_per_s"]), 1)}
                 for name, run in runs.items()},
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
