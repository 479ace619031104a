"""Sentence embeddings are computed once per text and kept within a bound."""

import numpy as np

from podium.embedcache import EmbeddingCache


def test_each_text_is_embedded_once_and_rows_keep_the_order() -> None:
    calls: list[list[str]] = []

    def compute(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return [[float(len(t)), 1.0] for t in texts]

    cache = EmbeddingCache(size=10)
    first = cache.embed(["aa", "b", "aa"], compute)
    assert calls == [["aa", "b"]]  # a repeated text is computed once
    assert first.tolist() == [[2.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    second = cache.embed(["ccc", "b"], compute)
    assert calls[-1] == ["ccc"]  # only the new text
    assert second.tolist() == [[3.0, 1.0], [1.0, 1.0]]
    assert cache.embed([], compute).shape == (0, 0)
    assert len(calls) == 2


def test_the_least_recently_used_text_goes_first() -> None:
    calls: list[str] = []

    def compute(texts: list[str]) -> np.ndarray:
        calls.extend(texts)
        return np.ones((len(texts), 3))

    cache = EmbeddingCache(size=2)
    cache.embed(["a", "b"], compute)
    cache.embed(["a"], compute)  # a is used again: b is now the oldest
    cache.embed(["c"], compute)
    assert len(cache) == 2
    cache.embed(["a", "b"], compute)
    assert calls == ["a", "b", "c", "b"]
