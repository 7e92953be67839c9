"""One bad item never stops the line (issue 11, items 3 and 4): cells that would break an e-mail's headers or
are not addresses, and SMTP trouble — a refused login, an unreachable server, a crash, a refused recipient —
after which the day's digests are sent again the same day until sent once, and never twice once accepted.

The job-level tests share one World (its set-up costs seconds) and each starts on a new day, so each has its
own digest keys; mail goes to a real SMTP server (aiosmtpd, with AUTH) on loopback."""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from test_mailer import FakeServer
from test_reports_data import DEPARTMENTS, GID, IST, NOW, SHEET_ID, parts, scenario

from jobs.daily import run_digest
from jobs.digest import STALE_SENDING, state_key
from sheets_sync.config import DigestConfig, SmtpConfig
from sheets_sync.demo.world import World
from sheets_sync.reports.digest import DIGEST_HEADER, build_digests, check_addresses, header_text
from sheets_sync.reports.mailer import Mailer
from sheets_sync.retry import policy
from sheets_sync.tracker.store import TrackerStore

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")
# aiosmtpd warns about AUTH without TLS on every connection: loopback only, no TLS in the tests.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

USER, PASSWORD = "digest-bot", "loopback-only-password"
START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)
CELL = "smcell@pmc.example"
HEAD, NODAL = "head.roads@example.gov.in", "nodal.roads@example.gov.in"
# The World's default Departments tab: Solid Waste Management is row 2, Water Supply row 3, Roads row 5.
DEPTS = ("Solid Waste Management", "Water Supply", "Roads")
COMMENTS = ("Garbage not collected in Hadapsar since Monday", "No water supply in Baner for two days",
            "Huge potholes on the main road in Katraj")
ADDRESS_NOTE = ("Departments!E5 (Email of Roads): 'roads@' is not an e-mail address; write name@example.gov.in, "
                "separate several with commas")


# -- header values and address cells (pure) ----------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("पथ\nविभाग", "पथ विभाग"),                      # Alt+Enter in the sheet
    ("पथ\r\n  विभाग\t(रस्ते)", "पथ विभाग (रस्ते)"),
    ("\x0bA\x00B\x1b  C\x7f", "A B C"),
    ("a\u2028b\u2029c\x85d", "a b c d"),             # Unicode line and paragraph separators, NEL
    ("क्\u200dष", "क्\u200dष"),                         # a joiner is part of the word: kept
    ("  Roads  ", "Roads"), (None, ""), (42, "42"),
])
def test_header_values_are_one_line(value: Any, expected: str) -> None:
    assert header_text(value) == expected


@pytest.mark.parametrize(("cell", "addresses", "bad"), [
    ("roads@", [], ["roads@"]),
    ("head@pmc.example, roads@", ["head@pmc.example"], ["roads@"]),
    ("head@pmc.examplenodal@pmc.example", [], ["head@pmc.examplenodal@pmc.example"]),  # glued, no separator
    ("A. Patil <head@pmc.example>; nodal@pmc.example", ["head@pmc.example", "nodal@pmc.example"], []),
    ("head@pmc.example\nnodal@pmc.example", ["head@pmc.example", "nodal@pmc.example"], []),  # Alt+Enter
    ("head@pmc.example  nodal@pmc.example", ["head@pmc.example", "nodal@pmc.example"], []),
    ("head@pmc .example", [], ["head@pmc"]),
    ("not an address", [], ["not an address"]),
    ("पथ@pmc.example", [], ["पथ@pmc.example"]),      # not deliverable without SMTPUTF8
    ("head..x@pmc.example", [], ["head..x@pmc.example"]),
    ("", [], []), (None, [], []),
])
def test_address_cells_are_read_address_by_address(cell: Any, addresses: list[str], bad: list[str]) -> None:
    assert check_addresses(cell) == (addresses, bad)


ALL_KEYS = {"2026-11-26/Roads", "2026-11-26/Solid Waste", "2026-11-26/_cell"}


