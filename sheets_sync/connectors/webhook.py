"""A small receiver for Meta webhooks: Facebook ``feed`` and Instagram ``comments`` events.

Webhooks only make ingest faster; they are never the record. An event triggers the callback (typically an
immediate ``fetch_new`` run), and the polling connectors still find everything, so a lost event costs
minutes, not a comment. Every POST must carry ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the
app secret); Meta's GET subscription check is answered with ``hub.challenge`` when the verify token matches.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
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


def make_webhook_server(receiver: WebhookReceiver, port: int = 0, host: str = "127.0.0.1",
                        path: str = "/webhook") -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) for ``receiver`` at ``path``; put TLS in front of it in production."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, text: str = "") -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            parts = urlsplit(self.path)
            if parts.path != path:
                return self._answer(404, "not found")
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            self._answer(*receiver.verify_subscription(params))

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if urlsplit(self.path).path != path:
                return self._answer(404, "not found")
            self._answer(receiver.receive(body, self.headers.get("X-Hub-Signature-256")))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            """Quiet: a delivery is logged by the receiver when it matters."""

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_webhook_in_thread(receiver: WebhookReceiver, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the webhook server in a daemon thread; returns the server and its base URL."""
    server = make_webhook_server(receiver, port)
    threading.Thread(target=server.serve_forever, name="webhook-server", daemon=True).start()
    host, bound = server.server_address[:2]
    return server, f"http://{host}:{bound}"
