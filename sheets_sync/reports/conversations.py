"""What the morning digest and the Dashboard say about conversations and urgent matters: the follow-ups that
reopened a finished conversation, the urgent rows still open.

A department sees its own (the citizen wrote again after the department's reply was posted or the row closed:
the answer did not settle it); the cell sees how many each department has. Pure: rows in, ``Section``s out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..conversations import is_reopened
from ..vocabulary import URGENT, is_finished
from .digest import CELL_KEY, row_link, truncate
from .sections import Section

__all__ = ["H_REOPENED", "dashboard_block", "reopened_sections"]

H_REOPENED = "पुन्हा उघडलेली संभाषणे / Reopened conversations"
HEADERS = ("Ticket", "Continues", "Comment")


def reopened_sections(rows: Iterable[Mapping[str, Any]], spreadsheet_id: str, gid: int | str
                      ) -> dict[str, list[Section]]:
    """Department → its section of open follow-ups that reopened a conversation; the cell's (``CELL_KEY``)
    counts them by department. Empty when there are none."""
    by_department: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if is_reopened(str(row.get("Assigned By") or "")) and not is_finished(str(row.get("Status") or "")):
            by_department.setdefault(str(row.get("Department") or "").strip(), []).append(row)
    sections: dict[str, list[Section]] = {}
    for department, items in by_department.items():
        sections[department] = [Section(
            f"{H_REOPENED} ({len(items)})", HEADERS,
            [[str(r.get("Ticket ID") or ""), str(r.get("Parent Ticket") or ""), truncate(str(r.get("Comment") or ""))]
             for r in items],
            [row_link(spreadsheet_id, gid, int(r["_row"])) if r.get("_row") else None for r in items])]
    if by_department:
        sections[CELL_KEY] = [Section(H_REOPENED, bullets=[
            f"{department or 'not routed yet'}: {len(items)}" for department, items in sorted(by_department.items())])]
    return sections


BLOCK_HEADER = ["तातडीचे व पुन्हा उघडलेले / Urgent and reopened", "तातडीचे प्रलंबित / Urgent open",
                "पुन्हा उघडलेली संभाषणे / Reopened conversations"]


def dashboard_block(rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """The Dashboard's block for urgent matters and reopened conversations, per department (those with any),
    then Total: open urgent rows, and conversations (by Parent Ticket) reopened by a follow-up now in the
    Tracker. Empty when there are none."""
    urgent: dict[str, int] = {}
    reopened: dict[str, set[str]] = {}
    for row in rows:
        department = str(row.get("Department") or "").strip() or "—"
        if str(row.get("Priority") or "").strip() == URGENT and not is_finished(str(row.get("Status") or "")):
            urgent[department] = urgent.get(department, 0) + 1
        if is_reopened(str(row.get("Assigned By") or "")):
            reopened.setdefault(department, set()).add(str(row.get("Parent Ticket") or ""))
    names = sorted(set(urgent) | set(reopened))
    if not names:
        return []
    block: list[list[Any]] = [list(BLOCK_HEADER)]
    block += [[name, urgent.get(name, 0), len(reopened.get(name, ()))] for name in names]
    block.append(["Total", sum(urgent.values()), sum(len(v) for v in reopened.values())])
    return block
