"""Models behind a server: OpenAI, OpenAI-compatible servers (vLLM, llama.cpp, LM Studio), Ollama.

Each uses llama-index's own integration, installed by the extra of the same name.
"""

from __future__ import annotations

import os
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM

from podium.config import EmbeddingSettings, LLMSettings
from podium.errors import ConfigError
from podium.providers.extras import require

EMBEDDING_RETRIES = 2  # llama-index's default of 10 makes a stopped server look like a hang


def server_llm(provider: str, cfg: LLMSettings) -> LLM:
    """The language model of a server provider (openai, openai_compatible, ollama)."""
    url = cfg.server_url(provider)
    seeded = {"seed": cfg.seed}
    if provider == "ollama":
        ollama = require("llama_index.llms.ollama", extra="ollama",
                         provider="llm provider 'ollama'")
        return ollama.Ollama(
            model=cfg.model, base_url=url, temperature=cfg.temperature,
            context_window=cfg.context_window, request_timeout=cfg.request_timeout,
            additional_kwargs={"num_predict": cfg.max_tokens, **seeded})
    common: dict[str, Any] = dict(
        model=cfg.model, api_base=url, temperature=cfg.temperature, max_tokens=cfg.max_tokens,
        timeout=cfg.request_timeout, additional_kwargs=seeded)
    if provider == "openai":
        openai = require("llama_index.llms.openai", extra="openai",
                         provider="llm provider 'openai'")
        llm = openai.OpenAI(api_key=_openai_key(cfg.api_key, "llm"), **common)
        try:
            llm.metadata  # noqa: B018 - looks the model up in llama-index's table of OpenAI models
        except ValueError:
            raise ConfigError(f"llm.model {cfg.model!r} is not an OpenAI chat model",
                              hint="name one (e.g. gpt-4o-mini), or use provider "
                                   "openai_compatible for another server's models") from None
        return llm
    if provider == "openai_compatible":
        like = require("llama_index.llms.openai_like", extra="openai-compatible",
                       provider="llm provider 'openai_compatible'")
        return like.OpenAILike(api_key=_key(cfg.api_key) or "none", is_chat_model=True,
                               context_window=cfg.context_window, **common)
    raise AssertionError(f"not a server provider: {provider}")


def server_embedding(provider: str, cfg: EmbeddingSettings) -> BaseEmbedding:
    """The embedding model of a server provider (openai, openai_compatible, ollama)."""
    url = cfg.server_url(provider)
    if provider == "ollama":
        ollama = require("llama_index.embeddings.ollama", extra="ollama",
                         provider="embedding provider 'ollama'")
        return ollama.OllamaEmbedding(
            model_name=cfg.model, base_url=url, embed_batch_size=cfg.batch_size,
            client_kwargs={"timeout": cfg.request_timeout})
    common: dict[str, Any] = dict(api_base=url, embed_batch_size=cfg.batch_size,
                                  timeout=cfg.request_timeout, max_retries=EMBEDDING_RETRIES)
    if provider == "openai":
        openai = require("llama_index.embeddings.openai", extra="openai",
                         provider="embedding provider 'openai'")
        try:
            return openai.OpenAIEmbedding(
                model=cfg.model, api_key=_openai_key(cfg.api_key, "embedding"), **common)
        except ValueError as exc:  # an embedding model OpenAI does not offer
            raise ConfigError(f"embedding.model {cfg.model!r}: {exc}",
                              hint="name an OpenAI embedding model, e.g. text-embedding-3-small"
                              ) from None
    if provider == "openai_compatible":
        like = require("llama_index.embeddings.openai_like", extra="openai-compatible",
                       provider="embedding provider 'openai_compatible'")
        return like.OpenAILikeEmbedding(model_name=cfg.model, api_key=_key(cfg.api_key) or "none",
                                        **common)
    raise AssertionError(f"not a server provider: {provider}")


def _key(secret: Any) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _openai_key(secret: Any, section: str) -> str:
    key = _key(secret) or os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ConfigError(f"provider 'openai' needs an API key for {section}",
                          hint=f"set PODIUM_{section.upper()}__API_KEY or OPENAI_API_KEY")
    return key
