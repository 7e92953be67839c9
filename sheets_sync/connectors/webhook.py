"""A small receiver for Meta webhooks: Facebook ``feed`` and Instagram ``comments`` events.

Webhooks only make ingest faster; they are never the record. An event triggers the callback (typically an
immediate ``fetch_new`` run), and the polling connectors still find everything, so a lost event costs
minutes, not a comment. Every POST must carry ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the
app secret); Meta's GET subscription check is answered with ``hub.challenge`` when the verify token matches.

The server (``make_webhook_server``) faces the internet, so it judges a request by its headers before reading
any body — unknown path 404, no usable Content-Length 411/400, over ``MAX_BODY_BYTES`` 413, no signature 403 —
reads at most ``MAX_BODY_BYTES`` within ``REQUEST_TIMEOUT_S``, runs at most ``MAX_WORKERS`` handler threads,
and logs one line, never a traceback, for a malformed request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookEvent:
    """One comment event: enough to know which account to poll now (the poll reads the comment itself)."""

    platform: str  # "facebook" | "instagram"
    account_id: str  # Page id or IG user id (the entry id)
    verb: str  # "add" | "edited" | "remove" (Instagram sends only new comments: "add")
    comment_id: str
    post_id: str | None
    parent_id: str | None


class WebhookReceiver:
    """Verifies and parses Meta webhook deliveries, then hands the comment events to ``on_events``."""

    def __init__(self, on_events: Callable[[list[WebhookEvent]], None], *, app_secret_env: str = "FB_APP_SECRET",
                 verify_token_env: str = "FB_WEBHOOK_VERIFY_TOKEN", env: Mapping[str, str] = os.environ) -> None:
        secret = env.get(app_secret_env)
        if not secret:
            raise ConfigError(f"webhook: the environment variable {app_secret_env} is not set. Set it to the Meta "
                              "app secret (App settings > Basic) so deliveries can be verified.")
        self._secret = secret.encode("utf-8")
        self._verify_token = env.get(verify_token_env) or ""
        self.on_events = on_events

    def verify_subscription(self, params: Mapping[str, str]) -> tuple[int, str]:
        """Meta's GET handshake: (200, challenge) when the verify token matches, else (403, reason)."""
        if (params.get("hub.mode") == "subscribe" and self._verify_token
                and hmac.compare_digest(params.get("hub.verify_token", ""), self._verify_token)):
            return 200, params.get("hub.challenge", "")
        return 403, "verification failed"

    def signature_ok(self, body: bytes, header: str | None) -> bool:
        """Whether ``X-Hub-Signature-256`` is ``sha256=<hex HMAC of body>`` with our app secret."""
        if not header or not header.startswith("sha256="):
            return False
        expected = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header[7:], expected)

    def receive(self, body: bytes, signature: str | None) -> int:
        """Handle one delivery; returns the HTTP status to answer (403 for a bad signature)."""
        if not self.signature_ok(body, signature):
            log.warning("webhook: delivery with a missing or wrong X-Hub-Signature-256 refused")
            return 403
        try:
            events = parse_events(json.loads(body.decode("utf-8")))
        except (ValueError, AttributeError, TypeError):
            return 400
        if events:
            try:
                self.on_events(events)
            except Exception:  # Meta retries non-200s for hours; polling will catch up anyway
                log.exception("webhook: the event callback failed; polling will pick the comments up")
        return 200


def parse_events(payload: Mapping[str, Any]) -> list[WebhookEvent]:
    """The comment events in a webhook payload (other fields and items are ignored)."""
    kind = payload.get("object")
    events: list[WebhookEvent] = []
    for entry in payload.get("entry") or []:
        account = str(entry.get("id") or "")
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if kind == "page" and change.get("field") == "feed" and value.get("item") == "comment":
                events.append(WebhookEvent("facebook", account, str(value.get("verb") or "add"),
                                           str(value.get("comment_id") or ""), _opt(value.get("post_id")),
                                           _opt(value.get("parent_id"))))
            elif kind == "instagram" and change.get("field") in ("comments", "live_comments"):
                events.append(WebhookEvent("instagram", account, "add", str(value.get("id") or ""),
                                           _opt((value.get("media") or {}).get("id")), _opt(value.get("parent_id"))))
    return events


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


