"""End to end over real SMTP: digests built from rows, sent by Mailer to an aiosmtpd server on loopback
(with AUTH), parsed back as a mail client would, and checked for counts, parts, headings, links, escaping."""

from __future__ import annotations

import re
import socket
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from test_reports_data import DEPARTMENTS, GID, IST, NOW, SHEET_ID, HtmlProbe, parts, scenario

from sheets_sync.reports.digest import H_ALL_CLEAR, build_digests, row_link
from sheets_sync.reports.mailer import EmlFolderMailer, Mailer, message_key
from sheets_sync.retry import policy

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")

USER, PASSWORD = "digest-bot", "loopback-only-password"
SENDER = "PMC sheets-sync <sheets-sync@pmc.example>"
CELL = "smcell@pmc.example"


@dataclass
class Collector:
    """aiosmtpd handler: keeps every accepted envelope; answers 451 to the first ``defer`` DATA commands."""

    defer: int = 0
    envelopes: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.defer:
            self.defer -= 1
            return "451 4.3.0 Try again later"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        if ok:
            self.logins.append(auth_data.login)
        # handled=False: let aiosmtpd answer "535" itself (handled=True would leave the client waiting).
        return aiosmtpd_smtp.AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = _free_port()
    controller = aiosmtpd_controller.Controller(
        collector, hostname="127.0.0.1", port=port, authenticator=collector.authenticate,
        auth_required=True, auth_require_tls=False)  # loopback only: no TLS in the test
    with warnings.catch_warnings():  # aiosmtpd warns about AUTH without TLS on every connection
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        controller.start()
        try:
            yield collector, port
        finally:
            controller.stop()


def _mailer(port: int, sleeps: list[float]) -> Mailer:
    config = {"host": "127.0.0.1", "port": port, "from": "sheets-sync@pmc.example", "starttls": False,
              "ssl": False, "user_env": "DIGEST_SMTP_USER", "password_env": "DIGEST_SMTP_PASSWORD", "timeout": 5}
    env = {"DIGEST_SMTP_USER": USER, "DIGEST_SMTP_PASSWORD": PASSWORD}
    return Mailer(config, env=env, retry=policy(sleep=sleeps.append))


def _digests() -> list[EmailMessage]:
    return build_digests(scenario(), DEPARTMENTS, [], NOW, IST, SHEET_ID, GID, CELL, SENDER)


def _received(collector: Collector) -> dict[str, tuple[list[str], EmailMessage]]:
    out = {}
    for _, rcpts, content in collector.envelopes:
        message = message_from_bytes(content, policy=email_policy.default)
        out[str(message["X-Sheets-Sync-Digest"])] = (rcpts, message)
    return out


def test_digests_arrive_over_smtp(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    collector.defer = 1  # the first DATA is deferred: the mailer must retry it, not lose it
    sleeps: list[float] = []
    built = _digests()

    results = _mailer(port, sleeps).deliver(built)

    assert [r.message_id for r in results if r.ok] == [m["Message-ID"] for m in built]
    assert len(sleeps) == 1 and collector.logins == [USER.encode()]
    assert [r.key for r in results] == [message_key(m) for m in built]

    received = _received(collector)
    assert set(received) == {"2026-11-26/Roads", "2026-11-26/Solid Waste", "2026-11-26/_cell"}
    assert all(mail_from == "sheets-sync@pmc.example" for mail_from, _, _ in collector.envelopes)

    rcpts, roads = received["2026-11-26/Roads"]
    assert rcpts == ["roads.head@pmc.example", "roads.nodal@pmc.example"]
    assert roads["Subject"] == built[0]["Subject"]  # the Marathi subject survives encoding exactly
    assert roads["Message-ID"] == built[0]["Message-ID"]
    text, markup = parts(roads)

    counts = dict(re.findall(r"/ (New|Open|Overdue|Escalated): (\d+)", text))
    assert counts == {"New": "1", "Open": "3", "Overdue": "1", "Escalated": "1"}
    for heading in ("प्रलंबित प्रतिक्रिया / Open items", "मुदतबाह्य प्रतिक्रिया / Overdue items", "सारांश / Summary"):
        assert heading in text and heading in markup

    # Every link opens the Tracker tab (gid) at the row of an open Roads item, and only those.
    open_roads = {r["_row"] for r in scenario()
                  if r["Department"].strip().casefold() == "roads" and r["Status"] in ("New", "Assigned", "Escalated")}
    probe = HtmlProbe(markup)
    linked = set()
    for link in probe.links:
        match = re.fullmatch(rf"https://docs\.google\.com/spreadsheets/d/{SHEET_ID}/edit#gid=(\d+)&range=A(\d+)",
                             link)
        assert match and int(match.group(1)) == GID, link
        linked.add(int(match.group(2)))
        assert link == row_link(SHEET_ID, GID, int(match.group(2)))
    assert linked == open_roads

    # The citizen's "<script>" is text to the reader, never markup.
    assert "script" not in probe.tags and "&lt;script&gt;" in markup
    assert any(t.startswith("<script>alert('x')</script>") for t in probe.text)

    rcpts, waste = received["2026-11-26/Solid Waste"]
    assert rcpts == ["waste@pmc.example"] and H_ALL_CLEAR in parts(waste)[0]
    rcpts, cell = received["2026-11-26/_cell"]
    assert rcpts == [CELL] and "Gardens: no e-mail address" in parts(cell)[0]


def test_wrong_password_is_refused_before_anything_is_sent(smtp_server: tuple[Collector, int]) -> None:
    """A refused login ends the batch without raising: every message comes back not sent, to retry."""
    collector, port = smtp_server
    config = {"host": "127.0.0.1", "port": port, "user_env": "U", "password_env": "P", "timeout": 5}
    results = Mailer(config, env={"U": USER, "P": "wrong"}, retry=policy(sleep=lambda s: None)).deliver(_digests())
    assert len(results) == len(_digests())
    assert all(not r.ok and not r.attempted and r.retry and r.blocked and "$U" in r.error for r in results)
    assert "refused the login" in results[0].error and "wrong" not in results[0].error
    assert collector.envelopes == []


def test_eml_folder_holds_what_smtp_would_send(smtp_server: tuple[Collector, int], tmp_path: Path) -> None:
    collector, port = smtp_server
    built = _digests()
    _mailer(port, []).send(built)
    EmlFolderMailer(tmp_path).send(built)
    received = _received(collector)
    for path in sorted(tmp_path.glob("*.eml")):
        saved = message_from_bytes(path.read_bytes(), policy=email_policy.default)
        _, over_smtp = received[str(saved["X-Sheets-Sync-Digest"])]
        assert path.name.startswith("2026-11-26-")
        assert saved["Subject"] == over_smtp["Subject"]
        # SMTP carries CRLF line ends, the file LF: the same text otherwise.
        assert [p.replace("\r\n", "\n") for p in parts(saved)] == \
            [p.replace("\r\n", "\n") for p in parts(over_smtp)]
    assert len(list(tmp_path.glob("*.eml"))) == len(built)
