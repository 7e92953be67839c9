"""The request and response values that every emulator core speaks, independent of any transport."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs, urlsplit

# A JSON \uXXXX escape of a surrogate: a high one followed by a low one is a pair (one character), anything
# else is unpaired.
_SURROGATE_ESCAPES = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


@dataclass
class EmuRequest:
    """One HTTP request as an emulator core sees it."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @cached_property
    def path(self) -> str:
        """The URL path, percent-encoding kept (cores decode the parts they need)."""
        return urlsplit(self.url).path

    @cached_property
    def query(self) -> dict[str, list[str]]:
        """Query parameters, each a list because Google repeats keys (``ranges=A1&ranges=B2``)."""
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON; an empty body is ``{}``. A string holding an unpaired UTF-16 surrogate
        escape is refused (``json.JSONDecodeError``), as Google refuses it: it is not Unicode text."""
        if not self.body:
            return {}
        text = self.body.decode("utf-8")
        if "\\u" in text:
            for match in _SURROGATE_ESCAPES.finditer(text):
                if len(match.group(0)) == 6:
                    raise json.JSONDecodeError("Unpaired surrogate in string", text, match.start())
        return json.loads(text)

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, matched case-insensitively."""
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default


@dataclass
class EmuResponse:
    """One HTTP response from an emulator core.

    ``drop`` asks the shim to cut the connection instead of answering, as a flaky network would.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body.decode("utf-8")) if self.body else None


REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> EmuResponse:
    """A JSON response, UTF-8 encoded, with Google's content type. Text holding a lone surrogate (which UTF-8
    cannot carry) goes as a ``\\udXXX`` escape, as the real APIs send it."""
    text = json.dumps(payload, ensure_ascii=False)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(payload).encode("ascii")
    merged = {"Content-Type": "application/json; charset=UTF-8"}
    if headers:
        merged.update(headers)
    return EmuResponse(status=status, body=body, headers=merged)