# ---- the HTTP server ---------------------------------------------------------------------------------
#
# The receiver is reachable from the internet (behind a TLS proxy), so the server decides as much as it can
# from the request line and headers alone, before it reads a byte of the body: the path, the declared length,
# the size cap and the presence of a signature. A body is read only when all of these pass, exactly
# Content-Length bytes, within one deadline. Each connection gets one answer and is then closed (no keep-alive:
# an idle connection would hold a worker, and an unread body must never be parsed as a next request).

#: Largest body accepted. Meta's comment deliveries are a few kilobytes; 1 MiB leaves room for batched ones, and
#: a delivery refused for its size costs only polling latency, never a comment (polling is the record).
MAX_BODY_BYTES = 1024 * 1024

#: Seconds a connection may take for each read of its request line and headers, and for its whole body. A
#: stalled or trickling client is dropped after this. Meta sends its small bodies at once; 10 s is generous.
REQUEST_TIMEOUT_S = 10.0

#: Connections handled at once, each on its own thread. Beyond this a connection is answered 503 at once and
#: closed from the accepting thread, so stalled clients cannot grow the process by a thread each. Handling a
#: delivery takes milliseconds (an HMAC and waking the runner), so a few workers are plenty for Meta.
MAX_WORKERS = 8

_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10\r\nContent-Type: text/plain; charset=utf-8\r\n"
         b"Content-Length: 5\r\nConnection: close\r\n\r\nbusy\n")


class WebhookServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` with at most ``max_workers`` handler threads and a timeout on every connection.

    A connection that arrives while every worker is busy is refused from the accepting thread (a short 503,
    then closed): the bound is a non-blocking semaphore taken before a thread is started and released when the
    thread's connection is closed. Refusing, rather than queueing in the kernel's backlog, answers Meta at once
    (it retries non-200 deliveries) and keeps a flood of stalled connections from delaying the real ones.
    """

    daemon_threads = True
    block_on_close = False  # never wait for stalled clients at close: the threads are daemons and time out

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], *,
                 max_workers: int = MAX_WORKERS, timeout: float = REQUEST_TIMEOUT_S,
                 max_body: int = MAX_BODY_BYTES) -> None:
        if max_workers < 1 or timeout <= 0 or max_body < 0:
            raise ValueError("max_workers must be >= 1, timeout > 0 and max_body >= 0")
        self.max_workers, self.request_timeout, self.max_body = max_workers, timeout, max_body
        self._slots = threading.BoundedSemaphore(max_workers)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Start a worker thread for the connection, or refuse it (503) when ``max_workers`` are busy."""
        if not self._slots.acquire(blocking=False):
            log.warning("webhook: %d connections already being handled; refused one from %s (503)",
                        self.max_workers, _peer(client_address))
            try:
                request.setblocking(False)  # a few bytes into a fresh socket's buffer; never wait on the client
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # the thread did not start: give the slot back
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Handle the connection (stdlib), then free its worker slot."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One log line, not a traceback: a client that resets or misbehaves is not our failure."""
        exc = sys.exc_info()[1]
        log.warning("webhook: dropped the connection from %s: %s", _peer(client_address),
                    exc.__class__.__name__ if exc is not None else "error")


def _peer(client_address: Any) -> str:
    return str(client_address[0]) if isinstance(client_address, tuple) and client_address else "?"


def _declared_length(values: list[str]) -> int | str:
    """The body's length from the Content-Length header(s), or the reason it cannot be used."""
    if not values:
        return "missing"
    if len(set(v.strip() for v in values)) != 1:
        return "conflicting"
    text = values[0].strip()
    if not (text.isascii() and text.isdigit()):  # int() would also take "-1", "+5", " 1_0" and "١٢"
        return "malformed"
    return int(text)


class WebhookHandler(BaseHTTPRequestHandler):
    """Meta's GET subscription check and POST deliveries at ``path``; set ``receiver`` and ``path`` in a
    subclass (``make_webhook_server`` does)."""

    server: WebhookServer
    receiver: WebhookReceiver
    path_served = "/webhook"
    protocol_version = "HTTP/1.1"
    _expects_continue = False

    def setup(self) -> None:
        """Put the server's timeout on the socket before any read (stdlib applies ``self.timeout``)."""
        self.timeout = self.server.request_timeout
        super().setup()

    def handle_expect_100(self) -> bool:
        """Do not invite the body yet: ``100 Continue`` is sent only once the headers pass (``do_POST``)."""
        self._expects_continue = True
        return True

    def _answer(self, status: int, text: str = "") -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")  # also sets close_connection: one request per connection
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self, status: int, why: str) -> None:
        (log.info if status == 404 else log.warning)("webhook: %s %s from %s refused (%d): %s", self.command,
                                                     self.path[:200], _peer(self.client_address), status, why)
        self._answer(status, why)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        """Meta's subscription handshake."""
        parts = urlsplit(self.path)
        if parts.path != self.path_served:
            return self._refuse(404, "not found")
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self._answer(*self.receiver.verify_subscription(params))

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        """A delivery: path, length, size and signature are checked before the body is read."""
        if urlsplit(self.path).path != self.path_served:
            return self._refuse(404, "not found")
        if self.headers.get("Transfer-Encoding"):
            return self._refuse(411, "send the body with a Content-Length, not chunked")
        length = _declared_length(self.headers.get_all("Content-Length") or [])
        if length == "missing":
            return self._refuse(411, "Content-Length required")
        if isinstance(length, str):
            return self._refuse(400, f"{length} Content-Length")
        if length > self.server.max_body:
            return self._refuse(413, f"body over {self.server.max_body} bytes")
        signature = self.headers.get("X-Hub-Signature-256")
        if not signature or not signature.startswith("sha256="):
            return self._refuse(403, "missing X-Hub-Signature-256")
        if self._expects_continue:
            self.send_response_only(100)
            self.end_headers()
        body = self._read_body(length)
        if body is None:
            return None
        self._answer(self.receiver.receive(body, signature))

    def _read_body(self, length: int) -> bytes | None:
        """Exactly ``length`` bytes within one deadline of ``request_timeout`` seconds; None (answered or
        dropped, and logged) when the client stalls or closes early."""
        deadline = time.monotonic() + self.server.request_timeout
        chunks, missing = [], length
        while missing > 0:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(missing, 65536))
            except TimeoutError:
                self.connection.settimeout(self.server.request_timeout)
                self._refuse(408, f"body not received within {self.server.request_timeout:g} s")
                return None
            if not chunk:
                log.warning("webhook: POST from %s closed after %d of %d body bytes", _peer(self.client_address),
                            length - missing, length)
                self.close_connection = True
                return None
            chunks.append(chunk)
            missing -= len(chunk)
        self.connection.settimeout(self.server.request_timeout)
        return b"".join(chunks)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Malformed requests and timeouts the stdlib detects (bad request line, too many headers): one line."""
        log.warning("webhook: %s: %s", _peer(self.client_address), (format % args)[:300])

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: a delivery is logged by the receiver when it matters."""


def make_webhook_server(receiver: WebhookReceiver, port: int = 0, host: str = "127.0.0.1", path: str = "/webhook",
                        *, max_workers: int = MAX_WORKERS, timeout: float = REQUEST_TIMEOUT_S,
                        max_body: int = MAX_BODY_BYTES) -> WebhookServer:
    """An HTTP server (not yet serving) for ``receiver`` at ``path``; put TLS in front of it in production."""
    handler = type("Handler", (WebhookHandler,), {"receiver": receiver, "path_served": path})
    return WebhookServer((host, port), handler, max_workers=max_workers, timeout=timeout, max_body=max_body)


def serve_webhook_in_thread(receiver: WebhookReceiver, port: int = 0, **options: Any) -> tuple[WebhookServer, str]:
    """Start the webhook server in a daemon thread; returns the server and its base URL. ``options``: those of
    ``make_webhook_server`` (``host``, ``path``, ``max_workers``, ``timeout``, ``max_body``)."""
    server = make_webhook_server(receiver, port, **options)
    threading.Thread(target=server.serve_forever, name="webhook-server", daemon=True).start()
    host, bound = server.server_address[:2]
    return server, f"http://{host}:{bound}"
