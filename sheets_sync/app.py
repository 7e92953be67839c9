"""Wires configuration to a working runner: the Sheets back-end, the Tracker store and the connectors.

The one module of ``sheets_sync`` that imports ``jobs``: the library layers (tracker, connectors, routing,
reports) never reach upward, and the CLI and the demo get the runner and the job list from here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jobs.archive import archive_all
from jobs.daily import daily_jobs
from jobs.runner import CycleResult, Runner, all_job_names

from .client import SheetsBackend, connect, remember_embedded_spreadsheet
from .config import Config
from .errors import ConfigError

__all__ = ["CycleResult", "Runner", "all_job_names", "archive_all", "build_runner", "daily_jobs",
           "ensure_spreadsheet", "platform_sessions"]

log = logging.getLogger(__name__)

EMBEDDED_TITLE = "PMC Social Media Tracker"


def ensure_spreadsheet(config: Config, backend: SheetsBackend, title: str = EMBEDDED_TITLE) -> str:
    """The Tracker Sheet's id; in the embedded emulator a new sheet is created on first use."""
    if backend.spreadsheet_id:
        return backend.spreadsheet_id
    if backend.kind == "google":
        raise ConfigError(f"{config.where('spreadsheet.id')}: set the id of the Tracker Sheet (create it in Google "
                          "Sheets and share it with the service account as Editor).")
    from .tracker.init import drop_default_tab, run_init
    from .tracker.store import TrackerStore

    store = TrackerStore(backend, tz=config.tz)
    spreadsheet_id = store.create(title)
    if backend.kind == "embedded":
        remember_embedded_spreadsheet(config.data_dir, spreadsheet_id)
    log.info("created the Tracker Sheet %s in the %s emulator", spreadsheet_id, backend.kind)
    # A sheet we just created is empty: lay out its tabs at once, so `run` works without a separate `init`.
    run_init(store)
    drop_default_tab(store)  # its blank Sheet1 is no tab of the Tracker Sheet
    return spreadsheet_id


YOUTUBE_SCOPES = ["https://www.googleapis.com/auth/youtube.force-ssl"]


def platform_sessions(config: Config) -> dict[str, Any]:
    """Sessions the connectors must use instead of a plain one: google-auth's ``AuthorizedSession`` for a
    YouTube entry with ``credentials`` (its token is refreshed as it expires)."""
    sessions: dict[str, Any] = {}
    for index, entry in enumerate(config.platforms):
        if entry.kind == "youtube" and entry.credentials is not None:
            from google.auth.transport.requests import AuthorizedSession
            from google.oauth2.credentials import Credentials

            path, where = Path(entry.credentials), config.where(f"platforms[{index}].credentials")
            if not path.is_file():  # relative paths were resolved from the config file's folder at load
                raise ConfigError(f"{where}: the YouTube credentials file {path} does not exist; "
                                  "create it with the OAuth flow for the channel's owner (README, YouTube).")
            try:
                creds = Credentials.from_authorized_user_file(str(path), YOUTUBE_SCOPES)
            except (ValueError, KeyError) as exc:
                raise ConfigError(f"{where}: {path} is not an authorized-user file "
                                  "(client_id, client_secret, refresh_token); run the OAuth flow again.") from exc
            sessions["youtube"] = AuthorizedSession(creds)
    return sessions


def build_runner(config: Config, backend: SheetsBackend | None = None, connectors: list[Any] | None = None,
                 **kwargs: Any) -> Runner:
    """A ``jobs.runner.Runner`` for this configuration."""
    from .connectors.registry import build_connectors

    backend = backend or connect(config)
    ensure_spreadsheet(config, backend)
    if connectors is None:
        connectors = build_connectors(config.platforms, sessions=platform_sessions(config))
    return Runner(config=config, backend=backend, connectors=connectors, **kwargs)
