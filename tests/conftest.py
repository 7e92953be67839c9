"""Shared fixtures: a fresh in-process Sheets emulator with an initialised Tracker Sheet for each test."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sheets_sync.client import SheetsBackend, make_client
from sheets_sync.config import parse_config

IST = ZoneInfo("Asia/Kolkata")


def pytest_addoption(parser):
    parser.addoption("--long", action="store_true", default=False, help="run the long reliability suite")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--long"):
        return
    skip = pytest.mark.skip(reason="long run: pass --long")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


class FakeClock:
    """A clock tests move by hand: no sleeping tests."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)

    def sleep(self, seconds: float) -> None:
        from datetime import timedelta

        self.slept.append(seconds)
        self.now = self.now + timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self.now.timestamp()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=IST))


@pytest.fixture
def sheets_emulator(clock):
    from sheets_sync.emulator.sheets import SheetsEmulator

    return SheetsEmulator(quota_per_minute=0, clock=clock.monotonic)


@pytest.fixture
def config(tmp_path: Path):
    return parse_config({"timezone": "Asia/Kolkata", "data_dir": str(tmp_path / "data")}, tmp_path / "sheets-sync.yaml")


@pytest.fixture
def backend(sheets_emulator) -> SheetsBackend:
    client = make_client(sheets_emulator.session())
    spreadsheet = client.create("Tracker test")
    return SheetsBackend(client, spreadsheet.id, "embedded", sheets_emulator)


@pytest.fixture
def store(backend, clock):
    from sheets_sync.tracker.init import run_init
    from sheets_sync.tracker.store import TrackerStore

    s = TrackerStore(backend, tz=IST, clock=clock)
    run_init(s)
    return s
