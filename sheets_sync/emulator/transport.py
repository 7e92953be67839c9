"""Mounts an emulator core into a ``requests.Session``: the in-process shim.

The real gspread (or connector) code builds its requests as usual; this adapter hands them to the core
instead of the network. A dropped connection becomes ``requests.ConnectionError``, as from a real socket.
"""

from __future__ import annotations

from typing import Protocol

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .http import REASONS, EmuRequest, EmuResponse


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
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):  # a file-like upload body
            body = body.read()
            if isinstance(body, str):
                body = body.encode("utf-8")
        emu_request = EmuRequest(
            method=request.method or "GET",
            url=request.url or "",
            headers=dict(request.headers),
            body=body,
        )
        emu_response = self.core.handle(emu_request)
        if emu_response.drop:
            raise requests.ConnectionError("Connection aborted (emulated drop).", request=request)
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


def mount(session: requests.Session, core: EmulatorCore, prefixes: list[str]) -> requests.Session:
    """Route every URL under ``prefixes`` in ``session`` to ``core``; returns the session."""
    adapter = EmulatorAdapter(core)
    for prefix in prefixes:
        session.mount(prefix, adapter)
    return session
