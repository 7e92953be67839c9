"""The offline Google Sheets API v4 + Drive v3 emulator.

Where things live: ``core`` routes a request and applies quotas, faults and accounting; ``values`` and
``batch_update`` (with its request handlers in ``batch_requests``) implement the write and read semantics;
``spreadsheet_get`` answers spreadsheets.get; ``drive`` the Drive files API; ``a1``/``cells``/``formula``/
``grid`` are the pure spreadsheet rules; ``store`` holds state and persists it; ``conformance`` replays real
recorded Google traffic against it.
"""

from .core import SheetsEmulator

__all__ = ["SheetsEmulator"]
