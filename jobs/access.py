"""``access``: the Tracker Sheet's editors kept to the Departments tab (daily at ``access.at``, or
``sheets-sync job access`` now). Off unless ``access.manage`` is true.

One run: list the sheet's permissions (Drive, every page) → plan (``sheets_sync.access``: grants, removals, and
removals held for the cell's tick) → share and unshare, one address at a time — Drive refusing one address (not
an address, outside the organisation's sharing policy) is noted naming it and the fix, and the others go on →
record, in the cycle's one write: what the tool granted (``_state['access']``), the Access tab (one row per
editor it manages; *Removal pending* rows with the *Confirm Removal* box), an Audit row per grant and removal,
and the day's log the cell's digest lists (``_state['access_log']``).

Drive is changed before the cycle's write (as ``reply`` posts before recording): should that write fail, the run
is reported failed and the next run sees the new editors as shared by hand — it never removes anyone wrongly, and
the failure is in the cell's health e-mail.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sheets_sync.access import (
    ACCESS_STATE,
    EDITOR,
    LOG_STATE,
    PENDING,
    AccessPlan,
    AccessState,
    Granted,
    Situation,
    append_log,
    plan_access,
    wanted_writers,
)
from sheets_sync.tracker.access_store import AccessStore, Permission, SharingRefused, is_service_account
from sheets_sync.tracker.cells import to_cell_data
from sheets_sync.tracker.table import column_letter
from sheets_sync.tracker.unit_of_work import TabRows
from sheets_sync.vocabulary import checkbox

from .cycle import CycleContext

log = logging.getLogger("sheets_sync.jobs.access")

JOB = "access"
TAB = "Access"
AUDIT_COLUMN = "Edit access"
FIXES = {
    "invalid": "it is not an e-mail address Drive accepts: correct it on the Departments tab",
    "domainPolicy": "the organisation's sharing settings refuse this address: use the officer's official "
                    "address, or ask the Workspace administrator to allow it",
    "invalidSharingRequest": "Drive refused the share (often: no Google account for this address, and "
                             "access.notify is false): set access.notify: true, or use an address with a Google "
                             "account",
}


def run(ctx: CycleContext) -> None:
    """Make the Tracker Sheet's editors match the Departments tab and ``access.editors`` (see the module)."""
    config = ctx.config.access
    if not config.manage:
        ctx.note("access: access.manage is off, so the tool does not change who can edit the sheet "
                 "(set access.manage: true in the config to let it)")
        return
    work = ctx.work
    store = AccessStore(work.store)
    sid = work.store.spreadsheet_id
    tab = work[TAB]
    permissions = store.permissions(sid)
    departments = work.tab("Departments")
    records = departments.table.records() if departments else []
    letter = column_letter(departments.table.col.get("Email", 4)) if departments else "E"
    wanted, notes = wanted_writers(records, config.editors, letter)
    for note in notes:
        ctx.note(note)
    plan = plan_access(Situation(
        wanted=wanted, current=list(permissions),
        state=AccessState.parse(work.state.get(ACCESS_STATE)), protected=_protected(permissions, work.store.service_account_email()),
        ticked={key.casefold(): checkbox(tab.raw(key, "Confirm Removal"), empty=False, unreadable=False)
                for key in tab.keys()},
        max_removals=config.max_removals_per_run, now=ctx.now.isoformat()))
    events = _apply(ctx, store, sid, plan)
    for note in plan.notes:
        ctx.note(note)
    _record(ctx, tab, plan, events)


def _protected(permissions: list[Permission], service_account: str | None) -> frozenset[str]:
    """The owner, the service account the tool signs in as, and every service account: never touched."""
    keep = {p.email.casefold() for p in permissions if p.role == "owner" or is_service_account(p.email)}
    if service_account:
        keep.add(service_account.casefold())
    return frozenset(keep)


