"""`podium train-reranker INPUT… --out DIR`: mine, train (resumable), calibrate, export, card.

DIR keeps the mined turns (turns.jsonl.gz), the training checkpoint (checkpoint.pt), the model
(reranker.onnx with its calibration reranker.json), the validation figures (metrics.json) and
the model card (MODEL_CARD.md). Run the same command again to resume a killed run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import shlex
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from podium.errors import PodiumError

if TYPE_CHECKING:  # the miner imports the answering code: load it only to train
    from podium.train.mine import Example, QATurn

logger = logging.getLogger(__name__)


def add_train_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Add `train-reranker` to the `podium` parser's subparsers."""
    p = subparsers.add_parser(
        "train-reranker", parents=[common],
        help="train Podium's reranker on the question turns of your transcripts",
        description="Mine question turns and the turns that answer them, fine-tune MiniLM to "
                    "score them (needs the `train` extra), and write an int8 ONNX "
                    "model to --out. Resumes a killed run. Point retrieval.reranker at "
                    "OUT/reranker.onnx to use it.")
    p.add_argument("inputs", nargs="+", type=Path, help="files or folders Podium can ingest")
    p.add_argument("--out", type=Path, required=True, help="folder for the model and its card")
    p.add_argument("--steps", type=int, default=500, help="training steps (default 500)")
    p.add_argument("--groups", type=int, default=16, help="questions a step (default 16)")
    p.add_argument("--negatives", type=int, default=2,
                   help="hard negatives a question (default 2)")
    p.add_argument("--layers", type=int, default=6, help="MiniLM layers kept (default 6)")
    p.add_argument("--max-length", type=int, default=128,
                   help="word pieces a passage (default 128)")
    p.add_argument("--lr", type=float, default=3e-5, help="learning rate (default 3e-5)")
    p.add_argument("--questions", type=int, default=12000,
                   help="question turns sampled to build examples from (default 12000)")
    p.add_argument("--validation-questions", type=int, default=150,
                   help="held-out questions ranked for the figures (default 150)")
    p.add_argument("--seed", type=int, default=0)


def run_train(args: argparse.Namespace, _loaded: Any) -> int:
    """Run `podium train-reranker`."""
    from podium.train.fit import TrainConfig
    from podium.train.mine import build_examples

    config = TrainConfig(steps=args.steps, groups=args.groups, negatives=args.negatives,
                         layers=args.layers, max_length=args.max_length, lr=args.lr,
                         seed=args.seed)
    out: Path = args.out
    started = time.monotonic()
    turns = _mined(args.inputs, out)
    examples = build_examples(turns, seed=args.seed, limit=args.questions)
    counts = _counts(turns, examples)
    print(f"mined {counts['question_turns']} answered question turns in "
          f"{counts['transcripts']} transcripts ({counts['train_examples']} to train on, "
          f"{counts['validation_examples']} held out)", file=sys.stderr)
    model = _train(examples, out, config)
    trained_s = time.monotonic() - started
    figures = _finish(model, turns, examples, out, config, args.validation_questions)
    card = {"command": "podium train-reranker " + " ".join(shlex.quote(a) for a in sys.argv[2:]),
            "counts": counts, "config": asdict(config), "seconds": round(trained_s),
            **figures}
    (out / "metrics.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    from podium.train.card import write_card

    write_card(out / "MODEL_CARD.md", card)
    print(f"wrote {out / 'reranker.onnx'}; validation MRR {figures['reranker']['mrr']:.3f} "
          f"(scorer without it {figures['baseline']['mrr']:.3f}); set retrieval.reranker = "
          f"\"{out / 'reranker.onnx'}\" to use it", file=sys.stderr)
    return 0


def _mined(inputs: list[Path], out: Path) -> list[QATurn]:
    """The question turns of the inputs, read from out/turns.jsonl.gz when mined before."""
    from podium.train.mine import QATurn, qa_turns, read_documents

    for path in inputs:
        if not path.exists():
            raise PodiumError(f"{path} does not exist", hint="give files or folders to train on")
    cache = out / "turns.jsonl.gz"
    if cache.exists():
        with gzip.open(cache, "rt", encoding="utf-8") as f:
            return [QATurn(**json.loads(line)) for line in f]
    turns = [t for doc in read_documents(inputs) for t in qa_turns(doc)]
    if not turns:
        raise PodiumError("no question turns found: training needs transcripts in which a "
                          "question turn (Q:, QUESTION:) is answered by another speaker",
                          hint="train on press briefings, interviews or press availabilities")
    out.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(asdict(t)) + "\n" for t in turns)
    tmp.replace(cache)
    return turns


