"""Offline stand-in for the social platforms: Graph (Facebook + Instagram), YouTube Data API v3, X API v2.

``PlatformEmulator`` keeps posts and comments of all four platforms and answers their APIs with the shapes,
paging, errors and rate limits of /work/shared/reference/platform-apis.md, plus an admin API under
``/_emulator/``. One module per API: ``graph``, ``youtube``, ``x``; ``admin`` for the admin API.
"""

from .core import BASE_URLS, PlatformEmulator

__all__ = ["BASE_URLS", "PlatformEmulator"]
