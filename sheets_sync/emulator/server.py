"""Serves an emulator core on a loopback HTTP port: the out-of-process shim.

The body is sized from ``Content-Length`` before a byte of it is read: over ``MAX_BODY_BYTES`` is a 413, a
length that is not a number (or several that disagree) a 400, a chunked body a 411 (send its length). A
request with neither header has no body (RFC 9112, 6.3). Every socket read and write has a timeout, so a
client that stops sending mid-body frees its thread with a 408.
"""

from __future__ import annotations

import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .http import EmuRequest, EmuResponse, json_response
from .transport import MAX_BODY_BYTES, EmulatorCore, too_large

log = logging.getLogger(__name__)

# Seconds a connection may sit silent (between requests, or in the middle of one) before it is closed.
SOCKET_TIMEOUT_S = 60.0

_DIGITS = re.compile(r"[0-9]{1,19}")


def _error(status: int, message: str) -> EmuResponse:
    return json_response(status, {"error": {"code": status, "message": message}})


def make_server(core: EmulatorCore, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) that answers every request from ``core``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = SOCKET_TIMEOUT_S  # applied to the socket by StreamRequestHandler.setup

        def _body_length(self) -> tuple[int, EmuResponse | None]:
            """The declared body length, or the refusal of a request whose length is missing or wrong."""
            lengths = [v.strip() for v in self.headers.get_all("Content-Length") or []]
            if self.headers.get("Transfer-Encoding") is not None:
                return 0, _error(411, "Send the body with a Content-Length header: the emulator does not take "
                                      "Transfer-Encoding (chunked) bodies.")
            if not lengths:
                return 0, None
            if len(set(lengths)) != 1 or not _DIGITS.fullmatch(lengths[0]):
                return 0, _error(400, f"Content-Length {', '.join(lengths)[:80]!r} is not one non-negative "
                                      "whole number of bytes.")
            length = int(lengths[0])
            if length > MAX_BODY_BYTES:
                return length, too_large(length)
            return length, None

        def handle_expect_100(self) -> bool:
            """Refuse a body the client offers (``Expect: 100-continue``) before it is sent, when it is."""
            _, refusal = self._body_length()
            if refusal is not None:
                self._send(refusal, close=True)
                return False
            return super().handle_expect_100()

        def _dispatch(self) -> None:
            length, refusal = self._body_length()
            if refusal is not None:  # nothing of the body was read: the connection cannot be reused
                self._send(refusal, close=True)
                return
            try:
                body = self.rfile.read(length) if length else b""
            except TimeoutError:
                self._send(_error(408, f"The body stopped arriving for {SOCKET_TIMEOUT_S:g} s."), close=True)
                return
            if len(body) < length:
                self._send(_error(400, f"The body ended after {len(body)} of its {length} bytes."), close=True)
                return
            host_header = self.headers.get("Host") or f"{host}:{self.server.server_address[1]}"
            request = EmuRequest(
                method=self.command,
                url=f"http://{host_header}{self.path}",
                headers={k: v for k, v in self.headers.items()},
                body=body,
            )
            try:
                response = core.handle(request)
            except Exception as exc:  # a failure inside a core is still answered, never a dropped socket
                log.exception("emulator core failed on %s %s", self.command, self.path)
                response = _error(500, f"The emulator failed: {type(exc).__name__}: {exc}")
            if response.drop:
                # Cut the connection without a status line, as a dropped upstream would.
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return
            self._send(response)

        def _send(self, response: EmuResponse, close: bool = False) -> None:
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            if close:
                self.send_header("Connection", "close")  # also sets close_connection
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
            """Quiet: the emulator's accounting is the log."""

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_in_thread(core: EmulatorCore, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start serving ``core`` in a daemon thread; returns the server and its base URL."""
    server = make_server(core, port)
    thread = threading.Thread(target=server.serve_forever, name="emulator-server", daemon=True)
    thread.start()
    host, bound_port = server.server_address[:2]
    return server, f"http://{host}:{bound_port}"
