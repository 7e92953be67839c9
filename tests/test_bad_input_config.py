"""Bad configuration and key files: a ``ConfigError`` naming the file, the key and the fix; through the CLI,
exit code 2 with the message on stderr and no traceback; key material never echoed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sheets_sync.cli import main
from sheets_sync.client import load_google_credentials
from sheets_sync.config import load_config
from sheets_sync.errors import ConfigError

SECRET = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7SECRETSECRET"
GOOD_PLATFORM = "platforms:\n  - {kind: facebook, page_id: '104', token_env: FB_TOKEN}\n"

CONFIG_CASES = [
    # (file text, what the message must contain: the key and the fix)
    pytest.param("spreadsheet: [\n", ["is not valid YAML at line 2", "Fix the indentation or quoting"],
                 id="invalid-yaml"),
    pytest.param("timezone: 5\n", ["(key `timezone`): must be an IANA zone name such as Asia/Kolkata, got 5."],
                 id="wrong-type-timezone"),
    pytest.param("lease: {minutes: ten}\n",
                 ["(key `lease.minutes`): must be a positive number such as 10, got 'ten'."],
                 id="wrong-type-lease-minutes"),
    pytest.param("lease: {minutes: -1}\n", ["(key `lease.minutes`): must be a positive number such as 10, got -1."],
                 id="negative-lease-minutes"),
    pytest.param("schedule: {every_minutes: -5}\n", ["(key `schedule.every_minutes`): must be a positive number"],
                 id="negative-every-minutes"),
    pytest.param("schedule: {digest_at: '25:99'}\n",
                 ['(key `schedule.digest_at`): must be a time of day as HH:MM (24 h, e.g. "08:00"), got \'25:99\'.'],
                 id="digest-at-not-a-time"),
    pytest.param("sla:\n  office_hours: {start: '9am', end: '18:15'}\n",
                 ["(key `sla.office_hours.start`): '9am' is not a time of day", 'HH:MM, e.g. "09:45"'],
                 id="sla-office-hours"),
    pytest.param("sla: {office_hour: {}}\n", ["(key `sla`): unknown key(s) office_hour", "Did you mean `office_hours`?"],
                 id="sla-unknown-key"),
    pytest.param("archive: {cell_limit_fraction: 2}\n",
                 ["(key `archive.cell_limit_fraction`): must be a fraction above 0 and at most 1, such as 0.8, got 2."],
                 id="archive-fraction"),
    pytest.param("smtp: mail.example.com\n", ["(key `smtp`): must be a mapping with the keys from, host, ",
                                              "got 'mail.example.com'."], id="smtp-not-a-mapping"),
    pytest.param("smtp: {host: h, ssl: true, starttls: true}\n", ["(key `smtp`): `ssl` and `starttls` exclude each other"],
                 id="smtp-ssl-and-starttls"),
    pytest.param("webhook: {port: 99999}\n", ["(key `webhook.port`): must be a port number from 1 to 65535, got 99999."],
                 id="webhook-port"),
    pytest.param("platforms: {kind: facebook}\n",
                 ["(key `platforms`): must be a list of entries, each with `kind:`"], id="platforms-not-a-list"),
    pytest.param("platforms: [facebook]\n", ["(key `platforms[0]`): must be a mapping with the keys ",
                                              "got 'facebook'."], id="platforms-entry-not-a-mapping"),
    pytest.param("spreadhseet: {id: X}\n", ["unknown key `spreadhseet`", "Did you mean `spreadsheet`?"],
                 id="unknown-top-level-key"),
    pytest.param("platforms:\n  - {kind: facebook, page_id: '1', token_env: T, tokenenv: U}\n",
                 ["(key `platforms[0]`, kind: facebook): unknown key `tokenenv`. Did you mean `token_env`?"],
                 id="unknown-platform-key"),
    pytest.param("platforms:\n  - {kind: myspace, token_env: T}\n",
                 ["(key `platforms[0]`): unknown kind 'myspace': use one of facebook, instagram, youtube, x",
                  "remove the entry"], id="unknown-kind"),
    pytest.param("platforms:\n  - {kind: x, user_id: '1'}\n",
                 ["(key `platforms[0]`, kind: x): missing 'token_env'", "token_env: X_TOKEN"],
                 id="missing-token-env"),
    pytest.param("platforms:\n  - {kind: instagram, token_env: IG}\n",
                 ["(key `platforms[0]`, kind: instagram): missing 'ig_user_id'"], id="missing-account-id"),
    pytest.param("platforms:\n  - {kind: facebook, page_id: '1', token_env: 42}\n",
                 ["(key `platforms[0].token_env`, kind: facebook): must be the name of an environment variable such "
                  "as FACEBOOK_TOKEN, got 42."], id="token-env-not-a-name"),
    pytest.param("platforms:\n  - {kind: youtube, channel_id: UC1, token_env: YT, daily_quota: 0}\n",
                 ["(key `platforms[0].daily_quota`, kind: youtube): must be a positive whole number such as 10000"],
                 id="platform-daily-quota"),
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sheets-sync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``sheets-sync ARGV`` in-process: exit code and stderr."""
    code = main(list(argv))
    return code, capsys.readouterr().err


