"""``run --once`` on a Tracker of N rows: every Sheets request of a full cycle, process start included.

A new runner (as a new process builds it) runs one full cycle over both emulators: new comments on four
platforms to ingest, replies typed in the sheet to post, native replies to notice, deadlines to flag.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
START = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


def run(size: int) -> dict:
    from sheets_sync.demo.world import World
    from sheets_sync.schema import load_schema

    world = World.create(Path(tempfile.mkdtemp()), START, quota_per_minute=0)
    headers = load_schema()["Tracker"].headers
    ws = world.worksheet()
    ws.resize(rows=size + 1000)
    for begin in range(0, size, 10_000):
        rows = []
        for i in range(begin, min(size, begin + 10_000)):
            values = {"Ticket ID": f"FB-old{i}", "Platform": "facebook", "Comment ID": f"old{i}", "Post ID": "p0",
                      "Received At": "2026-11-20 10:00", "Author": f"Citizen {i}", "Comment": f"पाणी नाही {i}",
                      "Department": "Water Supply", "Category": "Complaint", "Status": "Replied" if i % 3 else "Assigned",
                      "Language": "mr", "Assigned By": "keyword: पाणी", "Due By": "2026-11-21 10:00"}
            rows.append([values.get(h, "") for h in headers])
        ws.update(rows, f"A{begin + 2}", raw=True)
    posts = {p: world.post(p, f"{p} post") for p in ("facebook", "instagram", "youtube", "x")}
    for i in range(40):
        platform = ("facebook", "instagram", "youtube", "x")[i % 4]
        world.comment(platform, posts[platform], f"Garbage not collected in ward {i}", f"Citizen {i}",
                      START - timedelta(minutes=i))
    world.runner("warm-up").cycle()
    table = world.runner("reader").store.read(["Tracker"])["Tracker"]
    new_tickets = [t for t in table.key_rows if not t.startswith("FB-old")][:10]
    for ticket in new_tickets:
        world.type_reply(ticket, "Attended. — PMC")
    for i in range(20):
        platform = ("facebook", "instagram", "youtube", "x")[i % 4]
        world.comment(platform, posts[platform], f"पाणी आले नाही {i}", f"Nagrik {i}")
    world.clock.advance(hours=26)
    before = world.sheets.stats()
    t0 = time.process_time()
    result = world.runner("bench").cycle()
    cpu = time.process_time() - t0
    after = world.sheets.stats()
    return {"rows": size, "sheets_requests": (after["reads"] + after["writes"]) - (before["reads"] + before["writes"]),
            "reads": after["reads"] - before["reads"], "writes": after["writes"] - before["writes"],
            "counts": result.counts, "cpu_s_incl_emulators": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    print(json.dumps(run(parser.parse_args().rows), ensure_ascii=False))


if __name__ == "__main__":
    main()
