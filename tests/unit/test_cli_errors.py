"""Expected errors of the `bridge` command, as an operator meets them (issue 17): each is one
line on stderr with the fix, a documented exit status (README, "Exit status"), no traceback,
and never the value of a secret.

Run as a subprocess in a clean directory, like tests/unit/test_cli.py: the real entry point,
the real config file, the real environment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from store import database

REPO = Path(__file__).resolve().parents[2]
SECRET = "Mật-khẩu-bí-mật-2024"
DB_SECRET = "db-pass-Zq81"


def _bridge(*args: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip


def _one_line(result: subprocess.CompletedProcess[str], command: str) -> str:
    """The single line on stderr, checked to be one line, prefixed and without a traceback."""
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"bridge {command}: ")
    return lines[0]


def _closed_port() -> int:
    # Bound then released: nothing listens there while the test runs (a loopback port).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the config file and the environment ------------------------------------------------------


def test_a_typo_in_a_section_key_names_the_line_and_the_right_key(tmp_path):
    (tmp_path / "bridge.toml").write_text(
        f'[ioffice]\nbase_url = "https://io.example.vn"\npasword = "{SECRET}"\n',
        encoding="utf-8",
    )
    result = _bridge("sync", "ioffice", cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line(result, "sync")
    assert line == (
        "bridge sync: bridge.toml:3: unknown key 'pasword' in [ioffice]; did you mean 'password'?"
    )
    assert SECRET not in result.stderr + result.stdout


def test_an_unknown_section_and_a_nested_typo_are_each_a_line(tmp_path):
    (tmp_path / "bridge.toml").write_text(
        '[iofice]\nbase_url = "https://io.example.vn"\n\n[http]\nmax_atempts = 3\n',
        encoding="utf-8",
    )
    result = _bridge("config", "--check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bridge config: bridge.toml:1: unknown key 'iofice' at the top level; did you mean "
        "'ioffice'?",
        "bridge config: bridge.toml:5: unknown key 'max_atempts' in [http]; did you mean "
        "'max_attempts'?",
    ]


def test_an_unknown_environment_variable_is_refused_with_the_right_name(tmp_path):
    result = _bridge(
        "status", cwd=tmp_path,
        BRIDGE_IOFFICE__BASEURL="https://io.example.vn", BRIDGE_IOFFICE__PASWORD=SECRET,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bridge status: BRIDGE_IOFFICE__BASEURL: unknown variable; did you mean "
        "BRIDGE_IOFFICE__BASE_URL?",
        "bridge status: BRIDGE_IOFFICE__PASWORD: unknown variable; did you mean "
        "BRIDGE_IOFFICE__PASSWORD?",
    ]
    assert SECRET not in result.stderr + result.stdout


def test_a_variable_for_a_section_nobody_declared_lists_the_sections(tmp_path):
    result = _bridge("config", "--check", cwd=tmp_path, BRIDGE_FIFTH__BASE_URL="http://x.vn")
    assert result.returncode == 2
    line = _one_line(result, "config")
    assert "BRIDGE_FIFTH__BASE_URL: unknown variable; there is no section 'fifth'" in line
    assert "ioffice, idesk, tracking" in line
    misspelt = _bridge("config", "--check", cwd=tmp_path, BRIDGE_IOFICE__BASE_URL="http://x.vn")
    assert _one_line(misspelt, "config").endswith(
        "BRIDGE_IOFICE__BASE_URL: unknown variable; did you mean BRIDGE_IOFFICE__...?"
    )
    single = _bridge("config", "--check", cwd=tmp_path, BRIDGE_IOFFICE_BASE_URL="http://x.vn")
    assert _one_line(single, "config").endswith(
        "BRIDGE_IOFFICE_BASE_URL: unknown variable; did you mean BRIDGE_IOFFICE__BASE_URL?"
    )


def test_the_strictness_follows_the_registry_a_fourth_system_included(tmp_path):
    fourth = {"BRIDGE_EXTRA_SYSTEMS": "tests.fourth_system.connector"}
    ok = _bridge("config", "--check", cwd=tmp_path, BRIDGE_FOURTH__API_KEY=SECRET, **fourth)
    assert ok.returncode == 0, ok.stderr
    typo = _bridge("config", "--check", cwd=tmp_path, BRIDGE_FOURTH__APIKEY=SECRET, **fourth)
    assert typo.returncode == 2
    assert _one_line(typo, "config").endswith(
        "BRIDGE_FOURTH__APIKEY: unknown variable; did you mean BRIDGE_FOURTH__API_KEY?"
    )
    (tmp_path / "bridge.toml").write_text(f'[fourth]\napi_kye = "{SECRET}"\n', encoding="utf-8")
    in_file = _bridge("config", "--check", cwd=tmp_path, **fourth)
    assert _one_line(in_file, "config").endswith(
        "bridge.toml:2: unknown key 'api_kye' in [fourth]; did you mean 'api_key'?"
    )
    assert SECRET not in ok.stdout + typo.stderr + in_file.stderr
    # Without the module the section does not exist: the same file is refused at its header.
    alone = _bridge("config", "--check", cwd=tmp_path)
    assert "bridge.toml:1: unknown key 'fourth' at the top level" in _one_line(alone, "config")


def test_serve_says_a_settings_mistake_before_starting_anything(tmp_path):
    # `make serve` runs the module itself: the same line, before a Prefect server is started.
    for command in (["serve"], ["serve", "--with-server"]):
        result = _bridge(*command, cwd=tmp_path, BRIDGE_SCHEDULES__SYNCS="[]")
        assert result.returncode == 2
        assert _one_line(result, "serve").endswith(
            "BRIDGE_SCHEDULES__SYNCS: unknown variable; did you mean BRIDGE_SCHEDULES__SYNC?"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(PYTHONPATH=str(REPO), BRIDGE_SCHEDULES__SYNCS="[]")
    module = subprocess.run(
        [sys.executable, "-m", "bridge.serve", "--with-server"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert module.returncode == 2
    assert "BRIDGE_SCHEDULES__SYNCS: unknown variable" in _one_line(module, "serve")


def test_a_malformed_config_file_is_file_line_and_what_is_wrong(tmp_path):
    (tmp_path / "bridge.toml").write_text(
        f'agency_name = "Sở KH&CN"\n[ioffice\npassword = "{SECRET}"\n', encoding="utf-8"
    )
    for command in (["status"], ["config", "--check"], ["sync", "ioffice"]):
        result = _bridge(*command, cwd=tmp_path)
        assert result.returncode == 2
        line = _one_line(result, command[0])
        assert line == (
            f"bridge {command[0]}: bridge.toml:2: Expected ']' at the end of a table "
            "declaration (column 9)"
        )
        assert SECRET not in result.stderr + result.stdout


def test_a_url_without_a_scheme_is_refused_when_loaded_naming_where_it_was_set(tmp_path):
    result = _bridge(
        "sync", "ioffice", cwd=tmp_path,
        BRIDGE_IOFFICE__BASE_URL="ioffice.example.vn/api", BRIDGE_IOFFICE__PASSWORD=SECRET,
    )  # fmt: skip
    assert result.returncode == 2
    assert _one_line(result, "sync") == (
        "bridge sync: invalid setting ioffice.base_url: base_url ioffice.example.vn/api is not "
        "an http(s) URL with a host (environment BRIDGE_IOFFICE__BASE_URL)"
    )
    # Refused at load: no login was tried, so nothing was retried.
    assert "login" not in result.stderr
    (tmp_path / "bridge.toml").write_text(
        '[tracking]\nbase_url = "https://nv.example.vn"\ntoken_url = "lgsp.example.vn/token"\n',
        encoding="utf-8",
    )
    from_file = _bridge("config", "--check", cwd=tmp_path)
    assert from_file.returncode == 2
    assert _one_line(from_file, "config") == (
        "bridge config: invalid setting tracking.token_url: token_url lgsp.example.vn/token is "
        "not an http(s) URL with a host (file bridge.toml:3)"
    )


def test_config_check_says_ok_and_sources_say_where_each_value_came_from(tmp_path):
    (tmp_path / "bridge.toml").write_text(
        f'[ioffice]\nbase_url = "https://io.example.vn"\npassword = "{SECRET}"\n',
        encoding="utf-8",
    )
    ok = _bridge("config", "--check", cwd=tmp_path, BRIDGE_HTTP__MAX_ATTEMPTS="2")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "OK: the settings from bridge.toml and the environment are valid"
    shown = _bridge(
        "config", "--sources", cwd=tmp_path,
        BRIDGE_HTTP__MAX_ATTEMPTS="2", BRIDGE_IOFFICE__USERNAME="van-thu",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    rows = {
        line.split(" = ")[0]: line.rsplit("# ", 1)[-1]
        for line in shown.stdout.splitlines()
        if "#" in line
    }
    assert rows["ioffice.base_url"] == "file bridge.toml:2"
    assert rows["ioffice.password"] == "file bridge.toml:3"
    assert rows["ioffice.username"] == "environment BRIDGE_IOFFICE__USERNAME"
    assert rows["http.max_attempts"] == "environment BRIDGE_HTTP__MAX_ATTEMPTS"
    assert rows["http.read_timeout_s"] == "default"
    assert SECRET not in shown.stdout + shown.stderr


# --- the store ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_store_url(request) -> str:
    """A store nobody upgraded: the SQLite file's directory is empty, the PostgreSQL database
    exists without tables."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.mark.parametrize(
    "command", [["status"], ["status", "--json"], ["failures"], ["push", "--dry-run"]]
)
def test_an_empty_store_is_said_not_crashed_on_and_left_empty(tmp_path, empty_store_url, command):
    result = _bridge(*command, cwd=tmp_path, BRIDGE_DATABASE_URL=empty_store_url)
    assert result.returncode == 1
    assert _one_line(result, command[0]) == (
        f"bridge {command[0]}: the store is empty: run `bridge db upgrade`"
    )
    assert "no such table" not in result.stderr
    # Reading commands create nothing: the store is still empty.
    assert database.current_revision(empty_store_url) is None


