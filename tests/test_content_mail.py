"""Content requests by e-mail, against a real IMAP server: pymap (a pure-Python IMAP4rev1 server from PyPI)
started by the tests on loopback, messages delivered into it with IMAP APPEND, and the content-mail job
reading them into the Content tab of the emulated Tracker Sheet."""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from sheets_sync.config import ContentMailConfig, DigestConfig
from sheets_sync.demo.reliability import Killed, Killer
from sheets_sync.demo.world import IST, World
from sheets_sync.errors import AuthError
from sheets_sync.mailbox import check_login
from sheets_sync.reports.mailer import EmlFolderMailer

pytest.importorskip("pymap")

START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)  # a Monday
USER, PASSWORD = "socialmedia@pmc.example", "imap-secret"
ROADS, HEALTH = "roads.head@pmc.example", "health.nodal@pmc.example"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def imap_server() -> Iterator[int]:
    """A pymap server on a free loopback port (in-memory mailbox of one user); stopped after the test."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pymap.main import main; sys.exit(main())",
         "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
         "--demo-user", USER, "--demo-password", PASSWORD],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while True:  # wait for the server to listen: bounded, no fixed sleep
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"pymap did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


def deliver(port: int, *messages: bytes) -> None:
    """Put messages into the cell's INBOX as mail delivery would (IMAP APPEND)."""
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login(USER, PASSWORD)
    for raw in messages:
        typ, _ = client.append("INBOX", None, None, raw)
        assert typ == "OK"
    client.logout()


