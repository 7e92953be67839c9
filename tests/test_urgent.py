"""Urgent matters: an urgent comment gets Priority Urgent, a deadline of at most sla.urgent_hours counted round the
clock, and exactly one alert e-mail to its department and the cell within the same cycle — over a real SMTP
server on loopback (aiosmtpd), retried when the server was down, written as .eml without SMTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from sheets_sync.config import DigestConfig, SmtpConfig
from sheets_sync.demo.world import IST, World
from sheets_sync.routing.priority import UrgentCues
from sheets_sync.routing.rules import load_default_rules
from sheets_sync.sla import SlaPolicy
from sheets_sync.tracker.cells import as_text

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

# Monday evening, after office hours: a normal complaint's deadline would wait for the office to open.
START = datetime(2026, 11, 23, 20, 0, tzinfo=IST)
CELL = "smcell@pmc.example"
GARDEN = "garden.head@pmc.example, garden.nodal@pmc.example"


@dataclass
class Inbox:
    """aiosmtpd handler keeping every accepted message."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 2.0.0 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def server(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def make_world(tmp_path: Path, port: int | None) -> World:
    world = World.create(tmp_path, START, quota_per_minute=0)
    smtp = SmtpConfig.parse({"host": "127.0.0.1", "port": port, "from": "sheets-sync@pmc.example",
                             "timeout": 5}) if port else None
    sla = SlaPolicy.from_config({"office_hours": {"start": "09:45", "end": "18:15",
                                                  "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]}})
    world.config = replace(world.config, smtp=smtp, sla=sla,
                           digest=DigestConfig.parse({"folder": str(tmp_path / "digests"), "cell_email": CELL}))
    world.set_emails({"Garden": GARDEN})
    return world


def rows(world: World) -> dict[str, dict]:
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    return {as_text(table.raw(n, "Comment ID")): table.record(n) for n in table.row_numbers()}


def test_an_urgent_comment_is_alerted_once_within_the_same_cycle(tmp_path: Path, port: int, server: Inbox) -> None:
    world = make_world(tmp_path, port)
    post = world.post("facebook", "Monsoon preparedness")
    tree = world.comment("facebook", post, "कर्वे रस्त्यावर मोठे झाड पडले आहे", "Sunita")
    pothole = world.comment("facebook", post, "Pothole near Deccan bus stop", "Ajay")
    result = world.runner("r1").cycle()
    assert result.ok, result.problems
    row = rows(world)[tree]
    assert row["Priority"] == "Urgent" and "urgent: झाड पडले" in row["Assigned By"]
    assert row["Department"] == "Garden"
    # Round the clock: two hours after it was written, though the office opens only tomorrow morning.
    assert row["Due By"] - row["Received At"] <= timedelta(hours=2)
    assert rows(world)[pothole]["Priority"] == "" and rows(world)[pothole]["Due By"].hour >= 9
    assert len(server.received) == 1
    rcpts, message = server.received[0]
    assert sorted(rcpts) == sorted([CELL, "garden.head@pmc.example", "garden.nodal@pmc.example"])
    assert "URGENT" in str(message["Subject"]) and row["Ticket ID"] in str(message["Subject"])
    assert "झाड पडले" in message.get_body(("plain",)).get_content()
    assert result.counts["alerts"]["sent"] == 1
    # Later cycles, and a second runner, never send it again.
    world.clock.advance(minutes=5)
    world.runner("r2").cycle()
    world.clock.advance(minutes=5)
    world.runner("r1").cycle()
    assert len(server.received) == 1


def test_a_person_marking_a_row_urgent_gets_the_alert_and_the_short_deadline(tmp_path: Path, port: int,
                                                                             server: Inbox) -> None:
    world = make_world(tmp_path, port)
    post = world.post("instagram", "Our gardens")
    comment = world.comment("instagram", post, "Branch hanging over the footpath in Aundh garden", "Neha")
    world.runner("r").cycle()
    row = rows(world)[comment]
    assert row["Priority"] == "" and not server.received
    ws = world.worksheet()
    header = ws.row_values(1)
    ws.update_cell(row["_row"], header.index("Priority") + 1, "Urgent")
    world.runner("r").cycle()
    after = rows(world)[comment]
    assert after["Due By"] - after["Received At"] <= timedelta(hours=2) < row["Due By"] - row["Received At"]
    assert len(server.received) == 1


def test_an_alert_the_server_could_not_take_is_sent_by_the_next_cycle(tmp_path: Path, port: int) -> None:
    world = make_world(tmp_path, port)  # nothing listens on the port yet
    post = world.post("x", "Traffic update")
    world.comment("x", post, "@PMCPune live wire hanging near Aundh school gate", "Farhan")
    first = world.runner("r").cycle()
    assert first.counts["alerts"].get("sent", 0) == 0 and first.counts["alerts"]["to retry"] == 1
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        world.clock.advance(minutes=5)
        world.runner("r").cycle()
        world.clock.advance(minutes=5)
        world.runner("r").cycle()
    finally:
        controller.stop()
    assert len(inbox.received) == 1


def test_without_smtp_the_alert_is_written_as_an_eml_file(tmp_path: Path) -> None:
    world = make_world(tmp_path, None)
    post = world.post("youtube", "Ward news")
    world.comment("youtube", post, "Aag lagi hai Kasba Peth ki building mein, jaldi aao", "Rohan")
    world.runner("r").cycle()
    files = list((tmp_path / "digests").glob("urgent-*.eml"))
    assert len(files) == 1
    message = message_from_bytes(files[0].read_bytes(), policy=email_policy.default)
    assert CELL in str(message["To"])


@pytest.mark.parametrize(("text", "cue"), [
    ("Huge tree fell on the road near Kothrud depot", "tree fell"),
    ("आमच्या गल्लीत झाड पडले आहे", "झाड पडले"),
    ("jhad padla ahe rastyavar", "jhad padle"),
    ("पेड़ गिर गया है सड़क पर", "पेड़ गिर गया"),
    ("Live wire hanging near school", "live wire"),
    ("कुत्रा चावला माझ्या मुलाला", "कुत्रा चावला"),
    ("Water entered houses in Sinhagad road", "water entered houses"),
    ("Building collapsed in Kasba Peth", "building collapse"),
    ("sewage in drinking water at Yerawada", "sewage in drinking water"),
    ("pothole on FC road", None),
    ("fire NOC for my shop, what documents?", None),  # "fire" alone is not enough
    ("thank you for the clean roads", None),
])
def test_urgent_cues(text: str, cue: str | None) -> None:
    assert UrgentCues(load_default_rules()).match(text) == cue
