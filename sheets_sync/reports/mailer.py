"""Sending the digests: over SMTP (``Mailer``) or into a folder of ``.eml`` files (``EmlFolderMailer``).

Once a day, at most once: the digest job (``jobs/digest.py``) marks each message's ``digest_key(day,
department)`` ``sending`` in the sheet's ``_state`` tab before ``deliver`` and records each ``SendResult``
after it; a key already marked is not sent again. A key found as ``sending`` after a crash may or may not have
been delivered, and the two honest choices are at-least-once (send again: maybe a duplicate) or at-most-once
(don't: maybe a lost e-mail). For a department-day digest we choose **at-most-once**: the digest is a snapshot,
not a change log, so tomorrow's repeats everything still open and nothing is lost for good, while a duplicate
in a head's inbox costs trust. Likewise, ``Mailer`` itself does not
retry a message when the connection breaks *during* the DATA phase (the server may have accepted it):
that result is ``ambiguous`` and not retried. Errors before DATA, and 4xx replies (which mean "not
accepted, try later"), are retried under the project's one policy (``sheets_sync.retry.policy``).
As a second line of defence the digests' Message-IDs are derived from the key, so a duplicate that does get
out is shown once by mail systems that deduplicate on Message-ID.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from tenacity import Retrying

from ..config import SmtpConfig
from ..errors import AuthError, ConfigError, FatalAPIError, RetryableError
from ..retry import policy
from .digest import DIGEST_HEADER, digest_key, slug

__all__ = ["Mailer", "EmlFolderMailer", "SendResult", "digest_key", "message_key", "unsent", "build_mailer",
           "AmbiguousDelivery", "DeliveryRefused"]

log = logging.getLogger(__name__)



class DeliveryRefused(FatalAPIError):
    """The server refused this message for good (5xx): fix the address or content; other messages go on."""


class _Deferred(RetryableError):
    """The server said "not now" (4xx) to this message: retried; on giving up only this message fails."""


class AmbiguousDelivery(FatalAPIError):
    """The connection broke while the message was being transferred: it may have been delivered. Not retried
    (at-most-once); the caller leaves its record at ``sending``."""


@dataclass(frozen=True)
class SendResult:
    """What happened to one message. ``ok`` means the server accepted it (for at least one recipient)."""

    message_id: str
    key: str | None
    ok: bool
    attempted: bool = True
    ambiguous: bool = False
    error: str = ""
    refused: tuple[str, ...] = ()


def message_key(message: EmailMessage) -> str | None:
    """The message's ``X-Sheets-Sync-Digest`` key (``digest_key``), if it has one."""
    value = message.get(DIGEST_HEADER)
    return str(value) if value else None


def unsent(messages: Iterable[EmailMessage], recorded: Mapping[str, Any] | set[str]) -> list[EmailMessage]:
    """The messages whose key has no record yet (a ``sending`` record counts as sent: at-most-once)."""
    return [m for m in messages if message_key(m) not in recorded]


