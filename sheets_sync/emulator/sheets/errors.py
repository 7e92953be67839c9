"""Google's error bodies: every refusal the emulator gives is one of these, shaped exactly like Google's."""

from __future__ import annotations

from typing import Any

from ..http import EmuResponse, json_response

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error the emulator answers with, in Google's ``{"error": {code, message, status}}`` shape."""

    def __init__(self, code: int, message: str, status: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.details = details

    def body(self) -> dict[str, Any]:
        """The JSON body Google sends for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def response(self) -> EmuResponse:
        """This error as an HTTP response."""
        return json_response(self.code, self.body())


def invalid(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT, the answer to most malformed requests."""
    return ApiError(400, message, "INVALID_ARGUMENT")


def invalid_field(field: str, type_name: str, value: Any, raw: str) -> ApiError:
    """The 400 Google's JSON front end gives when a field has the wrong JSON type (with a BadRequest detail)."""
    message = f"Invalid value at '{field}' ({type_name}), {raw}"
    return ApiError(400, message, "INVALID_ARGUMENT", details=[{
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": field, "description": message}],
    }])


def not_found(message: str = "Requested entity was not found.") -> ApiError:
    """A 404 NOT_FOUND."""
    return ApiError(404, message, "NOT_FOUND")
