"""What the in-process GGUF runtimes (xllamacpp, llama-cpp-python) share."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.custom import CustomLLM
from pydantic import PrivateAttr

from podium.errors import ModelError


class GGUFChatLLM(CustomLLM):
    """A chat model over a GGUF file; completions are one-message chats."""

    model_path: str
    context_window: int = 4096
    max_tokens: int = 200
    temperature: float = 0.0
    threads: int = 2
    seed: int = 42
    chat_template: str | None = None
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_tokens,
                           is_chat_model=True, model_name=Path(self.model_path).stem)

    def _check_file(self) -> None:
        if not Path(self.model_path).is_file():
            raise ModelError(f"model file {self.model_path} not found",
                             hint="set llm.model to a GGUF file (provider llamacpp)")

    def _request(self, messages: Sequence[ChatMessage], stream: bool) -> dict[str, Any]:
        return {
            "messages": [{"role": m.role.value, "content": m.content or ""} for m in messages],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "stream": stream,
        }

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        reply = self.chat([ChatMessage(role="user", content=prompt)])
        return CompletionResponse(text=reply.message.content or "")

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                        ) -> CompletionResponseGen:
        for part in self.stream_chat([ChatMessage(role="user", content=prompt)]):
            yield CompletionResponse(text=part.message.content or "", delta=part.delta)
