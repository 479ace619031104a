"""Test doubles: the package's deterministic fakes, re-exported for tests."""

from podium.providers.fake import FakeEmbedding, FakeLLM, quote_first_passage

__all__ = ["FakeEmbedding", "FakeLLM", "quote_first_passage"]
