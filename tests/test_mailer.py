"""Mailer behaviour against a scripted fake SMTP server (retries, ambiguity, secrets), and the
.eml folder mailer. The real-server round trip is in test_digest_smtp.py."""

from __future__ import annotations

import logging
import smtplib
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from test_reports_data import DEPARTMENTS, GID, IST, NOW, SHEET_ID, scenario

from sheets_sync.config import SmtpConfig, parse_config
from sheets_sync.errors import AuthError, ConfigError
from sheets_sync.reports.digest import build_digests
from sheets_sync.reports.mailer import (
    EmlFolderMailer,
    Mailer,
    SendResult,
    build_mailer,
    digest_key,
    message_key,
    unsent,
)
from sheets_sync.retry import policy

SECRET = "s3cret-pa55word"
ENV = {"SMTP_USER": "bot@pmc.example", "SMTP_PASSWORD": SECRET}
CONFIG = {"host": "mail.test", "port": 2525, "from": "bot@pmc.example", "user_env": "SMTP_USER",
          "password_env": "SMTP_PASSWORD", "timeout": 5}


class FakeServer:
    """A scripted SMTP server. ``script`` holds one action per delivery attempt (default "ok"):
    ok | 451 | 421 | 550 | defer_rcpt | drop_envelope | drop_data | partial."""

    def __init__(self, script: list[str] | None = None, *, unreachable: bool = False,
                 bad_login: bool = False) -> None:
        self.script = list(script or [])
        self.unreachable, self.bad_login = unreachable, bad_login
        self.connections = 0
        self.quits = 0
        self.logins: list[tuple[str, str]] = []
        self.delivered: list[EmailMessage] = []
        self.attempts = 0
        self.commands: list[str] = []
        self.no_auth_method = False
        self.opened_with: tuple[Any, ...] = ()

    def smtp_class(self, host: str, port: int, timeout: float, **kwargs: Any) -> FakeSMTP:
        if self.unreachable:
            raise ConnectionRefusedError(111, "Connection refused")
        self.connections += 1
        self.opened_with = (host, port, timeout, sorted(kwargs))
        return FakeSMTP(self)


