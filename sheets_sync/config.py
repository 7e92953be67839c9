"""Configuration: ``sheets-sync.yaml``, found by ``--config``, then ``SHEETS_SYNC_CONFIG``, then the working
directory. With no file at all the defaults apply: the embedded Sheets emulator under ``.sheets-sync/``.

The whole file is validated when it is loaded (pydantic models, one per section), so a bad value fails at start,
not when the job that reads it runs; everything else gets typed, frozen sections (``config.schedule.digest_at``,
``config.smtp.port``, ``config.sla`` as a ready ``SlaPolicy``). Every error is a ``ConfigError`` naming the file,
the key and the fix, e.g. ``sheets-sync.yaml (key `schedule.digest_at`): must be a time of day as HH:MM (24 h,
e.g. "08:00"), got '25:99'.``; an unknown key is an error with a "Did you mean" hint (a typo must not be ignored).

Secrets never live in this file: it names environment variables (``token_env``, ``password_env``) or files
(``credentials``) that hold them.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from .errors import ConfigError
from .sla import SlaConfigError, SlaPolicy
from .vocabulary import PLATFORM_ID_KEYS

__all__ = [
    "CONFIG_ENV", "CONFIG_NAME", "DEFAULT_DATA_DIR", "PLATFORM_ID_KEYS", "AccessConfig", "ArchiveConfig", "Config",
    "ContentMailConfig", "DigestConfig",
    "LeaseConfig", "PlatformConfig", "RoutingConfig", "ScheduleConfig", "SmtpConfig", "SpreadsheetConfig",
    "WebhookConfig", "find_config_path", "load_config", "parse_at", "parse_config", "parse_platforms",
]

CONFIG_ENV = "SHEETS_SYNC_CONFIG"
CONFIG_NAME = "sheets-sync.yaml"
DEFAULT_DATA_DIR = ".sheets-sync"
DEFAULT_TIMEZONE = "Asia/Kolkata"
# A platform entry's account-id key by kind comes from sheets_sync.vocabulary (PLATFORM_ID_KEYS).
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Loc = tuple[str | int, ...]


# ---- errors: pydantic's, translated into "<file> (key `a.b`): <what is wrong and the fix>." -------------------

def _expect(what: str) -> PydanticCustomError:
    """A value of the wrong kind; the message is "must be <what>, got <the value>."."""
    return PydanticCustomError("expect", "must be {what}", {"what": what})


def _problem(text: str, key: str = "") -> PydanticCustomError:
    """A problem stated in full; ``key`` (dotted) names a key below the one being validated."""
    return PydanticCustomError("problem", "{text}", {"text": text, "key": key})


def _unknown_key(key: str, known: Iterable[str]) -> PydanticCustomError:
    known = sorted(known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else f" Known keys: {', '.join(known)}."
    return _problem(f"unknown key `{key}`.{hint}")


# What pydantic's own error types (by their first word) mean, for the keys whose type it checks itself.
_BUILTIN_EXPECT = {"bool": "true or false", "string": "text", "list": "a list", "dict": "a mapping",
                   "model": "a mapping", "int": "a whole number", "float": "a number"}


def _entry_kind(raw: Any, loc: Loc) -> str | None:
    """The ``kind`` of the platforms entry that ``loc`` points into, when it is a known one."""
    node, kind = raw, None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and isinstance(node, Mapping) and node.get("kind") in PLATFORM_ID_KEYS:
            kind = str(node["kind"])
    return kind


def _where(name: str | None, loc: Loc, kind: str | None) -> str:
    """``<file> (key `platforms[0].daily_quota`, kind: youtube)``; without a file, ``platforms[0] (kind: x)``."""
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    extra = f"kind: {kind}" if kind else ""
    if name is None:
        return f"{dotted or 'configuration'}{f' ({extra})' if extra else ''}"
    if not dotted:
        return name
    return f"{name} (key `{dotted}`{f', {extra}' if extra else ''})"


def _message(error: ErrorDetails, name: str | None, raw: Any, prefix: Loc) -> str:
    loc: Loc = (*prefix, *error["loc"])
    ctx = error.get("ctx") or {}
    kind = _entry_kind(raw, loc)
    if error["type"] == "problem":
        loc = (*loc, *(part for part in str(ctx.get("key", "")).split(".") if part))
        text = str(ctx["text"])
    elif error["type"] == "missing":
        text = "is missing: add it (see the configuration reference in README.md)."
    else:
        what = ctx.get("what") if error["type"] == "expect" else _BUILTIN_EXPECT.get(error["type"].split("_")[0])
        text = f"must be {what}, got {error['input']!r}." if what else f"{error['msg']} (got {error['input']!r})."
    return f"{_where(name, loc, kind)}: {text}"


def _config_error(exc: ValidationError, name: str | None, raw: Any, prefix: Loc = ()) -> ConfigError:
    """One ``ConfigError`` for every problem pydantic found, one line each."""
    lines = [_message(error, name, raw, prefix) for error in exc.errors(include_url=False)]
    return ConfigError("\n".join(dict.fromkeys(lines)))


# ---- value types ----------------------------------------------------------------------------------------------

def _number(value: Any, what: str, *, whole: bool = False) -> float:
    """A finite number (a quoted one too), never a boolean; ``_expect(what)`` otherwise."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise _expect(what) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _expect(what)
    if whole and not float(value).is_integer():
        raise _expect(what)
    return value