def _recipients(message: EmailMessage) -> list[str]:
    fields = [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
    return [address for _, address in getaddresses(fields) if address]


class _Base:
    def deliver(self, messages: Iterable[EmailMessage]) -> list[SendResult]:
        """Send each message in turn and report each."""
        raise NotImplementedError

    def send(self, messages: Iterable[EmailMessage]) -> list[str]:
        """Send the messages; the Message-IDs of those the server accepted (``deliver`` tells more)."""
        return [r.message_id for r in self.deliver(messages) if r.ok]


class Mailer(_Base):
    """SMTP sender for the ``smtp:`` section (a ``SmtpConfig``, validated at load); one connection for the whole
    batch.

    The user name and password are read from the environment variables that ``user_env`` / ``password_env``
    name (``env`` replaces ``os.environ`` in tests); they are never logged. ``retry`` replaces the project's
    policy (tests pass ``policy(sleep=...)``); ``smtp_class`` / ``smtp_ssl_class`` replace smtplib's classes.
    A mapping instead of a ``SmtpConfig`` is validated as the ``smtp:`` section.
    """

    def __init__(self, smtp: SmtpConfig | Mapping[str, Any], *, env: Mapping[str, str] | None = None,
                 retry: Retrying | None = None, smtp_class: type[smtplib.SMTP] = smtplib.SMTP,
                 smtp_ssl_class: type[smtplib.SMTP] = smtplib.SMTP_SSL,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = smtp if isinstance(smtp, SmtpConfig) else SmtpConfig.parse(smtp)
        self.host, self.port, self.timeout = self.config.host, self.config.port, self.config.timeout
        self.use_ssl, self.starttls = self.config.ssl, self.config.starttls
        self.envelope_from = parseaddr(self.config.sender)[1] or None
        self.user_env, self.password_env = self.config.user_env, self.config.password_env
        env = os.environ if env is None else env
        self._user = self._secret(env, self.user_env, "user_env") if self.user_env else None
        self._password = self._secret(env, self.password_env, "password_env") if self.password_env else None
        self._retry = retry or policy()
        self._smtp_class, self._smtp_ssl_class = smtp_class, smtp_ssl_class
        self._ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None
        self._phase = "idle"

    @staticmethod
    def _secret(env: Mapping[str, str], name: str, key: str) -> str:
        value = env.get(name)
        if not value:
            raise ConfigError(f"environment variable {name} (named by `smtp.{key}`) is not set: export it "
                              "before running sheets-sync.")
        return value

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any) -> Mailer:
        """A Mailer for ``config.smtp`` (``config``: a ``sheets_sync.config.Config``)."""
        if not config.smtp:
            raise ConfigError(f"{config.where('smtp')} is not set: configure it, or use EmlFolderMailer.")
        return cls(config.smtp, **kwargs)

    def __repr__(self) -> str:  # never show the secrets
        return f"Mailer(host={self.host!r}, port={self.port}, ssl={self.use_ssl}, starttls={self.starttls})"

    # -- connection -------------------------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.use_ssl:
                conn = self._smtp_ssl_class(self.host, self.port, timeout=self.timeout, context=self._context())
            else:
                conn = self._smtp_class(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.ehlo()
                conn.starttls(context=self._context())
                conn.ehlo()
            if self._user is not None:
                conn.login(self._user, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthError(f"SMTP server {self.host}:{self.port} refused the login of the user in "
                            f"${self.user_env} ({exc.smtp_code}): check ${self.user_env} and "
                            f"${self.password_env}.") from None  # the cause may echo credentials
        except smtplib.SMTPNotSupportedError as exc:
            raise ConfigError(f"SMTP server {self.host}:{self.port} does not support {exc}: check "
                              "`smtp.starttls`, `smtp.ssl` and `smtp.port`.") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise RetryableError(f"SMTP {self.host}:{self.port} busy ({exc.smtp_code})") from exc
            raise FatalAPIError(f"SMTP {self.host}:{self.port} refused the session ({exc.smtp_code} "
                                f"{exc.smtp_error!r})") from exc
        except ssl.SSLCertVerificationError as exc:
            raise ConfigError(f"SMTP server {self.host}:{self.port} presented a certificate that does not "
                              f"verify ({exc.verify_message}): check `smtp.host`.") from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise RetryableError(f"SMTP server {self.host}:{self.port} closed the connection: {exc}") from exc
        except smtplib.SMTPException as exc:  # e.g. "No suitable authentication method found"
            raise ConfigError(f"SMTP server {self.host}:{self.port}: {exc}; check the `smtp` settings.") from exc
        except OSError as exc:  # refused, unreachable, timed out, TLS handshake broken
            raise RetryableError(f"cannot reach SMTP server {self.host}:{self.port}: {exc}") from exc
        log.info("connected to SMTP server %s:%s", self.host, self.port)

        # Track when the message body starts going out: a broken connection after that is ambiguous.
        original_data = conn.data

        def data(msg: Any) -> Any:
            self._phase = "data"
            return original_data(msg)

        conn.data = data  # type: ignore[method-assign]
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

    # -- sending ----------------------------------------------------------------------------------------

    def _attempt(self, message: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        if self._conn is None:
            self._conn = self._connect()
        self._phase = "envelope"
        try:
            return self._conn.send_message(message, from_addr=self.envelope_from, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise _Deferred(f"recipients deferred: {_describe(exc.recipients)}") from exc
            raise DeliveryRefused(f"all recipients refused: {_describe(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:
                self._drop()  # the server is closing the channel
                raise RetryableError(f"SMTP {exc.smtp_code} {exc.smtp_error!r}") from exc
            if 400 <= exc.smtp_code < 500:
                raise _Deferred(f"SMTP {exc.smtp_code} {exc.smtp_error!r}") from exc
            raise DeliveryRefused(f"SMTP {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:  # broken connection (SMTPServerDisconnected, timeouts)
            self._drop()
            if self._phase == "data":
                raise AmbiguousDelivery(f"connection lost while transferring the message: {exc}") from exc
            raise RetryableError(f"connection lost before the message was transferred: {exc}") from exc

    def deliver(self, messages: Iterable[EmailMessage]) -> list[SendResult]:
        """Send each message over one connection, reporting each; stop early when the server stays
        unreachable after the retries (the rest come back as ``attempted=False``). A login refusal raises
        ``AuthError``."""
        messages = list(messages)
        results: list[SendResult] = []
        try:
            for index, message in enumerate(messages):
                message_id, key = str(message.get("Message-ID", "")), message_key(message)
                recipients = _recipients(message)
                try:
                    refused = self._retry(self._attempt, message, recipients)
                    result = SendResult(message_id, key, ok=True, refused=tuple(sorted(refused)),
                                        error=_describe(refused) if refused else "")
                except AmbiguousDelivery as exc:
                    result = SendResult(message_id, key, ok=False, ambiguous=True, error=str(exc))
                except DeliveryRefused as exc:
                    result = SendResult(message_id, key, ok=False, error=str(exc))
                except _Deferred as exc:
                    result = SendResult(message_id, key, ok=False, error=f"deferred, gave up: {exc}")
                except RetryableError as exc:
                    # The server stayed away through every retry: the rest would only wait the same way.
                    results.append(SendResult(message_id, key, ok=False, error=f"gave up: {exc}"))
                    results.extend(SendResult(str(m.get("Message-ID", "")), message_key(m), ok=False,
                                              attempted=False, error="not attempted: server unreachable")
                                   for m in messages[index + 1:])
                    log.warning("SMTP %s:%s unreachable, %d message(s) left unsent", self.host, self.port,
                                len(messages) - index)
                    break
                results.append(result)
                log.info("digest %s to %d recipient(s): %s", key or message_id, len(recipients),
                         "accepted" if result.ok else result.error)
        finally:
            self.close()
        return results


def _describe(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{addr} ({code})" for addr, (code, _) in sorted(refused.items()))


class EmlFolderMailer(_Base):
    """Without SMTP: writes each message to ``<folder>/<YYYY-MM-DD>-<department-slug>.eml``.

    The name comes from the message's digest key, so writing the same day's digest again replaces the file
    (idempotent by construction); each file is written to a temporary name and renamed, so a crash never
    leaves half a message under the final name.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path_for(self, message: EmailMessage) -> Path:
        """Where ``message`` is (or would be) written."""
        key = message_key(message)
        if key and "/" in key:
            day, _, department = key.partition("/")
        else:
            date_header = message.get("Date")
            day = parsedate_to_datetime(str(date_header)).date().isoformat() if date_header else "undated"
            department = str(message.get("Message-ID", "message"))
        return self.folder / f"{day}-{slug(department)}.eml"

    def deliver(self, messages: Iterable[EmailMessage]) -> list[SendResult]:
        """Write each message (same results as ``Mailer.deliver``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        results: list[SendResult] = []
        for message in messages:
            target = self.path_for(message)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".eml.tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(bytes(message))
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            results.append(SendResult(str(message.get("Message-ID", "")), message_key(message), ok=True))
            log.info("digest written to %s", target)
        return results


def build_mailer(config: Any, **kwargs: Any) -> Mailer | EmlFolderMailer:
    """``Mailer`` when ``config.smtp`` is set, else ``EmlFolderMailer`` in ``config.digest.folder`` (default
    ``<data_dir>/digests``); ``config``: a ``sheets_sync.config.Config``."""
    if config.smtp:
        return Mailer.from_config(config, **kwargs)
    return EmlFolderMailer(config.digest.folder)
