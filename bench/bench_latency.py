"""How long a comment takes from appearing on a platform to its row being readable in the Tracker Sheet — by
webhook (Facebook, Instagram) and by polling (YouTube, X) — with the real service loop and the real clock.

    python bench/bench_latency.py            # 1,000 rows
    python bench/bench_latency.py 100000 --webhook 40 --polled 20

The Sheets and platform emulators run in their own processes (``bench_idle_busy.Emulator``) and the Tracker
is seeded with N rows as ``bench_idle_busy.seed`` does. Then the service as ``sheets-sync run`` starts it:
``app.build_runner`` (as production: the lease taken atomically, ``tracker.lease``), the webhook receiver on a
free port waking the runner, and ``Runner.run_forever`` in a thread.

  webhook — comments arrive one at a time at random intervals on Facebook and Instagram (platform admin API),
            each announced at once by a correctly signed Meta webhook POST; the schedule is left at 5 minutes,
            so only the webhook can bring them in time;
  polling — comments arrive on YouTube and X (no webhooks) with ``--every-minutes`` (default 0.1: 6 s).

Latency is from just before the platform add to the moment the row is in the sheet, as a separate client sees
it. That client polls the Drive file's ``version`` every 50 ms (one tiny request) and reads the Ticket ID column
whenever the version moves: a row can only become readable when the version moves. A row found in that read is
timed at the poll that saw the version move when the version is the same after the read (the read's own
download — long for a 100,000-row column — is the watcher's, not the tool's); else at the read's end.

Prints one JSON line: p50/p95/max latency per mode and the cycles' durations; for polling, how many comments
came within one interval plus one cycle, and within their own bound — the rest of the cycle running when the
comment arrived (the schedule counts its interval from a cycle's end), one interval, one cycle.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_idle_busy import PLATFORMS, Emulator, seed  # noqa: E402

APP_SECRET = "bench-app-secret"  # the Meta app secret the webhook receiver verifies deliveries with
POLL_S = 0.05  # how often the watching client asks the Sheets emulator whether the sheet changed
ROW_TIMEOUT_S = 120.0  # a comment not in the sheet by then counts as lost (and fails the run)


class SheetWatcher(threading.Thread):
    """A separate Sheets client that notes when each awaited Ticket ID first becomes readable in the Tracker."""

    def __init__(self, sheets_url: str, spreadsheet_id: str) -> None:
        super().__init__(name="sheet-watcher", daemon=True)
        from sheets_sync.client import endpoint_session

        self.session = endpoint_session(sheets_url)
        self.sid = spreadsheet_id
        self.seen: dict[str, float] = {}
        self.awaited: set[str] = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.reads = 0

    def await_ticket(self, ticket: str) -> None:
        """Watch for ``ticket`` from now on."""
        with self.lock:
            self.awaited.add(ticket)

    def run(self) -> None:
        version = None
        while not self.stop.wait(POLL_S):
            now_version = self._version()
            if now_version == version:
                continue
            version, moved_at = now_version, time.monotonic()
            tickets = self._tickets()
            # A row is readable from the moment the version moved to one that holds it: when the version is still
            # the same after the column read, every Ticket ID read was there when the move was seen (not when a
            # 100,000-row column finished downloading); else, after the read returned — never too early.
            at = moved_at if self._version() == version else time.monotonic()
            with self.lock:
                for ticket in self.awaited & tickets:
                    self.seen.setdefault(ticket, at)
                self.awaited -= tickets

    def _version(self) -> int:
        response = self.session.get(f"https://www.googleapis.com/drive/v3/files/{self.sid}",
                                    params={"fields": "version"}, timeout=30)
        response.raise_for_status()
        return int(response.json()["version"])

    def _tickets(self) -> set[str]:
        self.reads += 1
        response = self.session.get(
            f"https://sheets.googleapis.com/v4/spreadsheets/{self.sid}/values/{quote('Tracker!A2:A')}", timeout=60)
        response.raise_for_status()
        return {row[0] for row in response.json().get("values") or [] if row}

    def wait_for(self, ticket: str, timeout: float) -> float | None:
        """When ``ticket`` was first seen (monotonic), waiting up to ``timeout`` seconds; None if never."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if ticket in self.seen:
                    return self.seen[ticket]
            time.sleep(POLL_S / 2)
        return None