class FakeSMTP:
    """One connection to a FakeServer, with smtplib's method names and exceptions."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.closed = False

    def ehlo(self) -> None:
        self.server.commands.append("ehlo")

    def starttls(self, context: Any = None) -> None:
        self.server.commands.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.server.commands.append("login")
        if self.server.no_auth_method:
            raise smtplib.SMTPException("No suitable authentication method found.")
        if self.server.bad_login:
            raise smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication failed")
        self.server.logins.append((user, password))

    def data(self, body: bytes) -> tuple[int, bytes]:
        return 250, b"ok"

    def send_message(self, msg: EmailMessage, from_addr: str | None = None,
                     to_addrs: list[str] | None = None) -> dict[str, tuple[int, bytes]]:
        assert not self.closed, "used a closed connection"
        self.server.attempts += 1
        action = self.server.script.pop(0) if self.server.script else "ok"
        if action == "drop_envelope":
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if action in ("451", "421", "550"):
            raise smtplib.SMTPDataError(int(action), b"scripted")
        if action == "defer_rcpt":
            raise smtplib.SMTPRecipientsRefused({a: (451, b"greylisted") for a in to_addrs or []})
        self.data(b"...")  # through Mailer's wrapper, as smtplib's sendmail does
        if action == "drop_data":
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.server.delivered.append(msg)
        if action == "partial":
            return {(to_addrs or [])[0]: (550, b"no such user")}
        return {}

    def quit(self) -> None:
        self.server.quits += 1
        self.closed = True

    def close(self) -> None:
        self.closed = True


def messages() -> list[EmailMessage]:
    return build_digests(scenario(), DEPARTMENTS, [], NOW, IST, SHEET_ID, GID, "cell@pmc.example",
                         "bot@pmc.example")


def mailer(server: FakeServer, sleeps: list[float] | None = None, **overrides: Any) -> Mailer:
    sleeps = [] if sleeps is None else sleeps
    return Mailer({**CONFIG, **overrides}, env=ENV, retry=policy(sleep=sleeps.append),
                  smtp_class=server.smtp_class)  # type: ignore[arg-type]


def test_one_connection_for_all_and_results_in_order() -> None:
    server = FakeServer()
    batch = messages()
    results = mailer(server).deliver(batch)
    assert [r.message_id for r in results if r.ok] == [m["Message-ID"] for m in batch]
    assert [r.key for r in results] == [message_key(m) for m in batch]
    assert (server.connections, server.quits) == (1, 1)
    assert server.logins == [("bot@pmc.example", SECRET)]
    assert [m["Message-ID"] for m in server.delivered] == [m["Message-ID"] for m in batch]


def test_transient_errors_are_retried_with_the_project_policy() -> None:
    server, sleeps = FakeServer(["451", "defer_rcpt", "drop_envelope", "421"]), []
    results = mailer(server, sleeps).deliver(messages()[:1])
    assert [r.ok for r in results] == [True]
    assert server.attempts == 5 and len(sleeps) == 4
    assert server.connections == 3  # reconnected after the drop and after 421


def test_a_break_during_data_is_ambiguous_and_not_retried() -> None:
    server = FakeServer(["drop_data"])
    batch = messages()
    results = mailer(server).deliver(batch)
    assert results[0].ambiguous and not results[0].ok
    assert server.attempts == len(batch)  # the first was not tried again; the others went out
    assert [r.ok for r in results[1:]] == [True] * (len(batch) - 1)


def test_permanent_refusal_fails_only_that_message() -> None:
    server = FakeServer(["550"])
    results = mailer(server).deliver(messages())
    assert not results[0].ok and "550" in results[0].error and not results[0].ambiguous
    assert all(r.ok for r in results[1:])


def test_repeatedly_deferred_message_fails_alone() -> None:
    server = FakeServer(["451"] * 6)
    results = mailer(server).deliver(messages())
    assert not results[0].ok and "deferred" in results[0].error
    assert all(r.ok for r in results[1:])


def test_partial_refusal_counts_as_sent_and_says_who() -> None:
    results = mailer(FakeServer(["partial"])).deliver(messages()[:1])
    assert results[0].ok and results[0].refused == ("roads.head@pmc.example",)


def test_unreachable_server_gives_up_and_leaves_the_rest() -> None:
    sleeps: list[float] = []
    results = mailer(FakeServer(unreachable=True), sleeps).deliver(messages())
    assert not results[0].ok and results[0].attempted and "gave up" in results[0].error
    assert all(not r.attempted for r in results[1:]) and len(results) == len(messages())
    assert len(sleeps) == 5  # six attempts, bounded by the policy


def test_unsent_skips_the_recorded_keys() -> None:
    batch = messages()
    recorded = {message_key(batch[0]): "sending"}  # at most once: "sending" counts as sent
    assert unsent(batch, recorded) == batch[1:]


def test_missing_secret_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="SMTP_PASSWORD"):
        Mailer(CONFIG, env={"SMTP_USER": "bot"})
    with pytest.raises(ConfigError, match="go together"):
        Mailer({"host": "h", "user_env": "SMTP_USER"}, env=ENV)


def test_login_refused_is_reported_on_every_message_without_the_password(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = FakeServer(bad_login=True)
    m = mailer(server)
    results = m.deliver(messages())
    assert len(results) == len(messages()) and server.attempts == 0
    assert all(not r.ok and not r.attempted and r.retry and not r.permanent and r.blocked for r in results)
    assert all("SMTP_USER" in r.error and SECRET not in r.error for r in results)
    assert server.connections == 1  # one login attempt: not retried (no lock-out by hammering)
    assert SECRET not in repr(m) and SECRET not in caplog.text
    with pytest.raises(AuthError) as info:  # the connection step itself still says why, without the cause
        m._connect()
    assert info.value.__cause__ is None and SECRET not in str(info.value)


@pytest.mark.parametrize(("config", "problem"), [
    ({"host": "h", "ssl": True, "starttls": True}, "exclude each other"),
    ({"host": "h", "pasword_env": "X"}, "unknown key `pasword_env`. Did you mean `password_env`?"),
    ({"port": 25}, "smtp.host"),
])
def test_bad_config(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        Mailer(config, env={})


@pytest.mark.parametrize(("config", "port"), [
    ({"host": "h"}, 25), ({"host": "h", "starttls": True}, 587), ({"host": "h", "ssl": True}, 465),
    ({"host": "h", "port": "2525"}, 2525),
])
def test_default_ports(config: dict[str, Any], port: int) -> None:
    assert Mailer(config, env={}).port == port
    assert Mailer(SmtpConfig.parse(config), env={}).port == port


def test_eml_folder(tmp_path: Path) -> None:
    batch = messages()
    folder = EmlFolderMailer(tmp_path / "digests")
    results: list[SendResult] = folder.deliver(batch)
    assert [r.message_id for r in results if r.ok] == [m["Message-ID"] for m in batch]
    names = sorted(p.name for p in (tmp_path / "digests").iterdir())
    assert names == ["2026-11-26-cell.eml", "2026-11-26-roads.eml", "2026-11-26-solid-waste.eml"]
    assert [r.key for r in results] == [message_key(m) for m in batch]
    copy = message_from_bytes((tmp_path / "digests" / "2026-11-26-roads.eml").read_bytes(),
                              policy=email_policy.default)
    assert copy["Subject"] == batch[0]["Subject"] and copy["X-Sheets-Sync-Digest"] == "2026-11-26/Roads"
    html_part = copy.get_body(("html",))
    assert html_part is not None and "प्रलंबित प्रतिक्रिया / Open items" in html_part.get_content()
    # Writing the same day again replaces the files: still three, no temporary files left.
    folder.send(batch)
    assert sorted(p.name for p in (tmp_path / "digests").iterdir()) == names


def test_helpers_and_factory(tmp_path: Path) -> None:
    from datetime import date
    assert digest_key(date(2026, 11, 26), "Roads") == message_key(messages()[0])
    cfg = parse_config({"data_dir": "state"}, tmp_path / "sheets-sync.yaml")
    assert isinstance(build_mailer(cfg), EmlFolderMailer)
    assert build_mailer(cfg).folder == tmp_path / "state" / "digests"
    cfg = parse_config({"digest": {"folder": "out"}}, tmp_path / "sheets-sync.yaml")
    assert build_mailer(cfg).folder == tmp_path / "out"
    cfg = parse_config({"smtp": {"host": "h", "ssl": True}}, tmp_path / "sheets-sync.yaml")
    built = build_mailer(cfg, env={})
    assert isinstance(built, Mailer) and (built.host, built.port, built.use_ssl) == ("h", 465, True)
    with pytest.raises(ConfigError, match=r"sheets-sync.yaml \(key `smtp`\) is not set"):
        Mailer.from_config(parse_config({}, tmp_path / "sheets-sync.yaml"))


def test_starttls_then_login() -> None:
    server = FakeServer()
    mailer(server, starttls=True).send(messages()[:1])
    assert server.commands == ["ehlo", "starttls", "ehlo", "login"]
    assert server.opened_with == ("mail.test", 2525, 5.0, [])


def test_ssl_uses_the_ssl_class() -> None:
    plain, tls = FakeServer(), FakeServer()
    m = Mailer({**CONFIG, "ssl": True}, env=ENV, retry=policy(sleep=lambda s: None),
               smtp_class=plain.smtp_class, smtp_ssl_class=tls.smtp_class)  # type: ignore[arg-type]
    assert m.send(messages()[:1])
    assert (plain.connections, tls.connections) == (0, 1) and tls.opened_with[3] == ["context"]
    assert tls.commands == ["login"]


def test_no_common_auth_method_is_reported_not_raised() -> None:
    server = FakeServer()
    server.no_auth_method = True
    results = mailer(server).deliver(messages())
    assert all(not r.ok and r.retry and "authentication method" in r.error for r in results)
    assert server.connections == 1  # not retried within the run: it would not get better


@pytest.mark.parametrize(("script", "ok", "retry", "permanent", "ambiguous", "first_recipient"), [
    (["ok"], True, False, False, False, "sent"),
    (["partial"], True, False, False, False, "failed: 550 no such user"),  # the others got it
    (["550"], False, False, True, False, "failed: SMTP 550"),
    (["451"] * 6, False, True, False, False, "pending: SMTP 451"),
    (["defer_rcpt"] * 6, False, True, False, False, "pending: 451 greylisted"),
    (["drop_envelope"] * 6, False, True, False, False, ""),  # the server went away before DATA
    (["drop_data"], False, False, False, True, ""),         # maybe delivered: never again
])
def test_each_result_says_whether_a_later_run_should_send_it(script: list[str], ok: bool, retry: bool,
                                                              permanent: bool, ambiguous: bool,
                                                              first_recipient: str) -> None:
    [result] = mailer(FakeServer(script)).deliver(messages()[:1])
    assert (result.ok, result.retry, result.permanent, result.ambiguous) == (ok, retry, permanent, ambiguous)
    assert not result.blocked  # the server could be used: nothing for a person to fix in the settings
    states = dict(result.recipients)
    assert states.get("roads.head@pmc.example", "").startswith(first_recipient)


def test_the_hand_off_hook_runs_once_per_message_with_the_connection_up_and_can_stop_the_batch() -> None:
    server = FakeServer(["451", "ok"])
    started: list[tuple[str, int]] = []
    seen: list[SendResult] = []
    batch = messages()
    results = mailer(server).deliver(batch, on_start=lambda m: started.append((str(m["Message-ID"]),
                                                                               server.connections)),
                                     on_result=seen.append)
    assert [r.ok for r in results] == [True] * len(batch) and seen == results
    assert started == [(str(m["Message-ID"]), 1) for m in batch]  # once each, retries included, connected

    server = FakeServer()

    def refuse(message: EmailMessage) -> None:
        raise RuntimeError("sheet unavailable")

    results = mailer(server).deliver(batch, on_start=refuse)
    assert server.attempts == 0 and all(not r.ok and r.retry and "could not be recorded" in r.error
                                        for r in results)


def test_a_message_that_cannot_be_written_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer()
    batch = messages()
    original = FakeSMTP.send_message

    def send_message(self: FakeSMTP, msg: EmailMessage, **kwargs: Any) -> Any:
        if msg is batch[0]:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")  # before any command
        return original(self, msg, **kwargs)

    monkeypatch.setattr(FakeSMTP, "send_message", send_message)
    results = mailer(server).deliver(batch)
    assert not results[0].ok and not results[0].ambiguous and "could not be sent" in results[0].error
    assert all(r.ok for r in results[1:])


def test_eml_folder_reports_a_file_it_cannot_write_and_writes_the_others(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = EmlFolderMailer(tmp_path)
    batch = messages()
    original = folder._write

    def write(message: EmailMessage) -> Path:
        if message is batch[0]:
            raise OSError(28, "No space left on device")
        return original(message)

    monkeypatch.setattr(folder, "_write", write)
    results = folder.deliver(batch)
    assert not results[0].ok and results[0].retry and "No space left" in results[0].error
    assert all(r.ok for r in results[1:]) and len(list(tmp_path.glob("*.eml"))) == len(batch) - 1
