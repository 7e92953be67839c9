"""Who should edit the Tracker Sheet, and what to change so that they do: pure planning, no requests.

The writers the sheet should have: every *active* department's addresses (the Departments tab's *Email* cell —
head and nodal officer, comma-separated, the same addresses the digest goes to) and the cell's own
(``access.editors``). The tool only ever removes what it granted itself (recorded in ``_state`` under
``ACCESS_STATE``): the owner, the service account and everyone shared by hand are never touched.

The guard: when more of its grants would go than ``access.max_removals_per_run`` (an emptied or half-pasted
Departments tab), none goes without the cell's tick — each waits as *Removal pending* on the Access tab until
someone ticks its *Confirm Removal* box, or the address is listed again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .reports.digest import check_addresses, header_text
from .reports.sections import Section
from .tracker.access_store import Permission
from .vocabulary import is_active

ACCESS_STATE = "access"  # _state key: what the tool granted, what waits for the cell's confirmation
LOG_STATE = "access_log"  # _state key: recent grants and removals, for the cell's digest
LOG_KEEP = timedelta(days=7)
EDITOR, PENDING = "Editor", "Removal pending"
CELL = "access.editors"
# The seeded Departments rows hold placeholder addresses (example.gov.in), and RFC 2606 reserves the others:
# nobody is given edit access for such an address, however long it stays in the sheet.
PLACEHOLDER_DOMAINS = ("example.gov.in", "example.com", "example.org", "example.net")
PLACEHOLDER_SUFFIXES = (".example", ".test", ".invalid", ".localhost")


def is_placeholder(address: str) -> bool:
    """Whether an address is a placeholder (the seeded example.gov.in ones, or a reserved domain)."""
    domain = address.rsplit("@", 1)[-1].casefold()
    return domain in PLACEHOLDER_DOMAINS or domain.endswith(PLACEHOLDER_SUFFIXES)


@dataclass(frozen=True)
class Wanted:
    """An address that should be a writer, and why (``Roads (Departments!E5)`` or ``access.editors``)."""

    address: str
    why: str


# One permission of the sheet as Drive lists it: the tracker layer's plain record (this module sends nothing).
Current = Permission


@dataclass
class Granted:
    """What the tool granted one address: Drive's permission id, when, and why."""

    id: str
    at: str
    why: str
    pending_since: str = ""
    armed: bool = False  # seen unticked while pending: only a tick made after the request confirms

    def to_json(self) -> dict[str, Any]:
        """As kept in ``_state``."""
        out: dict[str, Any] = {"id": self.id, "at": self.at, "why": self.why}
        if self.pending_since:
            out.update(pending_since=self.pending_since, armed=self.armed)
        return out


@dataclass
class AccessState:
    """``_state['access']``: address (as granted) → what the tool granted."""

    granted: dict[str, Granted] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> AccessState:
        """Read the state key; a value the tool cannot read counts as "granted nothing" (never remove blindly)."""
        try:
            raw = json.loads(text or "{}")
            items = raw.get("granted", {}) if isinstance(raw, dict) else {}
            return cls({str(a): Granted(str(g.get("id", "")), str(g.get("at", "")), str(g.get("why", "")),
                                        str(g.get("pending_since", "")), bool(g.get("armed", False)))
                        for a, g in items.items() if isinstance(g, dict)})
        except (ValueError, AttributeError):
            return cls()

    def dumps(self) -> str:
        """As written to ``_state``."""
        return json.dumps({"granted": {a: g.to_json() for a, g in sorted(self.granted.items())}},
                          ensure_ascii=False, sort_keys=True)

    def find(self, address: str) -> str | None:
        """The address as recorded (case aside), or None."""
        folded = address.casefold()
        return next((a for a in self.granted if a.casefold() == folded), None)