def test_a_missing_table_met_mid_command_is_the_empty_store_line(empty_store_url):
    engine = database.connect(empty_store_url)
    try:
        with pytest.raises(DBAPIError) as raised, engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM outbox"))
    finally:
        engine.dispose()
    assert database.describe_store_error(raised.value, empty_store_url) == database.EMPTY_STORE


@pytest.mark.parametrize("command", [["status"], ["failures"], ["sync", "ioffice"]])
def test_an_unreachable_database_is_one_line_without_its_password(tmp_path, command):
    url = f"postgresql+psycopg://bridge:{DB_SECRET}@127.0.0.1:{_closed_port()}/bridge"
    result = _bridge(
        *command, cwd=tmp_path,
        BRIDGE_DATABASE_URL=url, BRIDGE_IOFFICE__BASE_URL="http://127.0.0.1:9",
    )  # fmt: skip
    assert result.returncode == 1
    line = _one_line(result, command[0])
    assert line.startswith(
        f"bridge {command[0]}: cannot use the store postgresql+psycopg://bridge:***@127.0.0.1:"
    )
    assert "Connection refused" in line
    assert line.endswith("check BRIDGE_DATABASE_URL and that the database server is running and "
                         "reachable")  # fmt: skip
    assert DB_SECRET not in result.stderr + result.stdout


def test_a_database_url_sqlalchemy_cannot_read_is_a_configuration_error(tmp_path):
    result = _bridge("status", cwd=tmp_path, BRIDGE_DATABASE_URL=f"bridge:{DB_SECRET}@db")
    assert result.returncode == 2
    assert "is not a URL SQLAlchemy can use" in _one_line(result, "status")
    assert DB_SECRET not in result.stderr


# --- JSON output and the version ---------------------------------------------------------------


def test_status_and_failures_as_json(tmp_path, store_url):
    status = _bridge("status", "--json", cwd=tmp_path, BRIDGE_DATABASE_URL=store_url)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["table_counts"]["documents"] == 0
    assert data["outbox_by_state"] == {} and data["cursors"] == []
    failures = _bridge("failures", "--json", cwd=tmp_path, BRIDGE_DATABASE_URL=store_url)
    assert failures.returncode == 0, failures.stderr
    assert json.loads(failures.stdout) == []


def test_version_is_the_packages(tmp_path):
    import tomllib

    result = _bridge("--version", cwd=tmp_path)
    assert result.returncode == 0
    expected = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert result.stdout.strip() == f"bridge {expected['project']['version']}"
