"""Drive v3 ``permissions.list / create / delete`` on a spreadsheet, as Drive answers them.

What is modelled, from Drive v3's reference and its "Resolve errors" guide:

- The permission resource (``kind drive#permission``, ``id``, ``type``, ``role``, ``emailAddress`` or
  ``domain``, ``displayName``, ``deleted``, ``pendingOwner``). A user's or group's permission id is the same on
  every file (Drive's ``permissionId`` of the account), so it is derived from the address.
- ``create``: ``type`` and ``role`` are required; ``emailAddress`` for users and groups, ``domain`` for domains.
  Creating a permission for someone who already has one changes its role and keeps its id (Drive does not
  duplicate). Its default answer is ``kind, id, type, role``; ``fields`` selects others.
  ``sendNotificationEmail`` defaults to true for users and groups and is refused for other types; each sent
  notification is remembered (``notifications``) so tests can see it. ``role: owner`` needs
  ``transferOwnership``, which the emulator does not do.
- ``list``: everyone including the owner; without ``pageSize`` the whole list (a My Drive file), with it pages
  of at most ``pageSize`` (1..100) and an opaque ``nextPageToken``; a token that was not issued is refused.
  Default fields ``kind, id, type, emailAddress, domain, role``.
- ``delete``: 204; an unknown id is 404 ``notFound``; the owner cannot be removed (403).
- Errors: a malformed address is 400 ``invalid`` (``Invalid Value``, location ``permission.emailAddress``);
  sharing outside the domains the organisation allows is refused by its policy (403 ``domainPolicy``), set with
  ``SharingPolicy(allowed_domains=...)`` on the emulator; ``SharingPolicy(no_account=...)`` names addresses
  without a Google account, which Drive shares with only when a notification is sent (400
  ``invalidSharingRequest``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..http import EmuRequest
from .drive import DriveError, with_fields
from .store import Spreadsheet

TYPES = ("user", "group", "domain", "anyone")
ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
CREATE_FIELDS = ["kind", "id", "type", "role"]
LIST_ITEM_FIELDS = ["kind", "id", "type", "emailAddress", "domain", "role"]
MAX_PAGE_SIZE = 100
# Deliberately simple: Drive's own check is stricter, but what it refuses as malformed, this refuses too.
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_NOTIFIED = "_notified"  # kept with the permission (persisted), never sent in an answer


@dataclass
class SharingPolicy:
    """The organisation's sharing settings the emulator enforces (default: share with anyone)."""

    allowed_domains: frozenset[str] | None = None
    no_account: frozenset[str] = field(default_factory=frozenset)

    def refuses(self, address: str) -> bool:
        """Whether the organisation's policy forbids sharing with ``address``."""
        if self.allowed_domains is None:
            return False
        return address.rsplit("@", 1)[-1].casefold() not in {d.casefold() for d in self.allowed_domains}


def permission_id(address: str) -> str:
    """A stable, Drive-looking numeric id for an account (the same on every file)."""
    digest = hashlib.sha256(address.casefold().encode("utf-8")).digest()
    return str(int.from_bytes(digest[:8], "big")).rjust(20, "0")


def _resource(permission: dict[str, Any]) -> dict[str, Any]:
    """Every field the emulator knows of one permission, as Drive would send it."""
    out = {k: v for k, v in permission.items() if not k.startswith("_")}
    out.setdefault("deleted", False)
    out.setdefault("pendingOwner", False)
    return out


def owner_permission(book: Spreadsheet, fallback: str) -> dict[str, Any]:
    """The owner's permission (the spreadsheet's owner, else the service account that created it)."""
    address = book.owner or fallback
    return {"kind": "drive#permission", "id": permission_id(address), "type": "user", "role": "owner",
            "emailAddress": address, "displayName": address.split("@")[0]}


