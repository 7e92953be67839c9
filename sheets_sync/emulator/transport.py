"""Mounts an emulator core into a ``requests.Session``: the in-process shim.

The real gspread (or connector) code builds its requests as usual; this adapter hands them to the core
instead of the network. A dropped connection becomes ``requests.ConnectionError``, as from a real socket.
A body over ``MAX_BODY_BYTES`` is answered 413 without reaching the core, as the HTTP server answers it.
"""

from __future__ import annotations

from typing import Any, Protocol

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .http import REASONS, EmuRequest, EmuResponse, json_response

# The largest request body either emulator takes, in-process or over HTTP. Google documents no hard limit for
# a Sheets API request (it recommends payloads under 2 MB), its front end refuses JSON bodies over 10 MB
# ("Request payload size exceeds the limit: 10485760 bytes") and Drive's simple uploads stop at 5 MB. 64 MiB
# leaves room for anything a client can send Google while a 300 MB body is never read into memory.
MAX_BODY_BYTES = 64 * 1024 * 1024


def too_large(length: int | None) -> EmuResponse:
    """The 413 for a body over ``MAX_BODY_BYTES`` (``length`` None: it was cut off while being read)."""
    size = f"{length} bytes" if length is not None else f"more than {MAX_BODY_BYTES} bytes"
    return json_response(413, {"error": {
        "code": 413, "status": "PAYLOAD_TOO_LARGE",
        "message": f"Request body of {size} is over the emulator's limit of {MAX_BODY_BYTES} bytes "
                   "(MAX_BODY_BYTES): send less in one request."}})


def read_capped(body: Any) -> bytes | None:
    """A request body (bytes, str, file-like or an iterable of chunks) as bytes, or None when it is over
    ``MAX_BODY_BYTES``; at most ``MAX_BODY_BYTES + 1`` bytes are ever read."""
    if body is None:
        return b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif isinstance(body, (bytes, bytearray, memoryview)):
        body = bytes(body)
    elif hasattr(body, "read"):  # a file-like upload body
        body = body.read(MAX_BODY_BYTES + 1)
        if isinstance(body, str):
            body = body.encode("utf-8")
    else:  # an iterable of chunks (a generator: requests sends it chunked)
        parts: list[bytes] = []
        total = 0
        for chunk in body:
            chunk = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
            parts.append(chunk)
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                return None
        body = b"".join(parts)
    return None if len(body) > MAX_BODY_BYTES else body


class EmulatorCore(Protocol):
    """What the shims need from an emulator."""

    def handle(self, request: EmuRequest) -> EmuResponse: ...


class EmulatorAdapter(BaseAdapter):
    """A ``requests`` transport adapter that answers from an emulator core."""

    def __init__(self, core: EmulatorCore) -> None:
        super().__init__()
        self.core = core

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout=None, verify=True,
             cert=None, proxies=None) -> requests.Response:  # noqa: D401 - requests' signature
        body = read_capped(request.body)
        if body is None:
            return self._response(request, too_large(_declared_length(request)))
        emu_request = EmuRequest(
            method=request.method or "GET",
            url=request.url or "",
            headers=dict(request.headers),
            body=body,
        )
        emu_response = self.core.handle(emu_request)
        if emu_response.drop:
            raise requests.ConnectionError("Connection aborted (emulated drop).", request=request)
        return self._response(request, emu_response)

    @staticmethod
    def _response(request: requests.PreparedRequest, emu_response: EmuResponse) -> requests.Response:
        response = requests.Response()
        response.status_code = emu_response.status
        response.reason = REASONS.get(emu_response.status, "")
        response.headers = CaseInsensitiveDict(emu_response.headers)
        response._content = emu_response.body
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: the core outlives the session."""


def _declared_length(request: requests.PreparedRequest) -> int | None:
    value = request.headers.get("Content-Length") or ""
    return int(value) if value.isascii() and value.isdigit() else None


def mount(session: requests.Session, core: EmulatorCore, prefixes: list[str]) -> requests.Session:
    """Route every URL under ``prefixes`` in ``session`` to ``core``; returns the session."""
    adapter = EmulatorAdapter(core)
    for prefix in prefixes:
        session.mount(prefix, adapter)
    return session
