"""Podium's own reranker: (question, passage) in, P(passage answers) out.

The model is MiniLM-L6 fine-tuned on reporters' questions and the turns that answer them
(`podium train-reranker`, podium/train): it embeds the question and each passage (mean pooled,
unit length), and their cosine is the score. It is exported to ONNX and quantised to int8;
running it needs onnxruntime and tokenizers only, never torch. Passage embeddings are a
function of the text alone, so they are kept between questions (podium.embedcache). Beside the
`.onnx` file, a `.json` file of the same name holds its calibration (Platt scaling of the cosine
into a probability) and the answerable threshold.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from podium.embedcache import EmbeddingCache
from podium.errors import ModelError

logger = logging.getLogger(__name__)

MAX_LENGTH = 128  # word pieces of a passage, as in training
QUESTION_LENGTH = 64  # word pieces of a question, as in training
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
SETTING_HINT = ('set retrieval.reranker to a model file from `podium train-reranker` '
                '(…/reranker.onnx), or "none" for the scorer without it')


def packaged_model() -> Path:
    """The reranker committed with Podium (package data)."""
    return Path(str(resources.files("podium") / "assets" / "reranker.onnx"))


@functools.lru_cache(maxsize=4)
def load_tokenizer(max_length: int = MAX_LENGTH) -> Any:
    """The MiniLM word-piece tokenizer (podium/assets), truncating at max_length."""
    from tokenizers import Tokenizer

    data = (resources.files("podium") / "assets" / "minilm-tokenizer.json").read_bytes()
    if hashlib.sha256(data).hexdigest() != TOKENIZER_SHA256:
        raise ModelError("the MiniLM tokenizer file in podium/assets is corrupt",
                         hint="reinstall podium")
    tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def encode_texts(tokenizer: Any, texts: list[str]) -> dict[str, np.ndarray]:
    """Model inputs for texts, padded to the longest of the batch."""
    encodings = tokenizer.encode_batch(texts)
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the model's score (a cosine), and the probability at which a passage
    answers."""

    scale: float = 1.0
    bias: float = 0.0
    threshold: float = 0.5
    max_length: int = MAX_LENGTH

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities that each passage answers its question."""
        return 1.0 / (1.0 + np.exp(-(self.scale * scores + self.bias)))

    @classmethod
    def read(cls, path: Path) -> Calibration:
        """The calibration beside a model file (defaults when there is none)."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in ("scale", "bias", "threshold", "max_length")
                      if k in data})


class OnnxReranker:
    """Scores (question, passage) pairs with the int8 ONNX model: the cosine of their
    embeddings, calibrated into the probability that the passage answers."""

    def __init__(self, model: Path, *, threads: int = 2, batch_size: int = 32,
                 threshold: float | None = None) -> None:
        import onnxruntime as ort

        if not model.is_file():
            raise ModelError(f"retrieval.reranker: no model file at {model}", hint=SETTING_HINT)
        try:
            self.calibration = Calibration.read(model.with_suffix(".json"))
        except (ValueError, TypeError, KeyError) as exc:
            raise ModelError(f"retrieval.reranker: {model.with_suffix('.json')} is not a "
                             f"calibration file ({exc})", hint=SETTING_HINT) from None
        self._passage_tokens = load_tokenizer(self.calibration.max_length)
        self._question_tokens = load_tokenizer(QUESTION_LENGTH)
        self._batch = batch_size
        self._passages = EmbeddingCache()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a corrupt file
            raise ModelError(f"retrieval.reranker: {model} is not a readable ONNX model "
                             f"({str(exc).splitlines()[0][:120]})", hint=SETTING_HINT) from None
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.name = f"podium-reranker:{model.name}"
        self.threshold = self.calibration.threshold if threshold is None else threshold

    def embed(self, texts: list[str], tokenizer: Any) -> np.ndarray:
        """Unit-length embeddings of texts, one row each."""
        out: list[np.ndarray] = []
        for at in range(0, len(texts), self._batch):
            feed = encode_texts(tokenizer, texts[at:at + self._batch])
            (rows,) = self._session.run(
                None, {k: v for k, v in feed.items() if k in self._inputs})
            out.append(np.asarray(rows, dtype=np.float32))
        return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        """The cosine of the question's embedding with each passage's."""
        if not passages:
            return np.zeros(0)
        q = self.embed([question], self._question_tokens)[0]
        p = self._passages.embed(passages, lambda texts: self.embed(texts, self._passage_tokens))
        return np.asarray(p @ q, dtype=np.float64)

    def probabilities(self, question: str, passages: list[str]) -> np.ndarray:
        """Calibrated probability that each passage answers the question."""
        return self.calibration.probability(self.scores(question, passages))
