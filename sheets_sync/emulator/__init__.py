"""Offline emulators of the outside APIs (Google Sheets/Drive and the social platforms).

Each emulator is a plain stateful object with ``handle(EmuRequest) -> EmuResponse``. Two thin shims expose it:
``transport.EmulatorAdapter`` mounts it into a ``requests.Session`` in-process, and ``server.serve`` puts it on
a loopback HTTP port. Both shims share fault injection and accounting from ``faults``.
"""

from .http import EmuRequest, EmuResponse, json_response

__all__ = ["EmuRequest", "EmuResponse", "json_response"]
