"""Prompt templates, stored as text files in this package and loaded by name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from podium.errors import ConfigError

_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Prompt:
    """A system message and a user template with {name} slots ({passages}, {question}…)."""

    system: str
    user: str

    def render_user(self, **slots: str) -> str:
        """The user message, filled in one pass, so braces in transcripts stay text."""
        return _SLOT.sub(lambda m: slots.get(m.group(1), m.group(0)), self.user)


def load_prompt(name: str) -> Prompt:
    """Load prompts/<name>.system.txt and prompts/<name>.user.txt."""
    folder = resources.files(__name__)
    try:
        system = (folder / f"{name}.system.txt").read_text(encoding="utf-8").strip()
        user = (folder / f"{name}.user.txt").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"no prompt named {name!r} in podium/prompts",
                          hint="set llm.prompt to an existing template, e.g. 'answer'") from None
    return Prompt(system=system, user=user)


def load_chat_format(name: str) -> str:
    """The Jinja chat template prompts/formats/<name>.jinja, for a GGUF that lacks its own."""
    try:
        return (resources.files(__name__) / "formats" / f"{name}.jinja").read_text(
            encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no chat format named {name!r} in podium/prompts/formats",
                          hint="unset llm.chat_format, or name a file there, e.g. 'chatml'"
                          ) from None