@pytest.mark.parametrize(("cells", "keys", "roads_to", "note"), [
    pytest.param({"Marathi Name": "पथ\nविभाग"}, ALL_KEYS, "roads.head@pmc.example, roads.nodal@pmc.example", "",
                 id="Marathi name with Alt+Enter"),
    pytest.param({"Marathi Name": "पथ\r\nविभाग\t(रस्ते)", "Head": "A. Patil\nB. Joshi"}, ALL_KEYS,
                 "roads.head@pmc.example, roads.nodal@pmc.example", "", id="CRLF, tab, a head on two lines"),
    pytest.param({"Email": "roads@, roads.nodal@pmc.example"}, ALL_KEYS, "roads.nodal@pmc.example",
                 "Departments!E2 (Email of Roads): 'roads@' is not an e-mail address; write name@example.gov.in",
                 id="one bad address"),
    pytest.param({"Email": "roads.head@pmc.exampleroads.nodal@pmc.example"}, ALL_KEYS - {"2026-11-26/Roads"},
                 None, "Departments!E2 (Email of Roads): 'roads.head@pmc.exampleroads.nodal@pmc.example' is not",
                 id="two addresses glued"),
    pytest.param({"Marathi Name": "पथ\ud800"}, ALL_KEYS - {"2026-11-26/Roads"}, None,
                 "Digest for Roads not built (UnicodeEncodeError", id="a value that cannot be written"),
])
def test_a_bad_cell_never_stops_the_other_departments(cells: dict[str, str], keys: set[str], roads_to: str | None,
                                                      note: str) -> None:
    departments = [dict(d, _row=n) for n, d in enumerate(DEPARTMENTS, start=2)]
    departments[0].update(cells)
    notes: list[str] = []
    built = build_digests(scenario(), departments, [], NOW, IST, SHEET_ID, GID, CELL, "PMC <bot@pmc.example>",
                          notes=notes, columns={"Department": "A", "Email": "E"})
    by_key = {str(m[DIGEST_HEADER]): m for m in built}
    assert set(by_key) == keys
    for message in built:
        for name, value in message.items():
            assert "\n" not in str(value) and "\r" not in str(value), (name, value)
        again = message_from_bytes(bytes(message), policy=email_policy.default)
        assert again["Subject"] == message["Subject"] and again["To"] == message["To"]
    if roads_to is not None:
        assert by_key["2026-11-26/Roads"]["To"] == roads_to
        assert by_key["2026-11-26/Roads"]["Subject"].startswith("[PMC sheets-sync] Roads (पथ विभाग")
    if note:
        assert any(note in n for n in notes), notes
        assert note in parts(by_key["2026-11-26/_cell"])[0]  # the cell hears which cell to fix
    else:
        assert notes == []


def test_a_department_whose_email_fails_to_build_is_named_and_the_others_go(monkeypatch) -> None:
    import sheets_sync.reports.digest as digest

    real = digest._department_email

    def broken_for_roads(name: str, *args: Any, **kwargs: Any) -> EmailMessage:
        if name == "Roads":
            raise RuntimeError("boom")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(digest, "_department_email", broken_for_roads)
    notes: list[str] = []
    built = build_digests(scenario(), DEPARTMENTS, [], NOW, IST, SHEET_ID, GID, CELL, "bot@pmc.example", notes=notes)
    assert {str(m[DIGEST_HEADER]) for m in built} == ALL_KEYS - {"2026-11-26/Roads"}
    assert len(notes) == 1 and notes[0].startswith("Digest for Roads not built (RuntimeError: boom)")


# -- the job, over SMTP --------------------------------------------------------------------------------------

@dataclass
class Server:
    """aiosmtpd handler: AUTH with one user; ``refuse`` answers RCPT for an address for good, ``defer_once``
    answers it 452 once; keeps every accepted message."""

    envelopes: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    defer_once: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.envelopes.clear()
        self.refuse.clear()
        self.defer_once.clear()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        if address in self.defer_once:
            self.defer_once.discard(address)
            return "452 4.2.2 Mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.envelopes.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 2.0.0 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return aiosmtpd_smtp.AuthResult(success=ok, handled=False)

    def received(self) -> dict[str, list[list[str]]]:
        """Digest key → the envelope recipients of each copy received."""
        out: dict[str, list[list[str]]] = {}
        for rcpts, message in self.envelopes:
            out.setdefault(str(message[DIGEST_HEADER]), []).append(rcpts)
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Server, int]]:
    handler = Server()
    port = _free_port()
    controller = aiosmtpd_controller.Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=handler.authenticate, auth_required=True,
        auth_require_tls=False)  # loopback only: no TLS in the test
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        controller.start()
        try:
            yield handler, port
        finally:
            controller.stop()


