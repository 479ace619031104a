"""Embeddings from a local sentence-transformers folder (the extra [huggingface]: torch)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from podium.config import EmbeddingSettings
from podium.errors import ConfigError
from podium.providers.extras import require


def huggingface_embedding(cfg: EmbeddingSettings) -> tuple[BaseEmbedding, str]:
    """The model in the folder embedding.model, and a name that changes when its files do."""
    folder = Path(str(cfg.model)).expanduser()
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise ConfigError(
            f"embedding.model {folder} is not a sentence-transformers folder",
            hint="point it at a folder holding modules.json / config.json and the weights; "
                 "Podium never downloads models")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: never ask the hub
    module = require("llama_index.embeddings.huggingface", extra="huggingface",
                     provider="embedding provider 'huggingface'")
    import torch

    torch.set_num_threads(cfg.threads)
    model = module.HuggingFaceEmbedding(model_name=str(folder), device="cpu",
                                        embed_batch_size=cfg.batch_size, normalize=True)
    return model, f"huggingface:{folder.resolve().name}@{_fingerprint(folder)}"


def _fingerprint(folder: Path) -> str:
    """Configs by content and weights by size: a different model gets a different name."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".onnx"):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes() if path.suffix == ".json"
                          else str(path.stat().st_size).encode())
    return digest.hexdigest()[:12]