def _counts(turns: list[QATurn], examples: list[Example]) -> dict[str, int]:
    train = [e for e in examples if e.split == "train"]
    return {"transcripts": len({t.doc_id for t in turns}), "question_turns": len(turns),
            "deflections": sum(t.deflects for t in turns),
            "train_transcripts": len({e.doc_id for e in train}),
            "train_examples": len(train), "validation_examples": len(examples) - len(train)}


def _train(examples: list[Example], out: Path, config: Any) -> Any:
    from podium.train.fit import train

    last = [time.monotonic()]

    def progress(step: int, steps: int, loss: float) -> None:
        if time.monotonic() - last[0] > 30 or step == steps:
            last[0] = time.monotonic()
            print(f"step {step}/{steps} loss {loss:.3f}", file=sys.stderr, flush=True)

    return train(examples, out, config, progress)


def _finish(model: Any, turns: list[QATurn], examples: list[Example], out: Path, config: Any,
            questions: int) -> dict[str, Any]:
    """Calibrate on the validation split, export, and rank the held-out questions."""
    from podium.providers.minilm import MiniLMEmbedding
    from podium.providers.reranker import Calibration, OnnxReranker
    from podium.train.export import export, fit_calibration, torch_scores
    from podium.train.mine import AnswerIndex
    from podium.train.validate import baseline_scorer, ranking_cases, ranking_figures

    held = [e for e in examples if e.split == "validation"][:400]
    all_scores, labels, best, answerable = [], [], [], []
    for ex in held:
        passages = ([ex.positive] if ex.positive else []) + ex.negatives
        scores = torch_scores(model, ex.question, passages, config.max_length)
        all_scores += list(scores)
        labels += [1.0 if ex.positive else 0.0] + [0.0] * (len(passages) - 1)
        best.append(float(scores.max()))
        answerable.append(ex.positive is not None)
        if ex.positive and len(passages) > 1:  # the same question with its answer taken away
            best.append(float(scores[1:].max()))
            answerable.append(False)
    scale, bias = fit_calibration(np.array(all_scores), np.array(labels))
    calibration = Calibration(scale=scale, bias=bias, max_length=config.max_length)
    threshold = _threshold(calibration.probability(np.array(best)), np.array(answerable))
    calibration = Calibration(scale, bias, threshold, config.max_length)
    check = [(e.question, ([e.positive] if e.positive else []) + e.negatives) for e in held[:20]]
    check_figures = export(model, out / "reranker.onnx", calibration, check)
    cases = ranking_cases(turns, AnswerIndex(turns), limit=questions)
    reranker = OnnxReranker(out / "reranker.onnx")
    embedder = MiniLMEmbedding()
    return {"calibration": {"scale": scale, "bias": bias, "threshold": threshold},
            "export_check": check_figures,
            "reranker": ranking_figures(cases, reranker.scores),
            "baseline": ranking_figures(cases, baseline_scorer(embedder.embed))}


def _threshold(best: np.ndarray, answerable: np.ndarray) -> float:
    """The probability threshold that best separates answerable questions (their best
    passage) from the same questions without their answer (balanced accuracy)."""
    candidates = np.unique(np.round(best, 3))
    if len(candidates) == 0 or answerable.all() or not answerable.any():
        return 0.5

    def balanced(t: float) -> float:
        return float(np.mean(best[answerable] >= t) + np.mean(best[~answerable] < t)) / 2

    return float(max(candidates, key=balanced))
