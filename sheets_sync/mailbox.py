"""The cell's mailbox over IMAP: the one module that speaks IMAP (``content_mail`` in the config).

``Mailbox`` logs in (``ssl``, ``starttls`` or ``none``), reads the messages of one folder whose UID is above a
cursor, oldest first, and turns each into a ``MailItem``: sender, subject (RFC 2047 decoded, Marathi
included), the Date header, the first lines of the body and the attachments. It never changes the mailbox:
messages are fetched with ``BODY.PEEK`` so what the cell's people have not read stays unread for them.

A message that cannot be read (broken MIME, no From, an undecodable header) comes back as a ``MailItem`` with
``problem`` set and whatever could be read: one bad message never stops the others.

Built on ``imap-tools`` (connection classes for the three security modes, UID search and fetch, and the
decoding of headers, charsets and attachments that real mail needs) over the standard library's ``imaplib``.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import os
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, Self

from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.errors import MailboxLoginError

from .config import ContentMailConfig
from .errors import AuthError, RetryableError

log = logging.getLogger(__name__)

# A cycle reads at most this many messages; the cursor moves past them and the next cycle reads on, so a
# first run over a full folder proceeds in steps that each fit one Sheets write.
MAX_PER_CYCLE = 50
_FETCH_ERRORS = (imaplib.IMAP4.error, OSError, socket.timeout, ssl.SSLError, EOFError)


class MailboxUnavailable(RetryableError):
    """The IMAP server could not be reached or broke off: nothing was read; the next cycle tries again."""


class MailboxLoginRefused(AuthError):
    """The server refused the login: the fix is the account's user or password (named environment variables)."""


@dataclass(frozen=True)
class Attachment:
    """One attached file."""

    filename: str
    content_type: str
    payload: bytes


@dataclass
class MailItem:
    """One message as the content-mail job needs it."""

    uid: int
    message_id: str
    sender: str = ""  # the From address, lower case ("" when there is none)
    sender_name: str = ""
    subject: str = ""
    date: datetime | None = None  # the Date header, aware; None when missing or unreadable
    body_lines: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    problem: str = ""  # what could not be read, for the row's Notes


@dataclass
class Batch:
    """What one read found: the folder's UIDVALIDITY and the messages above the cursor, oldest first."""

    uidvalidity: int
    items: list[MailItem]
    # The folder's UIDVALIDITY was not the one expected: UIDs were renumbered, so it was read from the start.
    restarted: bool = False


