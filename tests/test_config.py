"""Configuration lookup and clear errors."""

import json

import pytest

from sheets_sync.client import load_google_credentials
from sheets_sync.config import load_config
from sheets_sync.errors import ConfigError


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_use_the_embedded_emulator(tmp_path):
    cfg = load_config(env={}, cwd=tmp_path)
    assert cfg.embedded and cfg.path is None
    assert cfg.timezone == "Asia/Kolkata" and cfg.data_dir == tmp_path / ".sheets-sync"


def test_lookup_order_flag_then_env_then_cwd(tmp_path):
    a = write(tmp_path / "a.yaml", "spreadsheet: {id: AAA}\n")
    b = write(tmp_path / "b.yaml", "spreadsheet: {id: BBB}\n")
    write(tmp_path / "sheets-sync.yaml", "spreadsheet: {id: CCC}\n")
    env = {"SHEETS_SYNC_CONFIG": str(b)}
    assert load_config(a, env=env, cwd=tmp_path).spreadsheet_id == "AAA"
    assert load_config(None, env=env, cwd=tmp_path).spreadsheet_id == "BBB"
    assert load_config(None, env={}, cwd=tmp_path).spreadsheet_id == "CCC"


@pytest.mark.parametrize("text, message", [
    ("spreadsheet: {idd: X}\n", "Did you mean `id`"),
    ("spreadhseet: {id: X}\n", "Did you mean `spreadsheet`"),
    ("timezone: Mars/Olympus\n", "not a known time zone"),
    ("spreadsheet:\n  id: https://docs.google.com/spreadsheets/d/abc/edit\n", "between /d/ and /edit"),
    ("spreadsheet: {endpoint: localhost:8780}\n", "http://"),
    ("platforms: {kind: facebook}\n", "a list of entries"),
    ("smtp: {port: 25}\n", "smtp.host"),
    ("spreadsheet: [\n", "not valid YAML at line"),
    ("- just\n- a list\n", "mapping of keys"),
])
def test_bad_config_names_the_place_and_the_fix(tmp_path, text, message):
    path = write(tmp_path / "sheets-sync.yaml", text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, env={})
    assert str(path) in str(info.value)


def test_missing_explicit_config(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml", env={})


def test_unreadable_config(tmp_path):
    path = write(tmp_path / "sheets-sync.yaml", "timezone: Asia/Kolkata\n")
    path.chmod(0)
    try:
        try:
            open(path).close()
            pytest.skip("running as a user who can read any file")
        except PermissionError:
            pass
        with pytest.raises(ConfigError, match="cannot be read"):
            load_config(path, env={})
    finally:
        path.chmod(0o644)


def test_relative_paths_are_from_the_config_folder(tmp_path):
    (tmp_path / "conf").mkdir()
    path = write(tmp_path / "conf" / "sheets-sync.yaml", "credentials: key.json\ndata_dir: state\n")
    cfg = load_config(path, env={})
    assert cfg.credentials == tmp_path / "conf" / "key.json"
    assert cfg.data_dir == tmp_path / "conf" / "state"


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    ("{not json", "not valid JSON"),
    ('{"type": "user"}', "expected 'service_account'"),
    ('{"type": "service_account"}', "lacks"),
])
def test_bad_key_files(tmp_path, content, message):
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_google_credentials(path)


def test_example_key_file_is_refused_without_echoing_the_key(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "credentials.example.json"
    info = json.loads(example.read_text())
    assert all(info[k] for k in ("type", "project_id", "private_key_id", "private_key", "client_email",
                                 "client_id", "auth_uri", "token_uri"))
    with pytest.raises(ConfigError, match="cannot be loaded") as exc:
        load_google_credentials(example)
    assert "FAKE-KEY" not in str(exc.value)


def test_youtube_on_an_authorized_session(tmp_path):
    from google.auth.transport.requests import AuthorizedSession

    from sheets_sync.app import platform_sessions
    from sheets_sync.config import parse_config

    (tmp_path / "yt-owner.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "x.apps.googleusercontent.com", "client_secret": "not-a-secret",
        "refresh_token": "1//not-a-token"}))
    cfg = parse_config({"platforms": [{"kind": "youtube", "channel_id": "UC1", "credentials": "yt-owner.json"}]},
                       tmp_path / "sheets-sync.yaml")
    assert isinstance(platform_sessions(cfg)["youtube"], AuthorizedSession)
    with pytest.raises(ConfigError, match="either `token_env`.*or `credentials`"):
        parse_config({"platforms": [{"kind": "youtube", "channel_id": "UC1"}]}, tmp_path / "sheets-sync.yaml")
    with pytest.raises(ConfigError, match="for YouTube only"):
        parse_config({"platforms": [{"kind": "x", "user_id": "1", "credentials": "a.json"}]},
                     tmp_path / "sheets-sync.yaml")
