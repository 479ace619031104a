"""Sentence embeddings kept in memory between questions.

Every question embeds the sentences of the chunks it retrieves (MiniLM, and the rescorer's e5),
and a page or chat session retrieves the same transcripts again and again. An embedding is a
function of its text alone, so the last `size` texts' vectors are kept and reused.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

SIZE = 20_000  # 384-dimensional float32 vectors: ~30 MiB


class EmbeddingCache:
    """A bounded, least-recently-used map from text to its embedding."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the page answers on several threads

    def __len__(self) -> int:
        return len(self._vectors)

    def embed(self, texts: Sequence[str],
              compute: Callable[[list[str]], Sequence[Sequence[float]] | np.ndarray]
              ) -> np.ndarray:
        """One row per text, in order: cached rows as they are, the others computed in one
        call to `compute` (each distinct text once) and kept."""
        with self._lock:
            found = {t: self._vectors[t] for t in dict.fromkeys(texts) if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            rows = np.asarray(compute(missing), dtype=np.float32).reshape(len(missing), -1)
            found.update(zip(missing, rows, strict=True))
            with self._lock:
                for text, row in zip(missing, rows, strict=True):
                    self._vectors[text] = row
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[t] for t in texts])
