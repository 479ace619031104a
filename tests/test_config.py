from pathlib import Path

import pytest

from podium.config import flatten, load_settings
from podium.errors import ConfigError


def test_defaults_come_from_the_code() -> None:
    loaded = load_settings(env={}, discover=False)
    assert loaded.settings.llm.provider == "local"
    assert loaded.source_of("llm.provider") == "default"


def test_layers_merge_in_order_and_remember_their_source(tmp_path: Path) -> None:
    base = tmp_path / "settings.toml"
    base.write_text('data_dir = "/srv/podium"\n[llm]\nprovider = "extractive"\nmax_tokens = 99\n')
    (tmp_path / "settings.fast.toml").write_text("[llm]\nmax_tokens = 64\n")
    env = {"PODIUM_PROFILE": "fast", "PODIUM_RETRIEVAL__TOP_K": "3"}
    loaded = load_settings(settings_file=base, env=env,
                           overrides={"data_dir": tmp_path / "cli"})
    s = loaded.settings
    assert (s.llm.provider, s.llm.max_tokens, s.retrieval.top_k) == ("extractive", 64, 3)
    assert s.data_dir == tmp_path / "cli"
    assert loaded.source_of("llm.provider") == str(base)
    assert loaded.source_of("llm.max_tokens") == str(tmp_path / "settings.fast.toml")
    assert loaded.source_of("retrieval.top_k") == "env"
    assert loaded.source_of("data_dir") == "command line"


def test_nested_env_override_selects_a_provider() -> None:
    loaded = load_settings(env={"PODIUM_LLM__PROVIDER": "extractive"}, discover=False)
    assert loaded.settings.llm.provider == "extractive"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [({"PODIUM_LLM__PROVIDER": "gpt-9"}, "llm.provider"),
     ({"PODIUM_RETRIEVAL__TOP_K": "many"}, "retrieval.top_k"),
     ({"PODIUM_LLM__NO_SUCH_SETTING": "1"}, "llm.no_such_setting")],
)
def test_invalid_settings_name_the_key(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        load_settings(env=env, discover=False)


def test_missing_profile_file_is_a_clear_error(tmp_path: Path) -> None:
    base = tmp_path / "settings.toml"
    base.write_text("")
    with pytest.raises(ConfigError, match=r"settings\.nope\.toml"):
        load_settings(settings_file=base, profile="nope", env={})


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    base = tmp_path / "settings.toml"
    base.write_text("[llm\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(settings_file=base, env={})


def test_flatten_lists_every_setting() -> None:
    flat = flatten(load_settings(env={}, discover=False).settings)
    assert {"data_dir", "llm.provider", "embedding.provider", "retrieval.top_k"} <= set(flat)


def test_a_profile_switches_the_model_server_and_env_overrides_its_model(tmp_path: Path) -> None:
    base = tmp_path / "settings.toml"
    base.write_text('[llm]\nprovider = "local"\n')
    (tmp_path / "settings.ollama.toml").write_text(
        '[llm]\nprovider = "ollama"\nmodel = "qwen2.5:1.5b"\n'
        '[embedding]\nprovider = "ollama"\nmodel = "nomic-embed-text"\n')
    env = {"PODIUM_PROFILE": "ollama", "PODIUM_LLM__MODEL": "llama3.2:3b"}
    s = load_settings(settings_file=base, env=env).settings
    assert (s.llm.provider, s.llm.model, s.llm.server_url("ollama")) == (
        "ollama", "llama3.2:3b", "http://127.0.0.1:11434")
    assert (s.embedding.provider, s.embedding.model) == ("ollama", "nomic-embed-text")


@pytest.mark.parametrize(("env", "fragment"), [
    ({"PODIUM_LLM__PROVIDER": "ollama"}, "needs llm.model"),
    ({"PODIUM_LLM__PROVIDER": "openai_compatible", "PODIUM_LLM__MODEL": "m"}, "needs llm.base_url"),
    ({"PODIUM_LLM__PROVIDER": "llamacpp"}, "needs llm.model"),
    ({"PODIUM_LLM__MODEL": "other.gguf"}, "llm.model is not used by provider 'local'"),
    ({"PODIUM_EMBEDDING__PROVIDER": "huggingface"}, "needs embedding.model"),
    ({"PODIUM_LLM__RUNTIME": "vllm"}, "llm.runtime"),
])
def test_a_provider_without_what_it_needs_is_refused(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        load_settings(env=env, discover=False)


@pytest.mark.parametrize("key", ["llm.api_key", "embedding.api_key", "ui.password",
                                 "vectorstore.token"])
def test_secrets_come_only_from_the_environment(tmp_path: Path, key: str) -> None:
    section, name = key.split(".")
    base = tmp_path / "settings.toml"
    base.write_text(f'[{section}]\n{name} = "hunter2"\n')
    with pytest.raises(ConfigError, match=f"{key} is a secret") as caught:
        load_settings(settings_file=base, env={})
    variable = f"PODIUM_{section.upper()}__{name.upper()}"
    assert variable in str(caught.value) and "hunter2" not in str(caught.value)

    loaded = load_settings(env={variable: "hunter2"}, discover=False)
    secret = getattr(getattr(loaded.settings, section), name)
    assert secret.get_secret_value() == "hunter2" and "hunter2" not in repr(loaded.settings)


@pytest.mark.parametrize("profile", sorted(p.name.split(".")[1] for p in
                                           Path(__file__).resolve().parent.parent.glob(
                                               "settings.*.toml")))
def test_every_shipped_profile_is_valid(profile: str) -> None:
    repo = Path(__file__).resolve().parent.parent
    loaded = load_settings(settings_file=repo / "settings.toml", profile=profile, env={})
    assert loaded.source_of("llm.provider") == str(repo / f"settings.{profile}.toml")


# Found by tests/fuzz/test_config_fuzz.py (issue 14): each was a traceback, not a ConfigError.
@pytest.mark.parametrize(("toml", "env", "message"), [
    (b'title = "caf\xe9"', {}, "not UTF-8 (byte 0xe9 at offset 12)"),
    (b'llm = "x"', {"PODIUM_LLM__MODEL": "m"}, "llm.model is not used by provider 'local'"),
    (b"", {"PODIUM_LLM": "x", "PODIUM_LLM__MODEL": "m"},
     "'llm' is given a value and also holds 'llm.model'"),
    (b'"\\n" = 0', {}, "invalid settings: '\\n': Extra inputs are not permitted"),
    (b"", {"PODIUM_PROFILE": "\n"}, "profile '\\n' is not a profile name"),
    (b"", {"PODIUM_PROFILE": "../../etc/x"}, "is not a profile name"),
])
def test_odd_settings_are_one_line_errors(tmp_path: Path, toml: bytes, env: dict[str, str],
                                          message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_bytes(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(settings_file=path, env=env, discover=False)
    assert message in caught.value.message and "\n" not in caught.value.message
    assert caught.value.hint


def test_a_folder_as_settings_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(settings_file=tmp_path, env={}, discover=False)


def test_a_later_layer_may_turn_a_bad_value_into_a_section(tmp_path: Path) -> None:
    overrides = {"llm": "x"}
    with pytest.raises(ConfigError):
        load_settings(overrides=overrides, env={}, discover=False)
    path = tmp_path / "settings.toml"
    path.write_text('llm = "x"\n', encoding="utf-8")
    loaded = load_settings(settings_file=path, overrides={"llm": {"provider": "fake"}}, env={},
                           discover=False)
    assert loaded.settings.llm.provider == "fake"
