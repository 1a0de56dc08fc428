"""The settings check itself (bridge/settings_check.py), in process: where a key's line is
found in the text tomllib read, which names count as known, and where a value came from."""

from __future__ import annotations

import os

import pytest

from bridge.settings import SettingsError, load_settings, settings_model, value_sources
from bridge.settings_check import check_environment, key_line

SECRET = "Mật-khẩu-bí-mật-2024"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_keys_line_is_found_in_its_section_in_dotted_keys_and_inline_tables():
    text = (
        "# comment\n"
        'password = "top"\n'
        "[ioffice]  # the iOffice section\n"
        'base_url = "https://io.example.vn"\n'
        'password = "x"\n'
        "[http]\n"
        "ioffice.pasword = 1\n"
        'idesk = { pasword = "y" }\n'
    )
    assert key_line(text, ("ioffice",), "password") == 5
    assert key_line(text, (), "password") == 2
    assert key_line(text, (), "http") == 6  # a section: its header
    assert key_line(text, ("ioffice",), "pasword") == 7  # written as a dotted key
    assert key_line(text, ("idesk",), "pasword") == 7  # the first line naming it
    assert key_line(text, ("tracking",), "client_id") is None


def test_every_settings_variable_is_known_and_near_misses_are_not():
    model = settings_model()
    known = {
        "BRIDGE_DATABASE_URL": "x", "BRIDGE_HTTP__MAX_ATTEMPTS": "1",
        "BRIDGE_TRACKING__CLIENT_SECRET": "s", "BRIDGE_TRACKING__TOKEN_URL": "u",
        "BRIDGE_IOFFICE": "{}", "BRIDGE_CONFIG": "f", "BRIDGE_EXTRA_SYSTEMS": "",
        "BRIDGE_PREFECT_PORT": "4200", "BRIDGE_HOME": "/srv", "PATH": "/bin",
        "bridge_idesk__base_url": "lower case, as pydantic-settings reads it too",
    }  # fmt: skip
    assert check_environment(model, known) == []
    wrong = {"BRIDGE_HTTP__MAX_ATTEMPTS__X": "1", "BRIDGE_": "", "BRIDGE_IDESK____URL": ""}
    assert len(check_environment(model, wrong)) == 3


def test_a_typo_is_refused_in_process_too_without_its_value(clean_env):
    (clean_env / "bridge.toml").write_text(
        f'[tracking]\nclient_secrte = "{SECRET}"\n', encoding="utf-8"
    )
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.problems == [
        "bridge.toml:2: unknown key 'client_secrte' in [tracking]; did you mean 'client_secret'?"
    ]
    assert SECRET not in str(raised.value)


def test_the_environment_wins_over_the_file_in_the_sources_as_in_the_values(clean_env, monkeypatch):
    (clean_env / "bridge.toml").write_text(
        '[ioffice]\nusername = "from-file"\n[http]\nmax_attempts = 3\n', encoding="utf-8"
    )
    monkeypatch.setenv("BRIDGE_IOFFICE__USERNAME", "from-env")
    found = value_sources()
    assert found["ioffice.username"] == "environment BRIDGE_IOFFICE__USERNAME"
    assert found["http.max_attempts"] == "file bridge.toml:4"
    settings = load_settings()
    assert settings.ioffice.username == "from-env" and settings.http.max_attempts == 3
