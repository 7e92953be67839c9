"""Secrets hygiene: key files open to group or others, and SMTP logins in plaintext, warned by `doctor` and `run`.

(The tests run as root in CI: permission bits are still read with ``stat``, so the checks do not depend on who
can actually open the file.)
"""

from __future__ import annotations

import logging

import pytest

from sheets_sync.cli import main
from sheets_sync.config import parse_config
from sheets_sync.doctor import OK, WARN, check_secrets, secrets_warnings
from sheets_sync.errors import SheetsSyncError

SMTP = {"port": 25, "from": "bot@pmc.example", "user_env": "SMTP_USER", "password_env": "SMTP_PASSWORD"}


def key_file(tmp_path, name: str, mode: int):
    path = tmp_path / name
    path.write_text('{"type": "service_account"}', encoding="utf-8")
    path.chmod(mode)
    return path


def config(tmp_path, **raw):
    return parse_config(raw, tmp_path / "sheets-sync.yaml")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_open_to_group_or_others_is_named_with_the_fix(tmp_path, mode):
    path = key_file(tmp_path, "service-account.json", mode)
    [warning] = secrets_warnings(config(tmp_path, credentials="service-account.json"))
    assert str(path) in warning and f"chmod 600 {path}" in warning and "`credentials`" in warning
    assert f"{mode:03o}" in warning


def test_a_private_key_file_is_fine(tmp_path):
    key_file(tmp_path, "service-account.json", 0o600)
    assert secrets_warnings(config(tmp_path, credentials="service-account.json")) == []
    key_file(tmp_path, "readonly.json", 0o400)
    assert secrets_warnings(config(tmp_path, credentials="readonly.json")) == []


def test_a_missing_key_file_is_left_to_the_credentials_check(tmp_path):
    assert secrets_warnings(config(tmp_path, credentials="nowhere.json")) == []


def test_a_youtube_authorized_user_file_is_checked_too(tmp_path):
    path = key_file(tmp_path, "channel-owner.json", 0o644)
    key_file(tmp_path, "service-account.json", 0o600)
    [warning] = secrets_warnings(config(tmp_path, credentials="service-account.json", platforms=[
        {"kind": "facebook", "page_id": "1", "token_env": "FB_TOKEN"},
        {"kind": "youtube", "channel_id": "UCx", "credentials": "channel-owner.json"}]))
    assert "platforms[1].credentials" in warning and str(path) in warning and f"chmod 600 {path}" in warning


def test_a_plaintext_smtp_login_to_another_host_is_warned(tmp_path):
    [warning] = secrets_warnings(config(tmp_path, smtp={"host": "smtp.example.gov.in", **SMTP}))
    assert "smtp.starttls" in warning and "smtp.example.gov.in:25" in warning and "plaintext" in warning
    assert "starttls: true" in warning and "ssl: true" in warning
    assert secrets_warnings(config(tmp_path, smtp={"host": "10.0.0.5", **SMTP}))


@pytest.mark.parametrize("smtp", [
    pytest.param({"host": "127.0.0.1", **SMTP}, id="loopback-v4"),
    pytest.param({"host": "127.0.0.53", **SMTP}, id="loopback-v4-net"),
    pytest.param({"host": "::1", **SMTP}, id="loopback-v6"),
    pytest.param({"host": "localhost", **SMTP}, id="localhost"),
    pytest.param({"host": "smtp.example.gov.in", **SMTP, "port": 587, "starttls": True}, id="starttls"),
    pytest.param({"host": "smtp.example.gov.in", **SMTP, "port": 465, "ssl": True}, id="ssl"),
    pytest.param({"host": "smtp.example.gov.in", "port": 25, "from": "bot@pmc.example"}, id="no-login"),
])
def test_smtp_without_a_plaintext_login_over_the_network_is_fine(tmp_path, smtp):
    assert secrets_warnings(config(tmp_path, smtp=smtp)) == []


def test_doctor_reports_each_warning_as_a_warn_line(tmp_path):
    key_file(tmp_path, "service-account.json", 0o644)
    checks = check_secrets(config(tmp_path, credentials="service-account.json",
                                  smtp={"host": "smtp.example.gov.in", **SMTP}))
    assert [(c.name, c.status) for c in checks] == [("secrets", WARN), ("secrets", WARN)]
    assert "chmod 600" in checks[0].line() and "smtp.starttls" in checks[1].line()
    [fine] = check_secrets(config(tmp_path))
    assert fine.status == OK


def test_doctor_prints_the_secrets_lines(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    key_file(tmp_path, "service-account.json", 0o644)
    (tmp_path / "sheets-sync.yaml").write_text("credentials: service-account.json\n", encoding="utf-8")
    main(["doctor"])
    out = capsys.readouterr().out
    assert "[warn] secrets:" in out and "chmod 600" in out and "[FAIL] secrets" not in out  # a warning only


def test_run_warns_at_start_in_the_log_and_on_stderr(tmp_path, monkeypatch, capsys, caplog):
    monkeypatch.chdir(tmp_path)
    path = key_file(tmp_path, "service-account.json", 0o644)
    (tmp_path / "sheets-sync.yaml").write_text(
        "credentials: service-account.json\nsmtp: {host: smtp.example.gov.in, port: 25, from: bot@pmc.example, "
        "user_env: SMTP_USER, password_env: SMTP_PASSWORD}\n", encoding="utf-8")

    def no_runner(config):  # the warnings come first; the cycle itself is not under test here
        raise SheetsSyncError("stopped after the start-up checks")

    monkeypatch.setattr("sheets_sync.app.build_runner", no_runner)
    with caplog.at_level(logging.WARNING, logger="sheets_sync"):
        assert main(["run", "--once"]) == 2
    err = capsys.readouterr().err
    assert f"chmod 600 {path}" in err and "smtp.starttls" in err
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "sheets_sync"]
    assert any(f"chmod 600 {path}" in m for m in warned) and any("smtp.starttls" in m for m in warned)
