"""``sheets-sync doctor``: one line per check, each failure with its fix; non-zero exit on any failure."""

from __future__ import annotations

import os
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import Config, PlatformConfig
from .errors import SheetsSyncError

OK, FAIL, WARN = "ok", "FAIL", "warn"


@dataclass
class Check:
    """One check's outcome."""

    name: str
    status: str
    detail: str

    def line(self) -> str:
        """The printed line."""
        return f"[{self.status:>4}] {self.name}: {self.detail}"


def _safe(name: str, fn: Callable[[], Check | list[Check]]) -> list[Check]:
    try:
        out = fn()
    except SheetsSyncError as exc:
        return [Check(name, FAIL, str(exc))]
    except Exception as exc:  # noqa: BLE001 - a doctor reports, it does not crash
        return [Check(name, FAIL, f"{exc.__class__.__name__}: {exc}")]
    return out if isinstance(out, list) else [out]


def check_sheet(config: Config, backend: Any) -> list[Check]:
    """Access to the Tracker Sheet, editing rights on protected ranges, and the tabs against the schema."""
    from .tracker.store import TrackerStore

    if not backend.spreadsheet_id:
        return [Check("sheet", FAIL, "no Tracker Sheet yet — run `sheets-sync init`.")]
    store = TrackerStore(backend, tz=config.tz)
    meta = store.protection_meta()
    access = Check("sheet access", OK, f"opened {meta.get('properties', {}).get('title', '?')!r} "
                                       f"({store.spreadsheet_id})")
    me = store.service_account_email()
    return [access, check_protected_ranges(meta, me), check_tabs(meta, store)]


def check_protected_ranges(meta: dict[str, Any], me: str | None) -> Check:
    """Whether the service account ``me`` may edit every protected range (warning-only ranges aside)."""
    blocked = [f"{sheet['properties']['title']}: {pr.get('description') or 'a protected range'}"
               for sheet in meta.get("sheets", []) for pr in sheet.get("protectedRanges", [])
               if not pr.get("warningOnly") and me and me not in (pr.get("editors") or {}).get("users", [])]
    if blocked:
        return Check("protected ranges", FAIL, f"the service account {me} cannot edit: {'; '.join(blocked)}. "
                     "Add it to the range's editors (Data > Protect sheets and ranges) or make it warning-only.")
    return Check("protected ranges", OK, "the tool can edit every range it writes")


def check_tabs(meta: dict[str, Any], store: Any) -> Check:
    """The tabs against sheet_schema.yaml: all present, each with the columns it needs."""
    from .schema import load_schema

    schema = load_schema()
    titles = {s["properties"]["title"] for s in meta.get("sheets", [])}
    missing_tabs = [t for t in schema.tabs if t not in titles]
    if missing_tabs:
        return Check("tabs", FAIL, f"missing {', '.join(missing_tabs)} — run `sheets-sync init`.")
    snapshot = store.read([t for t in schema.tabs if schema[t].columns and t not in ("Archive", "Audit")])
    problems = [p for table in snapshot.tables.values() for p in table.problems]
    if problems:
        return Check("tabs", FAIL, " | ".join(problems))
    rows = sum(1 for _ in snapshot["Tracker"].row_numbers())
    return Check("tabs", OK, f"all tabs match sheet_schema.yaml ({rows} Tracker rows)")


def check_platforms(config: Config) -> list[Check]:
    """Each configured platform: its token is present and accepted, with the permissions the tool needs."""
    from .connectors.registry import build_connectors

    if not config.platforms:
        return [Check("platforms", WARN, "none configured — comments will not be fetched (add `platforms:` entries; see the README's configuration reference)")]
    checks = []
    for entry in config.platforms:
        name = f"platform {entry.kind}"
        def one(entry: PlatformConfig = entry, name: str = name) -> Check:
            [connector] = build_connectors([entry])
            detail = connector.check() if hasattr(connector, "check") else "token present"
            return Check(name, OK, detail)
        checks += _safe(name, one)
    return checks


def check_smtp(config: Config) -> Check:
    """Log in to the SMTP server (without sending)."""
    smtp = config.smtp
    if not smtp:
        return Check("smtp", WARN, f"not configured — digests are written as .eml files to {config.digest.folder}/")
    host, port = smtp.host, smtp.port
    cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    with cls(host, port, timeout=smtp.timeout) as server:
        server.ehlo()
        if smtp.starttls:
            server.starttls()
            server.ehlo()
        if smtp.user_env and smtp.password_env:
            user, password = os.environ.get(smtp.user_env), os.environ.get(smtp.password_env)
            if not user or not password:
                return Check("smtp", FAIL, f"set the environment variables {smtp.user_env} and {smtp.password_env} "
                                           "(the SMTP user and password).")
            server.login(user, password)
            return Check("smtp", OK, f"logged in to {host}:{port}")
    return Check("smtp", OK, f"connected to {host}:{port} (no login configured)")


def run_doctor(config: Config, backend: Any = None, out: Callable[[str], None] = print) -> int:
    """Run every check and print one line each; 0 when nothing failed."""
    from .client import connect

    checks = [Check("config", OK, str(config.path) if config.path else "no sheets-sync.yaml: defaults "
                                                                        "(embedded emulator)")]
    if config.embedded and not config.endpoint:
        checks.append(Check("credentials", OK, "not needed for the embedded emulator"))
    elif config.endpoint:
        checks.append(Check("credentials", OK, f"emulator at {config.endpoint}: none needed"))
    def sheet() -> list[Check]:
        nonlocal backend
        backend = backend or connect(config)
        creds = [] if backend.kind != "google" else [Check("credentials", OK, f"key file {config.credentials}")]
        return creds + check_sheet(config, backend)
    checks += _safe("sheet", sheet)
    checks += check_platforms(config)
    checks += _safe("smtp", lambda: check_smtp(config))
    for check in checks:
        out(check.line())
    failed = [c for c in checks if c.status == FAIL]
    out(f"doctor: {len(checks) - len(failed)} of {len(checks)} checks passed")
    return 1 if failed else 0