def wanted_writers(departments: Iterable[Mapping[str, Any]], editors: Sequence[str],
                   email_column: str = "E") -> tuple[list[Wanted], list[str]]:
    """The addresses that should edit, first reason kept; and notes naming each Email cell that holds something
    that is not an address (the rest of the row's addresses still count)."""
    wanted: dict[str, Wanted] = {}
    notes: list[str] = []
    for dept in departments:
        name = header_text(dept.get("Department", ""))
        if not name or not is_active(dept.get("Active", "")):
            continue
        where = f"Departments!{email_column}{dept.get('_row', '?')}"
        found, bad = check_addresses(dept.get("Email", ""))
        if bad:
            notes.append(f"{where} (Email of {name}): {', '.join(repr(b) for b in bad)} is not an e-mail address "
                         "— nobody is given edit access for it; write plain addresses separated by commas.")
        placeholders = [a for a in found if is_placeholder(a)]
        if placeholders:
            notes.append(f"{where} (Email of {name}): {', '.join(placeholders)} is a placeholder — nobody is given "
                         "edit access for it; write the head's and nodal officer's real addresses.")
        for address in (a for a in found if not is_placeholder(a)):
            wanted.setdefault(address.casefold(), Wanted(address, f"{name} ({where})"))
    for address in editors:
        wanted.setdefault(address.casefold(), Wanted(address, CELL))
    return list(wanted.values()), notes


@dataclass
class AccessPlan:
    """What one run changes: grants, removals now, removals waiting for the cell, and the new state."""

    grant: list[Wanted] = field(default_factory=list)
    remove: list[tuple[str, Granted]] = field(default_factory=list)
    hold: list[str] = field(default_factory=list)  # waiting for the cell's tick
    state: AccessState = field(default_factory=AccessState)
    notes: list[str] = field(default_factory=list)
    held_back: bool = False  # the guard stopped unconfirmed removals this run


@dataclass(frozen=True)
class Situation:
    """Everything the planner looks at."""

    wanted: Sequence[Wanted]
    current: Sequence[Current]
    state: AccessState
    protected: frozenset[str]  # the owner and the service account(s): never touched (casefolded)
    ticked: Mapping[str, bool]  # Access tab: address (casefolded) → Confirm Removal ticked
    max_removals: int
    now: str


def plan_access(s: Situation) -> AccessPlan:
    """Decide the run's grants and removals (see the module's docstring for the rules)."""
    plan = AccessPlan(state=AccessState(dict(s.state.granted)))
    by_email = {c.email.casefold(): c for c in s.current if c.email}
    wanted = {w.address.casefold(): w for w in s.wanted}
    _forget_gone(plan, by_email)
    for key, w in wanted.items():
        if key in s.protected:
            continue
        held = by_email.get(key)
        recorded = plan.state.find(w.address)
        if recorded is not None:
            plan.state.granted[recorded].pending_since = ""  # listed again: nothing to confirm any more
            plan.state.granted[recorded].armed = False
        if held is None:
            plan.grant.append(w)
        elif not held.can_edit and recorded is None:
            plan.notes.append(f"access: {w.address} ({w.why}) was given {held.role} access by hand; the tool "
                              "leaves what it did not grant alone — make them an editor in Share, or remove "
                              "that access so the tool can grant it.")
    _plan_removals(plan, s, by_email, wanted)
    return plan


def _forget_gone(plan: AccessPlan, by_email: Mapping[str, Current]) -> None:
    """Grants a person removed by hand in Share are forgotten (and granted again if still listed)."""
    for address in list(plan.state.granted):
        if address.casefold() not in by_email:
            del plan.state.granted[address]


