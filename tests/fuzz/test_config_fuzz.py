"""Fuzz the settings loader with random TOML files and random PODIUM_* variables.
Property: settings, or a ConfigError (a PodiumError) with a one-line message and a hint."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from podium.config import Settings, flatten, load_settings
from podium.errors import PodiumError
from tests.fuzz.strategies import assert_podium_error, nasty_text

KEYS = sorted(flatten(Settings()))  # every dotted key, e.g. "ingest.chunk_tokens"
SECTIONS = sorted({k.split(".")[0] for k in KEYS if "." in k})


def _toml_string(value: str) -> str:
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}"
                      if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in value)
    return f'"{escaped}"'


scalars = st.one_of(
    st.integers(-(2**70), 2**70).map(str), st.floats().map(repr).map(
        lambda f: {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(f, f)),
    st.booleans().map(lambda b: "true" if b else "false"),
    nasty_text(most=50).map(_toml_string),
    st.sampled_from(["1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "[]", "{}", "[1, 'a']",
                     '{ provider = "fake" }', "'''multi\nline'''", '"fake"', '"local"']),
)
key_names = st.one_of(st.sampled_from(KEYS + SECTIONS), nasty_text(most=20).map(_toml_string))


def _toml(lines: list[tuple[str | None, str, str]]) -> str:
    out = []
    for section, key, value in lines:
        if section is not None:
            out.append(f"[{section}]")
        out.append(f"{key} = {value}")
    return "\n".join(out)


toml_texts = st.one_of(
    st.lists(st.tuples(st.none() | st.sampled_from([*SECTIONS, "llm.x", "ingest"]),
                       key_names, scalars), max_size=8).map(_toml),
    nasty_text(most=200),
)
env_names = st.one_of(
    st.sampled_from(KEYS + SECTIONS).map(lambda k: "PODIUM_" + k.upper().replace(".", "__")),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", max_size=20).map(lambda k: "PODIUM_" + k),
    st.sampled_from(["PODIUM_PROFILE", "PODIUM_SETTINGS", "PODIUM_", "PODIUM___"]),
)
env_values = st.one_of(nasty_text(most=50).filter(lambda v: "\x00" not in v),
                       st.sampled_from(["fake", "1", "-1", "0", "true", "1e999", "nan", ""]))


def _load(toml: str | bytes | None, env: dict[str, str], overrides: dict[str, Any] | None
          ) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = None
        if toml is not None:
            path = Path(tmp) / "settings.toml"
            data = toml if isinstance(toml, bytes) else toml.encode("utf-8", "surrogatepass")
            path.write_bytes(data)
        env = {k: v.replace("{tmp}", tmp) for k, v in env.items()}
        try:
            loaded = load_settings(settings_file=path, env=env, overrides=overrides,
                                   discover=False)
        except PodiumError as exc:
            assert_podium_error(exc)
            return
        flatten(loaded.settings)
        for key in KEYS:
            loaded.source_of(key)


@given(toml_texts, st.dictionaries(env_names, env_values, max_size=5))
@example('llm = "x"', {"PODIUM_LLM__MODEL": "m"})
@example("", {"PODIUM_LLM": "x", "PODIUM_LLM__MODEL": "m"})
@example('[llm]\nprovider = "fake"\n[llm.model]\nx = 1', {})
@example("", {"PODIUM_PROFILE": "../../etc/passwd"})
@example("", {"PODIUM_SETTINGS": "{tmp}"})
@example("", {"PODIUM_SETTINGS": "\udcff"})
@example("", {"PODIUM_INGEST__CHUNK_TOKENS": "1e999"})
@example("data_dir = 5", {})
def test_toml_and_environment(toml: str, env: dict[str, str]) -> None:
    _load(toml, env, None)


@given(st.binary(max_size=300))
@example(b"title = \"caf\xe9\"")
@example(b"\xff\xfe[\x00l\x00")
def test_toml_bytes(data: bytes) -> None:
    _load(data, {}, None)


@given(st.dictionaries(st.sampled_from(KEYS + SECTIONS + ["data_dir", "x", ""]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=20),
                                 st.lists(st.integers(), max_size=2),
                                 st.dictionaries(st.text(max_size=5), st.integers(),
                                                 max_size=2)),
                       max_size=4))
@example({"llm": "x", "llm.model": "m"})
def test_overrides(overrides: dict[str, Any]) -> None:
    _load(None, {}, overrides)
