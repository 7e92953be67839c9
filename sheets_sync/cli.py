"""The ``sheets-sync`` command: a thin layer over the library. ``--config PATH`` is accepted after any
subcommand."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config, load_config
from .errors import SheetsSyncError

if TYPE_CHECKING:
    from .app import CycleResult

log = logging.getLogger("sheets_sync")

COMMANDS = {
    "init": "create or upgrade the Tracker Sheet's tabs (idempotent)",
    "run": "run the jobs on their schedule (or one full cycle with --once)",
    "job": "run one job now",
    "classify": "route JSON lines {\"text\": ...} from stdin with the routing rules",
    "doctor": "check configuration, credentials, sheet, platforms and SMTP",
    "demo": "the whole loop offline: emulators, a simulated week, a summary and demo-tracker.xlsx",
    "emulator": "serve an emulator on 127.0.0.1 (sheets or platforms)",
    "export": "the Tracker Sheet as .xlsx through Drive's export (Google's own rendering)",
}


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help="sheets-sync.yaml to use")
    common.add_argument("-v", "--verbose", action="store_true", help="log more")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    common = _common()
    parser = argparse.ArgumentParser(prog="sheets-sync", parents=[common],
                                     description="Keeps the Tracker Sheet in step with citizens' comments.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("init", parents=[common], help=COMMANDS["init"])
    p.add_argument("--title", default=None, help="title for a new embedded/emulated Tracker Sheet")
    p = sub.add_parser("run", parents=[common], help=COMMANDS["run"])
    p.add_argument("--once", action="store_true", help="one full cycle, then exit")
    p = sub.add_parser("job", parents=[common], help=COMMANDS["job"])
    p.add_argument("name", help="ingest, route, sla, reply, status, digest, archive, content, dashboard")
    p = sub.add_parser("classify", parents=[common], help=COMMANDS["classify"])
    p.add_argument("--from-sheet", action="store_true",
                   help="the Routing tab's rules instead of the defaults, and a router learned from the sheet's rows")
    sub.add_parser("doctor", parents=[common], help=COMMANDS["doctor"])
    p = sub.add_parser("demo", parents=[common], help=COMMANDS["demo"])
    p.add_argument("--comments", type=int, default=300, help="citizen comments to simulate")
    p.add_argument("--out", default="demo-tracker.xlsx", help="where to export the sheet")
    p = sub.add_parser("export", parents=[common], help=COMMANDS["export"])
    p.add_argument("--out", default=None, help="the .xlsx file to write (default tracker-YYYY-MM-DD.xlsx)")
    p.add_argument("--format", choices=["xlsx", "csv"], default="xlsx", help="csv: one tab, named by --tab")
    p.add_argument("--tab", default=None, help="the tab to export as CSV (e.g. Tracker)")
    p = sub.add_parser("emulator", parents=[common], help=COMMANDS["emulator"])
    p.add_argument("which", choices=["sheets", "platforms"])
    p.add_argument("--port", type=int, default=8780)
    p.add_argument("--data", default=None, help="data directory (persisted, crash-safe)")
    p.add_argument("--quota-per-minute", type=int, default=60, help="Sheets read and write quota (0: none)")
    p.add_argument("--fault-rate", type=float, default=0.0, help="fraction of requests faulted (0..1)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every request (not control endpoints)")
    p.add_argument("--seed", type=int, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sheets-sync`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return _dispatch(args)
    except SheetsSyncError as exc:
        print(f"sheets-sync: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "emulator":
        return _emulator(args)
    if args.command == "classify" and not args.from_sheet:
        return _classify(None)
    config = load_config(args.config)
    if args.command == "init":
        return _init(config, args.title)
    if args.command == "classify":
        return _classify(config)
    if args.command == "run":
        return _run(config, args.once)
    if args.command == "job":
        return _job(config, args.name)
    if args.command == "doctor":
        from .doctor import run_doctor

        return run_doctor(config)
    if args.command == "export":
        if args.format == "csv":
            return _export_csv(config, args.tab, args.out)
        return _export(config, args.out)
    if args.command == "demo":
        from .demo import run_demo

        return run_demo(config, comments=args.comments, out=Path(args.out))
    raise AssertionError(args.command)


def _export(config: Config, out: str | None) -> int:
    from datetime import datetime

    from .app import ensure_spreadsheet
    from .client import connect
    from .tracker.export_store import export_to
    from .tracker.store import TrackerStore

    backend = connect(config)
    spreadsheet_id = ensure_spreadsheet(config, backend)
    path = Path(out) if out else Path(f"tracker-{datetime.now(config.tz).date().isoformat()}.xlsx")
    export_to(TrackerStore(backend, tz=config.tz), path)
    print(f"Exported {spreadsheet_id} to {path.resolve()}")
    return 0


def _export_csv(config: Config, tab: str | None, out: str | None) -> int:
    from datetime import datetime

    from .app import ensure_spreadsheet
    from .client import connect
    from .tracker.export_csv import export_tab_csv
    from .tracker.export_store import write_atomically
    from .tracker.store import TrackerStore

    if not tab:
        print("sheets-sync export --format csv needs --tab NAME (CSV holds one tab), e.g. --tab Tracker")
        return 2
    backend = connect(config)
    spreadsheet_id = ensure_spreadsheet(config, backend)
    data = export_tab_csv(TrackerStore(backend, tz=config.tz), tab)
    day = datetime.now(config.tz).date().isoformat()
    path = Path(out) if out else Path(f"{tab.lower().replace(' ', '-')}-{day}.csv")
    write_atomically(data, path)
    print(f"Exported tab {tab!r} of {spreadsheet_id} to {path.resolve()}")
    return 0


def _init(config: Config, title: str | None) -> int:
    from .app import EMBEDDED_TITLE, ensure_spreadsheet
    from .client import connect
    from .tracker.init import InitRefused, run_init
    from .tracker.store import TrackerStore

    backend = connect(config)
    ensure_spreadsheet(config, backend, title or EMBEDDED_TITLE)
    try:
        report = run_init(TrackerStore(backend, tz=config.tz))
    except InitRefused as refused:
        # The other tabs were laid out: show what was done, then what was not and why (main prints it).
        for action in refused.report.actions:
            print(f"  {action}")
        raise
    for action in report.actions:
        print(f"  {action}")
    print(f"init: {len(report.actions)} changes to spreadsheet {report.spreadsheet_id}"
          if report.changed else f"init: spreadsheet {report.spreadsheet_id} is up to date; nothing written")
    return 0


def _run(config: Config, once: bool) -> int:
    from .app import build_runner
    from .doctor import secrets_warnings

    for warning in secrets_warnings(config):  # exposed secrets do not stop the run; say so at every start
        log.warning("%s", warning)
        print(f"sheets-sync: warning: {warning}", file=sys.stderr)
    runner = build_runner(config)
    if once:
        return _report(runner.cycle())
    from .app import daily_jobs

    webhook = config.webhook
    if webhook.port:
        from .connectors.webhook import WebhookReceiver, serve_webhook_in_thread

        receiver = WebhookReceiver(lambda events: runner.wake_up(), app_secret_env=webhook.app_secret_env,
                                   verify_token_env=webhook.verify_token_env)
        _, url = serve_webhook_in_thread(receiver, webhook.port)
        log.info("webhook receiver on %s: Facebook/Instagram events trigger a cycle at once", url)
    runner.run_forever(daily=daily_jobs(runner))
    return 0


def _job(config: Config, name: str) -> int:
    from .app import all_job_names, build_runner

    if name not in all_job_names():
        print(f"sheets-sync: unknown job {name!r}; jobs: {', '.join(all_job_names())}", file=sys.stderr)
        return 2
    runner = build_runner(config)
    if name == "archive":
        from .app import archive_all

        print(f"archive: {archive_all(runner)}")
        return 0
    return _report(runner.cycle([name] if name == "check" else ["check", name], on_demand=True))


def _report(result: CycleResult) -> int:
    """Print a cycle's summary; each problem on stderr. The exit code for cron and systemd: 0 when all is well
    (or another runner held the lease: it does the work), 1 when a platform refused its token, a tab could not
    be written or a job failed."""
    print(result.summary())
    for problem in result.problems:
        print(f"sheets-sync: problem: {problem}", file=sys.stderr)
    return 0 if result.ok or not result.ran else 1


# What `classify --from-sheet` reads: the rules, and the rows people confirmed (with what the tool had set).
SHEET_ROUTING_TABS = ("Routing", "Departments", "Posts", "Tracker", "Archive", "Audit")


def _classify(config: Config | None) -> int:
    from .routing import classify_jsonl, load_default_rules, sheet_rules

    rules, router = load_default_rules(), None
    if config is not None:
        from .client import connect
        from .routing.learned import router_from_whole_sheet
        from .tracker.store import TrackerStore

        store = TrackerStore(connect(config), tz=config.tz)
        notes: list[str] = []
        tables = store.read([*SHEET_ROUTING_TABS]).tables
        rules, departments = sheet_rules(tables, notes)
        router = router_from_whole_sheet(tables, rules, departments, threshold=config.routing.threshold,
                                         model_threshold=config.routing.model_threshold)
        for note in notes:
            print(f"sheets-sync: {note}", file=sys.stderr)
        examples = router.model.examples if router.model else 0
        categories = router.model.category_examples if router.model else 0
        print(f"sheets-sync: rules and a router learned from {examples} of the sheet's rows ({categories} for the "
              "category)", file=sys.stderr)
    for line in classify_jsonl(sys.stdin, rules, classifier=router):
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from .emulator.server import make_server

    if args.which == "sheets":
        from .emulator.sheets import SheetsEmulator

        core = SheetsEmulator(data_dir=args.data, quota_per_minute=args.quota_per_minute,
                              fault_rate=args.fault_rate, latency_s=args.latency_ms / 1000, seed=args.seed)
    else:
        from .emulator.platforms import PlatformEmulator

        core = PlatformEmulator(data_dir=args.data, fault_rate=args.fault_rate, seed=args.seed)
        core.faults.latency_s = args.latency_ms / 1000
    server = make_server(core, args.port)
    host, port = server.server_address[:2]
    print(json.dumps({"url": f"http://{host}:{port}", "emulator": args.which}), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