class CountingSession:
    """A connector's session that counts the requests it sends (the platform's cost of a cycle)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        """Count, then send."""
        self.sent += 1
        return self.inner.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Service:
    """The service as ``sheets-sync run`` starts it: a runner, its webhook receiver, ``run_forever`` in a thread;
    every cycle's start and end noted."""

    def __init__(self, conf: dict, data_dir: str) -> None:
        from sheets_sync.app import build_runner
        from sheets_sync.config import parse_config
        from sheets_sync.connectors.webhook import WebhookReceiver, serve_webhook_in_thread

        for p in PLATFORMS:
            os.environ[f"BENCH_{p.upper()}_TOKEN"] = f"{p}-bench-token"
        self.runner = build_runner(parse_config(conf, Path(data_dir) / "sheets-sync.yaml"))
        self.cycles: list[tuple[float, float]] = []
        cycle = self.runner.cycle

        def timed_cycle(*args: Any, **kwargs: Any) -> Any:
            start = time.monotonic()
            try:
                return cycle(*args, **kwargs)
            finally:
                self.cycles.append((start, time.monotonic()))

        self.runner.cycle = timed_cycle  # type: ignore[method-assign]  # the bench's stopwatch around each cycle
        for connector in self.runner.connectors:
            connector.session = CountingSession(connector.session)  # type: ignore[attr-defined]
        receiver = WebhookReceiver(lambda events: self.runner.wake_up(), env={"FB_APP_SECRET": APP_SECRET})
        self.server, self.webhook_url = serve_webhook_in_thread(receiver, 0)
        self.thread: threading.Thread | None = None

    def start(self, every_minutes: float) -> None:
        """``run_forever`` in a thread; returns once its first cycle (a full read at start) is done."""
        self.runner.stop_event.clear()
        done = len(self.cycles)
        self.thread = threading.Thread(target=self.runner.run_forever, kwargs={"every_minutes": every_minutes},
                                       name="service", daemon=True)
        self.thread.start()
        while len(self.cycles) == done:
            time.sleep(0.05)

    def platform_cost(self) -> dict[str, int]:
        """Requests sent so far per platform, and YouTube's quota units spent."""
        cost = {c.platform: c.session.sent for c in self.runner.connectors}  # type: ignore[attr-defined]
        for connector in self.runner.connectors:
            if connector.platform == "youtube":
                cost["youtube_units"] = connector.units_used  # type: ignore[attr-defined]
        return cost

    def stop(self) -> None:
        """Stop as SIGTERM would: the current step finishes, then the loop ends."""
        self.runner.stop_event.set()
        self.runner.wake_up()
        if self.thread is not None:
            self.thread.join(timeout=300)
            if self.thread.is_alive():
                raise RuntimeError("the service loop did not stop within 300 s")
        self.runner.wake_event.clear()

    def close(self) -> None:
        """Stop the webhook receiver."""
        self.server.shutdown()
        self.server.server_close()


def webhook_body(platform: str, account: str, comment_id: str, post_id: str) -> bytes:
    """A Meta delivery announcing one new comment, in the platform's own format."""
    if platform == "facebook":
        value: dict[str, Any] = {"item": "comment", "verb": "add", "comment_id": comment_id, "post_id": post_id}
        payload = {"object": "page", "entry": [{"id": account, "time": int(time.time()),
                                                "changes": [{"field": "feed", "value": value}]}]}
    else:
        value = {"id": comment_id, "media": {"id": post_id}}
        payload = {"object": "instagram", "entry": [{"id": account, "time": int(time.time()),
                                                     "changes": [{"field": "comments", "value": value}]}]}
    return json.dumps(payload).encode()


def announce(url: str, body: bytes) -> None:
    """POST a delivery signed as Meta signs it (``X-Hub-Signature-256``); the receiver must accept it."""
    import requests

    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = requests.post(f"{url}/webhook", data=body, headers={"X-Hub-Signature-256": signature,
                                                                 "Content-Type": "application/json"}, timeout=30)
    if answer.status_code != 200:
        raise RuntimeError(f"the webhook receiver answered {answer.status_code}: {answer.text}")


def arrivals(platforms: Emulator, watcher: SheetWatcher, plan: list[tuple[float, str]], posts: dict[str, str],
             webhook_url: str | None) -> list[tuple[str, float, str]]:
    """Add the planned comments (pause, platform) one at a time; returns (ticket, added at, platform)."""
    from sheets_sync.demo.world import ACCOUNTS
    from sheets_sync.vocabulary import ticket_id

    added = []
    for i, (pause, platform) in enumerate(plan):
        time.sleep(pause)
        start = time.monotonic()
        cid = platforms.admin("POST", "comments", {"platform": platform, "post_id": posts[platform],
                                                   "text": f"Streetlight not working in ward {i}, please fix",
                                                   "author": {"id": f"lat{i}", "name": f"Resident {i}"}})["id"]
        ticket = ticket_id(platform, str(cid))
        watcher.await_ticket(ticket)
        if webhook_url is not None:
            announce(webhook_url, webhook_body(platform, ACCOUNTS[platform], str(cid), posts[platform]))
        added.append((ticket, start, platform))
    return added


def latencies(watcher: SheetWatcher, added: list[tuple[str, float, str]]) -> list[float]:
    """Seconds from each add to its row being read in the sheet (raises for a row that never came)."""
    out = []
    for ticket, start, platform in added:
        seen = watcher.wait_for(ticket, ROW_TIMEOUT_S)
        if seen is None:
            raise RuntimeError(f"{ticket} ({platform}) was not in the sheet {ROW_TIMEOUT_S:g} s after it was added")
        out.append(seen - start)
    return out


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95 and max, in seconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"n": len(ordered), "p50_s": round(statistics.median(ordered), 2), "p95_s": round(p95, 2),
            "max_s": round(ordered[-1], 2)}