def _positive(example: str, *, whole: bool = False) -> BeforeValidator:
    """A positive number (``whole``: a positive whole number); ``example`` goes into the message."""
    what = f"a positive {'whole ' if whole else ''}number such as {example}"

    def check(value: Any) -> float | int:
        number = _number(value, what, whole=whole)
        if number <= 0:
            raise _expect(what)
        return int(number) if whole else float(number)

    return BeforeValidator(check)


def _text(what: str, *, required: bool = False) -> BeforeValidator:
    """A string (stripped); ``required``: not empty either."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _expect(what)
        if required and not value.strip():
            raise _problem(f"is required: {what}.")
        return value.strip()

    return BeforeValidator(check)


def _time_of_day(value: Any) -> str | None:
    """``HH:MM`` for a time of day, also for YAML 1.1's base-60 reading of an unquoted ``8:30`` (510)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        hours, minutes = divmod(value, 60)
        return f"{hours:02d}:{minutes:02d}"
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    return f"{int(match.group(1)):02d}:{match.group(2)}" if match else None


_TIME_HELP = 'a time of day as HH:MM (24 h, e.g. "08:00")'


def parse_at(value: Any, key: str) -> str:
    """A ``schedule.<key>`` value as ``HH:MM``; ``ConfigError`` naming the key when it is not a time of day."""
    at = _time_of_day(value)
    if at is None:
        raise ConfigError(f"`schedule.{key}` must be {_TIME_HELP}, got {value!r}.")
    return at


def _check_at(value: Any) -> str:
    at = _time_of_day(value)
    if at is None:
        raise _expect(_TIME_HELP)
    return at