def mail(sender: str, subject: str, body: str, message_id: str, sent: datetime,
         attachments: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = USER
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = message_id
    msg.set_content(body)
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


MARATHI_SUBJECT = "कर्वे रस्ता वाहतूक बदल सूचना"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8
MARATHI = mail(f"पथ विभाग <{ROADS}>", MARATHI_SUBJECT,
               "नमस्कार,\n\nकर्वे रस्त्यावर १ डिसेंबरपासून वाहतूक बदल.\nकृपया पोस्ट करावी.\n> quoted\n-- \nपथ विभाग",
               "<roads-1@pmc.example>", datetime(2026, 11, 20, 10, 30, tzinfo=IST),
               (("सूचना.pdf", "application/pdf", PDF), ("map.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)))
ENGLISH = mail(HEALTH, "Dengue awareness video script", "Hello cell,\nPlease publish the attached script.\nThanks",
               "<health-7@pmc.example>", datetime(2026, 11, 22, 17, 5, tzinfo=IST),
               (("script.docx", "application/octet-stream", b"PK\x03\x04 script"),))
UNKNOWN = mail("citizen@example.com", "Please post about our ward festival", "We would like a post.",
               "<unknown-1@example.com>", datetime(2026, 11, 23, 8, 0, tzinfo=IST))
# No From, a Date nobody can read, a Content-Transfer-Encoding that lies, and a charset that does not exist.
MALFORMED = (b"Subject: =?x-unknown?B?////?=\r\nDate: the day before yesterday\r\nMessage-ID: <broken-1@pmc>\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\n"
             b"Content-Type: text/plain; charset=x-nonexistent\r\nContent-Transfer-Encoding: base64\r\n\r\n"
             b"@@not base64@@\r\n--zz")


def content_rows(world: World) -> list[dict[str, str]]:
    values = world.worksheet("Content").get_all_values()
    return [dict(zip(values[0], row, strict=False)) for row in values[1:] if any(row)]


def set_emails(world: World, emails: dict[str, str]) -> None:
    world.set_emails(emails)


@pytest.fixture
def world(tmp_path: Path, imap_server: int, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CONTENT_MAIL_USER", USER)
    monkeypatch.setenv("CONTENT_MAIL_PASSWORD", PASSWORD)
    world = World.create(tmp_path, START, quota_per_minute=0, platforms=())
    world.config = replace(world.config, content_mail=ContentMailConfig.parse(
        {"host": "127.0.0.1", "port": imap_server, "security": "none", "note_lines": 3}))
    set_emails(world, {"Roads": f"Roads desk <{ROADS}>, roads.nodal@pmc.example", "Health": f"x@pmc.example;{HEALTH}"})
    return world


def run_job(world: World, **kwargs: object) -> None:
    result = world.runner("mail", **kwargs).cycle(["content-mail", "content"], on_demand=True)
    assert result.ran and not result.failed_jobs, result


def test_messages_become_content_rows_once_each(world: World, imap_server: int) -> None:
    deliver(imap_server, MARATHI, ENGLISH, UNKNOWN, MALFORMED, MARATHI)  # the last: the same e-mail again
    run_job(world)
    rows = {row["Message ID"]: row for row in content_rows(world)}
    assert sorted(rows) == ["<broken-1@pmc>", "<health-7@pmc.example>", "<roads-1@pmc.example>",
                            "<unknown-1@example.com>"]

    roads = rows["<roads-1@pmc.example>"]
    assert roads["Title"] == MARATHI_SUBJECT  # RFC 2047 decoded
    assert roads["Department"] == "Roads" and roads["Status"] == "Requested"
    assert roads["Submitted At"].startswith("2026-11-20 10:30")  # the e-mail's own Date, in IST
    assert roads["Material Link"].splitlines() == ["सूचना.pdf (attached to the e-mail)", "map.png (attached to the e-mail)"]
    notes = roads["Notes"].splitlines()
    assert ROADS in notes[0]
    assert notes[1:] == ["नमस्कार,", "कर्वे रस्त्यावर १ डिसेंबरपासून वाहतूक बदल.", "कृपया पोस्ट करावी."]  # 3 lines

    health = rows["<health-7@pmc.example>"]
    assert health["Department"] == "Health" and health["Submitted At"].startswith("2026-11-22 17:05")

    unknown = rows["<unknown-1@example.com>"]
    assert unknown["Department"] == "" and "fill Department" in unknown["Notes"]

    broken = rows["<broken-1@pmc>"]  # read as far as it goes, and said so; the others were not held up
    assert broken["Department"] == ""
    assert "no sender address" in broken["Notes"] and "cannot be read" in broken["Notes"]

    # Read again later: nothing new, nothing twice (the cursor now stands past every message).
    world.clock.advance(minutes=16)
    run_job(world)
    assert len(content_rows(world)) == 4
    deliver(imap_server, ENGLISH)  # the same e-mail delivered again much later
    world.clock.advance(minutes=16)
    run_job(world)
    assert len(content_rows(world)) == 4


def test_the_seven_day_flag_counts_from_the_emails_date(world: World, imap_server: int) -> None:
    # Sent 2026-11-20 for 2026-11-26: 6 days' notice, although the tool first reads it on the 23rd.
    deliver(imap_server, MARATHI)
    run_job(world)
    ws = world.worksheet("Content")
    header = ws.row_values(1)
    ws.update_cell(2, header.index("Publish On") + 1, "2026-11-26")
    world.clock.advance(minutes=16)
    run_job(world)
    [row] = content_rows(world)
    assert "Submitted 2026-11-20" in row["Flags"] and "at least 7 days" in row["Flags"]


@pytest.mark.parametrize("point", ["before the write", "after the write"])
def test_killed_and_rerun_gives_one_row_per_message(world: World, imap_server: int, point: str) -> None:
    deliver(imap_server, MARATHI, ENGLISH, UNKNOWN)
    runner = world.runner("doomed")
    Killer(runner, point)
    with pytest.raises(Killed):
        runner.cycle(["content-mail"], on_demand=True)
    world.clock.advance(minutes=11)  # a runner killed before its write holds the lease until it expires
    for _ in range(3):
        run_job(world)
        world.clock.advance(minutes=16)
    rows = content_rows(world)
    assert sorted(r["Message ID"] for r in rows) == ["<health-7@pmc.example>", "<roads-1@pmc.example>",
                                                     "<unknown-1@example.com>"]


def test_attachments_go_to_the_drive_folder_and_senders_are_acknowledged(world: World, imap_server: int,
                                                                          tmp_path: Path) -> None:
    world.config = replace(world.config, content_mail=world.config.content_mail.model_copy(  # type: ignore[union-attr]
        update={"drive_folder": "1FolderOfTheCell", "acknowledge": True}),
        digest=DigestConfig.parse({"folder": str(tmp_path / "digests"), "cell_email": "cell@pmc.example"}))
    deliver(imap_server, MARATHI, UNKNOWN)
    outbox = tmp_path / "outbox"
    run_job(world, mailer=EmlFolderMailer(outbox))
    rows = {row["Message ID"]: row for row in content_rows(world)}
    lines = rows["<roads-1@pmc.example>"]["Material Link"].splitlines()
    files = {f.name: f for f in world.sheets.uploads.files.values()}
    assert set(files) == {"सूचना.pdf", "map.png"}
    assert files["सूचना.pdf"].data == PDF and files["सूचना.pdf"].parents == ["1FolderOfTheCell"]
    assert lines[0] == f"सूचना.pdf: https://drive.google.com/file/d/{files['सूचना.pdf'].id}/view?usp=drivesdk"

    # Only the department's sender is answered (never an unknown address), with the row's link.
    [sent] = [message_from_bytes(p.read_bytes(), policy=email_policy.default) for p in outbox.glob("*.eml")]
    assert sent["To"] == ROADS and sent["In-Reply-To"] == "<roads-1@pmc.example>"
    assert sent["Auto-Submitted"] == "auto-replied"
    body = sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"spreadsheets/d/{world.backend.spreadsheet_id}/edit#gid=" in body and "&range=A2" in body


def test_a_refused_login_fails_the_cycle_with_the_fix(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTENT_MAIL_PASSWORD", "wrong")
    result = world.runner("mail").cycle(["content-mail"], on_demand=True)
    assert not result.ok
    assert any("refused the login" in p and "CONTENT_MAIL_PASSWORD" in p for p in result.problems)
    with pytest.raises(AuthError):
        check_login(world.config.content_mail)  # type: ignore[arg-type]


def test_doctor_line_for_a_good_login(world: World) -> None:
    line = check_login(world.config.content_mail)  # type: ignore[arg-type]
    assert "logged in" in line and "'INBOX' holds 0 messages" in line


def test_throttle_reads_the_mailbox_every_n_minutes(world: World, imap_server: int) -> None:
    run_job(world)
    deliver(imap_server, ENGLISH)
    world.runner("r").cycle(["content-mail"])  # 0 minutes later, not on demand: not read
    assert content_rows(world) == []
    world.clock.advance(minutes=15)
    world.runner("r").cycle(["content-mail"])
    assert len(content_rows(world)) == 1
