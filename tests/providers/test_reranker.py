"""The reranker's model file: missing or corrupt gives one clear error naming the setting;
answering works with reranker = "none"; the committed model ranks a known answer first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from podium.app import build_app
from podium.errors import ModelError
from podium.models import build_reranker
from podium.providers.reranker import OnnxReranker, packaged_model
from tests.conftest import fake_settings


def test_a_missing_model_names_the_setting(tmp_path: Path) -> None:
    settings = fake_settings(tmp_path, retrieval={"reranker": str(tmp_path / "nope.onnx")})
    with pytest.raises(ModelError, match=r"retrieval\.reranker: no model file") as error:
        build_reranker(settings)
    assert '"none"' in (error.value.hint or "")


def test_a_corrupt_model_names_the_setting_and_none_still_answers(tmp_path: Path) -> None:
    broken = tmp_path / "reranker.onnx"
    broken.write_bytes(b"\x00not an onnx file" * 10)
    with pytest.raises(ModelError, match="not a readable ONNX model"):
        OnnxReranker(broken)
    (tmp_path / "reranker.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="not a calibration file"):
        OnnxReranker(broken)
    app = build_app(fake_settings(tmp_path / "data", retrieval={"reranker": "none"}))
    assert "reranker" not in app.engine._models


def test_the_committed_model_ranks_the_answer_first() -> None:
    model = OnnxReranker(packaged_model())
    question = "How many jobs did the economy add in March?"
    passages = ["The President will travel to Pittsburgh on Wednesday to talk about roads.",
                "I don't have anything for you on the jobs report before it comes out.",
                "The economy added 916,000 jobs in March, the most since last August.",
                "We are working with Congress on the infrastructure bill."]
    probabilities = model.probabilities(question, passages)
    assert probabilities.argmax() == 2
    assert probabilities[2] >= model.threshold > max(probabilities[0], probabilities[3])
    assert packaged_model().stat().st_size <= 25 * 1024 * 1024


def test_passage_embeddings_are_kept_between_questions() -> None:
    model = OnnxReranker(packaged_model())
    passages = ["The economy added 916,000 jobs in March.", "We are working with Congress."]
    first = model.scores("How many jobs were added?", passages)
    runs: list[int] = []
    session_run = model._session.run

    def counted(outputs: object, feed: dict[str, np.ndarray]) -> object:
        runs.append(len(feed["input_ids"]))
        return session_run(outputs, feed)

    model._session.run = counted
    again = model.scores("How many jobs were added?", passages)
    assert runs == [1]  # only the question was embedded again
    assert np.allclose(first, again, atol=1e-6)
    assert model.scores("Anything?", []).shape == (0,)
