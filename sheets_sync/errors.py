"""Errors named by what the caller should do about them."""

from __future__ import annotations


class SheetsSyncError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(SheetsSyncError):
    """The configuration is missing or wrong: a person must fix the named file or key."""


class RetryableError(SheetsSyncError):
    """A transient failure (rate limit, 5xx, dropped connection): try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FatalAPIError(SheetsSyncError):
    """The API refused for good (bad request, missing permission): retrying will not help."""


class AuthError(FatalAPIError):
    """A token is expired, revoked or lacks a permission: a person must re-authorise."""


class BudgetExhausted(SheetsSyncError):
    """A quota or budget for this cycle is spent: stop calling this API until it resets."""


class SchemaError(SheetsSyncError):
    """A tab does not match ``sheet_schema.yaml`` in a way that makes writing unsafe."""


class LeaseLost(SheetsSyncError):
    """Another runner took this runner's lease over (this cycle overran ``lease.minutes``): the cycle's write was
    refused whole — nothing written, no cursor moved. The next cycle starts afresh."""
