"""A GGUF run in-process by ik_llama.cpp (the extra [ik]: ik-llama-cpp-python, a prebuilt wheel).

The library has no chat-template layer and no prompt cache, so this module formats the chat
prompt itself (llm.chat_format, ChatML by default), keeps the KV cache between calls and
evaluates only the tokens after the prefix shared with the previous prompt, and picks tokens
with numpy (argmax at temperature 0) instead of the library's per-token Python loop over the
vocabulary. It uses the wheel's low-level modules (_internals, _ctypes_api), hence the exact pin.
"""

from __future__ import annotations

import codecs
import ctypes
import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ChatResponseGen
from pydantic import PrivateAttr

from podium.errors import ModelError
from podium.providers.extras import prefer_passive_waiting, require
from podium.providers.gguf import GGUFChatLLM

logger = logging.getLogger(__name__)

RUNTIME = "ik_llama"
STOP_TEXTS = ("<|im_end|>", "<|endoftext|>")  # ChatML's turn end and Qwen's end of text
TOP_K, TOP_P = 40, 0.95  # llama.cpp's defaults, for temperature > 0
_PIECE_BYTES = 256
_LOG_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_QUIET = _LOG_CALLBACK(lambda level, text, data: None)  # kept alive: the library holds it


class IkEngine:
    """The few ik_llama.cpp calls Podium needs: tokens in, logits out, one KV sequence."""

    def __init__(self, model_path: str, *, context_window: int, threads: int) -> None:
        prefer_passive_waiting()
        require("ik_llama_cpp", extra="ik", provider=f"llm.runtime {RUNTIME!r}")
        internals = importlib.import_module("ik_llama_cpp._internals")
        self._c = importlib.import_module("ik_llama_cpp._ctypes_api")
        self._make_batch = internals.make_batch_range
        lib = self._c._lib
        if not logger.isEnabledFor(logging.DEBUG):
            lib.llama_log_set.argtypes = [_LOG_CALLBACK, ctypes.c_void_p]
            lib.llama_log_set.restype = None
            lib.llama_log_set(_QUIET, None)
        self._seq_rm = lib.llama_kv_cache_seq_rm
        self._seq_rm.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32]
        self._seq_rm.restype = ctypes.c_bool
        self._set_threads = getattr(lib, "llama_set_n_threads", None)
        if self._set_threads is not None:
            self._set_threads.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32]
            self._set_threads.restype = None
        self.threads = threads
        self._save_state: Any = getattr(lib, "llama_state_save_file", None)
        self._load_state: Any = getattr(lib, "llama_state_load_file", None)
        if self._save_state is not None and self._load_state is not None:
            tokens = ctypes.POINTER(ctypes.c_int32)
            self._save_state.argtypes = [ctypes.c_void_p, ctypes.c_char_p, tokens, ctypes.c_size_t]
            self._save_state.restype = ctypes.c_bool
            self._load_state.argtypes = [ctypes.c_void_p, ctypes.c_char_p, tokens,
                                         ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
            self._load_state.restype = ctypes.c_bool
        try:
            self._model = internals.IkModel(model_path)
            # Flash attention off: ik_llama.cpp's asserts on long prompts without AVX-VNNI,
            # and the wheel cannot tell reliably whether the CPU has it.
            self._context = internals.IkContext(self._model, n_ctx=context_window,
                                                n_threads=threads, flash_attn=False)
        except RuntimeError as exc:  # "Failed to load model: …" / "Failed to create context"
            raise ModelError(f"could not load {model_path}: {exc}",
                             hint="check that the file is a GGUF model") from exc
        self.context_window = context_window
        self.n_vocab = int(self._model.n_vocab)
        self._ubatch = max(1, int(self._context._n_ubatch))
        self._stops = {ids[0] for text in STOP_TEXTS if len(ids := self.tokenize(text)) == 1}
        self._piece = ctypes.create_string_buffer(_PIECE_BYTES)

    def tokenize(self, text: str) -> list[int]:
        """Token ids of a formatted prompt (special tokens such as <|im_start|> parsed)."""
        return list(self._model.tokenize(text, add_bos=False, special=True))

    def evaluate(self, tokens: Sequence[int], start: int) -> None:
        """Add tokens to the KV cache at positions start…; logits of the last one follow."""
        for i in range(0, len(tokens), self._ubatch):
            chunk = list(tokens[i:i + self._ubatch])
            last = i + self._ubatch >= len(tokens)
            batch = self._make_batch(chunk, pos_start=start + i, logits_last=last)
            try:
                status = self._context.decode(batch)
            finally:
                self._c.llama_batch_free(batch)
            if status != 0:
                raise ModelError(f"the model could not evaluate {len(chunk)} tokens at position "
                                 f"{start + i} (llama_decode returned {status})",
                                 hint="raise llm.context_window, or ask a shorter question")

    def logits(self) -> np.ndarray:
        """The last evaluated token's logits, a view of the library's buffer (no copy)."""
        return np.ctypeslib.as_array(self._context.get_logits(-1), shape=(self.n_vocab,))

    @contextmanager
    def threads_for(self, threads: int) -> Iterator[None]:
        """Evaluate with this many threads inside the block (where the library can)."""
        if self._set_threads is None or threads == self.threads:
            yield
            return
        self._set_threads(self._context.ctx, threads, threads)
        try:
            yield
        finally:
            self._set_threads(self._context.ctx, self.threads, self.threads)

    @property
    def can_save(self) -> bool:
        """Whether the library can write the KV cache to a file and read it back."""
        return self._save_state is not None and self._load_state is not None

    def save(self, path: Path, tokens: Sequence[int]) -> bool:
        """Write the KV cache, which holds exactly these tokens, to a file."""
        array = (ctypes.c_int32 * len(tokens))(*tokens)
        return bool(self._save_state(self._context.ctx, str(path).encode(), array, len(tokens)))

    def load(self, path: Path, tokens: Sequence[int]) -> bool:
        """Read a KV cache written by save() for these tokens; False (and an empty cache)
        when the file holds anything else or cannot be read."""
        array = (ctypes.c_int32 * self.context_window)()
        count = ctypes.c_size_t(0)
        ok = self._load_state(self._context.ctx, str(path).encode(), array,
                              self.context_window, ctypes.byref(count))
        if ok and list(array[:count.value]) == list(tokens):
            return True
        self.clear()
        return False

    def forget_from(self, position: int) -> bool:
        """Drop cached positions >= position; False when the cache must be cleared instead."""
        return bool(self._seq_rm(self._context.ctx, 0, position, -1))

    def clear(self) -> None:
        """Empty the KV cache."""
        self._context.kv_cache_clear()

    def is_stop(self, token: int) -> bool:
        """End of generation: the model's own end tokens, or ChatML's turn end."""
        return token in self._stops or bool(self._c.llama_token_is_eog(self._model.model, token))

    def piece(self, token: int) -> bytes:
        """A token's bytes (possibly part of one UTF-8 character); special tokens give b''."""
        n = self._c.llama_token_to_piece(self._model.model, token, self._piece, _PIECE_BYTES,
                                         0, False)
        return self._piece.raw[:n] if n > 0 else b""


def pick_token(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """Greedy argmax at temperature 0; else top-k, top-p, temperature sampling, all in numpy."""
    if temperature <= 0:
        return int(np.argmax(logits))
    top = np.argpartition(logits, -TOP_K)[-TOP_K:]
    scaled = logits[top].astype(np.float64) / temperature
    order = np.argsort(-scaled)
    top, scaled = top[order], scaled[order]
    probs = np.exp(scaled - scaled[0])
    probs /= probs.sum()
    keep = int(np.searchsorted(np.cumsum(probs), TOP_P)) + 1
    probs = probs[:keep] / probs[:keep].sum()
    return int(top[rng.choice(keep, p=probs)])


def _library_version() -> str:
    try:
        return importlib.metadata.version("ik-llama-cpp-python")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens a and b share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class IkLlamaLLM(GGUFChatLLM):
    """ik_llama.cpp with Podium's chat format and a prompt cache of the previous call."""

    cache_dir: str | None = None  # where prime() keeps the evaluated start of the prompt

    _engine: Any = PrivateAttr(default=None)
    _cached: list[int] = PrivateAttr(default_factory=list)  # the tokens in the KV cache
    _render: Any = PrivateAttr(default=None)
    _prompt_tokens: int = PrivateAttr(default=0)  # of the last prompt

    @classmethod
    def class_name(cls) -> str:
        return "PodiumIkLlamaLLM"

    def _ensure_engine(self) -> Any:
        if self._engine is None:
            self._check_file()
            self._renderer()
            started = time.perf_counter()
            self._engine = IkEngine(self.model_path, context_window=self.context_window,
                                    threads=self.threads)
            logger.info("loaded %s with ik_llama.cpp in %.1f s", self.model_path,
                        time.perf_counter() - started)
        return self._engine

    def _renderer(self) -> Any:
        if self._render is None:
            if not self.chat_template:
                raise ModelError(f"llm.runtime {RUNTIME!r} needs a chat format",
                                 hint="set llm.chat_format, e.g. 'chatml'")
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            self._render = ImmutableSandboxedEnvironment(
                trim_blocks=True, lstrip_blocks=True).from_string(self.chat_template).render
        return self._render

    def load(self) -> None:
        """Load the model now, instead of at the first question."""
        with self._lock:
            self._ensure_engine()

    def prime(self, messages: Sequence[ChatMessage]) -> None:
        """Load the model and put these messages into the prompt cache, when it is empty: a
        prompt that starts the same (the answer prompt's system message) then evaluates only
        what follows, from its first question on. The evaluated cache is kept in a file in
        cache_dir (~3 MB), which the next process reads in milliseconds instead of evaluating
        it again. Meant for a background thread while the question is retrieved: it evaluates
        with one of llm.threads fewer, left to the thread that retrieves."""
        with self._lock:
            engine = self._ensure_engine()
            if self._cached:
                return
            tokens = engine.tokenize(self.format(messages))
            file = self._state_file(engine, tokens)
            if file is not None and file.is_file() and engine.load(file, tokens):
                self._cached = list(tokens)
                logger.info("prompt start of %d tokens read from %s", len(tokens), file)
                return
            with engine.threads_for(max(1, self.threads - 1)):
                self._prefill(engine, tokens)
            if file is not None:
                self._keep(engine, file)

    def _state_file(self, engine: Any, tokens: Sequence[int]) -> Path | None:
        """The file of this model, context size, library version and tokens."""
        if self.cache_dir is None or not engine.can_save:
            return None
        model = Path(self.model_path)
        info = model.stat()
        key = json.dumps([str(model.resolve()), info.st_size, info.st_mtime_ns,
                          _library_version(), self.context_window, list(tokens)])
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return Path(self.cache_dir) / f"{model.stem}.prompt-{digest}.kv"

    def _keep(self, engine: Any, file: Path) -> None:
        """Write the prompt cache to file (atomically), and drop this model's older ones."""
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            partial = file.with_name(f"{file.name}.{os.getpid()}.part")
            if not engine.save(partial, self._cached):
                partial.unlink(missing_ok=True)
                return
            os.replace(partial, file)
            stem = file.name.split(".prompt-")[0]
            for old in file.parent.glob(f"{stem}.prompt-*.kv"):
                if old != file:
                    old.unlink(missing_ok=True)
        except OSError as exc:  # a read-only folder: the next process evaluates it again
            logger.debug("could not keep the prompt cache in %s: %s", file, exc)

    def format(self, messages: Sequence[ChatMessage]) -> str:
        """The prompt text: the chat format applied to the messages, ready for the answer."""
        return str(self._renderer()(
            messages=[{"role": m.role.value, "content": m.content or ""} for m in messages],
            add_generation_prompt=True, bos_token="", eos_token=STOP_TEXTS[0]))

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        content = "".join(self._generate(messages))
        return ChatResponse(message=ChatMessage(role="assistant", content=content))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        content = ""
        for delta in self._generate(messages):
            content += delta
            yield ChatResponse(message=ChatMessage(role="assistant", content=content),
                               delta=delta,
                               additional_kwargs={"prompt_tokens": self._prompt_tokens})

    def _generate(self, messages: Sequence[ChatMessage]) -> Iterator[str]:
        with self._lock:
            engine = self._ensure_engine()
            prompt = engine.tokenize(self.format(messages))
            self._prefill(engine, prompt)
            self._prompt_tokens = len(prompt)
            rng = np.random.default_rng(self.seed)
            text = codecs.getincrementaldecoder("utf-8")(errors="replace")
            for n in range(1, self.max_tokens + 1):
                token = pick_token(engine.logits(), self.temperature, rng)
                if engine.is_stop(token):
                    break
                if delta := text.decode(engine.piece(token)):
                    yield delta
                if n == self.max_tokens:
                    break
                if len(self._cached) >= self.context_window:
                    logger.warning("the answer filled llm.context_window (%d tokens)",
                                   self.context_window)
                    break
                self._extend(engine, [token])
            if tail := text.decode(b"", final=True):
                yield tail

    def _prefill(self, engine: Any, prompt: list[int]) -> None:
        """Evaluate the prompt, reusing the cached prefix it shares with the previous call."""
        if len(prompt) >= self.context_window:
            raise ModelError(
                f"the prompt has {len(prompt)} tokens, more than llm.context_window "
                f"({self.context_window}) leaves room for",
                hint="raise llm.context_window, or pass fewer passages "
                     "(retrieval.evidence_sentences)")
        reuse = min(common_prefix(self._cached, prompt), len(prompt) - 1)  # >= 1 to evaluate
        if reuse < len(self._cached):
            if not engine.forget_from(reuse):
                engine.clear()
                self._cached, reuse = [], 0
            del self._cached[reuse:]
        started = time.perf_counter()
        self._extend(engine, prompt[reuse:])
        logger.info("prompt of %d tokens: %d reused from the cache, %d evaluated in %.2f s",
                    len(prompt), reuse, len(prompt) - reuse, time.perf_counter() - started)

    def _extend(self, engine: Any, tokens: list[int]) -> None:
        try:
            engine.evaluate(tokens, len(self._cached))
        except BaseException:
            engine.clear()  # a half-evaluated batch leaves the cache in an unknown state
            self._cached = []
            raise
        self._cached.extend(tokens)
