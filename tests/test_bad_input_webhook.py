"""The webhook server against malformed, oversized, unsigned and stalled requests, over raw loopback sockets.

Each case sends only what it names (usually headers without their body) and waits for the server's answer with
a client socket timeout of a few seconds: an answer that arrives proves the server decided without reading (or
waiting for) the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time

import pytest

from sheets_sync.connectors.webhook import MAX_BODY_BYTES, WebhookReceiver, serve_webhook_in_thread

SECRET = b"shh"
CLIENT_TIMEOUT_S = 5.0  # how long a test waits for an answer; far below nothing, far above a prompt answer
PAYLOAD = json.dumps({"object": "page", "entry": [{"id": "104000000000001", "changes": [{"field": "feed", "value": {
    "item": "comment", "verb": "add", "comment_id": "1_2", "post_id": "1001_1"}}]}]}).encode()


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()


def serve(received: list, **options):
    receiver = WebhookReceiver(received.extend, env={"FB_APP_SECRET": SECRET.decode()})
    server, _ = serve_webhook_in_thread(receiver, **options)
    return server


def stop(server) -> None:
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def default_server():
    """One server with the default limits for the module (shutting one down takes up to half a second)."""
    received: list = []
    server = serve(received)
    yield server.server_address[1], received
    stop(server)


@pytest.fixture
def received(default_server) -> list:
    default_server[1].clear()
    return default_server[1]


@pytest.fixture
def port(default_server, received) -> int:
    return default_server[0]


@pytest.fixture
def start(received):
    """Start a server with other limits (``max_workers``, ``timeout``, ``max_body``); returns its port."""
    servers = []

    def start(**options):
        servers.append(serve(received, **options))
        return servers[-1].server_address[1]

    yield start
    for server in servers:
        stop(server)


def exchange(port: int, data: bytes) -> tuple[bytes, float]:
    """Send ``data`` and read until the server closes; the answer and the seconds it took."""
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) as sock:
        began = time.monotonic()
        sock.sendall(data)
        return read_to_close(sock), time.monotonic() - began


def read_to_close(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def post_headers(*lines: str, path: str = "/webhook") -> bytes:
    return ("\r\n".join([f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *lines]) + "\r\n\r\n").encode()


def test_unknown_path_with_a_huge_declared_body_is_answered_404_without_reading_it(port, received):
    answer, took = exchange(port, post_headers("Content-Length: 300000000", f"X-Hub-Signature-256: {sign(b'')}",
                                               path="/wp-login.php"))
    assert status(answer) == 404 and took < CLIENT_TIMEOUT_S and received == []


@pytest.mark.parametrize(("lines", "expected"), [
    pytest.param(["Content-Length: -1"], 400, id="negative"),
    pytest.param(["Content-Length: abc"], 400, id="not-a-number"),
    pytest.param(["Content-Length: +5"], 400, id="signed"),
    pytest.param(["Content-Length: 1_0"], 400, id="underscore"),
    pytest.param(["Content-Length: 5", "Content-Length: 6"], 400, id="conflicting"),
    pytest.param([], 411, id="missing"),
    pytest.param(["Transfer-Encoding: chunked"], 411, id="chunked"),
    pytest.param(["Transfer-Encoding: chunked", "Content-Length: 5"], 411, id="chunked-and-length"),
    pytest.param([f"Content-Length: {MAX_BODY_BYTES + 1}"], 413, id="over-the-cap"),
])
def test_unusable_lengths_are_refused_at_once(port, received, caplog, capsys, lines, expected):
    with caplog.at_level(logging.INFO, logger="sheets_sync.connectors.webhook"):
        answer, _ = exchange(port, post_headers(*lines, f"X-Hub-Signature-256: {sign(b'x')}"))
    assert status(answer) == expected and b"Connection: close" in answer and received == []
    assert any(f"refused ({expected})" in r.getMessage() for r in caplog.records)
    assert "Traceback" not in capsys.readouterr().err


def test_a_missing_signature_is_refused_before_the_body(port, received):
    answer, _ = exchange(port, post_headers("Content-Length: 100"))
    assert status(answer) == 403 and received == []
    answer, _ = exchange(port, post_headers("Content-Length: 100", "X-Hub-Signature-256: md5=00"))
    assert status(answer) == 403 and received == []


def test_a_smaller_cap_is_honoured(start):
    port = start(max_body=10)
    answer, _ = exchange(port, post_headers("Content-Length: 11", f"X-Hub-Signature-256: {sign(b'x')}"))
    assert status(answer) == 413


def test_a_stalled_upload_is_dropped_after_the_timeout(start, received):
    port = start(timeout=0.2)
    # Headers and part of the body, then nothing: answered 408 and closed after the server's timeout.
    answer, took = exchange(port, post_headers("Content-Length: 100", f"X-Hub-Signature-256: {sign(b'x')}")
                            + b"{\"object\"")
    assert status(answer) == 408 and 0.2 <= took < CLIENT_TIMEOUT_S and received == []
    # Half a header block, then nothing: closed after the timeout.
    answer, took = exchange(port, b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
    assert answer == b"" and 0.2 <= took < CLIENT_TIMEOUT_S


def test_a_client_closing_mid_body_costs_one_log_line(port, received, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="sheets_sync.connectors.webhook"):
        with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) as sock:
            sock.sendall(post_headers("Content-Length: 100", f"X-Hub-Signature-256: {sign(b'x')}") + b"{")
            sock.shutdown(socket.SHUT_WR)
            assert read_to_close(sock) == b""
        answer, _ = exchange(port, b"NOT HTTP AT ALL\r\n\r\n")
    assert b"Error code: 400" in answer and received == []  # a non-HTTP request line: answered as HTTP/0.9
    assert any("closed after 1 of 100 body bytes" in r.getMessage() for r in caplog.records)
    assert "Traceback" not in capsys.readouterr().err


def test_stalled_connections_never_take_more_than_max_workers_threads(start, received):
    workers, extra = 3, 4
    port = start(max_workers=workers, timeout=CLIENT_TIMEOUT_S * 2)  # the stalled ones outlive the test
    before = set(threading.enumerate())
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) for _ in range(workers)]
    try:
        refused = [exchange(port, b"")[0] for _ in range(extra)]  # connect, send nothing, read the answer
        assert [status(a) for a in refused] == [503] * extra
        new = set(threading.enumerate()) - before
        assert len(new) <= workers
    finally:
        for sock in stalled:
            sock.close()
    for thread in new:  # the closed connections free their workers
        thread.join(CLIENT_TIMEOUT_S)
        assert not thread.is_alive()
    body = PAYLOAD
    answer, _ = exchange(port, post_headers(f"Content-Length: {len(body)}", f"X-Hub-Signature-256: {sign(body)}")
                         + body)
    assert status(answer) == 200 and [e.comment_id for e in received] == ["1_2"]


def test_a_valid_signed_delivery_triggers_the_callback(port, received):
    body = PAYLOAD
    answer, _ = exchange(port, post_headers(f"Content-Length: {len(body)}", f"X-Hub-Signature-256: {sign(body)}")
                         + body)
    assert status(answer) == 200 and [(e.platform, e.comment_id) for e in received] == [("facebook", "1_2")]
    answer, _ = exchange(port, post_headers(f"Content-Length: {len(body)}", "X-Hub-Signature-256: sha256=00")
                         + body)
    assert status(answer) == 403 and len(received) == 1


def test_expect_100_continue_is_sent_only_after_the_headers_pass(port, received):
    body = PAYLOAD
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(post_headers(f"Content-Length: {len(body)}", f"X-Hub-Signature-256: {sign(body)}",
                                  "Expect: 100-continue"))
        assert sock.recv(65536).startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        assert status(read_to_close(sock)) == 200
    answer, _ = exchange(port, post_headers(f"Content-Length: {MAX_BODY_BYTES * 100}", "Expect: 100-continue",
                                            f"X-Hub-Signature-256: {sign(body)}"))
    assert status(answer) == 413 and b" 100 " not in answer and len(received) == 1
