"""Settings validation errors name the field and the problem, never the refused value (issue 18):
the value may be a password, or a URL carrying one. And the answer limits reach the connectors.
"""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

import cli
from bridge.settings import load_settings, url_without_userinfo
from connectors.bodies import MB
from pipelines.systems import build_connector

SECRET = "Mật-khẩu-bí-mật-2024"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_secret_of_the_wrong_type_is_named_not_shown(clean_env):
    with pytest.raises(ValidationError) as raised:
        load_settings(ioffice={"base_url": "https://io.example.vn", "password": 80211234})
    text = str(raised.value)
    assert "ioffice.password" in text and "valid string" in text
    assert "80211234" not in text


def test_a_password_typed_into_a_wrong_field_is_not_shown(clean_env, monkeypatch, capsys):
    (clean_env / "bridge.toml").write_text(f'passwrd = "{SECRET}"\n', encoding="utf-8")
    assert cli.main(["config"]) == 2
    err = capsys.readouterr().err
    # Refused (settings refuse mistakes, issue 17) with the file's line, never the value.
    assert "bridge.toml:1: unknown key 'passwrd' at the top level" in err
    assert SECRET not in err


def test_an_address_carrying_credentials_is_refused_and_shown_without_them(clean_env, capsys):
    url = f"https://bridge:{SECRET}@ioffice.example.vn/api"
    with pytest.raises(ValidationError) as raised:
        load_settings(ioffice={"base_url": url})
    text = str(raised.value)
    assert "https://ioffice.example.vn/api must not carry credentials" in text
    assert SECRET not in text and "bridge:" not in text


def test_an_address_that_is_not_http_is_refused(clean_env):
    with pytest.raises(ValidationError, match=r"token_url ftp://lgsp\.example\.vn/token is not"):
        load_settings(tracking={"token_url": "ftp://u:p@lgsp.example.vn/token"})


def test_url_without_userinfo():
    assert url_without_userinfo("https://a:b@h.vn:8443/x?q=1") == "https://h.vn:8443/x?q=1"
    assert url_without_userinfo("https://h.vn/x") == "https://h.vn/x"


def test_a_limit_of_the_wrong_kind_says_which_and_why(clean_env, monkeypatch, capsys):
    monkeypatch.setenv("BRIDGE_IDESK__MAX_BODY_MB", "lots")
    assert cli.main(["config"]) == 2
    err = capsys.readouterr().err
    assert "idesk.max_body_mb" in err and "valid number" in err
    assert "lots" not in err


def test_each_systems_limits_reach_its_connector(clean_env):
    settings = load_settings(
        ioffice={"base_url": "https://io.example.vn", "max_body_mb": 5, "request_deadline_s": 7},
        tracking={"base_url": "https://nv.example.vn", "token_url": "https://lgsp.example.vn/t",
                  "max_json_depth": 32},
    )  # fmt: skip
    ioffice = build_connector(settings, "ioffice")
    assert ioffice.http.limits.max_bytes == 5 * MB
    assert ioffice.http.limits.deadline_s == 7
    tracking = build_connector(settings, "tracking")
    assert tracking.soap.transport.limits.max_bytes == 50 * MB
    assert tracking.token.http.limits.max_json_depth == 32