def _flag(request: EmuRequest, name: str) -> bool | None:
    value = request.arg(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise DriveError(400, "Invalid Value", "invalid", name)
    return value.lower() == "true"


def _check_body(body: dict[str, Any], request: EmuRequest) -> tuple[str, str, str]:
    """(type, role, address or domain) of a create body; Drive's 400/403 for what it refuses."""
    kind, role = body.get("type"), body.get("role")
    if not kind:
        raise DriveError(400, "The permission type field is required.", "required", "permission.type")
    if kind not in TYPES:
        raise DriveError(400, f"Invalid value for: {kind} is not a valid value", "invalid", "permission.type")
    if not role:
        raise DriveError(400, "The permission role field is required.", "required", "permission.role")
    if role not in ROLES:
        raise DriveError(400, f"Invalid value for: {role} is not a valid value", "invalid", "permission.role")
    if role == "owner" and not _flag(request, "transferOwnership"):
        raise DriveError(403, "The transferOwnership parameter must be enabled when the permission role is "
                              "'owner'.", "forbidden", "transferOwnership")
    if kind in ("user", "group"):
        address = str(body.get("emailAddress") or "").strip()
        if not address:
            raise DriveError(400, "The permission emailAddress field is required for user and group.",
                             "required", "permission.emailAddress")
        if not _ADDRESS.match(address):
            raise DriveError(400, "Invalid Value", "invalid", "permission.emailAddress")
        return kind, role, address
    if kind == "domain":
        domain = str(body.get("domain") or "").strip()
        if not domain:
            raise DriveError(400, "The permission domain field is required for domain.", "required",
                             "permission.domain")
        return kind, role, domain
    return kind, role, ""


def create(book: Spreadsheet, request: EmuRequest, policy: SharingPolicy) -> dict[str, Any]:
    """``permissions.create``: adds (or, for an account that has one, updates) a permission; its answer."""
    kind, role, target = _check_body(request.json() or {}, request)
    notify = _flag(request, "sendNotificationEmail")
    if kind in ("domain", "anyone") and notify:
        raise DriveError(400, "Bad Request. User message: \"Notification emails can only be sent to users and "
                              "groups.\"", "invalidSharingRequest")
    if kind in ("user", "group"):
        notify = True if notify is None else notify
        if policy.refuses(target):
            raise DriveError(403, f"Bad Request. User message: \"Sorry, the sharing settings of your "
                                  f"organization do not allow sharing with {target}.\"", "domainPolicy")
        if target.casefold() in {a.casefold() for a in policy.no_account} and not notify:
            raise DriveError(400, f"Bad Request. User message: \"You are trying to invite {target}. Since there "
                                  "is no Google account associated with this email address, you must check the "
                                  "'Notify people' box to invite this recipient.\"", "invalidSharingRequest")
    permission = _upsert(book, kind, role, target)
    if notify:
        permission[_NOTIFIED] = permission.get(_NOTIFIED, 0) + 1
    return with_fields(_resource(permission), request.arg("fields"), CREATE_FIELDS)


def _upsert(book: Spreadsheet, kind: str, role: str, target: str) -> dict[str, Any]:
    key = "domain" if kind == "domain" else "emailAddress"
    for permission in book.permissions:
        if permission.get("type") == kind and str(permission.get(key, "")).casefold() == target.casefold():
            permission["role"] = role
            return permission
    pid = permission_id(target) if target else ("anyoneWithLink" if kind == "anyone" else permission_id(kind))
    permission = {"kind": "drive#permission", "id": pid, "type": kind, "role": role}
    if target:
        permission[key] = target
        permission["displayName"] = target.split("@")[0] if key == "emailAddress" else target
    book.permissions.append(permission)
    return permission


def _page_size(request: EmuRequest) -> int | None:
    text = request.arg("pageSize")
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise DriveError(400, "Invalid Value", "invalid", "pageSize")
    return int(text)


def _token(book: Spreadsheet, offset: int) -> str:
    raw = json.dumps({"f": book.id, "o": offset}).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _offset(book: Spreadsheet, token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["f"] == book.id and isinstance(data["o"], int) and data["o"] > 0:
            return int(data["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise DriveError(400, "Invalid Value", "invalid", "pageToken")


def list_permissions(book: Spreadsheet, request: EmuRequest, service_account: str) -> dict[str, Any]:
    """``permissions.list``: the owner first, then the others in the order they were given; paged on request."""
    everyone = [owner_permission(book, service_account), *(_resource(p) for p in book.permissions)]
    size = _page_size(request)
    start = _offset(book, request.arg("pageToken"))
    end = len(everyone) if size is None else start + size
    body: dict[str, Any] = {"kind": "drive#permissionList", "permissions": everyone[start:end]}
    if end < len(everyone):
        body["nextPageToken"] = _token(book, end)
    fields = request.arg("fields")
    if not fields:
        body["permissions"] = [{k: p[k] for k in LIST_ITEM_FIELDS if k in p} for p in body["permissions"]]
        return body
    return with_fields(body, fields, [])


def delete(book: Spreadsheet, pid: str, service_account: str) -> None:
    """``permissions.delete``: the owner cannot be removed; an unknown id is Drive's 404."""
    if pid == owner_permission(book, service_account)["id"]:
        raise DriveError(403, "The owner of a file cannot be removed.", "cannotRemoveOwner", "permissionId")
    for index, permission in enumerate(book.permissions):
        if permission.get("id") == pid:
            del book.permissions[index]
            return
    raise DriveError(404, f"Permission not found: {pid}.", "notFound", "permissionId")


def notifications(book: Spreadsheet) -> dict[str, int]:
    """Address → how many sharing notifications Drive sent for it on this file (for tests)."""
    return {str(p.get("emailAddress") or p.get("domain")): int(p[_NOTIFIED])
            for p in book.permissions if p.get(_NOTIFIED)}