def cycle_figures(cycles: list[tuple[float, float]]) -> dict[str, float]:
    """How many cycles ran and how long they took."""
    lengths = [end - start for start, end in cycles]
    return {"cycles": len(lengths), "cycle_median_s": round(statistics.median(lengths), 2),
            "cycle_max_s": round(max(lengths), 2)}


def in_flight_rest(cycles: list[tuple[float, float]], at: float) -> float:
    """Seconds left of the cycle running at ``at`` (0 when none was)."""
    return next((end - at for start, end in cycles if start <= at < end), 0.0)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, start the service, measure both modes; the figures."""
    from sheets_sync.demo.world import ACCOUNTS

    rng = random.Random(args.seed)
    data_dir = tempfile.mkdtemp()
    sheets, platforms = Emulator("sheets"), Emulator("platforms")
    service = watcher = None
    try:
        t0 = time.monotonic()
        sid, conf = seed(args.rows, sheets, platforms, data_dir)
        conf.pop("_bench_posts", None)  # the idle/busy bench's own note, not configuration
        out: dict[str, Any] = {"rows": args.rows, "seed_s": round(time.monotonic() - t0, 1)}
        print(f"seeded {args.rows} rows in {out['seed_s']} s; webhook run", file=sys.stderr, flush=True)
        posts = {p: platforms.admin("POST", "posts", {"platform": p, "account_id": ACCOUNTS[p],
                                                      "text": f"PMC latency notice on {p}"})["id"]
                 for p in PLATFORMS}
        watcher = SheetWatcher(sheets.url, sid)
        watcher.start()
        service = Service(conf, data_dir)

        # Webhook: the schedule stays at 5 minutes, so a row in seconds can only be the webhook's doing.
        service.start(every_minutes=5)
        first = len(service.cycles)
        plan = [(rng.uniform(args.min_gap, args.max_gap), ("facebook", "instagram")[i % 2])
                for i in range(args.webhook)]
        hooked = latencies(watcher, arrivals(platforms, watcher, plan, posts, service.webhook_url))
        service.stop()
        out["webhook"] = {**summary(hooked), **cycle_figures(service.cycles[first:])}

        print(f"webhook: {out['webhook']}; polling run", file=sys.stderr, flush=True)
        # Polling: no webhook; the schedule brings them.
        interval_s = args.every_minutes * 60
        service.start(every_minutes=args.every_minutes)
        first = len(service.cycles)
        spent = service.platform_cost()
        plan = [(rng.uniform(0, interval_s), ("youtube", "x")[i % 2]) for i in range(args.polled)]
        added = arrivals(platforms, watcher, plan, posts, None)
        polled = latencies(watcher, added)
        service.stop()
        cycles = service.cycles[first - 1:]
        per_cycle = {k: round((v - spent[k]) / (len(cycles) - 1), 2) for k, v in service.platform_cost().items()}
        figures = cycle_figures(cycles[1:])
        # The schedule counts its interval from the end of a cycle, so a comment that arrives while a cycle
        # runs (after that cycle's fetch) waits for the rest of it, one interval, then one whole cycle.
        bounds = [in_flight_rest(cycles, start) + interval_s + figures["cycle_max_s"] for _, start, _ in added]
        out["polling"] = {**summary(polled), **figures, "interval_s": round(interval_s, 1),
                          "worst_bound_s": round(interval_s + 2 * figures["cycle_max_s"], 2),
                          "within_interval_plus_cycle": sum(1 for v in polled if v <= interval_s
                                                            + figures["cycle_max_s"]),
                          "within_own_bound": sum(1 for v, b in zip(polled, bounds, strict=True) if v <= b),
                          "platform_requests_per_cycle": per_cycle}
        out["watcher_column_reads"] = watcher.reads
        return out
    finally:
        if watcher is not None:
            watcher.stop.set()
        if service is not None:
            service.stop()
            service.close()
        sheets.close()
        platforms.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=int, nargs="?", default=1000, help="Tracker rows to seed (default 1,000)")
    parser.add_argument("--webhook", type=int, default=40, help="comments announced by webhook (default 40)")
    parser.add_argument("--polled", type=int, default=20, help="comments found by polling (default 20)")
    parser.add_argument("--every-minutes", type=float, default=0.1,
                        help="schedule.every_minutes in the polling run (default 0.1: 6 s)")
    parser.add_argument("--min-gap", type=float, default=0.3, help="least seconds between webhook comments")
    parser.add_argument("--max-gap", type=float, default=4.0, help="most seconds between webhook comments")
    parser.add_argument("--seed", type=int, default=16, help="seed of the random arrival times")
    print(json.dumps(run(parser.parse_args()), ensure_ascii=False))


if __name__ == "__main__":
    main()
