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
