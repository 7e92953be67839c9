"""Sending the digests: over SMTP (``Mailer``) or into a folder of ``.eml`` files (``EmlFolderMailer``).

``deliver`` sends each message in turn and reports each (``SendResult``); one message failing never stops the
others, and it never raises for what the server or the network does. Each result says what a later run should
do with it — the digest job (``jobs/digest.py``) records it in ``_state`` and retries the same day:

- **accepted** (``ok``): the server answered 250 after DATA — never sent again. Recipients it refused while
  accepting the others are listed per recipient (``recipients``): ``failed: 550 ...`` (5xx: refused for good,
  not retried) or ``pending: 452 ...`` (4xx: a later run sends the message to them alone).
- **not sent, retry** (``retry``): nothing was accepted, and nothing can have been — the login was refused,
  the server was unreachable or went away before DATA, a TLS or auth-method problem, or 4xx ("not now")
  through every retry. A login refusal or an unreachable server ends the batch: this message and the rest
  come back not attempted, with the reason (one login attempt per run: no lock-out by hammering).
- **refused for good** (``permanent``): 5xx for the message (MAIL FROM, DATA) or for every recipient. Sending
  the same message to the same addresses would be refused again: not retried (a corrected address is a new
  recipient: see the job).
- **ambiguous**: the connection broke *during* the DATA phase (``AmbiguousDelivery``): the server may have
  accepted it. Not retried, at-most-once: the digest is a snapshot, not a change log, so tomorrow's repeats
  everything still open and nothing is lost for good, while a duplicate in a head's inbox costs trust.

Within one call, errors before DATA and 4xx replies are retried under the project's one policy
(``sheets_sync.retry.policy``). ``on_start(message)`` is called once per message, with the connection up, just
before the message is handed to the server: the job records the hand-off there, so a crash after it is
treated like an ambiguous delivery (not re-sent) and a crash before it leaves a message that was never handed
over (re-sent). As a second line of defence the digests' Message-IDs are derived from the key, so a duplicate
that does get out is shown once by mail systems that deduplicate on Message-ID.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from tenacity import Retrying

from ..config import SmtpConfig
from ..errors import AuthError, ConfigError, FatalAPIError, RetryableError, SheetsSyncError
from ..retry import policy
from .digest import DIGEST_HEADER, digest_key, slug

__all__ = ["Mailer", "EmlFolderMailer", "SendResult", "digest_key", "message_key", "unsent", "build_mailer",
           "AmbiguousDelivery", "DeliveryRefused", "recipients_of"]

log = logging.getLogger(__name__)

Refusals = Mapping[str, tuple[int, bytes]]
OnStart = Callable[[EmailMessage], None]
OnResult = Callable[["SendResult"], None]


class DeliveryRefused(FatalAPIError):
    """The server refused this message for good (5xx): fix the address or content; other messages go on."""

    def __init__(self, message: str, refusals: Refusals | None = None) -> None:
        super().__init__(message)
        self.refusals = dict(refusals or {})


class _Deferred(RetryableError):
    """The server said "not now" (4xx) to this message: retried; on giving up only this message fails."""

    def __init__(self, message: str, refusals: Refusals | None = None) -> None:
        super().__init__(message)
        self.refusals = dict(refusals or {})


class AmbiguousDelivery(FatalAPIError):
    """The connection broke while the message was being transferred: it may have been delivered. Not retried
    (at-most-once); the caller leaves its record at ``sending``."""


@dataclass(frozen=True)
class SendResult:
    """What happened to one message. ``ok`` means the server accepted it (for at least one recipient).

    ``recipients`` gives each envelope recipient's outcome when the server answered per recipient or refused
    the message for good: ``sent``, ``failed: <code> <text>`` (5xx, for good) or ``pending: <code> <text>`` (4xx,
    try again later); ``refused`` lists those it refused while accepting the message for others."""

    message_id: str
    key: str | None
    ok: bool
    attempted: bool = True
    ambiguous: bool = False
    error: str = ""
    refused: tuple[str, ...] = ()
    permanent: bool = False
    recipients: tuple[tuple[str, str], ...] = ()
    # The server could not be used at all — login refused, TLS or auth-method trouble, the session refused:
    # a person must act (the message is still retried by a later run).
    blocked: bool = False

    @property
    def pending(self) -> tuple[str, ...]:
        """Recipients a later run should send it to: those deferred (4xx) while others accepted it."""
        return tuple(r for r, state in self.recipients if state.startswith("pending"))

    @property
    def retry(self) -> bool:
        """Whether a later run should send it (again): not accepted, not maybe-accepted (ambiguous), not
        refused for good — or accepted for some recipients and deferred for others (``pending``)."""
        if self.ok:
            return bool(self.pending)
        return not (self.ambiguous or self.permanent)


def message_key(message: EmailMessage) -> str | None:
    """The message's ``X-Sheets-Sync-Digest`` key (``digest_key``), if it has one."""
    value = message.get(DIGEST_HEADER)
    return str(value) if value else None


