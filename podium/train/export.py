"""Export the trained reranker to ONNX, quantise it to int8, check it, then swap it in.

Everything is written under temporary names first; the model file and its calibration replace
the previous ones only after the int8 model has loaded and scored pairs like the torch model.
An interrupted export therefore never replaces a good model.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from podium.errors import PodiumError
from podium.providers.reranker import Calibration, OnnxReranker, encode_texts, load_tokenizer

logger = logging.getLogger(__name__)

MAX_MEAN_ERROR = 0.03  # mean |int8 cosine - torch cosine| allowed on the check pairs


def torch_scores(model: Any, question: str, passages: list[str], max_length: int) -> np.ndarray:
    """The torch model's cosines of a question with passages."""
    import torch

    from podium.providers.reranker import QUESTION_LENGTH
    from podium.train.fit import embed

    with torch.no_grad():
        q = embed(model, [question], QUESTION_LENGTH)[0]
        p = embed(model, passages, max_length)
    return np.asarray((p @ q).numpy(), dtype=np.float64)


def export(model: Any, target: Path, calibration: Calibration,
           check: list[tuple[str, list[str]]]) -> dict[str, float]:
    """Write target (int8 ONNX) and target.json (calibration) atomically; return the check
    figures (mean and max |int8 - torch| cosine difference)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(target.stem + ".fp32.tmp.onnx")
    int8 = target.with_name(target.stem + ".int8.tmp.onnx")
    meta = target.with_suffix(".json.tmp")
    model.eval()
    feed = encode_texts(load_tokenizer(calibration.max_length), ["a passage.", "and another"])
    args = tuple(torch.tensor(feed[k]) for k in ("input_ids", "attention_mask", "token_type_ids"))
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}}
    torch.onnx.export(model, args, str(fp32), input_names=list(axes)[:3],
                      output_names=["embedding"], dynamic_axes=axes, opset_version=17,
                      dynamo=False)
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    fp32.unlink()
    meta.write_text(json.dumps(_calibration_dict(calibration), indent=2) + "\n", encoding="utf-8")
    figures = _check(model, int8, meta, calibration, check)
    os.replace(meta, target.with_suffix(".json"))
    os.replace(int8, target)
    return figures


def _calibration_dict(calibration: Calibration) -> dict[str, float]:
    return {"scale": calibration.scale, "bias": calibration.bias,
            "threshold": calibration.threshold, "max_length": calibration.max_length}


def _check(model: Any, int8: Path, meta: Path, calibration: Calibration,
           check: list[tuple[str, list[str]]]) -> dict[str, float]:
    """Load the int8 file as answering does and compare its cosines with the torch model's."""
    staged = int8.with_name("check.onnx")
    os.replace(int8, staged)
    os.replace(meta, staged.with_suffix(".json"))
    try:
        scorer = OnnxReranker(staged)
        errors = [np.abs(scorer.scores(q, ps) - torch_scores(model, q, ps, calibration.max_length))
                  for q, ps in check]
    finally:
        os.replace(staged, int8)
        os.replace(staged.with_suffix(".json"), meta)
    flat = np.concatenate(errors) if errors else np.zeros(1)
    figures = {"mean_abs_score_error": float(flat.mean()),
               "max_abs_score_error": float(flat.max())}
    if figures["mean_abs_score_error"] > MAX_MEAN_ERROR:
        raise PodiumError(f"the int8 model scores unlike the trained one ({figures}); the "
                          "previous model was kept", hint="train again or export without int8")
    return figures


def fit_calibration(scores: np.ndarray, labels: np.ndarray, iterations: int = 200
                    ) -> tuple[float, float]:
    """Platt scaling: the scale and bias that minimise log loss of sigmoid(scale*score+bias)."""
    scale, bias = 1.0, 0.0
    for _ in range(iterations):  # Newton steps on the two parameters
        p = 1.0 / (1.0 + np.exp(-(scale * scores + bias)))
        g = np.array([np.sum((p - labels) * scores), np.sum(p - labels)])
        w = p * (1 - p) + 1e-9
        h = np.array([[np.sum(w * scores * scores), np.sum(w * scores)],
                      [np.sum(w * scores), np.sum(w)]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(h, g)
        scale, bias = scale - step[0], bias - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(scale), float(bias)
