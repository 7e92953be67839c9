"""``sheets-sync doctor``: one line per check, each failure with its fix; non-zero exit on any failure."""

from __future__ import annotations

import ipaddress
import os
import shlex
import smtplib
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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
    return [access, check_protected_ranges(meta, me), check_tabs(meta, store), check_editors(config, store)]


def check_editors(config: Config, store: Any) -> Check:
    """Who can edit the sheet, and how that differs from the Departments tab and ``access.editors``."""
    from .access import compare_editors
    from .tracker.access_store import AccessStore

    editors = AccessStore(store).editors(store.spreadsheet_id)
    departments = store.read(["Departments"]).tables["Departments"].records()
    matches, detail = compare_editors(editors, departments, config.access.editors, config.access.manage)
    return Check("editors", OK if matches else WARN, detail)


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
    from .connectors.base import CheckWarning
    from .connectors.registry import build_connectors

    if not config.platforms:
        return [Check("platforms", WARN, "none configured — comments will not be fetched (add `platforms:` entries; see the README's configuration reference)")]
    checks = []
    for entry in config.platforms:
        name = f"platform {entry.kind}"
        def one(entry: PlatformConfig = entry, name: str = name) -> Check:
            [connector] = build_connectors([entry])
            try:
                return Check(name, OK, connector.check())
            except CheckWarning as warning:
                return Check(name, WARN, str(warning))
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


def check_content_mail(config: Config) -> Check:
    """Log in to the cell's mailbox (``content_mail``) and open its folder, reading nothing."""
    from .mailbox import check_login

    assert config.content_mail is not None
    return Check("content mail", OK, check_login(config.content_mail))


def secrets_warnings(config: Config) -> list[str]:
    """What exposes a secret without stopping the tool, each naming the key, the file and the fix: key files
    readable by group or others (``credentials``, a YouTube entry's ``credentials``), and an SMTP login sent in
    plaintext to a host that is not this machine. ``sheets-sync run`` warns of these at start; ``doctor``
    reports them."""
    warnings = []
    files = [("credentials", config.credentials)] + [
        (f"platforms[{i}].credentials", entry.credentials) for i, entry in enumerate(config.platforms)
        if entry.credentials is not None]
    for key, path in files:
        problem = _key_file_problem(path) if path is not None else None
        if problem:
            warnings.append(f"{config.where(key)}: key file {path} {problem}: run `chmod 600 "
                            f"{shlex.quote(str(path))}` so only the user running sheets-sync can read it.")
    smtp = config.smtp
    if (smtp and (smtp.user_env or smtp.password_env) and not smtp.starttls and not smtp.ssl
            and not _is_loopback(smtp.host)):
        warnings.append(f"{config.where('smtp.starttls')}: the SMTP login (${smtp.user_env or smtp.password_env}) "
                        f"to {smtp.host}:{smtp.port} would cross the network in plaintext: set `starttls: true` "
                        "(port 587) or `ssl: true` (port 465) under `smtp:`.")
    return warnings


def _key_file_problem(path: Path) -> str | None:
    """Why a key file's permissions expose it (readable or writable by group or others), or None."""
    if os.name != "posix":
        return None  # Windows ACLs are not mode bits
    try:
        mode = path.stat().st_mode
    except OSError:  # missing or unreadable: the credentials check reports it
        return None
    if not stat.S_ISREG(mode) or not mode & 0o077:
        return None
    return f"is open to group or others (mode {stat.S_IMODE(mode):03o})"


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine, judged from the name alone (no DNS lookup)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_secrets(config: Config) -> list[Check]:
    """``secrets_warnings`` as doctor lines: a warning each (the tool works, but a secret is exposed)."""
    warnings = secrets_warnings(config)
    if not warnings:
        return [Check("secrets", OK, "key files readable by their owner only; no plaintext SMTP login")]
    return [Check("secrets", WARN, warning) for warning in warnings]


def check_backup(config: Config) -> list[Check]:
    """The last backup's age: a warning (not a failure: a new install has none yet) when older than a day."""
    from datetime import datetime

    from .tracker.export_store import backup_age, backup_folder

    fresh, text = backup_age(backup_folder(config), datetime.now(config.tz))
    return [Check("backup", OK if fresh else WARN, text)]


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
    checks += _safe("secrets", lambda: check_secrets(config))
    checks += _safe("sheet", sheet)
    checks += check_platforms(config)
    checks += _safe("smtp", lambda: check_smtp(config))
    checks += _safe("backup", lambda: check_backup(config))
    if config.content_mail is not None:
        checks += _safe("content mail", lambda: check_content_mail(config))
    for check in checks:
        out(check.line())
    failed = [c for c in checks if c.status == FAIL]
    out(f"doctor: {len(checks) - len(failed)} of {len(checks)} checks passed")
    return 1 if failed else 0
