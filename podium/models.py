"""Build the embedder and answer generator from settings: the one place provider names appear."""

from __future__ import annotations

from llama_index.core.base.embeddings.base import BaseEmbedding

from podium.config import Settings
from podium.prompts import load_prompt
from podium.qa.generate import ExtractiveGenerator, Generator, LLMGenerator
from podium.vectorstore.chroma import EmbeddingInfo


def build_embedder(settings: Settings) -> tuple[BaseEmbedding, EmbeddingInfo]:
    """The embedding model and the identity its vectors are stored under."""
    cfg = settings.embedding
    if cfg.provider == "local":
        from podium.providers import minilm

        model = minilm.MiniLMEmbedding(threads=cfg.threads, batch_size=cfg.batch_size)
        return model, EmbeddingInfo(f"{minilm.MODEL_NAME}-onnx-int8", minilm.DIMENSION)
    if cfg.provider == "fake":
        from podium.providers.fake import FakeEmbedding

        fake = FakeEmbedding()
        return fake, EmbeddingInfo(fake.model_name, fake.dimension)
    raise AssertionError(f"unhandled embedding provider {cfg.provider}")


def build_generator(settings: Settings) -> Generator:
    """The answer writer: a language model with the configured prompt, or extractive."""
    cfg = settings.llm
    if cfg.provider == "extractive":
        return ExtractiveGenerator()
    prompt, condense = load_prompt(cfg.prompt), load_prompt(cfg.condense_prompt)
    if cfg.provider == "local":
        from podium.providers import xllama

        path = cfg.model_path or xllama.packaged_gguf(settings.resolved_models_dir)
        llm = xllama.XLlamaCppLLM(
            model_path=str(path), context_window=cfg.context_window, max_tokens=cfg.max_tokens,
            temperature=cfg.temperature, threads=cfg.threads, seed=cfg.seed)
        name = xllama.PACKAGED_NAME if cfg.model_path is None else path.stem
        return LLMGenerator(llm, prompt, name=f"{name} (local, xllamacpp)",
                            condense_prompt=condense)
    if cfg.provider == "fake":
        from podium.providers.fake import FakeLLM

        return LLMGenerator(FakeLLM(), prompt, name="fake", condense_prompt=condense)
    raise AssertionError(f"unhandled llm provider {cfg.provider}")
