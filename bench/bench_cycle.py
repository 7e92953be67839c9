"""One Sheets cycle on a Tracker of N rows: our batched, conflict-free write beside two reference approaches.

Run by ``bench/run.py`` in a fresh process per (approach, size), with the emulator served from another
process, so CPU and peak memory are the tool's own. Prints one JSON line: requests, bytes read and written,
CPU seconds of the tool (the emulator's are shown apart) and peak RSS.

Approaches, same data, same changes (append NEW rows, change UPD cells of existing rows):
  batched   — sheets-sync: one values:batchGet, one spreadsheets.get of the keys, one batchUpdate
  per_row   — gspread calls per row: col_values to find rows, append_row per new row, update_cell per change
  rewrite   — whole-sheet rewrite: get_all_values → pandas → worksheet.update of every cell
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

IST = ZoneInfo("Asia/Kolkata")
NEW, UPD = 50, 200
START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


class EmulatorProcess:
    """The Sheets emulator in its own process (``sheets-sync emulator sheets``), so the tool's CPU and memory
    are measured alone, as against Google."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "sheets_sync.cli", "emulator", "sheets", "--port", "0",
                                      "--quota-per-minute", "0"], stdout=subprocess.PIPE, text=True)
        self.url = json.loads(self.proc.stdout.readline())["url"]

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_emulator/stats", timeout=30).json()

    def reset_stats(self) -> None:
        requests.post(f"{self.url}/_emulator/stats/reset", timeout=30)

    def cpu(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def seed(size: int):
    from sheets_sync.client import SheetsBackend, endpoint_session, make_client
    from sheets_sync.schema import load_schema
    from sheets_sync.tracker.init import run_init
    from sheets_sync.tracker.store import TrackerStore

    emu = EmulatorProcess()
    client = make_client(endpoint_session(emu.url))
    sheet = client.create("bench")
    backend = SheetsBackend(client, sheet.id, "endpoint")
    store = TrackerStore(backend, tz=IST, clock=lambda: START)
    run_init(store)
    headers = load_schema()["Tracker"].headers
    ws = client.open_by_key(sheet.id).worksheet("Tracker")
    ws.resize(rows=size + NEW + 10)
    chunk = 10_000
    for begin in range(0, size, chunk):
        rows = []
        for i in range(begin, min(size, begin + chunk)):
            values = {"Ticket ID": f"FB-{i}", "Platform": "facebook", "Comment ID": str(i), "Post ID": "p1",
                      "Received At": "2026-11-20 10:00", "Author": f"Citizen {i}",
                      "Comment": f"कचरा उचलला नाही, ward {i % 40} — garbage not collected {i}",
                      "Department": "Solid Waste Management", "Category": "Complaint", "Status": "Assigned",
                      "Language": "mr", "Assigned By": "keyword: कचरा"}
            rows.append([values.get(h, "") for h in headers])
        ws.update(rows, f"A{begin + 2}", raw=True)
    return emu, client, store, ws, headers


def run(approach: str, size: int) -> dict:
    emu, client, store, ws, headers = seed(size)
    try:
        return measure(approach, size, emu, store, ws, headers)
    finally:
        emu.close()


def measure(approach: str, size: int, emu: EmulatorProcess, store, ws, headers) -> dict:
    emu.reset_stats()
    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    emu_cpu0 = emu.cpu()
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    if approach == "batched":
        from sheets_sync.tracker.changes import ChangeSet

        snapshot = store.read(["Tracker"])
        changes = ChangeSet(store.schema)
        for i in range(NEW):
            changes.append("Tracker", {"Ticket ID": f"IG-{i}", "Platform": "instagram", "Comment ID": str(i),
                                       "Comment": f"new comment {i}", "Status": "New",
                                       "Received At": START}, "bench")
        for i in range(UPD):
            changes.set("Tracker", f"FB-{i * 7 % size}", "Overdue", "", "Overdue", "bench")
        store.commit(changes, snapshot)
    elif approach == "per_row":
        ids = ws.col_values(1)
        col = headers.index("Overdue") + 1
        for i in range(NEW):
            row = {"Ticket ID": f"IG-{i}", "Platform": "instagram", "Comment ID": str(i),
                   "Comment": f"new comment {i}", "Status": "New", "Received At": "2026-11-23 09:00"}
            ws.append_row([row.get(h, "") for h in headers], value_input_option="RAW",
                          insert_data_option="INSERT_ROWS", table_range="A1")
        for i in range(UPD):
            ws.update_cell(ids.index(f"FB-{i * 7 % size}") + 1, col, "Overdue")
    elif approach == "rewrite":
        import pandas as pd

        values = ws.get_all_values()
        frame = pd.DataFrame(values[1:], columns=values[0])
        new = pd.DataFrame([{"Ticket ID": f"IG-{i}", "Platform": "instagram", "Comment ID": str(i),
                             "Comment": f"new comment {i}", "Status": "New"} for i in range(NEW)])
        frame = pd.concat([frame, new], ignore_index=True).fillna("")
        targets = {f"FB-{i * 7 % size}" for i in range(UPD)}
        frame.loc[frame["Ticket ID"].isin(targets), "Overdue"] = "Overdue"
        ws.update([list(frame.columns)] + frame.astype(str).values.tolist(), "A1", raw=True)
    else:
        raise SystemExit(f"unknown approach {approach}")
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    emu_cpu = emu.cpu() - emu_cpu0
    stats = emu.stats()
    return {"approach": approach, "rows": size, "requests": stats["reads"] + stats["writes"],
            "reads": stats["reads"], "writes": stats["writes"], "bytes_read": stats["bytes_out"],
            "bytes_written": stats["bytes_in"], "tool_cpu_s": round(cpu, 3), "emulator_cpu_s": round(emu_cpu, 3),
            "wall_s": round(wall, 3), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_before_mb": round(rss0, 1),
            "quota_minutes_at_60_per_min": round(max(stats["reads"], stats["writes"]) / 60, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("approach", choices=["batched", "per_row", "rewrite"])
    parser.add_argument("rows", type=int)
    args = parser.parse_args()
    print(json.dumps(run(args.approach, args.rows)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
