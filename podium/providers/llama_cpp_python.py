"""A GGUF run in-process by llama-cpp-python (the extra [llamacpp]; it compiles llama.cpp)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ChatResponseGen
from pydantic import PrivateAttr

from podium.errors import ModelError
from podium.providers.extras import require
from podium.providers.gguf import GGUFChatLLM


class LlamaCppPythonLLM(GGUFChatLLM):
    """llama_cpp.Llama's chat completions: the GGUF's template, or llm.chat_format."""

    _llama: Any = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "PodiumLlamaCppPythonLLM"

    def _ensure_model(self) -> Any:
        if self._llama is None:
            self._check_file()
            llama_cpp = require("llama_cpp", extra="llamacpp",
                                provider="llm.runtime 'llama-cpp-python'")
            try:
                llama = llama_cpp.Llama(
                    model_path=self.model_path, n_ctx=self.context_window,
                    n_threads=self.threads, n_threads_batch=self.threads, seed=self.seed,
                    verbose=False)
            except Exception as exc:  # llama-cpp-python raises ValueError on a bad file
                raise ModelError(f"could not load {self.model_path}: {exc}",
                                 hint="check that the file is a GGUF model") from exc
            if self.chat_template:
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                def text(token: int) -> str:
                    return str(llama.detokenize([token], special=True).decode("utf-8", "ignore"))

                llama.chat_handler = Jinja2ChatFormatter(
                    self.chat_template, eos_token=text(llama.token_eos()),
                    bos_token=text(llama.token_bos())).to_chat_handler()
            self._llama = llama
        return self._llama

    def _create(self, messages: Sequence[ChatMessage], stream: bool) -> Any:
        request = self._request(messages, stream)
        return self._ensure_model().create_chat_completion(**request)

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._lock:
            reply = self._create(messages, False)
        content = reply["choices"][0]["message"].get("content") or ""
        return ChatResponse(message=ChatMessage(role="assistant", content=content), raw=reply)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        with self._lock:
            content = ""
            for chunk in self._create(messages, True):
                delta = (chunk["choices"][0].get("delta") or {}).get("content") or ""
                if delta:
                    content += delta
                    yield ChatResponse(message=ChatMessage(role="assistant", content=content),
                                       delta=delta)