def assert_clean_cli_error(code: int, err: str, parts: list[str]) -> None:
    assert code == 2, err
    assert err.startswith("sheets-sync: ") and "Traceback" not in err, err
    for part in parts:
        assert part in err, err


@pytest.mark.parametrize("text, parts", CONFIG_CASES)
def test_bad_config_names_file_key_and_fix(tmp_path, capsys, text, parts):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    for part in parts:
        assert part in message, message
    # The same through the CLI, for every command that reads the configuration.
    for command in (["run", "--once"], ["doctor"], ["init"]):
        code, err = run_cli(capsys, *command, "--config", str(path))
        assert_clean_cli_error(code, err, [str(path), *parts])


def test_unreadable_config_names_the_file_and_the_fix(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, "timezone: Asia/Kolkata\n")
    path.chmod(0)
    try:
        path.read_text()
    except PermissionError:
        pass
    else:  # running as root, who reads anything: make the read fail as it would for anyone else
        real = Path.read_text

        def denied(self: Path, *args: Any, **kwargs: Any) -> str:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Path, "read_text", denied)
    try:
        code, err = run_cli(capsys, "run", "--once", "--config", str(path))
        assert_clean_cli_error(code, err, [f"config file {path} cannot be read (Permission denied): check its "
                                           "permissions."])
    finally:
        path.chmod(0o644)


def test_token_env_not_set_names_the_variable_and_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FB_TOKEN", raising=False)
    path = write(tmp_path, GOOD_PLATFORM + "data_dir: state\n")
    code, err = run_cli(capsys, "run", "--once", "--config", str(path))
    assert_clean_cli_error(code, err, ["the environment variable FB_TOKEN (named by token_env) is not set",
                                       "Set it to a Page access token"])


# ---- service-account key files ------------------------------------------------------------------------


def service_account(**overrides: Any) -> dict[str, Any]:
    info = {"type": "service_account", "project_id": "pmc-tracker", "private_key_id": "abc123def456",
            "private_key": f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n",
            "client_email": "sync@pmc-tracker.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"}
    info.update(overrides)
    return {k: v for k, v in info.items() if v is not None}


KEY_CASES = [
    # (file content: None = absent, bytes = raw, dict = JSON; message parts)
    pytest.param(None, ["does not exist", "IAM > Service accounts > Keys > Add key > JSON"], id="missing"),
    pytest.param(f"private_key = {SECRET}".encode(), ["is not valid JSON (line 1, column 1)", "download the key again"],
                 id="not-json"),
    pytest.param(json.dumps(service_account())[:-40].encode(), ["is not valid JSON", "download the key again"],
                 id="truncated-json"),
    pytest.param(b"\xff\xfe\x00binary", ["is not a text JSON file", "not the .p12 one"], id="binary"),
    pytest.param(["a", "list"], ["must hold a JSON object"], id="not-an-object"),
    pytest.param(service_account(type="user"), ["has type 'user'; expected 'service_account'"], id="wrong-type"),
    pytest.param(service_account(private_key=None, client_email=None),
                 ["lacks private_key, client_email", "download a new JSON key"], id="missing-fields"),
    pytest.param(service_account(), ["the private_key in", "cannot be loaded", "download a new JSON key"],
                 id="bad-private-key"),
    pytest.param({"type": "authorized_user", "client_id": "x"},
                 ["lacks client_secret, refresh_token", "run the OAuth flow again"], id="authorized-user-incomplete"),
]


@pytest.mark.parametrize("content, parts", KEY_CASES)
def test_bad_key_file_names_the_file_and_the_fix_and_never_the_key(tmp_path, capsys, content, parts):
    key = tmp_path / "service-account.json"
    if isinstance(content, bytes):
        key.write_bytes(content)
    elif content is not None:
        key.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_google_credentials(key)
    message = str(info.value)
    assert str(key) in message
    for part in parts:
        assert part in message, message
    assert SECRET not in message and "abc123def456" not in message
    assert info.value.__cause__ is None or SECRET not in str(info.value.__cause__)

    # Through the CLI, as `credentials:` of a configured Google sheet: exit 2, no traceback, no key.
    path = write(tmp_path, "spreadsheet: {id: 1AbCdEfGh}\ncredentials: service-account.json\n")
    code, err = run_cli(capsys, "run", "--once", "--config", str(path))
    assert_clean_cli_error(code, err, [f"{path} (key `credentials`)", str(key), *parts])
    assert SECRET not in err


def test_unreadable_key_file_says_permissions_not_json(tmp_path, monkeypatch):
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(service_account()), encoding="utf-8")
    real = Path.read_text

    def denied(self: Path, *args: Any, **kwargs: Any) -> str:
        if self == key:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", denied)  # as for a user who may not read it (tests may run as root)
    with pytest.raises(ConfigError, match=r"cannot be read \(Permission denied\): let the user running "
                                          r"sheets-sync read it") as info:
        load_google_credentials(key)
    assert str(key) in str(info.value)
