"""Configuration: ``sheets-sync.yaml``, found by ``--config``, then ``SHEETS_SYNC_CONFIG``, then the working
directory. With no file at all the defaults apply: the embedded Sheets emulator under ``.sheets-sync/``.

Secrets never live in this file: it names environment variables (``token_env``, ``password_env``) or files
(``credentials``) that hold them. Errors name the file, the key and the fix.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .errors import ConfigError

CONFIG_ENV = "SHEETS_SYNC_CONFIG"
CONFIG_NAME = "sheets-sync.yaml"
DEFAULT_DATA_DIR = ".sheets-sync"

# Every key the file may hold, with what it is for; an unknown key is an error (a typo must not be ignored).
TOP_LEVEL_KEYS = {
    "spreadsheet": "the Tracker Sheet: {id, endpoint}",
    "credentials": "path of the Google service-account (or authorized-user) JSON key file",
    "timezone": "the corporation's time zone (default Asia/Kolkata)",
    "data_dir": "folder for the embedded emulators' data (default .sheets-sync)",
    "platforms": "list of platform accounts: {kind, page_id|ig_user_id|channel_id|user_id, token_env, endpoint}",
    "schedule": "{every_minutes, digest_at, archive_at}",
    "sla": "{default_hours, office_hours, holidays}",
    "smtp": "{host, port, from, starttls, ssl, user_env, password_env}",
    "digest": "{folder, cell_email}",
    "archive": "{after_days, cell_limit_fraction}",
    "routing": "{threshold}",
    "webhook": "{port, app_secret_env, verify_token_env}",
    "lease": "{minutes}",
}
SPREADSHEET_KEYS = {"id", "endpoint"}
# A platform entry's account-id key by kind, and every key an entry may hold (connectors/registry.py reads them).
PLATFORM_ID_KEYS = {"facebook": "page_id", "instagram": "ig_user_id", "youtube": "channel_id", "x": "user_id"}
PLATFORM_KEYS = {"kind", "enabled", "token_env", "endpoint", "api_version", "recheck_days", "daily_quota",
                 "deep_scan_minutes", "credentials", *PLATFORM_ID_KEYS.values()}
# Numbers the jobs read from the sections: a typo such as `minutes: ten` must fail here, not mid-cycle.
NUMERIC_KEYS = {("lease", "minutes"), ("schedule", "every_minutes"), ("schedule", "status_max_rows"),
                ("archive", "after_days")}


@dataclass(frozen=True)
class Config:
    """The resolved configuration. ``path`` is None when the defaults apply (no file found)."""

    path: Path | None = None
    spreadsheet_id: str | None = None
    endpoint: str | None = None
    credentials: Path | None = None
    timezone: str = "Asia/Kolkata"
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    platforms: list[dict[str, Any]] = field(default_factory=list)
    schedule: dict[str, Any] = field(default_factory=dict)
    sla: dict[str, Any] = field(default_factory=dict)
    smtp: dict[str, Any] | None = None
    digest: dict[str, Any] = field(default_factory=dict)
    archive: dict[str, Any] = field(default_factory=dict)
    routing: dict[str, Any] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    lease: dict[str, Any] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        """True when no spreadsheet is configured: the in-process emulator is the Tracker Sheet's home."""
        return not self.spreadsheet_id

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    def where(self, key: str) -> str:
        """A phrase naming ``key`` in this configuration's file, for error messages."""
        return f"{self.path or CONFIG_NAME} (key `{key}`)"


def find_config_path(explicit: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
                     cwd: Path | None = None) -> Path | None:
    """The configuration file to use: ``explicit``, then ``$SHEETS_SYNC_CONFIG``, then ``./sheets-sync.yaml``.

    An explicitly named file that does not exist is an error; a missing file in the working directory means
    "use the defaults".
    """
    env = os.environ if env is None else env
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file {path} (from --config) does not exist: check the path, "
                              f"or copy the example in README.md to {path}.")
        return path
    if env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
        if not path.is_file():
            raise ConfigError(f"config file {path} (from ${CONFIG_ENV}) does not exist: fix or unset "
                              f"{CONFIG_ENV}.")
        return path
    path = (cwd or Path.cwd()) / CONFIG_NAME
    return path if path.is_file() else None


def _unknown_key(where: str, key: str, known: set[str] | dict[str, str]) -> ConfigError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" Did you mean `{close[0]}`?" if close else f" Known keys: {', '.join(sorted(known))}."
    return ConfigError(f"{where}: unknown key `{key}`.{hint}")


def _expect(value: Any, kind: type | tuple[type, ...], where: str, example: str) -> Any:
    if not isinstance(value, kind):
        raise ConfigError(f"{where} must be {example}, got {value!r}.")
    return value