def _check_timezone(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("an IANA zone name such as Asia/Kolkata")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _problem(f"{value!r} is not a known time zone: use an IANA name such as Asia/Kolkata.") from None
    return value


def _check_env_name(value: Any) -> str:
    if not isinstance(value, str) or not _ENV_NAME.match(value.strip()):
        raise _expect("the name of an environment variable such as SMTP_PASSWORD (never the secret itself)")
    return value.strip()


def _check_url(value: Any) -> str:
    if not isinstance(value, str):
        raise _expect("a URL such as http://127.0.0.1:8780")
    if not value.startswith(("http://", "https://")):
        raise _problem(f"must start with http:// or https://, got {value!r}.")
    return value.rstrip("/")


def _check_port(value: Any) -> int:
    what = "a port number from 1 to 65535"
    number = _number(value, what, whole=True)
    if not 0 < number < 65536:
        raise _expect(what)
    return int(number)


def _check_path(value: Any, info: ValidationInfo) -> Path:
    """A path; a relative one is taken from the config file's folder (the validation context's ``base``)."""
    if not isinstance(value, str | os.PathLike):
        raise _expect("a path such as state/ or /var/lib/sheets-sync")
    base = (info.context or {}).get("base") or Path.cwd()
    return Path(base) / Path(value).expanduser()


def _check_email(value: Any) -> str:
    if not isinstance(value, str) or (value.strip() and "@" not in value):
        raise _expect("an e-mail address such as cell@pmc.example")
    return value.strip()


def _check_addresses(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and "@" in v for v in items):
        raise _expect("an e-mail address or a list of them, such as [cell@pmc.example]")
    return [item.strip() for item in items]


def _check_fraction(value: Any) -> float:
    what = "a fraction above 0 and at most 1, such as 0.8"
    number = _number(value, what)
    if not 0 < number <= 1:
        raise _expect(what)
    return float(number)


def _check_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _expect("true or false")
    return value


Minutes = Annotated[float, _positive("10")]
Whole = Annotated[int, _positive("500", whole=True)]
TimeOfDay = Annotated[str, BeforeValidator(_check_at)]
TimeZoneName = Annotated[str, BeforeValidator(_check_timezone)]
EnvName = Annotated[str, BeforeValidator(_check_env_name)]
Url = Annotated[str, BeforeValidator(_check_url)]
Port = Annotated[int, BeforeValidator(_check_port)]
FilePath = Annotated[Path, BeforeValidator(_check_path)]
Email = Annotated[str, BeforeValidator(_check_email)]
Addresses = Annotated[list[str], BeforeValidator(_check_addresses)]
Fraction = Annotated[float, BeforeValidator(_check_fraction)]
Flag = Annotated[bool, BeforeValidator(_check_flag)]


# ---- sections -------------------------------------------------------------------------------------------------

class Section(BaseModel):
    """A frozen configuration section. Unknown keys are errors with a "Did you mean" hint; a non-mapping is an
    error listing the keys. ``parse`` validates a mapping outside a whole file (tests, ``Mailer``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    key: ClassVar[str] = ""

    @classmethod
    def yaml_keys(cls) -> set[str]:
        """The keys this section may hold in the file."""
        return {info.alias or name for name, info in cls.model_fields.items()}

    @classmethod
    def _prepare(cls, raw: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Hook: reshape the raw mapping (after its keys were checked) before the fields are validated."""
        return raw

    @model_validator(mode="before")
    @classmethod
    def _check_keys(cls, raw: Any, info: ValidationInfo) -> Any:
        if isinstance(raw, cls):
            return raw
        if not isinstance(raw, Mapping):
            raise _expect(f"a mapping with the keys {', '.join(sorted(cls.yaml_keys()))}")
        known = cls.yaml_keys() | set(cls.model_fields) - cls._hidden()
        for key in raw:
            if key not in known:
                raise _unknown_key(str(key), cls.yaml_keys())
        # None (an empty `key:` in YAML) means "the default".
        return cls._prepare({k: v for k, v in raw.items() if v is not None}, info)

    @classmethod
    def _hidden(cls) -> set[str]:
        """Field names that are not keys of the file (filled in by ``_prepare``)."""
        return set()

    @classmethod
    def parse(cls, raw: Any, *, name: str | None = None, context: dict[str, Any] | None = None) -> Self:
        """Validate ``raw`` as this section (e.g. ``SmtpConfig.parse({"host": ...})``); ``ConfigError`` naming
        ``name`` (a file) and the key when it is wrong."""
        try:
            return cls.model_validate(raw, context=context)
        except ValidationError as exc:
            raise _config_error(exc, name, {cls.key: raw}, (cls.key,) if cls.key else ()) from None


class SpreadsheetConfig(Section):
    """``spreadsheet:`` — where the Tracker Sheet lives."""

    key: ClassVar[str] = "spreadsheet"
    id: Annotated[str | None, _text("the id from the sheet's URL (docs.google.com/spreadsheets/d/<id>/edit)")] = \
        Field(None, description="the Tracker Sheet's id; absent: the embedded emulator")
    endpoint: Url | None = Field(None, description="base URL of a Sheets emulator server to use instead of Google")

    @field_validator("id")
    @classmethod
    def _sheet_id(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value):
            raise _problem(f"must be the id between /d/ and /edit in the sheet's URL, got {value!r}.")
        return value


class ScheduleConfig(Section):
    """``schedule:`` — when the jobs run."""

    key: ClassVar[str] = "schedule"
    every_minutes: Annotated[float, _positive("5")] = Field(5.0, description="minutes between cycles")
    digest_at: TimeOfDay = Field("08:00", description="when the daily digest is sent (HH:MM, configured zone)")
    archive_at: TimeOfDay = Field("02:30", description="when the daily archive runs (HH:MM, configured zone)")
    status_every_minutes: Annotated[float, _positive("30")] = Field(
        30.0, description="how often open rows are checked on each platform")
    status_max_rows: Whole = Field(500, description="most rows whose platform status is checked per cycle")
    engagement_every_hours: Annotated[float, _positive("24")] = Field(
        24.0, description="how often the Posts tab's reactions, shares and views are read from each platform")
    engagement_max_posts: Whole = Field(200, description="most posts (newest first) whose engagement is read per refresh")
    full_read_minutes: Annotated[float, Field(ge=0)] = Field(
        60.0, description="a sheet nobody else changed (Drive version) is not re-read for up to this many minutes; "
                          "0 reads it in full every cycle")


class SmtpConfig(Section):
    """``smtp:`` — the server the digests go through (absent: ``.eml`` files in ``digest.folder``)."""

    key: ClassVar[str] = "smtp"
    host: Annotated[str, _text("name the SMTP server, e.g. smtp.gmail.com", required=True)] = Field(
        "", validate_default=True, description="the SMTP server's host name (required)")
    port: Port = Field(25, description="the server's port; default 465 with ssl, 587 with starttls, else 25")
    sender: Email = Field("", alias="from", description="the From address (and envelope sender) of the digests")
    starttls: Flag = Field(False, description="upgrade the connection with STARTTLS (port 587)")
    ssl: Flag = Field(False, description="connect over TLS from the start (port 465)")
    user_env: EnvName | None = Field(None, description="environment variable holding the login user")
    password_env: EnvName | None = Field(None, description="environment variable holding the login password")
    timeout: Annotated[float, _positive("30")] = Field(30.0, description="seconds to wait for the server")

    @classmethod
    def _prepare(cls, raw: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if "port" not in raw:
            raw["port"] = 465 if raw.get("ssl") is True else 587 if raw.get("starttls") is True else 25
        return raw

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ssl and self.starttls:
            raise _problem("`ssl` and `starttls` exclude each other: ssl is for port 465, starttls for port 587.")
        if bool(self.user_env) != bool(self.password_env):
            raise _problem("`user_env` and `password_env` go together: name both environment variables, or "
                           "neither for a server without login.")
        return self


class DigestConfig(Section):
    """``digest:`` — the daily e-mails."""

    key: ClassVar[str] = "digest"
    folder: FilePath = Field(description="where digests are written as .eml files without smtp "
                                         "(default <data_dir>/digests; relative to the config file)")
    cell_email: Email = Field("", description="the social-media cell's address: it gets the day's summary")


class ArchiveConfig(Section):
    """``archive:`` — moving old finished rows out of the Tracker tab."""

    key: ClassVar[str] = "archive"
    after_days: Annotated[float, _positive("30")] = Field(30.0, description="days after which a closed row is archived")
    cell_limit_fraction: Fraction = Field(
        0.8, description="share of the 10,000,000-cell limit beyond which rows go to an archive spreadsheet")
    share_with: Addresses = Field(
        default_factory=list, description="addresses the archive spreadsheet is shared with (default: the "
                                          "Tracker Sheet's editors, else digest.cell_email)")


class BackupConfig(Section):
    """``backup:`` — the daily .xlsx export of the Tracker Sheet kept offline."""

    key: ClassVar[str] = "backup"
    folder: FilePath | None = Field(None, description="where backups are kept (default <data_dir>/backups; "
                                                      "relative to the config file)")
    keep_days: Annotated[float, _positive("30")] = Field(30.0, description="days a backup is kept")
    at: TimeOfDay = Field("03:00", description="when the daily backup runs (HH:MM, configured zone)")


class RoutingConfig(Section):
    """``routing:`` — the classifier."""

    key: ClassVar[str] = "routing"
    threshold: Annotated[float, _positive("1.0")] = Field(1.0, description="least score that routes a comment")
    model_threshold: Fraction = Field(
        0.4, description="least probability at which the learned router routes a comment no rule matched")
    retrain_hours: Annotated[float, _positive("24")] = Field(
        24.0, description="retrain the learned router at most this often (sooner when its examples grow by 10 %)")


class WebhookConfig(Section):
    """``webhook:`` — Facebook/Instagram webhooks (optional)."""

    key: ClassVar[str] = "webhook"
    port: Port | None = Field(None, description="port of the webhook receiver; absent: no receiver")
    app_secret_env: EnvName = Field("FB_APP_SECRET", description="environment variable holding the Meta app secret")
    verify_token_env: EnvName = Field("FB_WEBHOOK_VERIFY_TOKEN",
                                      description="environment variable holding the subscription's verify token")


class LeaseConfig(Section):
    """``lease:`` — one runner at a time."""

    key: ClassVar[str] = "lease"
    minutes: Minutes = Field(10.0, description="after this a dead runner's lease expires")
    # Accepted so that configurations written for earlier versions still load: the lease is now taken
    # atomically (``tracker.lease``) and nothing waits for a rival's claim to land.
    settle_seconds: Annotated[float, Field(ge=0, le=60)] = Field(
        2.0, description="no longer used: the lease is taken atomically, with no pause (kept so older "
                         "configurations load)")


class AccessConfig(Section):
    """``access:`` — who may edit the Tracker Sheet, kept to the Departments tab by the daily ``access`` job."""

    key: ClassVar[str] = "access"
    manage: Flag = Field(False, description="let the tool share the Tracker Sheet (default off: nobody is surprised)")
    editors: Addresses = Field(default_factory=list, description="the cell's own editors, besides the departments'")
    max_removals_per_run: Annotated[int, _positive("5", whole=True)] = Field(
        5, description="most editors removed in one run without the cell's tick on the Access tab")
    notify: Flag = Field(True, description="Drive e-mails each new editor (sendNotificationEmail)")
    at: TimeOfDay = Field("03:00", description="when the daily access job runs (HH:MM, configured zone)")


def _check_security(value: Any) -> str:
    if value not in ("ssl", "starttls", "none"):
        raise _expect("ssl (TLS from the start, port 993), starttls (port 143) or none (a server on this machine)")
    return str(value)


class ContentMailConfig(Section):
    """``content_mail:`` — the cell's mailbox, where departments send their content requests (optional)."""

    key: ClassVar[str] = "content_mail"
    host: Annotated[str, _text("name the IMAP server, e.g. imap.gmail.com", required=True)] = Field(
        "", validate_default=True, description="the IMAP server's host name (required)")
    port: Port = Field(993, description="the server's port; default 993 with ssl, else 143")
    security: Annotated[Literal["ssl", "starttls", "none"], BeforeValidator(_check_security)] = Field(
        "ssl", description="ssl (TLS from the start), starttls (upgrade on port 143) or none (this machine only)")
    folder: Annotated[str, _text("a mailbox folder such as INBOX", required=True)] = Field(
        "INBOX", description="the folder read for new messages")
    user_env: EnvName = Field("CONTENT_MAIL_USER", description="environment variable holding the IMAP login")
    password_env: EnvName = Field("CONTENT_MAIL_PASSWORD",
                                  description="environment variable holding the IMAP password")
    drive_folder: Annotated[str, _text("a Drive folder id (from its URL, drive/folders/<id>)")] = Field(
        "", description="Drive folder the attachments are saved to; empty: attachments are only named")
    acknowledge: Flag = Field(False, description="reply to the sender with the Content row's link")
    note_lines: Annotated[int, _positive("5", whole=True)] = Field(
        5, description="how many lines of the message's body go to the row's Notes")
    every_minutes: Annotated[float, _positive("15")] = Field(15.0, description="minutes between mailbox reads")
    timeout: Annotated[float, _positive("30")] = Field(30.0, description="seconds to wait for the server")

    @classmethod
    def _prepare(cls, raw: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if "port" not in raw:
            raw["port"] = 993 if raw.get("security", "ssl") == "ssl" else 143
        return raw


def _token_help(kind: str) -> str:
    return (f"missing 'token_env': name the environment variable that holds the {kind} token (e.g. token_env: "
            f"{kind.upper()}_TOKEN); never put the token itself in this file.")


class PlatformConfig(Section):
    """One ``platforms:`` entry: a platform account the comments come from."""

    key: ClassVar[str] = "platforms"
    kind: str = Field(description="facebook, instagram, youtube or x")
    account_id: str = Field(description="the account's id, from the kind's key: " + ", ".join(
        f"{k}: {v}" for k, v in PLATFORM_ID_KEYS.items()))
    token_env: str | None = Field(None, description="environment variable holding the access token")
    endpoint: Url | None = Field(None, description="an emulator's URL instead of the platform's")
    api_version: Annotated[str | None, _text("a Graph API version such as v19.0")] = Field(
        None, description="Graph API version (facebook, instagram)")
    recheck_days: Annotated[int | None, _positive("7", whole=True)] = Field(
        None, description="days during which posts are re-read for new comments")
    daily_quota: Annotated[int | None, _positive("10000", whole=True)] = Field(
        None, description="YouTube API units a day (default 10,000)")
    deep_scan_minutes: Annotated[int | None, _positive("60", whole=True)] = Field(
        None, description="YouTube: minutes between scans of older videos")
    credentials: FilePath | None = Field(None, description="YouTube only: the channel owner's OAuth authorized-user "
                                                           "file (relative to the config file), instead of token_env")
    enabled: Flag = Field(True, description="false: keep the entry but do not fetch from it")

    @classmethod
    def yaml_keys(cls) -> set[str]:
        """The entry's keys: the fields, with the kinds' id keys instead of ``account_id``."""
        return (set(cls.model_fields) - {"account_id"}) | set(PLATFORM_ID_KEYS.values())

    @classmethod
    def _hidden(cls) -> set[str]:
        return {"account_id"}

    @classmethod
    def _prepare(cls, raw: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        kind = raw.get("kind")
        if kind not in PLATFORM_ID_KEYS:
            raise _problem(f"unknown kind {kind!r}: use one of {', '.join(PLATFORM_ID_KEYS)}, or remove the entry "
                           "to run without that platform.")
        id_key = PLATFORM_ID_KEYS[kind]
        others = sorted(set(PLATFORM_ID_KEYS.values()) & set(raw) - {id_key})
        if others:
            raise _problem(f"`{others[0]}` is not for {kind}: a {kind} entry names its account with `{id_key}`.")
        account = raw.pop(id_key, None)
        if account in (None, "") or isinstance(account, bool) or not isinstance(account, str | int):
            raise _problem(f"missing '{id_key}': add the account's {id_key} to the entry (as text).")
        raw["account_id"] = str(account)
        token_env = raw.get("token_env")
        if token_env is not None and (not isinstance(token_env, str) or not _ENV_NAME.match(token_env)):
            raise _problem(f"must be the name of an environment variable such as {kind.upper()}_TOKEN, got "
                           f"{token_env!r}.", key="token_env")
        return raw

    @model_validator(mode="after")
    def _token_or_credentials(self, info: ValidationInfo) -> Self:
        # YouTube may run on an OAuth session (`credentials`, refreshed by google-auth; or a session the caller
        # gives) instead of a token; every other kind needs a token.
        if self.credentials is not None and self.kind != "youtube":
            raise _problem(f"`credentials` is for YouTube only; use `token_env` for {self.kind}.")
        if self.token_env is not None:
            return self
        if self.kind != "youtube":
            raise _problem(_token_help(self.kind))
        if self.credentials is None and "youtube" not in (info.context or {}).get("sessions", ()):
            raise _problem("name either `token_env` (an environment variable holding an OAuth access token) or "
                           "`credentials` (an authorized-user JSON file with the youtube.force-ssl scope).")
        return self


def _check_platforms(value: Any) -> Any:
    if not isinstance(value, list):
        raise _expect("a list of entries, each with `kind:`")
    return value


Platforms = Annotated[list[PlatformConfig], BeforeValidator(_check_platforms)]
_PLATFORMS = TypeAdapter(Platforms)


def parse_platforms(entries: Iterable[PlatformConfig | Mapping[str, Any]],
                    sessions: Iterable[str] = ()) -> list[PlatformConfig]:
    """Typed ``platforms`` entries from entries or raw mappings (without a file: errors name ``platforms[i]``).
    ``sessions``: kinds whose session carries its own credentials (a YouTube entry then needs no token)."""
    raw = list(entries)
    try:
        return _PLATFORMS.validate_python(raw, context={"sessions": set(sessions)})
    except ValidationError as exc:
        raise _config_error(exc, None, {"platforms": raw}, ("platforms",)) from None


class _File(Section):
    """The whole file, as validated; ``parse_config`` turns it into a ``Config``."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    spreadsheet: SpreadsheetConfig = Field(default_factory=SpreadsheetConfig, description="the Tracker Sheet")
    credentials: FilePath | None = Field(None, description="service-account (or authorized-user) JSON key file")
    timezone: TimeZoneName = Field(DEFAULT_TIMEZONE, description="the corporation's time zone")
    data_dir: FilePath = Field(Path(DEFAULT_DATA_DIR), validate_default=True,
                               description="where the embedded emulators keep their data")
    platforms: Platforms = Field(default_factory=list, description="the platform accounts")
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig, description="when the jobs run")
    sla: SlaPolicy = Field(None, validate_default=True, description="reply deadlines")  # type: ignore[assignment]
    smtp: SmtpConfig | None = Field(None, description="the digests' SMTP server")
    digest: DigestConfig = Field({}, validate_default=True, description="the daily e-mails")  # type: ignore[assignment]
    archive: ArchiveConfig = Field(default_factory=ArchiveConfig, description="archiving old rows")
    backup: BackupConfig = Field(default_factory=BackupConfig, description="daily .xlsx backups")
    routing: RoutingConfig = Field(default_factory=RoutingConfig, description="the classifier")
    webhook: WebhookConfig = Field(default_factory=WebhookConfig, description="Facebook/Instagram webhooks")
    lease: LeaseConfig = Field(default_factory=LeaseConfig, description="one runner at a time")
    access: AccessConfig = Field(default_factory=AccessConfig, description="who may edit the Tracker Sheet")
    content_mail: ContentMailConfig | None = Field(None, description="the cell's mailbox for content requests")

    @field_validator("sla", mode="before")
    @classmethod
    def _sla(cls, value: Any, info: ValidationInfo) -> SlaPolicy:
        if value is not None and not isinstance(value, Mapping):
            raise _expect("a mapping with the keys default_hours, office_hours, holidays, timezone")
        try:
            return SlaPolicy.from_config(value, info.data.get("timezone", DEFAULT_TIMEZONE))
        except SlaConfigError as exc:  # "sla.office_hours.start: '9am' is not a time of day — ..."
            key, _, problem = str(exc).partition(": ")
            raise _problem(problem, key=key.removeprefix("sla").lstrip(".")) from None

    @field_validator("digest", mode="before")
    @classmethod
    def _digest_folder(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, Mapping) and value.get("folder") is None:
            data_dir = info.data.get("data_dir") or Path(DEFAULT_DATA_DIR)
            return {**value, "folder": data_dir / "digests"}
        return value


@dataclass(frozen=True)
class Config:
    """The resolved configuration. ``path`` is None when the defaults apply (no file found)."""

    path: Path | None = None
    spreadsheet_id: str | None = None
    endpoint: str | None = None
    credentials: Path | None = None
    timezone: str = DEFAULT_TIMEZONE
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    platforms: list[PlatformConfig] = field(default_factory=list)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    sla: SlaPolicy = None  # type: ignore[assignment]  # None: the defaults in this zone (__post_init__)
    smtp: SmtpConfig | None = None
    digest: DigestConfig = None  # type: ignore[assignment]  # None: folder <data_dir>/digests (__post_init__)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    lease: LeaseConfig = field(default_factory=LeaseConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    content_mail: ContentMailConfig | None = None

    def __post_init__(self) -> None:
        """Fill the defaults that depend on other fields (``sla``'s zone, ``digest.folder``); a mapping given
        for a section (e.g. ``dataclasses.replace(config, archive={"after_days": 1})``) is validated as one."""
        name, context = str(self.path or CONFIG_NAME), {"base": self.path.parent if self.path else Path.cwd()}
        sections = {"schedule": ScheduleConfig, "smtp": SmtpConfig, "digest": DigestConfig, "archive": ArchiveConfig,
                    "routing": RoutingConfig, "webhook": WebhookConfig, "lease": LeaseConfig, "access": AccessConfig,
                    "content_mail": ContentMailConfig, "backup": BackupConfig}
        for key, section in sections.items():
            value = getattr(self, key)
            if key == "digest" and (value is None or isinstance(value, Mapping) and value.get("folder") is None):
                value = {**(value or {}), "folder": self.data_dir / "digests"}
            if isinstance(value, Mapping):
                object.__setattr__(self, key, section.parse(value, name=name, context=context))
        if self.sla is None or isinstance(self.sla, Mapping):
            object.__setattr__(self, "sla", SlaPolicy.from_config(self.sla, self.timezone))
        if any(isinstance(entry, Mapping) for entry in self.platforms):
            object.__setattr__(self, "platforms", parse_platforms(self.platforms))

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


def load_config(explicit: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> Config:
    """Find, read and validate the configuration; defaults when no file is found."""
    path = find_config_path(explicit, env, cwd)
    if path is None:
        return parse_config({}, None, base=cwd or Path.cwd())
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


def parse_config(raw: dict[str, Any], path: Path | None = None, *, base: Path | None = None) -> Config:
    """Validate a configuration mapping; relative paths are taken from the file's folder (``base`` when there is
    no file; default: the working directory). ``ConfigError`` naming the file, the key and the fix."""
    base = path.parent if path else (base or Path.cwd())
    try:
        data = _File.model_validate(raw, context={"base": base})
    except ValidationError as exc:
        raise _config_error(exc, str(path or CONFIG_NAME), raw) from None
    return Config(
        path=path, spreadsheet_id=data.spreadsheet.id, endpoint=data.spreadsheet.endpoint,
        credentials=data.credentials, timezone=data.timezone, data_dir=data.data_dir, platforms=data.platforms,
        schedule=data.schedule, sla=data.sla, smtp=data.smtp, digest=data.digest, archive=data.archive, backup=data.backup,
        routing=data.routing, webhook=data.webhook, lease=data.lease, access=data.access, content_mail=data.content_mail,
    )
