"""The llamacpp provider's llama-cpp-python runtime, against a stand-in `llama_cpp` module (the
real one compiles for 10 minutes, so CI does not install it), and the missing-extra messages."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

from podium.config import load_settings
from podium.errors import ConfigError, ModelError
from podium.models import build_embedder, build_generator
from podium.prompts import load_chat_format
from podium.qa.evidence import Passage


class StandInLlama:
    """Records how llama_cpp.Llama is built and asked; replies with fixed text."""

    built: ClassVar[list[dict[str, Any]]] = []
    asked: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **kwargs: Any) -> None:
        StandInLlama.built.append(kwargs)
        self.chat_handler: Any = None

    def token_eos(self) -> int:
        return 2

    def token_bos(self) -> int:
        return 1

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes:
        return {1: b"<s>", 2: b"</s>"}[tokens[0]]

    def create_chat_completion(self, **request: Any) -> Any:
        StandInLlama.asked.append(request)
        if not request["stream"]:
            return {"choices": [{"message": {"role": "assistant", "content": "Standalone?"}}]}
        return iter([{"choices": [{"delta": {"role": "assistant"}}]},
                     {"choices": [{"delta": {"content": "Kuleba said so "}}]},
                     {"choices": [{"delta": {"content": "[1]."}}]}])


class StandInFormatter:
    def __init__(self, template: str, eos_token: str, bos_token: str) -> None:
        self.args = (template, eos_token, bos_token)

    def to_chat_handler(self) -> tuple[str, str, str]:
        return self.args


@pytest.fixture
def llama_cpp(monkeypatch: pytest.MonkeyPatch) -> type[StandInLlama]:
    module = types.ModuleType("llama_cpp")
    module.Llama = StandInLlama  # type: ignore[attr-defined]
    chat_format = types.ModuleType("llama_cpp.llama_chat_format")
    chat_format.Jinja2ChatFormatter = StandInFormatter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    monkeypatch.setitem(sys.modules, "llama_cpp.llama_chat_format", chat_format)
    StandInLlama.built, StandInLlama.asked = [], []
    return StandInLlama


def _gguf(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")
    return path


def test_llama_cpp_python_runtime_builds_and_asks_as_configured(
        tmp_path: Path, llama_cpp: type[StandInLlama]) -> None:
    env = {"PODIUM_LLM__PROVIDER": "llamacpp", "PODIUM_LLM__MODEL": str(_gguf(tmp_path)),
           "PODIUM_LLM__RUNTIME": "llama-cpp-python", "PODIUM_LLM__CHAT_FORMAT": "chatml",
           "PODIUM_LLM__THREADS": "3", "PODIUM_LLM__MAX_TOKENS": "64"}
    generator = build_generator(load_settings(env=env, discover=False).settings)
    assert generator.name == "tiny (llamacpp, llama-cpp-python)"
    passage = Passage("d", "t", None, "KULEBA", 0, 5, "words", 0.9, 0.5)

    assert "".join(generator.stream("What did Kuleba say?", [passage])) == \
        "Kuleba said so [1]."

    [built] = llama_cpp.built
    assert built == {"model_path": str(tmp_path / "tiny.gguf"), "n_ctx": 4096, "n_threads": 3,
                     "n_threads_batch": 3, "seed": 42, "verbose": False}
    [asked] = llama_cpp.asked
    assert {k: v for k, v in asked.items() if k != "messages"} == {
        "max_tokens": 64, "temperature": 0.0, "seed": 42, "stream": True}
    assert [m["role"] for m in asked["messages"]] == ["system", "user"]
    llm: Any = generator.llm  # type: ignore[attr-defined]
    assert llm._llama.chat_handler == (load_chat_format("chatml"), "</s>", "<s>")


def test_missing_llama_cpp_python_names_its_extra(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    env = {"PODIUM_LLM__PROVIDER": "llamacpp", "PODIUM_LLM__MODEL": str(_gguf(tmp_path)),
           "PODIUM_LLM__RUNTIME": "llama-cpp-python"}
    generator = build_generator(load_settings(env=env, discover=False).settings)
    with pytest.raises(ModelError) as caught:
        list(generator.stream("q", []))
    assert str(caught.value) == (
        "llm.runtime 'llama-cpp-python' needs the optional extra 'llamacpp': "
        "run pip install -e '.[llamacpp]' in the Podium folder")


@pytest.mark.parametrize("provider, module, extra", [
    ("ollama", "llama_index.embeddings.ollama", "ollama"),
    ("openai_compatible", "llama_index.embeddings.openai_like", "openai-compatible"),
    ("huggingface", "llama_index.embeddings.huggingface", "huggingface"),
])
def test_missing_embedding_extra_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             provider: str, module: str, extra: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    folder = tmp_path / "st"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    env = {"PODIUM_EMBEDDING__PROVIDER": provider,
           "PODIUM_EMBEDDING__MODEL": str(folder) if provider == "huggingface" else "e",
           "PODIUM_EMBEDDING__BASE_URL": "http://127.0.0.1:9/v1"}
    with pytest.raises(ModelError) as caught:
        build_embedder(load_settings(env=env, discover=False).settings)
    assert str(caught.value) == (f"embedding provider {provider!r} needs the optional extra "
                                 f"{extra!r}: run pip install -e '.[{extra}]' in the Podium folder")


def test_huggingface_needs_a_local_folder(tmp_path: Path) -> None:
    env = {"PODIUM_EMBEDDING__PROVIDER": "huggingface",
           "PODIUM_EMBEDDING__MODEL": "sentence-transformers/all-MiniLM-L6-v2"}
    with pytest.raises(ConfigError, match="not a sentence-transformers folder"):
        build_embedder(load_settings(env=env, discover=False).settings)


def test_unknown_chat_format_is_a_config_error(tmp_path: Path) -> None:
    env = {"PODIUM_LLM__PROVIDER": "llamacpp", "PODIUM_LLM__MODEL": str(_gguf(tmp_path)),
           "PODIUM_LLM__CHAT_FORMAT": "nope"}
    with pytest.raises(ConfigError, match="no chat format named 'nope'"):
        build_generator(load_settings(env=env, discover=False).settings)
