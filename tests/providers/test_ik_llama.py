"""The ik_llama runtime against a stand-in `ik_llama_cpp` (a byte-level "model" that replays a
scripted reply and keeps a real-looking KV cache), so the prompt cache, stops, sampling and
errors are checked without the 1.1 GB GGUF (that is tests/integration/test_ik_llama_real.py)."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from podium.config import load_settings
from podium.errors import ModelError
from podium.models import build_generator
from podium.providers.ik_llama import pick_token
from podium.qa.evidence import Passage
from podium.qa.generate import Generator

IM_START, IM_END, END_OF_TEXT = 256, 257, 258
SPECIAL = {b"<|im_start|>": IM_START, b"<|im_end|>": IM_END, b"<|endoftext|>": END_OF_TEXT}
N_VOCAB = 300
ASSISTANT = [IM_START, *b"assistant\n"]


class StandInModel:
    """Tokens are bytes; ChatML's markers are single special tokens."""

    built: ClassVar[list[str]] = []

    def __init__(self, path: str) -> None:
        if Path(path).read_bytes()[:4] != b"GGUF":
            raise RuntimeError(f"Failed to load model: {path}")
        StandInModel.built.append(path)
        self.model = self
        self.n_vocab = N_VOCAB

    def tokenize(self, text: str, *, add_bos: bool, special: bool) -> list[int]:
        assert not add_bos and special
        data, tokens = text.encode(), []
        while data:
            marker = next((m for m in SPECIAL if data.startswith(m)), None)
            tokens.append(SPECIAL[marker] if marker else data[0])
            data = data[len(marker):] if marker else data[1:]
        return tokens


class StandInContext:
    """Keeps the cached tokens by position; its logits spell `reply` after the last
    <|im_start|>assistant, then `end`."""

    built: ClassVar[list[dict[str, Any]]] = []
    reply: ClassVar[bytes] = b"Kuleba said so [1]."
    end: ClassVar[int] = IM_END
    fail_at: ClassVar[int | None] = None

    def __init__(self, model: StandInModel, **kwargs: Any) -> None:
        StandInContext.built.append(kwargs)
        self.ctx = self
        self._n_ubatch = 16
        self.n_ctx = kwargs["n_ctx"]
        self.kv: list[int] = []
        self.batches: list[tuple[int, int]] = []  # (first position, number of tokens)
        self.threads: list[tuple[int, int]] = []  # (threads set, batches evaluated before)
        self._logits = (ctypes.c_float * N_VOCAB)()
        contexts.append(self)

    def decode(self, batch: tuple[list[int], int, bool]) -> int:
        tokens, start, _ = batch
        assert start == len(self.kv), "positions must follow the cached ones"
        fail = StandInContext.fail_at is not None and start + len(tokens) > StandInContext.fail_at
        if len(self.kv) + len(tokens) > self.n_ctx or fail:
            return 1
        self.kv += tokens
        self.batches.append((start, len(tokens)))
        ctypes.memset(self._logits, 0, ctypes.sizeof(self._logits))
        self._logits[self._next()] = 5.0
        return 0

    def _next(self) -> int:
        starts = [i for i in range(len(self.kv)) if self.kv[i:i + len(ASSISTANT)] == ASSISTANT]
        written = len(self.kv) - starts[-1] - len(ASSISTANT) if starts else 0
        script = [*StandInContext.reply, StandInContext.end]
        return script[min(written, len(script) - 1)]

    def get_logits(self, idx: int) -> Any:
        return ctypes.cast(self._logits, ctypes.POINTER(ctypes.c_float))

    def kv_cache_clear(self) -> None:
        self.kv = []


contexts: list[StandInContext] = []


def _seq_rm(ctx: StandInContext, seq: int, p0: int, p1: int) -> bool:
    assert (seq, p1) == (0, -1)
    del ctx.kv[p0:]
    return True


def _set_threads(ctx: StandInContext, n_threads: int, n_threads_batch: int) -> None:
    ctx.threads.append((n_threads, len(ctx.batches)))


def _state_save(ctx: StandInContext, path: bytes, tokens: Any, n: int) -> bool:
    assert list(tokens[:n]) == ctx.kv[:n] == ctx.kv, "the cache holds exactly these tokens"
    Path(path.decode()).write_text(json.dumps(ctx.kv))
    return True


