"""Benchmark the Sheets emulator: seed a 100,000 x 25 tab, then read it back with one values:batchGet.

Prints timings for the core alone and through gspread + the requests adapter. Exits 0.
Run: ``.venv/bin/python bench/bench_emulator.py``.
"""

from __future__ import annotations

import json
import time

import gspread
from google.auth.credentials import AnonymousCredentials

from sheets_sync.emulator.http import EmuRequest
from sheets_sync.emulator.sheets import SheetsEmulator

ROWS = 100_000
COLS = 25
SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"


def timed(label: str, func):
    """Run ``func`` once and print how long it took."""
    start = time.perf_counter()
    result = func()
    print(f"{label:<58} {time.perf_counter() - start:8.3f} s")
    return result


def main() -> int:
    """Seed, read, append, and report."""
    emu = SheetsEmulator(quota_per_minute=0)
    book = emu.create_spreadsheet("bench")
    rows = [[f"r{r}c{c}" for c in range(COLS)] for r in range(ROWS)]
    grow = json.dumps({"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS",
                                                         "length": ROWS - 1000}}]}).encode()
    emu.handle(EmuRequest("POST", f"{SHEETS}/{book.id}:batchUpdate", body=grow))
    body = json.dumps({"values": rows}).encode()
    response = timed(f"seed {ROWS}x{COLS} (values.update RAW, core)",
                     lambda: emu.handle(EmuRequest("PUT", f"{SHEETS}/{book.id}/values/A1?valueInputOption=RAW",
                                                   body=body)))
    assert response.status == 200, response.body[:200]
    url = f"{SHEETS}/{book.id}/values:batchGet?ranges=Sheet1"
    response = timed("values:batchGet whole tab (core, incl. JSON encode)",
                     lambda: emu.handle(EmuRequest("GET", url)))
    assert response.status == 200
    client = gspread.Client(auth=AnonymousCredentials(), session=emu.session())
    spreadsheet = client.open_by_key(book.id)
    got = timed("values:batchGet whole tab (gspread + adapter + JSON decode)",
                lambda: spreadsheet.values_batch_get(["Sheet1"]))
    assert len(got["valueRanges"][0]["values"]) == ROWS
    append = json.dumps({"values": [["new"] * COLS]}).encode()
    response = timed("values.append INSERT_ROWS after 100k rows (core)",
                     lambda: emu.handle(EmuRequest(
                         "POST", f"{SHEETS}/{book.id}/values/A1:append?valueInputOption=RAW"
                                 f"&insertDataOption=INSERT_ROWS", body=append)))
    assert response.status == 200
    frozen = json.dumps({"requests": [{"updateSheetProperties": {
        "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
        "fields": "gridProperties.frozenRowCount"}}]}).encode()
    response = timed("batchUpdate on the 100k tab (atomic copy, core)",
                     lambda: emu.handle(EmuRequest("POST", f"{SHEETS}/{book.id}:batchUpdate", body=frozen)))
    assert response.status == 200
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
