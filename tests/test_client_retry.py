"""gspread through our client meets the emulator's quota 429s and injected faults: the retry policy rides
through them, and no write is lost or applied twice."""

from __future__ import annotations

import gspread
import pytest

from sheets_sync.client import AmbiguousWriteError, make_client
from sheets_sync.emulator.sheets import SheetsEmulator
from sheets_sync.retry import policy


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s
        self.slept += s


def client_for(emu: SheetsEmulator, clock: Clock) -> gspread.Client:
    client = make_client(emu.session())
    client.http_client.retry_policy = policy(attempts=8, sleep=clock.sleep)
    return client


def test_quota_429s_are_waited_out(tmp_path):
    clock = Clock()
    emu = SheetsEmulator(quota_per_minute=60, clock=clock)
    ws = client_for(emu, clock).create("quota").sheet1
    emu.reset_stats()
    for i in range(150):  # 2.5 minutes' worth of the write quota
        ws.update([[f"v{i}"]], f"A{i + 1}", raw=True)
    assert ws.col_values(1) == [f"v{i}" for i in range(150)]
    stats = emu.stats()
    assert stats["writes"] > 150  # some were refused with 429 and retried
    assert clock.slept >= 60  # the client waited for the next minute instead of failing


def test_faults_never_lose_or_double_a_write():
    clock = Clock()
    emu = SheetsEmulator(quota_per_minute=0, clock=clock, seed=5)
    book = client_for(emu, clock).create("faults")
    ws, log = book.sheet1, book.add_worksheet("log", rows=10, cols=2)
    emu.faults.rate = 0.3
    for i in range(60):
        ws.update([[f"cell {i}"]], f"B{i + 1}", raw=True)  # idempotent: retried through every fault
    appended: list[str] = []
    for i in range(40):
        row = f"row {i}"
        while True:
            try:
                log.append_row([row], table_range="A1", insert_data_option="INSERT_ROWS", value_input_option="RAW")
                break
            except AmbiguousWriteError:
                # The connection dropped after sending: the append may have landed. Re-read (a read is
                # retried safely), never re-send blindly.
                if row in log.col_values(1):
                    break
        appended.append(row)
    emu.faults.rate = 0.0
    assert ws.col_values(2) == [f"cell {i}" for i in range(60)]
    column = log.col_values(1)
    assert sorted(column) == sorted(appended) and len(column) == len(set(column))
    assert emu.faults.total > 20


def test_fatal_errors_are_not_retried():
    clock = Clock()
    emu = SheetsEmulator(quota_per_minute=0, clock=clock)
    ws = client_for(emu, clock).create("fatal").sheet1
    emu.reset_stats()
    with pytest.raises(gspread.exceptions.APIError):
        ws.update([["x"]], "ZZZ99999", raw=True)  # beyond the grid: 400, final
    assert emu.stats()["writes"] == 1