def smtp(port: int) -> SmtpConfig:
    return SmtpConfig.parse({"host": "127.0.0.1", "port": port, "from": "sheets-sync@pmc.example", "timeout": 5,
                             "user_env": "DIGEST_SMTP_USER", "password_env": "DIGEST_SMTP_PASSWORD"})


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Three departments with an open comment each; Roads has a head and a nodal officer."""
    tmp = tmp_path_factory.mktemp("digest-retry")
    world = World.create(tmp, START, quota_per_minute=0, platforms=("facebook",))
    post = world.post("facebook", "PMC notice")
    for i, text in enumerate(COMMENTS):
        world.comment("facebook", post, text, f"citizen {i}")
    world.worksheet("Departments").update_acell("E5", f"{HEAD}, {NODAL}")
    world.runner("setup").cycle()
    world.config = replace(world.config, digest=DigestConfig.parse({"folder": str(Path(tmp) / "digests"),
                                                                    "cell_email": CELL}))
    return world


@pytest.fixture
def world(shared_world: World, server: tuple[Server, int], monkeypatch: pytest.MonkeyPatch) -> World:
    """The shared World on a new day (its own digest keys), SMTP to the server, the right password."""
    handler, port = server
    handler.reset()
    shared_world.clock.advance(days=1)
    shared_world.config = replace(shared_world.config, smtp=smtp(port))
    monkeypatch.setenv("DIGEST_SMTP_USER", USER)
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", PASSWORD)
    return shared_world


def day_of(world: World) -> str:
    return world.clock.now.astimezone(IST).date().isoformat()


def all_keys(world: World) -> set[str]:
    return {f"{day_of(world)}/{d}" for d in DEPTS} | {f"{day_of(world)}/_cell"}


def marks(world: World) -> dict[str, dict[str, Any]]:
    """Today's digest marks in ``_state``: key → the parsed mark."""
    prefix = f"digest:{day_of(world)}/"
    state = world.runner("reader").store.read([]).state
    return {k.removeprefix("digest:"): json.loads(v) for k, v in state.items() if k.startswith(prefix) and v}


def statuses(world: World) -> dict[str, str]:
    return {k: m["status"] for k, m in marks(world).items()}


def test_line_break_and_bad_address_in_the_sheet_still_mail_every_department(
        world: World, server: tuple[Server, int]) -> None:
    handler, _ = server
    ws = world.worksheet("Departments")
    before = {a1: ws.acell(a1).value for a1 in ("B3", "C2", "E5")}
    ws.update_acell("B3", "पाणी\nपुरवठा")       # Water Supply's Marathi Name, typed with Alt+Enter
    ws.update_acell("C2", "Head,\r\nSWM")       # a head's name on two lines
    ws.update_acell("E5", f"roads@, {HEAD}")   # one address that is not one
    try:
        result = run_digest(world.runner("digest"))
    finally:
        for a1, value in before.items():
            ws.update_acell(a1, value)
    assert result.ran and not result.failed_jobs
    received = handler.received()
    assert set(received) == all_keys(world)
    assert received[f"{day_of(world)}/Roads"] == [[HEAD]]
    subjects = {str(m[DIGEST_HEADER]): str(m["Subject"]) for _, m in handler.envelopes}
    assert subjects[f"{day_of(world)}/Water Supply"].startswith("[PMC sheets-sync] Water Supply (पाणी पुरवठा) - 1 open")
    assert all("\n" not in s and "\r" not in s for s in subjects.values())
    assert [n for n in result.notes if ADDRESS_NOTE in n]  # names the cell and the fix
    [cell] = [m for _, m in handler.envelopes if str(m[DIGEST_HEADER]).endswith("/_cell")]
    assert ADDRESS_NOTE in parts(cell)[0]
    assert set(statuses(world).values()) == {"sent"}


def test_a_refused_login_is_retried_and_the_rerun_with_the_right_password_sends_all(
        world: World, server: tuple[Server, int], monkeypatch: pytest.MonkeyPatch) -> None:
    handler, _ = server
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "an-old-password")
    first = run_digest(world.runner("wrong password"))
    assert handler.envelopes == []
    assert first.counts["digest"]["to retry"] == 4 and first.counts["digest"]["sent"] == 0
    assert all(m["status"].startswith("failed: not sent: SMTP server") and m["retry"] for m in marks(world).values())
    assert [n for n in first.notes if "refused the login" in n and "$DIGEST_SMTP_PASSWORD" in n]
    assert not first.ok and [p for p in first.problems if "refused the login" in p]  # a person must act
    assert not [n for n in first.notes if "an-old-password" in n]

    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", PASSWORD)
    world.clock.advance(minutes=30)
    second = run_digest(world.runner("right password"))
    assert second.counts["digest"]["sent"] == 4 and second.counts["digest"]["to retry"] == 0
    assert {k: len(v) for k, v in handler.received().items()} == {k: 1 for k in all_keys(world)}
    assert set(statuses(world).values()) == {"sent"}
    assert {m["tries"] for m in marks(world).values()} == {2}
    # Only "sent" stops it: a third run sends nothing.
    third = run_digest(world.runner("again"))
    assert third.counts["digest"]["to send"] == 0 and len(handler.envelopes) == 4


