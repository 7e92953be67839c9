"""A busy cycle and an idle cycle of the long-running service, over a Tracker of N rows, with both emulators in
their own processes — so the CPU and memory measured are the tool's alone, as against Google and the platforms.

    python bench/bench_idle_busy.py 100000

The parent starts the Sheets and platform emulators (``sheets-sync emulator sheets|platforms``), seeds N rows,
and runs a warm-up cycle that settles every deadline flag (steady state). Then 20 new comments arrive on the
four platforms and a department ticks Send on 10 replies. A fresh child process — the service as it starts —
builds its runner (``app.build_runner``) and runs:

  first_cycle — the new process's first cycle: reads the whole sheet, ingests, routes, posts the 10 replies,
          rewrites the Dashboard, writes;
  idle  — the next cycle at once, nothing new anywhere: the Drive version says nobody else wrote;
  new_comments_only — 20 comments arrive, nobody edits the sheet: ingested, routed, alerted, written;
  after_a_person_edit — a person edits a cell, then a cycle: the people's columns are re-read (narrow);
  busy  — the service's busy cycle: 20 comments arrive and a department answers 10 comments in the sheet
          (Reply, Send, Replied By): re-read narrow, ingested, routed, 10 replies posted, written;
  hourly_full_read — nothing new, but the kept sheet is older than ``schedule.full_read_minutes``: the whole
          sheet is read again beside it.

Prints one JSON line: per cycle the tool's CPU seconds (``time.process_time`` around the cycle: imports and
start-up excluded, they are shown apart), Sheets bytes read (the emulator's response bytes), requests, the
process's resident memory after it and its peak during it; and the child's peak RSS over its whole life.
``BENCH_PROFILE=busy,idle`` prints where the named cycles' CPU goes, to stderr; ``BENCH_TRACEMALLOC=busy`` where
their memory goes (slow, for looking rather than measuring; its peaks count allocated, not touched, memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PLATFORMS = ("facebook", "instagram", "youtube", "x")


class Emulator:
    """One emulator in its own process."""

    def __init__(self, which: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "sheets_sync.cli", "emulator", which, "--port", "0",
                                      *(["--quota-per-minute", "0"] if which == "sheets" else [])],
                                     stdout=subprocess.PIPE, text=True)
        self.url = json.loads(self.proc.stdout.readline())["url"]

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        response = requests.request(method, f"{self.url}/_emulator/{path}", json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def config_dict(sheets_url: str, platforms_url: str, sid: str, data_dir: str) -> dict:
    from sheets_sync.demo.world import ACCOUNTS
    from sheets_sync.vocabulary import PLATFORM_ID_KEYS

    return {"timezone": "Asia/Kolkata", "data_dir": data_dir, "spreadsheet": {"id": sid, "endpoint": sheets_url},
            "digest": {"folder": str(Path(data_dir) / "digests")},
            "platforms": [{"kind": p, PLATFORM_ID_KEYS[p]: ACCOUNTS[p], "token_env": f"BENCH_{p.upper()}_TOKEN",
                           "endpoint": platforms_url} for p in PLATFORMS]}


def runner_for(conf: dict, data_dir: str):
    from sheets_sync.app import build_runner
    from sheets_sync.config import parse_config

    for p in PLATFORMS:
        os.environ[f"BENCH_{p.upper()}_TOKEN"] = f"{p}-bench-token"
    return build_runner(parse_config(conf, Path(data_dir) / "sheets-sync.yaml"))


def seed(size: int, sheets: Emulator, platforms: Emulator, data_dir: str) -> tuple[str, dict]:
    """The Tracker with ``size`` rows, the platforms' posts; a warm-up cycle; then new activity."""
    from sheets_sync.client import SheetsBackend, endpoint_session, make_client
    from sheets_sync.demo.world import ACCOUNTS
    from sheets_sync.schema import load_schema
    from sheets_sync.tracker.init import run_init
    from sheets_sync.tracker.store import TrackerStore

    client = make_client(endpoint_session(sheets.url))
    sid = client.create("bench").id
    run_init(TrackerStore(SheetsBackend(client, sid, "endpoint")))
    headers = load_schema()["Tracker"].headers
    ws = client.open_by_key(sid).worksheet("Tracker")
    ws.resize(rows=size + 1000)
    for begin in range(0, size, 10_000):
        rows = []
        for i in range(begin, min(size, begin + 10_000)):
            replied = i % 3 != 0
            values = {"Ticket ID": f"FB-1_{i}", "Platform": "facebook", "Comment ID": f"1_{i}", "Post ID": "1",
                      "Received At": 46346.4, "Author": f"Citizen {i}",
                      "Comment": f"कचरा उचलला नाही, ward {i % 40} — garbage not collected since Monday ({i})",
                      "Department": "Solid Waste Management", "Category": "Complaint", "Language": "mixed",
                      "Assigned By": "keyword: कचरा", "Due By": 46347.4, "Link": f"https://facebook.com/1_{i}",
                      "Status": "Replied" if replied else "Escalated", "Overdue": "" if replied else "Escalated",
                      "Reply": "Attended — PMC" if replied else "", "Replied By": "SWM desk" if replied else "",
                      "Reply Posted At": 46346.6 if replied else "", "Reply ID": f"1_{i}r" if replied else "",
                      "Platform Status": "visible", "Last Synced": 46346.6}
            rows.append([values.get(h, "") for h in headers])
        ws.update(rows, f"A{begin + 2}", raw=True)
    posts = {p: platforms.admin("POST", "posts", {"platform": p, "account_id": ACCOUNTS[p],
                                                  "text": f"PMC notice on {p}"})["id"] for p in PLATFORMS}
    now = datetime.now(UTC)
    for i in range(20):
        p = PLATFORMS[i % 4]
        platforms.admin("POST", "comments", {"platform": p, "post_id": posts[p], "text": f"Garbage not collected in "
                        f"ward {i}", "author": {"id": f"c{i}", "name": f"Citizen {i}"},
                        "created_time": (now - timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S+0000")})
    conf = config_dict(sheets.url, platforms.url, sid, data_dir)
    runner_for(conf, data_dir).cycle()  # warm-up: the 20 comments in, every flag settled
    table = TrackerStore(SheetsBackend(client, sid, "endpoint")).read(["Tracker"])["Tracker"]
    new = [t for t in table.key_rows if not t.startswith("FB-1_")][:10]
    col = {h: headers.index(h) + 1 for h in ("Reply", "Send", "Replied By")}
    data = []
    for ticket in new:
        row = table.key_rows[ticket]
        data += [{"range": f"{_a1(row, col['Reply'])}", "values": [["Attended. — PMC"]]},
                 {"range": f"{_a1(row, col['Send'])}", "values": [[True]]},
                 {"range": f"{_a1(row, col['Replied By'])}", "values": [["SWM desk"]]}]
    ws.batch_update(data, value_input_option="RAW")
    for i in range(20):
        p = PLATFORMS[i % 4]
        platforms.admin("POST", "comments", {"platform": p, "post_id": posts[p], "text": f"पाणी आले नाही {i}",
                                              "author": {"id": f"n{i}", "name": f"Nagrik {i}"}})
    conf["_bench_posts"] = posts
    return sid, conf


def _rss_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _reset_peak() -> bool:
    """Start counting the process's peak resident memory afresh (Linux ``clear_refs``); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    """The process's peak resident memory since the last ``_reset_peak`` (Linux ``VmHWM``), in MB."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return round(int(line.split()[1]) / 1024, 1)


def _a1(row: int, col: int) -> str:
    from gspread.utils import rowcol_to_a1

    return rowcol_to_a1(row, col)


def child(conf: dict, data_dir: str, sheets_url: str) -> dict:
    """The service's process: start, then busy, idle and edit cycles; what each cost."""
    posts = conf.pop("_bench_posts", {})
    tracing = os.environ.get("BENCH_TRACEMALLOC", "").split(",")
    if tracing != [""]:  # where the named cycles' memory goes, to stderr (slow: for looking, not measuring)
        import tracemalloc

        tracemalloc.start()
    cpu_start = time.process_time()
    runner = runner_for(conf, data_dir)
    startup_cpu = time.process_time() - cpu_start
    # VmHWM, not ``ru_maxrss``: the latter carries the forking parent's peak (the seeding) across ``exec``.
    startup_peak = _peak_mb()
    out: dict = {"startup_cpu_s": round(startup_cpu, 2), "startup_peak_rss_mb": startup_peak}

    def measured(name: str) -> None:
        requests.post(f"{sheets_url}/_emulator/stats/reset", timeout=30)
        peak_counted = _reset_peak()
        cpu0 = time.process_time()
        if name in os.environ.get("BENCH_PROFILE", "").split(","):  # where a cycle's CPU goes, to stderr
            import cProfile
            import pstats

            profile = cProfile.Profile()
            result = profile.runcall(runner.cycle)
            sys.stderr.write(f"== profile of the {name} cycle\n")
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(60)
            pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(40)
        else:
            result = runner.cycle()
        cpu = time.process_time() - cpu0
        if name in tracing:
            import tracemalloc

            current, peak = tracemalloc.get_traced_memory()
            sys.stderr.write(f"== memory after the {name} cycle: {current / 2**20:.1f} MB traced, peak "
                             f"{peak / 2**20:.1f} MB\n")
            for stat in tracemalloc.take_snapshot().statistics("lineno")[:30]:
                sys.stderr.write(f"{stat}\n")
            tracemalloc.reset_peak()
        stats = requests.get(f"{sheets_url}/_emulator/stats", timeout=30).json()
        out[name] = {"cpu_s": round(cpu, 3), "bytes_read": stats["bytes_out"], "bytes_written": stats["bytes_in"],
                     "requests": stats["reads"] + stats["writes"], "ok": result.ok,
                     "counts": {k: v for k, v in result.counts.items() if k in ("ingest", "reply", "route")},
                     "rss_mb_after": _rss_mb(), "peak_rss_mb": _peak_mb() if peak_counted else None,
                     "jobs_cpu_s": {k: v for k, v in result.cpu_seconds.items() if v >= 0.01}}

    measured("first_cycle")
    measured("idle")
    platforms_url = conf["platforms"][0]["endpoint"]
    for i in range(20):  # comments arrive; nobody edits the sheet: the kept sheet is used, the rows appended
        p = PLATFORMS[i % 4]
        requests.post(f"{platforms_url}/_emulator/comments", timeout=30, json={
            "platform": p, "post_id": posts[p], "text": f"Drainage overflowing near ward office {i}",
            "author": {"id": f"d{i}", "name": f"Resident {i}"}}).raise_for_status()
    measured("new_comments_only")
    from sheets_sync.client import endpoint_session, make_client

    person = make_client(endpoint_session(sheets_url))
    sheet = person.open_by_key(conf["spreadsheet"]["id"]).worksheet("Tracker")
    sheet.update_acell("A1", "Ticket ID")
    measured("after_a_person_edit")
    # The service's busy cycle: 20 comments arrive, and a department answers 10 earlier ones in the sheet.
    headers = sheet.row_values(1)
    col = {h: headers.index(h) + 1 for h in ("Reply", "Send", "Replied By")}
    last = len(sheet.col_values(1))
    typed = []
    for row in range(last - 9, last + 1):  # the last comments ingested (drainage), not yet answered
        typed += [{"range": _a1(row, col["Reply"]), "values": [["Cleaned today. — PMC"]]},
                  {"range": _a1(row, col["Send"]), "values": [[True]]},
                  {"range": _a1(row, col["Replied By"]), "values": [["Drainage desk"]]}]
    sheet.batch_update(typed, value_input_option="RAW")
    for i in range(20):
        p = PLATFORMS[i % 4]
        requests.post(f"{platforms_url}/_emulator/comments", timeout=30, json={
            "platform": p, "post_id": posts[p], "text": f"Streetlight not working in lane {i}",
            "author": {"id": f"s{i}", "name": f"Resident {i}"}}).raise_for_status()
    measured("busy")
    # The hourly full read (``schedule.full_read_minutes``): the kept sheet is older than that, so the next cycle
    # reads everything again — beside the kept sheet, whose parsed cells and per-row results it takes over.
    from dataclasses import replace

    runner.known = replace(runner.known, read_at=runner.known.read_at - timedelta(days=1))
    measured("hourly_full_read")
    # Over the whole life: start-up's peak (read before the first reset) and each cycle's.
    out["peak_rss_mb"] = max([startup_peak, *(c["peak_rss_mb"] or 0 for c in out.values() if isinstance(c, dict))])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        conf, data_dir, sheets_url = json.loads(args.child)
        print(json.dumps(child(conf, data_dir, sheets_url), ensure_ascii=False))
        return
    data_dir = tempfile.mkdtemp()
    sheets, platforms = Emulator("sheets"), Emulator("platforms")
    try:
        _, conf = seed(args.rows, sheets, platforms, data_dir)
        out = subprocess.run([sys.executable, __file__, str(args.rows), "--child",
                              json.dumps([conf, data_dir, sheets.url])], capture_output=True, text=True, check=True)
        if os.environ.get("BENCH_PROFILE") or os.environ.get("BENCH_TRACEMALLOC"):
            sys.stderr.write(out.stderr)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["rows"] = args.rows
        print(json.dumps(result, ensure_ascii=False))
    finally:
        sheets.close()
        platforms.close()


if __name__ == "__main__":
    main()
