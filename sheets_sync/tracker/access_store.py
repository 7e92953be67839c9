"""Who may open and edit a spreadsheet: Drive v3 permission requests (list with paging, create, delete).

Every sharing request the tool sends leaves from here — the ``access`` job's upkeep of the Tracker Sheet's
editors and the sharing of an archive spreadsheet alike. Drive's refusals come back as ``SharingRefused`` naming
the address and Drive's reason (a malformed address, the organisation's sharing policy), so the caller can set
that one address aside and go on with the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gspread.exceptions import APIError

from ..client import DRIVE_FILES_URL

if TYPE_CHECKING:
    from .store import TrackerStore

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Drive's largest page of permissions
LIST_FIELDS = "nextPageToken,permissions(id,type,role,emailAddress,domain)"
# Roles that can edit the file: a listed address already holding one of them needs nothing.
EDITING_ROLES = ("owner", "organizer", "fileOrganizer", "writer")


@dataclass(frozen=True)
class Permission:
    """One entry of a file's sharing."""

    id: str
    type: str
    role: str
    email: str = ""

    @property
    def can_edit(self) -> bool:
        """Whether this entry lets its holder edit the file."""
        return self.role in EDITING_ROLES


class SharingRefused(Exception):
    """Drive refused to share with (or unshare) one address: ``reason`` is Drive's (``invalid``,
    ``domainPolicy``, ``invalidSharingRequest``, ``notFound`` ...), the message says what and how to fix it."""

    def __init__(self, address: str, status: int, reason: str, detail: str) -> None:
        super().__init__(f"{address}: Drive refused ({status} {reason}: {detail})")
        self.address = address
        self.status = status
        self.reason = reason
        self.detail = detail


def _refusal(address: str, exc: APIError) -> SharingRefused | None:
    """A ``SharingRefused`` for Drive's 4xx about one address; None for what the caller must not swallow
    (quota, server trouble: retried by the client, then raised)."""
    status = exc.response.status_code
    if status not in (400, 403, 404):
        return None
    try:
        error = exc.response.json().get("error", {})
    except ValueError:
        error = {}
    reasons = [e.get("reason", "") for e in error.get("errors") or []]
    reason = reasons[0] if reasons else ""
    if reason in ("rateLimitExceeded", "userRateLimitExceeded", "sharingRateLimitExceeded", "dailyLimitExceeded"):
        return None
    return SharingRefused(address, status, reason, str(error.get("message") or exc))


class AccessStore:
    """Drive permission requests, through the Tracker store's (retrying) HTTP client."""

    def __init__(self, store: TrackerStore) -> None:
        self.store = store

    @property
    def _http(self) -> Any:
        return self.store.http

    def permissions(self, file_id: str) -> list[Permission]:
        """Everyone the file is shared with, the owner included: every page (100 a request)."""
        url = f"{DRIVE_FILES_URL}/{file_id}/permissions"
        params: dict[str, Any] = {"supportsAllDrives": "true", "pageSize": PAGE_SIZE, "fields": LIST_FIELDS}
        out: list[Permission] = []
        seen: set[str] = set()
        while True:
            body = self._http.request("get", url, params=params).json()
            out += [Permission(str(p.get("id", "")), str(p.get("type", "")), str(p.get("role", "")),
                               str(p.get("emailAddress") or p.get("domain") or ""))
                    for p in body.get("permissions") or []]
            token = body.get("nextPageToken")
            if not token:
                return out
            if token in seen:  # a server repeating itself would otherwise be asked forever
                raise RuntimeError(f"Drive repeated a page token listing the permissions of {file_id}")
            seen.add(token)
            params["pageToken"] = token

    def grant(self, file_id: str, address: str, *, notify: bool, role: str = "writer") -> Permission:
        """Make ``address`` a ``role`` of the file (Drive e-mails them when ``notify``); ``SharingRefused`` when
        Drive refuses that address."""
        params = {"supportsAllDrives": "true", "sendNotificationEmail": "true" if notify else "false",
                  "fields": "id,type,role,emailAddress"}
        try:
            body = self._http.request("post", f"{DRIVE_FILES_URL}/{file_id}/permissions", params=params,
                                      json={"type": "user", "role": role, "emailAddress": address}).json()
        except APIError as exc:
            refused = _refusal(address, exc)
            if refused is None:
                raise
            raise refused from exc
        return Permission(str(body.get("id", "")), str(body.get("type", "user")), str(body.get("role", role)),
                          str(body.get("emailAddress") or address))

    def revoke(self, file_id: str, permission: Permission) -> None:
        """Remove one permission; ``SharingRefused`` when Drive refuses (the owner, an id already gone)."""
        try:
            self._http.request("delete", f"{DRIVE_FILES_URL}/{file_id}/permissions/{permission.id}",
                               params={"supportsAllDrives": "true"})
        except APIError as exc:
            refused = _refusal(permission.email or permission.id, exc)
            if refused is None:
                raise
            raise refused from exc

    def editors(self, file_id: str) -> list[str]:
        """The addresses of the people who can edit the file (service accounts left out), sorted."""
        return sorted({p.email for p in self.permissions(file_id)
                       if p.type == "user" and p.can_edit and p.email and not is_service_account(p.email)})

    def share_writers(self, file_id: str, addresses: list[str], *, notify: bool = False) -> list[str]:
        """Make each address a writer unless it can already edit; returns the addresses shared with now. One
        address Drive refuses is logged and the others are still shared."""
        existing = {p.email.casefold() for p in self.permissions(file_id) if p.can_edit and p.email}
        shared = []
        for address in addresses:
            if address.casefold() in existing:
                continue
            try:
                self.grant(file_id, address, notify=notify)
            except SharingRefused as exc:
                log.warning("sharing %s: %s", file_id, exc)
                continue
            existing.add(address.casefold())
            shared.append(address)
        return shared


def is_service_account(address: str) -> bool:
    """Whether an address is a Google Cloud service account (a robot, never a person to manage)."""
    return address.casefold().endswith(".gserviceaccount.com")
