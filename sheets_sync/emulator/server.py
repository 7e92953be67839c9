"""Serves an emulator core on a loopback HTTP port: the out-of-process shim."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .http import EmuRequest
from .transport import EmulatorCore


def make_server(core: EmulatorCore, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) that answers every request from ``core``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host_header = self.headers.get("Host") or f"{host}:{self.server.server_address[1]}"
            request = EmuRequest(
                method=self.command,
                url=f"http://{host_header}{self.path}",
                headers={k: v for k, v in self.headers.items()},
                body=body,
            )
            response = core.handle(request)
            if response.drop:
                # Cut the connection without a status line, as a dropped upstream would.
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
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