def unsent(messages: Iterable[EmailMessage], recorded: Mapping[str, Any] | set[str]) -> list[EmailMessage]:
    """The messages whose key has no record yet (the digest job reads the records themselves: a failed one is
    sent again the same day)."""
    return [m for m in messages if message_key(m) not in recorded]


def recipients_of(message: EmailMessage) -> list[str]:
    """The message's recipients (To, Cc, Bcc): the envelope ``deliver`` uses unless told otherwise."""
    fields = [str(v) for h in ("To", "Cc", "Bcc") for v in message.get_all(h, [])]
    return [address for _, address in getaddresses(fields) if address]



class _Base:
    def deliver(self, messages: Iterable[EmailMessage], *, envelopes: Mapping[str, Sequence[str]] | None = None,
                on_start: OnStart | None = None, on_result: OnResult | None = None) -> list[SendResult]:
        """Send each message in turn and report each (``Mailer.deliver``)."""
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
        self._phase = "envelope"
        if self._conn is None:
            self._conn = self._connect()
        try:
            return self._conn.send_message(message, from_addr=self.envelope_from, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(400 <= code < 500 for code in codes):
                raise _Deferred(f"recipients deferred: {_describe(exc.recipients)}", exc.recipients) from exc
            raise DeliveryRefused(f"all recipients refused: {_describe(exc.recipients)}", exc.recipients) from exc
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

    def _open(self) -> None:
        if self._conn is None:
            self._conn = self._connect()

    def deliver(self, messages: Iterable[EmailMessage], *, envelopes: Mapping[str, Sequence[str]] | None = None,
                on_start: OnStart | None = None, on_result: OnResult | None = None) -> list[SendResult]:
        """Send each message over one connection, reporting each (see the module's docstring for what each
        result means); never raises for what the server or the network does.

        ``envelopes`` maps a digest key to the recipients to send that message to instead of its To/Cc/Bcc (a
        retry to the recipients still pending). ``on_start(message)`` is called with the connection up, just
        before the message is handed over; if it raises, neither this message nor the rest are sent (they come
        back not attempted). ``on_result(result)`` is called as each result is known (it must not raise).
        A login refusal or a server still unreachable after the retries ends the batch: the rest come back
        ``attempted=False``."""
        messages = list(messages)
        results: list[SendResult] = []

        def report(result: SendResult) -> None:
            results.append(result)
            if on_result is not None:
                on_result(result)

        def stop(index: int, first: SendResult, why: str) -> None:
            """Report ``first`` for messages[index] and not-attempted results for the rest."""
            report(first)
            for m in messages[index + 1:]:
                report(SendResult(str(m.get("Message-ID", "")), message_key(m), ok=False, attempted=False,
                                  error=why, blocked=first.blocked))

        try:
            for index, message in enumerate(messages):
                message_id, key = str(message.get("Message-ID", "")), message_key(message)
                chosen = envelopes.get(key) if envelopes and key is not None else None
                recipients = list(chosen) if chosen is not None else recipients_of(message)
                if not recipients:
                    report(SendResult(message_id, key, ok=False, permanent=True, error="no recipients"))
                    continue
                try:
                    self._retry(self._open)
                except RetryableError as exc:
                    self._unreachable(index, messages)
                    stop(index, SendResult(message_id, key, ok=False, error=f"gave up: {exc}"),
                         "not attempted: server unreachable")
                    break
                except Exception as exc:  # noqa: BLE001 - login refused, TLS or auth-method trouble: a person acts
                    why = f"not sent: {exc}" if isinstance(exc, SheetsSyncError) else f"not sent: {exc!r}"
                    stop(index, SendResult(message_id, key, ok=False, attempted=False, error=why, blocked=True),
                         why)
                    break
                if on_start is not None:
                    try:
                        on_start(message)
                    except Exception as exc:  # noqa: BLE001 - not recorded: not handed over, nor the rest
                        why = f"not sent: its hand-off could not be recorded first ({type(exc).__name__}: {exc})"
                        stop(index, SendResult(message_id, key, ok=False, attempted=False, error=why), why)
                        break
                try:
                    result = self._send_one(message, message_id, key, recipients)
                except RetryableError as exc:
                    # The server went away and stayed away through every retry: the rest would wait the same way.
                    self._unreachable(index, messages)
                    stop(index, SendResult(message_id, key, ok=False, error=f"gave up: {exc}"),
                         "not attempted: server unreachable")
                    break
                except SheetsSyncError as exc:  # e.g. the login refused on reconnecting
                    stop(index, SendResult(message_id, key, ok=False, error=f"not sent: {exc}", blocked=True),
                         f"not sent: {exc}")
                    break
                report(result)
                log.info("digest %s to %d recipient(s): %s", key or message_id, len(recipients),
                         "accepted" if result.ok else result.error)
        finally:
            self.close()
        return results

    def _unreachable(self, index: int, messages: list[EmailMessage]) -> None:
        log.warning("SMTP %s:%s unreachable, %d message(s) left unsent", self.host, self.port,
                    len(messages) - index)

    def _send_one(self, message: EmailMessage, message_id: str, key: str | None,
                  recipients: list[str]) -> SendResult:
        """One message under the retry policy, as a result; raises ``RetryableError`` when the server stayed
        away and ``SheetsSyncError`` when a reconnection was refused (the caller stops the batch)."""
        try:
            refused = self._retry(self._attempt, message, recipients)
        except AmbiguousDelivery as exc:
            return SendResult(message_id, key, ok=False, ambiguous=True, error=str(exc))
        except DeliveryRefused as exc:
            states = _states(recipients, exc.refusals, default=f"failed: {_short(str(exc))}")
            return SendResult(message_id, key, ok=False, error=str(exc), recipients=states,
                              permanent=not any(s.startswith("pending") for _, s in states))
        except _Deferred as exc:
            states = _states(recipients, exc.refusals, default=f"pending: {_short(str(exc))}")
            return SendResult(message_id, key, ok=False, error=f"deferred, gave up: {exc}", recipients=states)
        except (RetryableError, SheetsSyncError):
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a message the generator cannot write: this one only
            phase = self._phase
            self._drop()  # the session is in an unknown state
            log.exception("digest %s: unexpected error while sending", key or message_id)
            if phase == "data":
                return SendResult(message_id, key, ok=False, ambiguous=True,
                                  error=f"unexpected error while transferring the message: {exc!r}")
            return SendResult(message_id, key, ok=False, error=f"could not be sent: {exc!r}")
        states = _states(recipients, refused, default="sent")
        return SendResult(message_id, key, ok=True, refused=tuple(sorted(refused)),
                          error=_describe(refused) if refused else "", recipients=states)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _states(recipients: Sequence[str], refusals: Refusals, default: str) -> tuple[tuple[str, str], ...]:
    """Each recipient's outcome: ``failed: <code> <text>`` (5xx) or ``pending: <code> <text>`` (4xx) when the
    server refused it, else ``default``."""
    by_address = {a.casefold(): (code, text) for a, (code, text) in refusals.items()}
    out = []
    for address in recipients:
        refusal = by_address.get(address.casefold())
        if refusal is None:
            out.append((address, default))
            continue
        code, text = refusal
        reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        word = "pending" if 400 <= code < 500 else "failed"
        out.append((address, f"{word}: {code} {_short(reply)}"))
    return tuple(out)


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

    def deliver(self, messages: Iterable[EmailMessage], *, envelopes: Mapping[str, Sequence[str]] | None = None,
                on_start: OnStart | None = None, on_result: OnResult | None = None) -> list[SendResult]:
        """Write each message (same results as ``Mailer.deliver``). ``envelopes`` and ``on_start`` are not
        used: the file holds every recipient, and writing it again replaces it, so there is no hand-off to
        record. A message that cannot be written is reported (retry) and the others are written."""
        results: list[SendResult] = []
        for message in messages:
            message_id, key = str(message.get("Message-ID", "")), message_key(message)
            try:
                target = self._write(message)
                result = SendResult(message_id, key, ok=True)
                log.info("digest written to %s", target)
            except Exception as exc:  # noqa: BLE001 - disk full, a message that cannot be written: this one only
                log.exception("digest %s not written", key or message_id)
                result = SendResult(message_id, key, ok=False, error=f"not written: {exc!r}")
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results

    def _write(self, message: EmailMessage) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
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
        return target


def build_mailer(config: Any, **kwargs: Any) -> Mailer | EmlFolderMailer:
    """``Mailer`` when ``config.smtp`` is set, else ``EmlFolderMailer`` in ``config.digest.folder`` (default
    ``<data_dir>/digests``); ``config``: a ``sheets_sync.config.Config``."""
    if config.smtp:
        return Mailer.from_config(config, **kwargs)
    return EmlFolderMailer(config.digest.folder)