def secrets(config: ContentMailConfig, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The login and password from the environment variables the config names (``MailboxLoginRefused`` naming
    the variable when one is unset)."""
    env = os.environ if env is None else env
    user, password = env.get(config.user_env, ""), env.get(config.password_env, "")
    for name, value in ((config.user_env, user), (config.password_env, password)):
        if not value:
            raise MailboxLoginRefused(f"content_mail: the environment variable {name} is not set: set it to the "
                                      "cell mailbox's login (user_env) and password (password_env).")
    return user, password


class Mailbox:
    """A logged-in connection to the configured folder (a context manager: ``with Mailbox(cfg) as box``)."""

    def __init__(self, config: ContentMailConfig, env: Mapping[str, str] | None = None) -> None:
        self.config = config
        self._env = env
        self._box: Any = None

    def _connect(self) -> Any:
        cfg = self.config
        if cfg.security == "ssl":
            return MailBox(cfg.host, cfg.port, timeout=cfg.timeout, ssl_context=ssl.create_default_context())
        if cfg.security == "starttls":
            return MailBoxStartTls(cfg.host, cfg.port, timeout=cfg.timeout, ssl_context=ssl.create_default_context())
        return MailBoxUnencrypted(cfg.host, cfg.port, timeout=cfg.timeout)

    def __enter__(self) -> Self:
        user, password = secrets(self.config, self._env)
        where = f"{self.config.host}:{self.config.port} ({self.config.security})"
        try:
            box = self._connect()
        except _FETCH_ERRORS as exc:
            raise MailboxUnavailable(f"content_mail: cannot reach the IMAP server {where}: {exc!r}; check "
                                     "content_mail.host, port and security") from exc
        try:
            box.login(user, password, initial_folder=self.config.folder)
        except MailboxLoginError as exc:
            _quietly_logout(box)
            raise MailboxLoginRefused(f"content_mail: {where} refused the login of {user!r} (or the folder "
                                      f"{self.config.folder!r} does not exist): check {self.config.user_env}, "
                                      f"{self.config.password_env} and content_mail.folder") from exc
        except _FETCH_ERRORS as exc:
            raise MailboxUnavailable(f"content_mail: {where} broke off during login: {exc!r}") from exc
        self._box = box
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._box is not None:
            _quietly_logout(self._box)
            self._box = None

    def uidvalidity(self) -> int:
        """The folder's UIDVALIDITY: when it changes, UIDs were renumbered and a cursor means nothing."""
        status = self._box.folder.status(self.config.folder, ["UIDVALIDITY"])
        return int(status["UIDVALIDITY"])

    def read_after(self, cursor: int, validity: int | None = None, limit: int = MAX_PER_CYCLE) -> Batch:
        """The messages whose UID is above ``cursor``, oldest first, at most ``limit``; from the folder's first
        message when its UIDVALIDITY is not ``validity`` (``Batch.restarted``)."""
        try:
            current = self.uidvalidity()
            restarted = validity is not None and current != validity
            cursor = 0 if restarted or validity is None else cursor
            # "N:*" always matches the folder's last message, even below N: filtered here, as RFC 3501 warns.
            uids = sorted(int(u) for u in self._box.uids(AND(uid=f"{cursor + 1}:*")) if int(u) > cursor)[:limit]
            items = [self._item(message) for message in
                     self._box.fetch(uid_list=[str(u) for u in uids], mark_seen=False, bulk=False)] if uids else []
        except _FETCH_ERRORS as exc:
            raise MailboxUnavailable(f"content_mail: reading {self.config.folder!r} failed: {exc!r}") from exc
        return Batch(current, items, restarted)

    def _item(self, message: MailMessage) -> MailItem:
        uid = int(message.uid or 0)
        try:
            return parse_message(message, uid, self.config.note_lines)
        except Exception as exc:  # noqa: BLE001 - one unreadable message must not stop the others
            log.warning("content_mail: message UID %s could not be read: %r", uid, exc)
            return MailItem(uid=uid, message_id=_fallback_id(message, uid),
                            problem=f"the message could not be read ({type(exc).__name__}: {exc})")


def _quietly_logout(box: Any) -> None:
    try:
        box.logout()
    except _FETCH_ERRORS:
        log.debug("IMAP logout failed; the connection is dropped anyway")


# ---- parsing ---------------------------------------------------------------------------------------------------

_BLANKS = re.compile(r"[ \t\u00a0]+")


class _TextOf(HTMLParser):
    """The text of an HTML body, one line per block (for messages without a plain-text part)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "p", "div", "li", "tr", "h1", "h2", "h3"}:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def body_lines(text: str, html: str, limit: int) -> list[str]:
    """The first ``limit`` non-empty lines of the body (HTML turned to text when there is no plain text);
    quoted lines (``>``) and the signature after ``-- `` left out."""
    if not text.strip() and html.strip():
        parser = _TextOf()
        parser.feed(html)
        text = "".join(parser.parts)
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.rstrip() == "--":
            break
        line = _BLANKS.sub(" ", raw).strip()
        if line and not line.startswith(">"):
            lines.append(line)
        if len(lines) >= limit:
            break
    return lines


def _fallback_id(message: MailMessage, uid: int) -> str:
    """A stable stand-in Message-ID for a message without one: a digest of its bytes (the same message read
    again gets the same id, whatever its UID)."""
    try:
        raw = message.obj.as_bytes()
    except Exception:  # noqa: BLE001 - a message too broken to serialise: its UID is what is left
        raw = f"uid:{uid}".encode()
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@sheets-sync>"


def _date(message: MailMessage) -> datetime | None:
    # imap-tools answers 1900-01-01 for a Date it cannot read; a naive one has no zone to trust either.
    moment = message.date
    if moment.year <= 1900 or moment.tzinfo is None:
        return None
    return moment


def parse_message(message: MailMessage, uid: int, note_lines: int) -> MailItem:
    """One fetched message → ``MailItem``; what is missing or unreadable is said in ``problem``."""
    problems: list[str] = []
    ids = message.headers.get("message-id") or ()
    message_id = " ".join(str(ids[0]).split()) if ids else ""
    if not message_id:
        message_id = _fallback_id(message, uid)
    sender = message.from_values
    address = (sender.email if sender else "").strip().lower()
    if "@" not in address:
        problems.append("no sender address (From) in the message")
        address = ""
    moment = _date(message)
    if moment is None:
        problems.append(f"its Date header {message.date_str!r} cannot be read, so Submitted At is when the tool "
                        "read it")
    attachments = [Attachment(a.filename or f"attachment-{n}", a.content_type, a.payload)
                   for n, a in enumerate(message.attachments, start=1)]
    return MailItem(uid=uid, message_id=message_id, sender=address, sender_name=(sender.name if sender else ""),
                    subject=" ".join(message.subject.split()), date=moment,
                    body_lines=body_lines(message.text, message.html, note_lines), attachments=attachments,
                    problem="; ".join(problems))


def check_login(config: ContentMailConfig, env: Mapping[str, str] | None = None) -> str:
    """For ``doctor``: log in, open the folder and count its messages; the line to show (raises the errors
    above when it fails)."""
    with Mailbox(config, env) as box:
        status = box._box.folder.status(config.folder, ["MESSAGES", "UIDVALIDITY"])
    return (f"{config.host}:{config.port} ({config.security}): logged in, folder {config.folder!r} holds "
            f"{status.get('MESSAGES', '?')} messages")
