"""sheets-sync: a shared Google Sheet as the record of citizens' social-media comments.

Where things live:
  - comments enter through ``sheets_sync.connectors`` (one module per platform),
  - they are routed by the pure functions in ``sheets_sync.routing``,
  - the Tracker Sheet is read and written by ``sheets_sync.tracker``,
  - replies leave through the connectors again, driven by the jobs in ``jobs/``,
  - ``sheets_sync.emulator`` holds the offline stand-ins for Google Sheets and the platforms.
"""

__version__ = "0.1.0"