def _apply(ctx: CycleContext, store: AccessStore, sid: str, plan: AccessPlan) -> list[dict[str, str]]:
    """Share and unshare on Drive, each address on its own; the events (for Audit, the Access tab, the log)."""
    now = ctx.now.isoformat()
    events: list[dict[str, str]] = []
    for wanted in plan.grant:
        try:
            permission = store.grant(sid, wanted.address, notify=ctx.config.access.notify)
        except SharingRefused as exc:
            _refused(ctx, plan, wanted.address, wanted.why, exc)
            events.append({"what": "could not grant edit access to", "address": wanted.address,
                           "why": f"{exc.reason}: {FIXES.get(exc.reason, exc.detail)}", "at": now})
            continue
        plan.state.granted[wanted.address] = Granted(permission.id, now, wanted.why)
        events.append({"what": "granted edit access to", "address": wanted.address, "why": wanted.why, "at": now})
        ctx.count(JOB, "granted")
    for address, granted in plan.remove:
        try:
            store.revoke(sid, Permission(granted.id, "user", "writer", address))
        except SharingRefused as exc:
            if exc.reason != "notFound":  # already gone (removed by hand meanwhile): nothing left to do
                plan.state.granted[address] = granted
                _refused(ctx, plan, address, granted.why, exc)
                continue
        events.append({"what": "removed edit access of", "address": address,
                       "why": f"no longer listed ({granted.why})", "at": now})
        ctx.count(JOB, "removed")
    for address in plan.hold:
        events.append({"what": "waits for the cell's tick to remove", "address": address,
                       "why": "Access tab, Confirm Removal", "at": now})
    ctx.count(JOB, "pending", len(plan.hold))
    return events


def _refused(ctx: CycleContext, plan: AccessPlan, address: str, why: str, exc: SharingRefused) -> None:
    fix = FIXES.get(exc.reason, "see Drive's message")
    ctx.note(f"access: {address} ({why}): Drive refused ({exc.status} {exc.reason}: {exc.detail}) — {fix}.")
    log.warning("access: %s", exc)


def _record(ctx: CycleContext, tab: TabRows, plan: AccessPlan, events: list[dict[str, str]]) -> None:
    """The state, the Access tab, the Audit rows and the day's log: all in the cycle's one write."""
    work = ctx.work
    work.set_state(ACCESS_STATE, plan.state.dumps())
    if events:
        work.set_state(LOG_STATE, append_log(work.state.get(LOG_STATE), events, ctx.now))
    _sync_tab(ctx, tab, plan)
    audit = [[ctx.now, JOB, e["address"], AUDIT_COLUMN, *_old_new(e["what"])] for e in events
             if e["what"].startswith(("granted", "removed"))]
    if audit:
        _audit(ctx, audit)


def _old_new(what: str) -> list[str]:
    return ["", "writer"] if what.startswith("granted") else ["writer", "removed"]


def _sync_tab(ctx: CycleContext, tab: TabRows, plan: AccessPlan) -> None:
    """One row per address the tool manages; rows of addresses it no longer manages are deleted."""
    managed = {a.casefold(): (a, g) for a, g in plan.state.granted.items()}
    for key in tab.keys():
        if key.casefold() not in managed:
            tab.delete(key, JOB)
    existing = {key.casefold(): key for key in tab.keys()}
    for folded, (address, granted) in managed.items():
        status = PENDING if granted.pending_since else EDITOR
        since = _when(granted.pending_since or granted.at) or ctx.now
        key = existing.get(folded)
        if key is None:
            tab.append({"Email": address, "Why": granted.why, "Status": status, "Since": since}, JOB)
            continue
        if tab.text(key, "Status") != status or not tab.get(key, "Since"):
            tab.set(key, "Since", since, JOB)
        tab.set(key, "Why", granted.why, JOB)
        tab.set(key, "Status", status, JOB)


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _audit(ctx: CycleContext, rows: list[list[Any]]) -> None:
    """Audit rows for grants and removals, appended in the cycle's own ``batchUpdate``: sharing is no cell
    change, so the write's own Audit rows cannot record it."""
    sheet = ctx.work.tabs_meta().get("Audit")
    if sheet is None:
        ctx.note("access: the Audit tab is missing, so grants and removals are not logged there — run "
                 "`sheets-sync init`")
        return
    tz = ctx.config.tz
    ctx.work.add_request({"appendCells": {
        "sheetId": sheet[0], "fields": "userEnteredValue",
        "rows": [{"values": [to_cell_data(v, tz) for v in row]} for row in rows]}})