def _plan_removals(plan: AccessPlan, s: Situation, by_email: Mapping[str, Current],
                   wanted: Mapping[str, Wanted]) -> None:
    """Confirmed removals go; a removal once asked of the cell waits for its tick; fresh ones go unless there
    are more than ``max_removals`` of them, and then all are asked of the cell."""
    stale = [a for a in sorted(plan.state.granted) if a.casefold() not in wanted
             and a.casefold() not in s.protected and by_email.get(a.casefold()) is not None]
    asked = [a for a in stale if plan.state.granted[a].pending_since]
    fresh = [a for a in stale if not plan.state.granted[a].pending_since]
    confirmed = [a for a in asked if plan.state.granted[a].armed and s.ticked.get(a.casefold())]
    plan.held_back = len(fresh) > s.max_removals
    for address in confirmed + ([] if plan.held_back else fresh):
        plan.remove.append((address, plan.state.granted.pop(address)))
    _hold(plan, s, [a for a in asked if a not in confirmed] + (fresh if plan.held_back else []))
    if plan.held_back:
        plan.notes.append(
            f"access: {len(fresh)} editors are no longer listed on the Departments tab, more than "
            f"access.max_removals_per_run ({s.max_removals}) — none was removed. If that is right, tick Confirm "
            "Removal for each on the Access tab (the next run removes them); if the Departments tab was emptied "
            "by mistake, restore it and the requests go away.")


def _hold(plan: AccessPlan, s: Situation, waiting: list[str]) -> None:
    """Removals that wait for the cell's tick (asked from now on, if not yet)."""
    for address in waiting:
        granted = plan.state.granted[address]
        ticked = bool(s.ticked.get(address.casefold()))
        if not granted.pending_since:
            # A box ticked before the question was asked does not answer it: only a fresh tick confirms.
            granted.pending_since, granted.armed = s.now, not ticked
        elif not ticked:
            granted.armed = True
        plan.hold.append(address)


def log_lines(text: str | None, now: datetime, since: timedelta = timedelta(days=1)) -> list[str]:
    """The grants and removals of the last day, from ``_state['access_log']``, as lines for the cell's
    digest."""
    events = _events(text)
    recent = [e for e in events if _age(e, now) <= since]
    return [f"access: {e.get('what', '')} {e.get('address', '')} — {e.get('why', '')} ({e.get('at', '')[:16]})"
            for e in recent]


def append_log(text: str | None, entries: Sequence[dict[str, str]], now: datetime) -> str:
    """``_state['access_log']`` with ``entries`` added and those older than a week dropped."""
    kept = [e for e in _events(text) if _age(e, now) <= LOG_KEEP]
    return json.dumps(kept + list(entries), ensure_ascii=False)


def _events(text: str | None) -> list[dict[str, str]]:
    try:
        events = json.loads(text or "[]")
    except ValueError:
        return []
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []


def _age(event: Mapping[str, str], now: datetime) -> timedelta:
    try:
        return now - datetime.fromisoformat(str(event.get("at", "")))
    except (TypeError, ValueError):
        return timedelta.max


def digest_section(text: str | None, now: datetime) -> Section | None:
    """The cell's digest section: the last day's grants, removals, refusals and removals waiting for a tick."""
    lines = log_lines(text, now)
    if not lines:
        return None
    return Section("संपादन हक्क / Edit access (Access tab)", bullets=[line.removeprefix("access: ") for line in lines])


def compare_editors(editors: Sequence[str], departments: Iterable[Mapping[str, Any]], cell_editors: Sequence[str],
                    manage: bool) -> tuple[bool, str]:
    """For ``doctor``: (whether the sheet's editors match the Departments tab, a line saying who can edit and
    what differs)."""
    wanted, _notes = wanted_writers(departments, cell_editors)
    have = {e.casefold(): e for e in editors}
    want = {w.address.casefold(): w.address for w in wanted}
    missing = sorted(want[k] for k in want.keys() - have.keys())
    extra = sorted(have[k] for k in have.keys() - want.keys())
    line = f"{len(editors)} can edit: {', '.join(sorted(editors)) or 'nobody'}"
    if missing:
        line += f"; listed but not editors: {', '.join(missing)}"
    if extra:
        line += f"; editors not listed (owner, shared by hand, or waiting for removal): {', '.join(extra)}"
    if missing or extra:
        line += (" — the daily access job grants the missing ones (sheets-sync job access to run it now)" if manage
                 else " — sharing is by hand (set access.manage: true to let the tool keep it to the Departments tab)")
    return not missing, line
