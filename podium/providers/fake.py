"""Deterministic fakes for tests, selectable as provider "fake" in the settings."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms.custom import CustomLLM
from pydantic import Field, PrivateAttr

from podium.text import terms

FAKE_DIMENSION = 64


class FakeEmbedding(BaseEmbedding):
    """Hashed bag of words: a pure function of the text, so texts sharing words are close."""

    dimension: int = FAKE_DIMENSION

    def __init__(self, dimension: int = FAKE_DIMENSION) -> None:
        super().__init__(model_name=f"fake-bow-{dimension}")
        self.dimension = dimension

    @classmethod
    def class_name(cls) -> str:
        return "PodiumFakeEmbedding"

    def vector(self, text: str) -> list[float]:
        """The embedding of one text."""
        vec = [0.0] * self.dimension
        for term in terms(text):
            bucket = int.from_bytes(hashlib.sha256(term.encode()).digest()[:4], "big")
            vec[bucket % self.dimension] += 1.0
        norm = math.sqrt(sum(v * v for v in vec))
        if not norm:
            return [1.0 / math.sqrt(self.dimension)] * self.dimension
        return [v / norm for v in vec]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self.vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.vector(text)


def quote_first_passage(prompt: str) -> str:
    """The fake model's default reply: the first numbered passage's words, cited [1].

    Asked to condense a follow-up, it names the previous question's subject instead.
    """
    follow_up = re.search(r"^Follow-up question: (.+)$", prompt, re.MULTILINE)
    if follow_up:
        earlier = re.findall(r"^User: (.+)$", prompt, re.MULTILINE)
        return f"{follow_up.group(1)} (about: {earlier[-1] if earlier else ''})"
    match = re.search(r"^\[1\][^\n]*?\"(.+)\"\s*$", prompt, re.MULTILINE)
    return f"{match.group(1)} [1]" if match else "I cannot tell from these passages."


class FakeLLM(CustomLLM):
    """Replays queued replies (or a reply function) and records every prompt it was given."""

    replies: list[str] = Field(default_factory=list)
    _prompts: list[str] = PrivateAttr(default_factory=list)
    _reply_fn: Callable[[str], str] | None = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "PodiumFakeLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=4096, num_output=256, is_chat_model=True,
                           model_name="fake")

    @property
    def prompts(self) -> list[str]:
        """Every prompt seen so far, system and user text joined."""
        return self._prompts

    def set_reply_function(self, fn: Callable[[str], str]) -> None:
        """Answer every prompt that finds no queued reply with fn(prompt)."""
        self._reply_fn = fn

    def _reply(self, prompt: str) -> str:
        self._prompts.append(prompt)
        if self.replies:
            return self.replies.pop(0)
        return (self._reply_fn or quote_first_passage)(prompt)

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = self._reply("\n\n".join(m.content or "" for m in messages))
        return ChatResponse(message=ChatMessage(role="assistant", content=text))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        text = self.chat(messages).message.content or ""
        content = ""
        for piece in re.findall(r"\S+\s*", text):
            content += piece
            yield ChatResponse(message=ChatMessage(role="assistant", content=content), delta=piece)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._reply(prompt))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any
                        ) -> CompletionResponseGen:
        text = self._reply(prompt)
        yield CompletionResponse(text=text, delta=text)


class FakeReranker:
    """The share of the question's key terms a passage holds, as its probability of answering:
    a pure function of the texts (retrieval.reranker = "fake")."""

    name = "fake-reranker"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self.asked: list[tuple[str, list[str]]] = []

    def probabilities(self, question: str, passages: list[str]) -> Any:
        """One probability per passage: the question terms it holds over all of them."""
        import numpy as np

        self.asked.append((question, list(passages)))
        wanted = set(terms(question))
        return np.array([len(wanted & set(terms(p))) / max(len(wanted), 1) for p in passages])