def _state_load(ctx: StandInContext, path: bytes, tokens: Any, capacity: int,
                count: Any) -> bool:
    ctx.kv = json.loads(Path(path.decode()).read_text())
    for i, token in enumerate(ctx.kv[:capacity]):
        tokens[i] = token
    count._obj.value = len(ctx.kv)
    return True


def _token_to_piece(model: Any, token: int, buf: Any, size: int, lstrip: int,
                    special: bool) -> int:
    if token >= 256:
        return 0
    ctypes.memmove(buf, bytes([token]), 1)
    return 1


@pytest.fixture
def ik(monkeypatch: pytest.MonkeyPatch) -> type[StandInContext]:
    package = types.ModuleType("ik_llama_cpp")
    internals = types.ModuleType("ik_llama_cpp._internals")
    internals.IkModel = StandInModel  # type: ignore[attr-defined]
    internals.IkContext = StandInContext  # type: ignore[attr-defined]
    internals.make_batch_range = (  # type: ignore[attr-defined]
        lambda tokens, *, pos_start, logits_last: (tokens, pos_start, logits_last))
    capi = types.ModuleType("ik_llama_cpp._ctypes_api")
    capi._lib = types.SimpleNamespace(  # type: ignore[attr-defined]
        llama_kv_cache_seq_rm=_seq_rm, llama_log_set=lambda callback, data: None,
        llama_set_n_threads=_set_threads, llama_state_save_file=_state_save,
        llama_state_load_file=_state_load)
    capi.llama_batch_free = lambda batch: None  # type: ignore[attr-defined]
    capi.llama_token_is_eog = lambda model, token: token == END_OF_TEXT  # type: ignore[attr-defined]
    capi.llama_token_to_piece = _token_to_piece  # type: ignore[attr-defined]
    for module in (package, internals, capi):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(StandInContext, "reply", b"Kuleba said so [1].")
    monkeypatch.setattr(StandInContext, "end", IM_END)
    monkeypatch.setattr(StandInContext, "fail_at", None)
    StandInModel.built, StandInContext.built = [], []
    contexts.clear()
    return StandInContext


def _generator(tmp_path: Path, content: bytes = b"GGUF", models_dir: str = "",
               **llm: str) -> Generator:
    path = tmp_path / "tiny.gguf"
    if not path.is_file() or path.read_bytes() != content:  # the same file: the same mtime
        path.write_bytes(content)
    env = {"PODIUM_LLM__PROVIDER": "llamacpp", "PODIUM_LLM__MODEL": str(path),
           "PODIUM_LLM__RUNTIME": "ik_llama",
           "PODIUM_MODELS_DIR": models_dir or str(tmp_path / "models"),
           **{f"PODIUM_LLM__{k.upper()}": v for k, v in llm.items()}}
    return build_generator(load_settings(env=env, discover=False).settings)


PASSAGE = Passage("d", "t", None, "KULEBA", 0, 5, "words", 0.9, 0.5)


def _answer(generator: Generator, question: str = "What did Kuleba say?") -> str:
    return "".join(generator.stream(question, [PASSAGE]))


def _prompt(generator: Generator, question: str) -> list[int]:
    """The ChatML prompt of the question, as the stand-in's tokens."""
    system, user = generator.messages(question, [PASSAGE])  # type: ignore[attr-defined]
    text = (f"<|im_start|>system\n{system.content}<|im_end|>\n"
            f"<|im_start|>user\n{user.content}<|im_end|>\n<|im_start|>assistant\n")
    return StandInModel.tokenize(StandInModel.__new__(StandInModel), text, add_bos=False,
                                 special=True)


def test_ik_llama_runtime_builds_formats_chatml_and_streams(tmp_path: Path,
                                                          ik: type[StandInContext]) -> None:
    generator = _generator(tmp_path, threads="3", context_window="1024")
    assert generator.name == "tiny (llamacpp, ik_llama)"

    pieces = list(generator.stream("What did Kuleba say?", [PASSAGE]))

    assert "".join(pieces) == "Kuleba said so [1]." and len(pieces) > 1  # streamed
    assert StandInModel.built == [str(tmp_path / "tiny.gguf")]
    assert ik.built == [{"n_ctx": 1024, "n_threads": 3, "flash_attn": False}]
    [context] = contexts
    prompt = _prompt(generator, "What did Kuleba say?")
    assert context.kv[:len(prompt)] == prompt
    assert bytes(context.kv[len(prompt):]) == b"Kuleba said so [1]."  # kept for the next call


