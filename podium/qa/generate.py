"""Answer writers: a language model with a prompt template, or an extractive composer.

Both stream their reply as text pieces, and both rewrite a follow-up question into a
standalone one for retrieval (the model with the condense prompt, the extractive writer by
carrying the previous question along).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import LLM

from podium.errors import model_failures
from podium.prompts import Prompt
from podium.qa.evidence import Passage
from podium.qa.guard import defuse_markers

MAX_STANDALONE_CHARS = 400


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str


class Generator(Protocol):
    """Writes an answer text with [n] markers from numbered passages."""

    name: str

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """The answer text in pieces; [n] refers to passages[n-1]."""
        ...

    def condense(self, history: Sequence[Turn], question: str) -> str:
        """The follow-up question rewritten to stand on its own."""
        ...

    def warm(self) -> None:
        """Get ready for the first question (load a model); may take seconds."""
        ...


def format_passages(passages: list[Passage], grouped: bool = False) -> str:
    """Numbered passages as the prompt shows them: [n] (speaker; title; date) "words"
    (a "[7]" in the words shows as "(7)"). Grouped: a `From title; date:` line before each run
    of passages from one document, which then read [n] (speaker) "words"."""
    lines, document = [], None
    for n, p in enumerate(passages, start=1):
        words = defuse_markers(" ".join(p.text.split()))
        if not grouped:
            about = "; ".join(x for x in (p.speaker, p.title, p.date) if x)
            lines.append(f'[{n}] ({about}) "{words}"')
            continue
        if (p.doc_id, p.title, p.date) != document:
            document = (p.doc_id, p.title, p.date)
            lines.append("From " + "; ".join(x for x in (p.title or p.doc_id, p.date) if x) + ":")
        lines.append(f'[{n}] ({p.speaker}) "{words}"' if p.speaker else f'[{n}] "{words}"')
    return "\n".join(lines)


def carry_previous(history: Sequence[Turn], question: str) -> str:
    """A follow-up made standalone without a model: the previous question rides along."""
    if not history:
        return question
    return f"{question} (follow-up to: {history[-1].question})"


class LLMGenerator:
    """A llama-index LLM answering from a prompt template."""

    def __init__(self, llm: LLM, prompt: Prompt, name: str, condense_prompt: Prompt,
                 grouped: bool = False) -> None:
        self.llm = llm
        self._grouped = grouped  # passages grouped by document (retrieval.group_by_document)
        self._prompt = prompt
        self._condense = condense_prompt
        self.name = name
        self.last_prompt_tokens: int | None = None  # of the last answer, where the model says

    def messages(self, question: str, passages: list[Passage]) -> list[ChatMessage]:
        """The chat messages sent to the model."""
        user = self._prompt.render_user(passages=format_passages(passages, self._grouped),
                                         question=question)
        return [ChatMessage(role="system", content=self._prompt.system),
                ChatMessage(role="user", content=user)]

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """Ask the model once, yielding text as it is generated."""
        self.last_prompt_tokens = None
        with self._reported():
            for part in self.llm.stream_chat(self.messages(question, passages)):
                self.last_prompt_tokens = _prompt_tokens(part) or self.last_prompt_tokens
                if part.delta:
                    yield part.delta

    def warm(self) -> None:
        """Load the model now where the runtime can (ik_llama), not at the first question."""
        if (load := getattr(self.llm, "load", None)) is not None:
            load()

    def condense(self, history: Sequence[Turn], question: str) -> str:
        """Ask the model to rewrite the follow-up; fall back to carrying the last question."""
        if not history:
            return question
        lines = []
        for turn in history[-3:]:
            lines += [f"User: {turn.question}", f"Assistant: {_plain(turn.answer)}"]
        user = self._condense.render_user(history="\n".join(lines), question=question)
        with self._reported():
            reply = self.llm.chat([ChatMessage(role="system", content=self._condense.system),
                                   ChatMessage(role="user", content=user)]).message.content or ""
        rewritten = _first_line(reply)
        if not rewritten or len(rewritten) > MAX_STANDALONE_CHARS:
            return carry_previous(history, question)
        return rewritten

    def _reported(self) -> AbstractContextManager[None]:
        return model_failures(
            f"the language model {self.name} failed",
            hint="check the [llm] settings (podium config) and, for a server provider, that "
                 "the server is running")


def _prompt_tokens(part: Any) -> int | None:
    """The prompt's token count that a streamed response reports (ik_llama's own count, or
    an OpenAI-style usage), if any."""
    count = (part.additional_kwargs or {}).get("prompt_tokens")
    usage = getattr(part.raw, "usage", None) if part.raw is not None else None
    count = count or getattr(usage, "prompt_tokens", None)
    return int(count) if isinstance(count, int) and count > 0 else None


class ExtractiveGenerator:
    """No generative model: quote the best supporting sentences, each cited."""

    name = "extractive"

    def __init__(self, max_sentences: int = 2) -> None:
        self._max = max_sentences

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str]:
        """Quote the top passages whose score is close to the best one."""
        if not passages:
            return
        best = passages[0].score
        picked = [(n, p) for n, p in enumerate(passages, start=1) if p.score >= 0.8 * best]
        for i, (n, p) in enumerate(picked[: self._max]):
            yield (" " if i else "") + quote(n, p)

    def condense(self, history: Sequence[Turn], question: str) -> str:
        """Carry the previous question along (no model to rewrite with)."""
        return carry_previous(history, question)

    def warm(self) -> None:
        """Nothing to load."""


def quote(n: int, p: Passage) -> str:
    """A passage quoted as an answer: Speaker: “words” [n]."""
    words = " ".join(p.text.split())
    if not (words.startswith(("“", '"')) and words.endswith(("”", '"'))):
        words = f"“{words}”"
    named = p.speaker and p.text.lstrip("“\"").startswith(p.speaker)
    who = f"{p.speaker.title()}: " if p.speaker and not named else ""
    return f"{who}{words} [{n}]"


def _plain(answer: str) -> str:
    return re.sub(r"\s*\[\d+\]", "", " ".join(answer.split()))[:400]


def _first_line(reply: str) -> str:
    for line in reply.strip().splitlines():
        line = re.sub(r"^(?:standalone question|question|rewritten)\s*:\s*", "", line.strip(),
                      flags=re.IGNORECASE).strip(" \"'“”")
        if line:
            return line
    return ""
