"""Errors Podium reports to users: a message plus what to do about it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class PodiumError(Exception):
    """An error with a user-facing message and a hint naming the fix."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(PodiumError):
    """Settings files or environment variables are invalid."""


class ModelError(PodiumError):
    """A model is missing, corrupt or cannot be loaded."""


class IndexMismatchError(PodiumError):
    """The index was built with another embedding model."""


@contextmanager
def model_failures(failed: str, *, hint: str) -> Iterator[None]:
    """Turn any error of a model library or its server into one readable ModelError."""
    try:
        yield
    except PodiumError:
        raise
    except Exception as exc:  # client libraries raise their own error types
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        raise ModelError(f"{failed}: {detail}", hint=hint) from exc


class VectorStoreError(PodiumError):
    """The vector store (a Chroma server) cannot be reached or refuses the request."""
