"""`sheets-sync doctor`'s SMTP login check against a real SMTP server on loopback."""

from __future__ import annotations

from test_digest_smtp import PASSWORD, USER, smtp_server  # noqa: F401 - the fixture

from sheets_sync.config import parse_config
from sheets_sync.doctor import FAIL, OK, check_smtp


def config_for(port: int, tmp_path):
    return parse_config({"smtp": {"host": "127.0.0.1", "port": port, "from": "bot@pmc.example",
                                  "user_env": "DOCTOR_SMTP_USER", "password_env": "DOCTOR_SMTP_PASSWORD"}},
                        tmp_path / "sheets-sync.yaml")


def test_smtp_login_ok(smtp_server, tmp_path, monkeypatch):  # noqa: F811
    collector, port = smtp_server
    monkeypatch.setenv("DOCTOR_SMTP_USER", USER)
    monkeypatch.setenv("DOCTOR_SMTP_PASSWORD", PASSWORD)
    check = check_smtp(config_for(port, tmp_path))
    assert check.status == OK and f"127.0.0.1:{port}" in check.detail
    assert collector.logins == [USER.encode()] and not collector.envelopes  # logged in, sent nothing


def test_smtp_missing_password_names_the_variables(smtp_server, tmp_path, monkeypatch):  # noqa: F811
    _, port = smtp_server
    monkeypatch.setenv("DOCTOR_SMTP_USER", USER)
    monkeypatch.delenv("DOCTOR_SMTP_PASSWORD", raising=False)
    check = check_smtp(config_for(port, tmp_path))
    assert check.status == FAIL and "DOCTOR_SMTP_PASSWORD" in check.detail


def test_smtp_unconfigured_is_a_warning_with_the_folder(tmp_path):
    check = check_smtp(parse_config({}, tmp_path / "sheets-sync.yaml"))
    assert check.status == "warn" and ".eml" in check.detail
