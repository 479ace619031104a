"""Answer writers: a language model with a prompt template, or an extractive composer."""

from __future__ import annotations

from typing import Protocol

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import LLM

from podium.prompts import Prompt
from podium.qa.evidence import Passage


class Generator(Protocol):
    """Writes an answer text with [n] markers from numbered passages."""

    name: str

    def generate(self, question: str, passages: list[Passage]) -> str:
        """The answer text; [n] refers to passages[n-1]."""
        ...


def format_passages(passages: list[Passage]) -> str:
    """Numbered passages as the prompt shows them: [n] (speaker; title; date) "words"."""
    lines = []
    for n, p in enumerate(passages, start=1):
        about = "; ".join(x for x in (p.speaker, p.title, p.date) if x)
        words = " ".join(p.text.split())
        lines.append(f'[{n}] ({about}) "{words}"')
    return "\n".join(lines)


class LLMGenerator:
    """A llama-index LLM answering from a prompt template."""

    def __init__(self, llm: LLM, prompt: Prompt, name: str) -> None:
        self.llm = llm
        self._prompt = prompt
        self.name = name

    def messages(self, question: str, passages: list[Passage]) -> list[ChatMessage]:
        """The chat messages sent to the model."""
        user = self._prompt.render_user(passages=format_passages(passages), question=question)
        return [ChatMessage(role="system", content=self._prompt.system),
                ChatMessage(role="user", content=user)]

    def generate(self, question: str, passages: list[Passage]) -> str:
        """Ask the model once."""
        return self.llm.chat(self.messages(question, passages)).message.content or ""


class ExtractiveGenerator:
    """No generative model: quote the best supporting sentences, each cited."""

    name = "extractive"

    def __init__(self, max_sentences: int = 2) -> None:
        self._max = max_sentences

    def generate(self, question: str, passages: list[Passage]) -> str:
        """Quote the top passages whose score is close to the best one."""
        if not passages:
            return ""
        best = passages[0].score
        picked = [(n, p) for n, p in enumerate(passages, start=1) if p.score >= 0.8 * best]
        parts = []
        for n, p in picked[: self._max]:
            words = " ".join(p.text.split())
            who = f"{p.speaker.title()}: " if p.speaker else ""
            parts.append(f"{who}“{words}” [{n}]")
        return " ".join(parts)