def test_warm_loads_the_model_once_before_any_question(tmp_path: Path,
                                                      ik: type[StandInContext]) -> None:
    generator = _generator(tmp_path)
    assert StandInModel.built == []  # nothing loads until asked

    warm = threading.Thread(target=generator.warm)
    warm.start()
    warm.join()

    assert StandInModel.built == [str(tmp_path / "tiny.gguf")] and len(contexts) == 1
    assert _answer(generator) == "Kuleba said so [1]."
    assert StandInModel.built == [str(tmp_path / "tiny.gguf")] and len(contexts) == 1


def test_second_prompt_evaluates_only_the_suffix_after_the_shared_prefix(
        tmp_path: Path, ik: type[StandInContext], caplog: pytest.LogCaptureFixture) -> None:
    generator = _generator(tmp_path)
    caplog.set_level(logging.INFO, logger="podium.providers.ik_llama")
    _answer(generator, "What did Kuleba say about ammunition?")
    [context] = contexts
    context.batches.clear()

    assert _answer(generator, "What did Kuleba say about air defence?") == "Kuleba said so [1]."

    prompt = _prompt(generator, "What did Kuleba say about air defence?")
    before = _prompt(generator, "What did Kuleba say about ammunition?")
    shared = next(i for i, (a, b) in enumerate(zip(prompt, before, strict=False)) if a != b)
    reused = context.batches[0][0]
    assert reused == shared > len(prompt) - 40
    assert sum(n for _, n in context.batches) == len(prompt) - reused + 19
    assert caplog.records[-1].getMessage().startswith(
        f"prompt of {len(prompt)} tokens: {reused} reused from the cache, "
        f"{len(prompt) - reused} evaluated in ")


def test_the_same_prompt_twice_evaluates_one_token(tmp_path: Path,
                                                   ik: type[StandInContext]) -> None:
    generator = _generator(tmp_path)
    first = _answer(generator)
    [context] = contexts
    context.batches.clear()
    assert _answer(generator) == first
    assert context.batches[0][1] == 1


def test_stops_on_endoftext_and_at_max_tokens(tmp_path: Path, ik: type[StandInContext]) -> None:
    ik.end = END_OF_TEXT
    assert _answer(_generator(tmp_path)) == "Kuleba said so [1]."
    ik.reply = b"x" * 100
    assert _answer(_generator(tmp_path, max_tokens="16")) == "x" * 16


def test_characters_split_across_tokens_stream_whole(tmp_path: Path,
                                                     ik: type[StandInContext]) -> None:
    ik.reply = "Zelensky’s café".encode()
    pieces = list(_generator(tmp_path).stream("q", [PASSAGE]))
    assert "".join(pieces) == "Zelensky’s café"
    assert all("\ufffd" not in p for p in pieces)


def test_sampling_is_greedy_at_zero_and_repeatable_with_a_seed(
        tmp_path: Path, ik: type[StandInContext]) -> None:
    logits = np.zeros(151_936, dtype=np.float32)
    logits[4242] = 3.0
    assert pick_token(logits, 0.0, np.random.default_rng(1)) == 4242
    picks = {pick_token(logits, 5.0, np.random.default_rng(seed)) for seed in range(40)}
    assert 4242 in picks and len(picks) > 1  # sampled, not greedy

    answers = [_answer(_generator(tmp_path, temperature="1.5", seed=seed))
               for seed in ("7", "7", "8")]
    assert answers[0] == answers[1]


def test_a_prompt_longer_than_the_context_is_a_model_error(
        tmp_path: Path, ik: type[StandInContext]) -> None:
    generator = _generator(tmp_path, context_window="512")
    with pytest.raises(ModelError) as caught:
        _answer(generator, "why? " * 200)
    assert "more than llm.context_window (512)" in caught.value.message
    assert "raise llm.context_window" in caught.value.hint
    assert _answer(generator) == "Kuleba said so [1]."  # the runtime still answers