def test_an_unreachable_server_marks_nothing_sent_and_the_rerun_sends_all(
        world: World, server: tuple[Server, int]) -> None:
    handler, port = server
    world.config = replace(world.config, smtp=smtp(_free_port()))  # nothing listens there
    first = run_digest(world.runner("server down"))
    assert first.counts["digest"]["sent"] == 0 and first.counts["digest"]["to retry"] == 4
    assert not [s for s in statuses(world).values() if s == "sent"]
    assert all(m["retry"] for m in marks(world).values())
    assert [n for n in first.notes if "4 e-mail(s) not sent yet" in n and "cannot reach SMTP server" in n]
    assert first.problems == []  # only noted: the retries deal with it

    world.config = replace(world.config, smtp=smtp(port))
    second = run_digest(world.runner("server back"))
    assert second.counts["digest"]["sent"] == 4 and second.counts["digest"]["to retry"] == 0
    assert {k: len(v) for k, v in handler.received().items()} == {k: 1 for k in all_keys(world)}


def test_a_recipient_refused_for_good_is_failed_the_others_get_it_and_it_is_not_retried(
        world: World, server: tuple[Server, int]) -> None:
    handler, _ = server
    handler.refuse[NODAL] = "550 5.1.1 No such user"
    first = run_digest(world.runner("digest"))
    roads = f"{day_of(world)}/Roads"
    assert handler.received()[roads] == [[HEAD]]
    mark = marks(world)[roads]
    assert mark["status"] == "sent" and mark["retry"] is False
    assert mark["recipients"] == {HEAD: "sent", NODAL: "failed: 550 5.1.1 No such user"}
    assert first.counts["digest"]["to retry"] == 0
    assert [n for n in first.notes if n.startswith("digest: Departments!E5 (Email of Roads): the mail server "
                                                   f"refused {NODAL} for good (550 5.1.1 No such user)")]
    world.clock.advance(hours=1)
    again = run_digest(world.runner("rerun"))
    assert again.counts["digest"]["to send"] == 0 and len(handler.received()[roads]) == 1

    # The cell corrected: the corrected address alone gets today's digest; the head does not get it twice.
    ws = world.worksheet("Departments")
    ws.update_acell("E5", f"{HEAD}, nodal2.roads@example.gov.in")
    try:
        fixed = run_digest(world.runner("after the fix"))
    finally:
        ws.update_acell("E5", f"{HEAD}, {NODAL}")
    assert fixed.counts["digest"]["to send"] == 1
    assert handler.received()[roads] == [[HEAD], ["nodal2.roads@example.gov.in"]]


def test_a_recipient_deferred_while_the_other_accepted_gets_it_alone_on_the_next_run(
        world: World, server: tuple[Server, int]) -> None:
    handler, _ = server
    handler.defer_once.add(NODAL)
    first = run_digest(world.runner("digest"))
    roads = f"{day_of(world)}/Roads"
    assert handler.received()[roads] == [[HEAD]]
    assert marks(world)[roads]["status"].startswith("partly sent: waiting for nodal.roads@example.gov.in (pending: 452")
    assert first.counts["digest"]["to retry"] == 1
    second = run_digest(world.runner("retry"))
    assert handler.received()[roads] == [[HEAD], [NODAL]]
    assert marks(world)[roads]["status"] == "sent" and second.counts["digest"]["to retry"] == 0


def _mark(status: str, minutes_ago: float = 5, **extra: Any) -> Any:
    return lambda now: {"status": status, "at": (now - timedelta(minutes=minutes_ago)).isoformat(), **extra}


