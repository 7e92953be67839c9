"""An offline world: both emulators in-process on a simulated clock, the Tracker Sheet, the connectors, and
the people who work in the sheet. The demo, the end-to-end tests and the reliability suite all run in it."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..client import SheetsBackend, make_client
from ..config import PLATFORM_ID_KEYS, Config, parse_config
from ..emulator.faults import NO_FAULT_HEADER
from ..tracker.store import TrackerStore

IST = ZoneInfo("Asia/Kolkata")
ACCOUNTS = {"facebook": "104000000000001", "instagram": "17841400000000001", "youtube": "UCpmcPuneOfficial0000001",
            "x": "1400000000000000001"}



def author_id(author: str) -> str:
    """A citizen's stable platform id from their name: the same in every run (``hash()`` of a str changes from
    process to process, which made seeded reliability runs differ)."""
    return f"u{int(hashlib.sha256(author.encode('utf-8')).hexdigest()[:12], 16) % 10**9}"

class SimClock:
    """Simulated time shared by every part of the world; ``sleep`` advances it instead of waiting."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        """Epoch seconds (the platform emulator's clock)."""
        return self.now.timestamp()

    def monotonic(self) -> float:
        """Seconds (the Sheets emulator's quota clock)."""
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        """Advance instead of waiting."""
        self.now += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


@dataclass
class World:
    """Everything the tool talks to, offline."""

    clock: SimClock
    sheets: Any
    platforms: Any
    config: Config
    backend: SheetsBackend
    tokens: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    @classmethod
    def create(cls, data_dir: Path, start: datetime, *, sheets_faults: float = 0.0, platform_faults: float = 0.0,
               quota_per_minute: int = 60, seed: int = 7, platforms: tuple[str, ...] = tuple(ACCOUNTS),
               persist: bool = False) -> World:
        """A new world with an initialised Tracker Sheet."""
        from ..emulator.platforms import PlatformEmulator
        from ..emulator.sheets import SheetsEmulator
        from ..tracker.init import run_init

        clock = SimClock(start)
        sheets = SheetsEmulator(data_dir=data_dir / "sheets" if persist else None, quota_per_minute=quota_per_minute,
                                fault_rate=0.0, seed=seed, clock=clock.monotonic)
        platform_emu = PlatformEmulator(data_dir=str(data_dir / "platforms") if persist else None, fault_rate=0.0,
                                        seed=seed + 1, clock=clock.timestamp)
        tokens = {}
        entries = []
        for kind in platforms:
            token = f"{kind}-demo-token"
            platform_emu.register_token(kind, token)
            platform_emu.add_account(kind, ACCOUNTS[kind])
            tokens[f"{kind.upper()}_TOKEN"] = token
            entries.append({"kind": kind, PLATFORM_ID_KEYS[kind]: ACCOUNTS[kind], "token_env": f"{kind.upper()}_TOKEN"})
        config = parse_config({"timezone": "Asia/Kolkata", "data_dir": str(data_dir), "platforms": entries,
                               "digest": {"folder": str(data_dir / "digests")}}, data_dir / "sheets-sync.yaml")
        client = make_client(sheets.session())
        spreadsheet = client.create("PMC Social Media Tracker")
        backend = SheetsBackend(client, spreadsheet.id, "embedded", sheets)
        world = cls(clock, sheets, platform_emu, config, backend, tokens, random.Random(seed))
        run_init(TrackerStore(backend, tz=IST, clock=clock))
        sheets.faults.rate = sheets_faults
        platform_emu.faults.rate = platform_faults
        return world

    def connectors(self, retry: Any = None) -> list[Any]:
        """Connectors for every platform, over the emulator's session (a fresh set, as a new process has)."""
        from ..connectors.registry import build_connectors
        from ..retry import policy

        sessions = {kind: self.platforms.session() for kind in ACCOUNTS}
        return build_connectors(self.config.platforms, sessions=sessions, env=self.tokens,
                                retry=retry or policy(sleep=self.clock.sleep), clock=self.clock.timestamp)

    def runner(self, runner_id: str = "", **kwargs: Any) -> Any:
        """A runner as a new process would build it: own client, own connectors."""
        from ..app import Runner
        from ..retry import policy

        client = make_client(self.sheets.session())
        client.http_client.retry_policy = policy(sleep=self.clock.sleep)
        backend = SheetsBackend(client, self.backend.spreadsheet_id, "embedded", self.sheets)
        store = TrackerStore(backend, tz=IST, clock=self.clock)
        return Runner(config=self.config, backend=backend, connectors=self.connectors(), store=store,
                      runner_id=runner_id, clock=self.clock, sleep=self.clock.sleep, **kwargs)

    # -- the platforms' side -----------------------------------------------------------------------------

    def post(self, platform: str, text: str) -> str:
        """The corporation publishes a post; returns its id."""
        return self.platforms.add_post(platform, ACCOUNTS[platform], text).id

    def comment(self, platform: str, post_id: str, text: str, author: str, when: datetime | None = None,
                parent_id: str | None = None) -> str:
        """A citizen comments; returns the comment id."""
        created = (when or self.clock.now).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S+0000")
        comment = self.platforms.add_comment(platform, post_id, text,
                                             {"id": author_id(author), "name": author},
                                             parent_id=parent_id, created_time=created)
        return comment.id

    # -- the people in the sheet --------------------------------------------------------------------------

    def person_client(self) -> Any:
        """A gspread client for the people in the sheet: their own credentials, so their requests count
        against their own quota, not the tool's (as the Sheets UI's do)."""
        from ..retry import policy

        session = self.sheets.session()
        session.headers["Authorization"] = "Bearer person@pmc.example"
        session.headers[NO_FAULT_HEADER] = "off"
        client = make_client(session)
        client.http_client.retry_policy = policy(sleep=self.clock.sleep)
        return client

    def worksheet(self, title: str = "Tracker") -> Any:
        """The tab as a person (with gspread) sees it."""
        return self.person_client().open_by_key(self.backend.spreadsheet_id).worksheet(title)

    def type_reply(self, ticket: str, text: str, who: str = "Water Supply desk") -> bool:
        """A department types a reply and ticks Send on the row of ``ticket`` (wherever it is now)."""
        return self.type_replies([(ticket, text, who)]) == 1

    def type_replies(self, replies: list[tuple[str, str, str]]) -> int:
        """Several (ticket, reply, who) typed at once, as a desk works through its rows; returns how many
        rows were found."""
        from gspread.utils import rowcol_to_a1

        ws = self.worksheet()
        header = ws.row_values(1)
        ids = ws.col_values(header.index("Ticket ID") + 1)
        cols = {h: header.index(h) + 1 for h in ("Reply", "Send", "Replied By")}
        data = []
        for ticket, text, who in replies:
            if ticket not in ids:
                continue
            row = ids.index(ticket) + 1
            data += [{"range": rowcol_to_a1(row, cols["Reply"]), "values": [[text]]},
                     {"range": rowcol_to_a1(row, cols["Send"]), "values": [[True]]},
                     {"range": rowcol_to_a1(row, cols["Replied By"]), "values": [[who]]}]
        if data:
            ws.batch_update(data, value_input_option="RAW")
        return len(data) // 3

    def set_emails(self, emails: dict[str, str]) -> None:
        """The cell types departments' e-mail addresses (Departments tab, *Email*), by department name."""
        ws = self.worksheet("Departments")
        names = ws.col_values(1)
        column = ws.row_values(1).index("Email") + 1
        for name, email in emails.items():
            ws.update_cell(names.index(name) + 1, column, email)

    def set_post_department(self, post_id: str, department: str) -> None:
        """The cell fills the Posts register's Department for a post."""
        ws = self.worksheet("Posts")
        header = ws.row_values(1)
        ids = ws.col_values(header.index("Post ID") + 1)
        if post_id in ids:
            ws.update_cell(ids.index(post_id) + 1, header.index("Department") + 1, department)