def test_a_failed_evaluation_clears_the_cache(tmp_path: Path, ik: type[StandInContext]) -> None:
    generator = _generator(tmp_path)
    _answer(generator)
    [context] = contexts
    ik.fail_at = 40
    with pytest.raises(ModelError, match="could not evaluate"):
        _answer(generator, "another question entirely " * 3)
    ik.fail_at = None
    context.batches.clear()
    assert _answer(generator) == "Kuleba said so [1]."
    assert context.batches[0][0] == 0  # evaluated afresh


def test_model_file_missing_or_not_a_gguf(tmp_path: Path, ik: type[StandInContext]) -> None:
    generator = _generator(tmp_path, content=b"nope")
    with pytest.raises(ModelError) as caught:
        _answer(generator)
    assert caught.value.hint == "check that the file is a GGUF model"
    (tmp_path / "tiny.gguf").unlink()
    with pytest.raises(ModelError, match="not found"):
        _answer(generator)


def test_missing_wheel_names_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ik_llama_cpp", None)
    with pytest.raises(ModelError) as caught:
        _answer(_generator(tmp_path))
    assert str(caught.value) == ("llm.runtime 'ik_llama' needs the optional extra 'ik': "
                                 "run pip install -e '.[ik]' in the Podium folder")


@pytest.mark.parametrize(("before", "after"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_wait_passively_unless_the_user_chose(
        tmp_path: Path, ik: type[StandInContext], monkeypatch: pytest.MonkeyPatch,
        before: str | None, after: str) -> None:
    monkeypatch.setenv("OMP_WAIT_POLICY", "restored after the test")
    if before is None:
        monkeypatch.delenv("OMP_WAIT_POLICY")
    else:
        monkeypatch.setenv("OMP_WAIT_POLICY", before)
    _answer(_generator(tmp_path))
    assert os.environ["OMP_WAIT_POLICY"] == after


def test_prime_evaluates_the_prompts_start_before_the_first_question(
        tmp_path: Path, ik: type[StandInContext]) -> None:
    generator = _generator(tmp_path, threads="3")
    llm = generator.llm  # type: ignore[attr-defined]
    llm.prime(generator.messages("", []))  # type: ignore[attr-defined]
    [context] = contexts
    # two threads while priming (one left to the thread that retrieves), then three again
    assert context.threads == [(2, 0), (3, len(context.batches))] and context.batches
    system = generator.messages("", [])[0].content  # type: ignore[attr-defined]
    start = f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\nPassages:\n"
    assert bytes(t for t in context.kv if t < 256).startswith(
        start.replace("<|im_start|>", "").replace("<|im_end|>", "").encode())
    context.batches.clear()

    assert _answer(generator) == "Kuleba said so [1]."

    shared = len(StandInModel.tokenize(StandInModel.__new__(StandInModel), start,
                                       add_bos=False, special=True))
    assert context.batches[0][0] >= shared  # the system message was not evaluated again
    context.batches.clear()
    llm.prime(generator.messages("", []))  # type: ignore[attr-defined]
    assert context.batches == []  # a cache in use is left as it is


def test_prime_keeps_the_evaluated_start_in_a_file_that_the_next_process_reads(
        tmp_path: Path, ik: type[StandInContext]) -> None:
    models = tmp_path / "models"
    (models / "tiny.prompt-0123456789abcdef.kv").parent.mkdir()
    (models / "tiny.prompt-0123456789abcdef.kv").write_text("[1, 2]")  # an older prompt's
    first = _generator(tmp_path, models_dir=str(models))
    first.llm.prime(first.messages("", []))  # type: ignore[attr-defined]
    [kept] = models.glob("*.kv")  # the older one is gone
    assert kept.name.startswith("tiny.prompt-") and contexts[0].batches

    second = _generator(tmp_path, models_dir=str(models))  # a new process: a new context
    second.llm.prime(second.messages("", []))  # type: ignore[attr-defined]
    assert contexts[1].kv == contexts[0].kv[:len(contexts[1].kv)] and not contexts[1].batches
    assert _answer(second) == "Kuleba said so [1]."
    assert contexts[1].batches[0][0] > 0  # the answer's prompt started after the read start

    kept.write_text(json.dumps([*b"another prompt"]))  # not these tokens: evaluated again
    third = _generator(tmp_path, models_dir=str(models))
    third.llm.prime(third.messages("", []))  # type: ignore[attr-defined]
    assert contexts[2].batches and json.loads(kept.read_text()) == contexts[0].kv[
        :len(json.loads(kept.read_text()))]