@pytest.mark.parametrize(("mark", "sent_to", "verdict"), [
    pytest.param(None, [HEAD, NODAL], "to send", id="no mark"),
    pytest.param(_mark("sending", 10), None, "in progress", id="sending, fresh: a live run's"),
    pytest.param(_mark("sending", STALE_SENDING.total_seconds() / 60 + 1), [HEAD, NODAL], "to send",
                 id="sending, stale: a crashed run's"),
    pytest.param(_mark("transferring", 120), None, "maybe delivered, not resent", id="transferring: maybe delivered"),
    pytest.param(_mark("ambiguous: connection lost while transferring", retry=False), None,
                 "maybe delivered, not resent", id="ambiguous"),
    pytest.param(_mark("sent", retry=False, recipients={HEAD: "sent", NODAL: "sent"}), None, "already sent today",
                 id="sent"),
    pytest.param(_mark("sent"), None, "already sent today", id="sent, by an earlier version"),
    pytest.param(_mark("failed: gave up: cannot reach SMTP server", retry=True), [HEAD, NODAL], "to send",
                 id="failed, temporary"),
    pytest.param(_mark("failed: deferred, gave up: SMTP 451"), [HEAD, NODAL], "to send",
                 id="failed, by an earlier version"),
    pytest.param(_mark("failed: SMTP 554 rejected", retry=False,
                       recipients={HEAD: "failed: 554 rejected", NODAL: "failed: 554 rejected"}),
                 None, "refused for good", id="failed for good"),
    pytest.param(_mark("partly sent: waiting for ...", retry=True,
                       recipients={HEAD: "sent", NODAL: "pending: 452 full"}), [NODAL], "to send", id="partly sent"),
    pytest.param(lambda now: "not json", None, "unreadable mark", id="unreadable"),
])
def test_what_a_run_does_with_each_mark(world: World, server: tuple[Server, int], mark: Any,
                                        sent_to: list[str] | None, verdict: str) -> None:
    handler, _ = server
    roads = f"{day_of(world)}/Roads"
    if mark is not None:
        value = mark(world.clock.now)
        world.runner("setup").store.write_state({state_key(roads): value if isinstance(value, str)
                                                 else json.dumps(value)})
    result = run_digest(world.runner("digest"))
    received = handler.received()
    assert received.get(roads) == ([sent_to] if sent_to else None)
    assert set(received) - {roads} == all_keys(world) - {roads}  # the others go out whatever Roads' mark
    counts = result.counts["digest"]
    if verdict == "to send":
        assert counts["to send"] == 4 and marks(world)[roads]["status"] == "sent"
    else:
        assert counts["to send"] == 3 and counts[verdict] == 1
    if verdict == "unreadable mark":
        assert [n for n in result.notes if roads in n and "not readable" in n]


def test_a_delivery_cut_during_data_is_ambiguous_and_never_resent(world: World, server: tuple[Server, int]) -> None:
    handler, port = server
    fake = FakeServer(["drop_data"])  # the first message: the connection breaks after DATA went out
    mailer = Mailer(smtp(port), env={"DIGEST_SMTP_USER": USER, "DIGEST_SMTP_PASSWORD": PASSWORD},
                    retry=policy(sleep=world.clock.sleep), smtp_class=fake.smtp_class)  # type: ignore[arg-type]
    first = run_digest(world.runner("flaky", mailer=mailer))
    swm = f"{day_of(world)}/{DEPTS[0]}"
    mark = marks(world)[swm]
    assert mark["status"].startswith("ambiguous: connection lost while transferring") and mark["retry"] is False
    assert [n for n in first.notes if swm in n and "not sent again" in n]
    assert first.counts["digest"]["to retry"] == 0
    world.clock.advance(hours=2)
    again = run_digest(world.runner("rerun"))
    assert again.counts["digest"]["to send"] == 0 and handler.envelopes == []


def test_a_hand_off_that_cannot_be_recorded_is_not_sent_and_goes_on_the_next_run(
        world: World, server: tuple[Server, int], monkeypatch: pytest.MonkeyPatch) -> None:
    handler, _ = server
    real = TrackerStore.write_state
    calls: list[int] = []

    def first_write_fails(self: TrackerStore, values: dict[str, str]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Sheets unavailable")
        real(self, values)

    monkeypatch.setattr(TrackerStore, "write_state", first_write_fails)
    first = run_digest(world.runner("sheets down"))
    assert handler.envelopes == [] and first.counts["digest"]["to retry"] == 4
    assert all("could not be recorded" in m["status"] and m["retry"] for m in marks(world).values())
    monkeypatch.setattr(TrackerStore, "write_state", real)
    run_digest(world.runner("sheets back"))
    assert {k: len(v) for k, v in handler.received().items()} == {k: 1 for k in all_keys(world)}