def _check_platform(entry: dict[str, Any], where: str) -> None:
    """One ``platforms`` entry: a known kind, its account id, and the *name* of the token's variable."""
    for key in entry:
        if key not in PLATFORM_KEYS:
            raise _unknown_key(where, str(key), PLATFORM_KEYS)
    kind = entry.get("kind")
    if kind not in PLATFORM_ID_KEYS:
        raise ConfigError(f"{where}: `kind` is {kind!r}; use one of {', '.join(PLATFORM_ID_KEYS)}, or remove the "
                          "entry to run without that platform.")
    id_key = PLATFORM_ID_KEYS[kind]
    if entry.get(id_key) in (None, ""):
        raise ConfigError(f"{where} ({kind}): `{id_key}` is missing: add the account's {id_key}.")
    token_env = entry.get("token_env")
    if token_env is not None and (not isinstance(token_env, str) or not token_env.strip()):
        raise ConfigError(f"{where} ({kind}): `token_env` must be the name of an environment variable such as "
                          f"{kind.upper()}_TOKEN, got {token_env!r}.")
    # YouTube may run on an OAuth session (`credentials`: the channel owner's authorized-user file, refreshed
    # by google-auth) instead of a token; every other kind needs a token.
    if entry.get("credentials") is not None and kind != "youtube":
        raise ConfigError(f"{where} ({kind}): `credentials` is for YouTube only; use `token_env` for {kind}.")
    if token_env is None and kind == "youtube" and not entry.get("credentials"):
        raise ConfigError(f"{where} (youtube): name either `token_env` (an environment variable holding an OAuth "
                          "access token) or `credentials` (an authorized-user JSON file with the youtube.force-ssl "
                          "scope).")
    if token_env is None and kind != "youtube":
        raise ConfigError(f"{where} ({kind}): `token_env` is missing: name the environment variable that holds "
                          f"the {kind} token (e.g. token_env: {kind.upper()}_TOKEN); never put the token itself "
                          "in this file.")


def load_config(explicit: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> Config:
    """Find, read and validate the configuration; defaults when no file is found."""
    path = find_config_path(explicit, env, cwd)
    if path is None:
        return Config(data_dir=(cwd or Path.cwd()) / DEFAULT_DATA_DIR)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read ({exc.strerror}): check its permissions.") from exc
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML{at}: {getattr(exc, 'problem', exc)}. "
                          "Fix the indentation or quoting there.") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must hold a mapping of keys (spreadsheet:, platforms:, ...), "
                          f"not {type(raw).__name__}.")
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a configuration mapping; relative paths are taken from the file's folder."""
    name = str(path or CONFIG_NAME)
    base = path.parent if path else Path.cwd()
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise _unknown_key(name, str(key), TOP_LEVEL_KEYS)

    sheet = raw.get("spreadsheet") or {}
    _expect(sheet, dict, f"{name}: `spreadsheet`", "a mapping such as {id: 1AbC..., endpoint: http://...}")
    for key in sheet:
        if key not in SPREADSHEET_KEYS:
            raise _unknown_key(f"{name}: `spreadsheet`", str(key), SPREADSHEET_KEYS)
    sheet_id = sheet.get("id")
    if sheet_id is not None:
        sheet_id = str(_expect(sheet_id, str, f"{name}: `spreadsheet.id`",
                               "the id from the sheet's URL (docs.google.com/spreadsheets/d/<id>/edit)")).strip()
        if not sheet_id or "/" in sheet_id:
            raise ConfigError(f"{name}: `spreadsheet.id` must be the id between /d/ and /edit in the sheet's "
                              f"URL, got {sheet_id!r}.")
    endpoint = sheet.get("endpoint")
    if endpoint is not None:
        _expect(endpoint, str, f"{name}: `spreadsheet.endpoint`", "a URL such as http://127.0.0.1:8780")
        if not endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"{name}: `spreadsheet.endpoint` must start with http:// or https://, "
                              f"got {endpoint!r}.")
        endpoint = endpoint.rstrip("/")

    credentials = raw.get("credentials")
    if credentials is not None:
        _expect(credentials, str, f"{name}: `credentials`", "the path of a JSON key file")
        credentials = (base / Path(credentials).expanduser())

    timezone = raw.get("timezone", "Asia/Kolkata")
    _expect(timezone, str, f"{name}: `timezone`", "an IANA zone name such as Asia/Kolkata")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name}: `timezone` {timezone!r} is not a known time zone: use an IANA name "
                          "such as Asia/Kolkata.") from exc

    data_dir = raw.get("data_dir", DEFAULT_DATA_DIR)
    _expect(data_dir, str, f"{name}: `data_dir`", "a folder path")

    platforms = raw.get("platforms") or []
    _expect(platforms, list, f"{name}: `platforms`", "a list of entries, each with `kind:`")
    for i, entry in enumerate(platforms, 1):
        _expect(entry, dict, f"{name}: `platforms` entry {i}", "a mapping with kind, token_env, ...")
        _check_platform(entry, f"{name}: `platforms` entry {i}")

    sections: dict[str, Any] = {}
    for key in ("schedule", "sla", "digest", "archive", "routing", "webhook", "lease"):
        value = raw.get(key) or {}
        sections[key] = _expect(value, dict, f"{name}: `{key}`", f"a mapping: {TOP_LEVEL_KEYS[key]}")
    for section, key in sorted(NUMERIC_KEYS):
        value = sections[section].get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
            raise ConfigError(f"{name}: `{section}.{key}` must be a positive number such as 10, got {value!r}.")
    smtp = raw.get("smtp")
    if smtp is not None:
        _expect(smtp, dict, f"{name}: `smtp`", f"a mapping: {TOP_LEVEL_KEYS['smtp']}")
        if not smtp.get("host"):
            raise ConfigError(f"{name}: `smtp.host` is required when `smtp` is given (e.g. smtp.gmail.com).")

    return Config(
        path=path,
        spreadsheet_id=sheet_id,
        endpoint=endpoint,
        credentials=credentials,
        timezone=timezone,
        data_dir=base / data_dir,
        platforms=platforms,
        smtp=smtp,
        **sections,
    )
