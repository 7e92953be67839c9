"""Configuration lookup and clear errors."""

import json
from zoneinfo import ZoneInfo

import pytest

from sheets_sync.client import load_google_credentials
from sheets_sync.config import load_config
from sheets_sync.errors import ConfigError


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_use_the_embedded_emulator(tmp_path):
    cfg = load_config(env={}, cwd=tmp_path)
    assert cfg.embedded and cfg.path is None
    assert cfg.timezone == "Asia/Kolkata" and cfg.data_dir == tmp_path / ".sheets-sync"


def test_lookup_order_flag_then_env_then_cwd(tmp_path):
    a = write(tmp_path / "a.yaml", "spreadsheet: {id: AAA}\n")
    b = write(tmp_path / "b.yaml", "spreadsheet: {id: BBB}\n")
    write(tmp_path / "sheets-sync.yaml", "spreadsheet: {id: CCC}\n")
    env = {"SHEETS_SYNC_CONFIG": str(b)}
    assert load_config(a, env=env, cwd=tmp_path).spreadsheet_id == "AAA"
    assert load_config(None, env=env, cwd=tmp_path).spreadsheet_id == "BBB"
    assert load_config(None, env={}, cwd=tmp_path).spreadsheet_id == "CCC"


@pytest.mark.parametrize("text, message", [
    ("spreadsheet: {idd: X}\n", "Did you mean `id`"),
    ("spreadhseet: {id: X}\n", "Did you mean `spreadsheet`"),
    ("timezone: Mars/Olympus\n", "not a known time zone"),
    ("spreadsheet:\n  id: https://docs.google.com/spreadsheets/d/abc/edit\n", "between /d/ and /edit"),
    ("spreadsheet: {endpoint: localhost:8780}\n", "http://"),
    ("platforms: {kind: facebook}\n", "a list of entries"),
    ("smtp: {port: 25}\n", "smtp.host"),
    ("spreadsheet: [\n", "not valid YAML at line"),
    ("- just\n- a list\n", "mapping of keys"),
])
def test_bad_config_names_the_place_and_the_fix(tmp_path, text, message):
    path = write(tmp_path / "sheets-sync.yaml", text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path, env={})
    assert str(path) in str(info.value)


def test_missing_explicit_config(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml", env={})


def test_unreadable_config(tmp_path):
    path = write(tmp_path / "sheets-sync.yaml", "timezone: Asia/Kolkata\n")
    path.chmod(0)
    try:
        try:
            open(path).close()
            pytest.skip("running as a user who can read any file")
        except PermissionError:
            pass
        with pytest.raises(ConfigError, match="cannot be read"):
            load_config(path, env={})
    finally:
        path.chmod(0o644)


def test_relative_paths_are_from_the_config_folder(tmp_path):
    (tmp_path / "conf").mkdir()
    path = write(tmp_path / "conf" / "sheets-sync.yaml", "credentials: key.json\ndata_dir: state\n")
    cfg = load_config(path, env={})
    assert cfg.credentials == tmp_path / "conf" / "key.json"
    assert cfg.data_dir == tmp_path / "conf" / "state"


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    ("{not json", "not valid JSON"),
    ('{"type": "user"}', "expected 'service_account'"),
    ('{"type": "service_account"}', "lacks"),
])
def test_bad_key_files(tmp_path, content, message):
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_google_credentials(path)


def test_example_key_file_is_refused_without_echoing_the_key(tmp_path):
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "credentials.example.json"
    info = json.loads(example.read_text())
    assert all(info[k] for k in ("type", "project_id", "private_key_id", "private_key", "client_email",
                                 "client_id", "auth_uri", "token_uri"))
    with pytest.raises(ConfigError, match="cannot be loaded") as exc:
        load_google_credentials(example)
    assert "FAKE-KEY" not in str(exc.value)


def test_youtube_on_an_authorized_session(tmp_path):
    from google.auth.transport.requests import AuthorizedSession

    from sheets_sync.app import platform_sessions
    from sheets_sync.config import parse_config

    (tmp_path / "yt-owner.json").write_text(json.dumps({
        "type": "authorized_user", "client_id": "x.apps.googleusercontent.com", "client_secret": "not-a-secret",
        "refresh_token": "1//not-a-token"}))
    cfg = parse_config({"platforms": [{"kind": "youtube", "channel_id": "UC1", "credentials": "yt-owner.json"}]},
                       tmp_path / "sheets-sync.yaml")
    assert isinstance(platform_sessions(cfg)["youtube"], AuthorizedSession)
    with pytest.raises(ConfigError, match="either `token_env`.*or `credentials`"):
        parse_config({"platforms": [{"kind": "youtube", "channel_id": "UC1"}]}, tmp_path / "sheets-sync.yaml")
    with pytest.raises(ConfigError, match="for YouTube only"):
        parse_config({"platforms": [{"kind": "x", "user_id": "1", "credentials": "a.json"}]},
                     tmp_path / "sheets-sync.yaml")


# ---- the whole file validated at load: typed, frozen sections; errors name the file, the key and the fix ----


@pytest.mark.parametrize("text, key, fix", [
    pytest.param("sla:\n  office_hours: {start: '09:45', end: '08:00'}\n", "sla.office_hours",
                 "end 08:00 is not after start 09:45", id="sla-office-hours-reversed"),
    pytest.param("sla:\n  office_hours: {start: '09:45', end: '18:15', days: [Funday]}\n", "sla.office_hours.days",
                 "'Funday' is not a weekday", id="sla-office-days"),
    pytest.param("sla: {default_hours: {Complaint: 0}}\n", "sla.default_hours.Complaint",
                 "0 hours is not allowed", id="sla-default-hours"),
    pytest.param("sla: {holidays: [26/01/2026]}\n", "sla.holidays", "write it as YYYY-MM-DD", id="sla-holidays"),
    pytest.param("sla: 24\n", "sla", "must be a mapping with the keys default_hours", id="sla-not-a-mapping"),
    pytest.param("schedule: {digest_at: '25:99'}\n", "schedule.digest_at",
                 "must be a time of day as HH:MM (24 h, e.g. \"08:00\"), got '25:99'.", id="digest-at"),
    pytest.param("schedule: {archive_at: 2 am}\n", "schedule.archive_at", "must be a time of day",
                 id="archive-at"),
    pytest.param("schedule: {status_max_rows: 2.5}\n", "schedule.status_max_rows",
                 "must be a positive whole number such as 500, got 2.5.", id="status-max-rows"),
    pytest.param("schedule: {every_minutes: true}\n", "schedule.every_minutes",
                 "must be a positive number such as 5, got True.", id="every-minutes-bool"),
    pytest.param("schedule: {evry_minutes: 5}\n", "schedule", "unknown key `evry_minutes`. Did you mean "
                 "`every_minutes`?", id="schedule-typo"),
    pytest.param("archive: {cell_limit_fraction: 2}\n", "archive.cell_limit_fraction",
                 "must be a fraction above 0 and at most 1, such as 0.8, got 2.", id="archive-fraction"),
    pytest.param("archive: {share_with: [cell]}\n", "archive.share_with", "must be an e-mail address or a list",
                 id="archive-share-with"),
    pytest.param("lease: {minutes: -10}\n", "lease.minutes", "must be a positive number such as 10, got -10.",
                 id="lease-negative"),
    pytest.param("smtp: [mail.example.com]\n", "smtp", "must be a mapping with the keys from, host, password_env",
                 id="smtp-not-a-mapping"),
    pytest.param("smtp: {host: h, port: 0}\n", "smtp.port", "must be a port number from 1 to 65535, got 0.",
                 id="smtp-port"),
    pytest.param("smtp: {host: h, user_env: SMTP_USER}\n", "smtp", "`user_env` and `password_env` go together",
                 id="smtp-user-without-password"),
    pytest.param("smtp: {host: h, password_env: 'my secret'}\n", "smtp.password_env",
                 "must be the name of an environment variable", id="smtp-password-env-not-a-name"),
    pytest.param("smtp: {host: h, starttls: 'yes'}\n", "smtp.starttls", "must be true or false, got 'yes'.",
                 id="smtp-starttls"),
    pytest.param("digest: {cell_email: cell}\n", "digest.cell_email", "must be an e-mail address", id="digest-email"),
    pytest.param("routing: {threshold: high}\n", "routing.threshold", "must be a positive number", id="routing"),
    pytest.param("webhook: {port: web}\n", "webhook.port", "must be a port number from 1 to 65535, got 'web'.",
                 id="webhook-port"),
    pytest.param("webhook: {app_secret_env: 12}\n", "webhook.app_secret_env", "name of an environment variable",
                 id="webhook-secret-env"),
    pytest.param("platforms: [{kind: facebook, page_id: '1', token_env: FB, recheck_days: -1}]\n",
                 "platforms[0].recheck_days`, kind: facebook", "must be a positive whole number", id="platform-days"),
    pytest.param("platforms: [{kind: facebook, ig_user_id: '1', token_env: FB}]\n", "platforms[0]`, kind: facebook",
                 "`ig_user_id` is not for facebook: a facebook entry names its account with `page_id`.",
                 id="platform-other-id-key"),
    pytest.param("platforms: [{kind: x, user_id: '1', token_env: X, enabled: 'no'}]\n",
                 "platforms[0].enabled`, kind: x", "must be true or false", id="platform-enabled"),
    pytest.param("platforms: [{kind: x, user_id: '1', token_env: X, endpoint: 'localhost:9'}]\n",
                 "platforms[0].endpoint`, kind: x", "must start with http:// or https://", id="platform-endpoint"),
])
def test_each_section_fails_at_load_naming_file_key_and_fix(tmp_path, text, key, fix):
    path = write(tmp_path / "sheets-sync.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert f"{path} (key `{key}" in str(info.value)
    assert fix in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path / "sheets-sync.yaml", "schedule: {digest_at: '25:99'}\nlease: {minutes: 0}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    lines = str(info.value).splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [f"{path} (key `schedule.digest_at`)",
                                                           f"{path} (key `lease.minutes`)"]


def test_defaults_are_typed_sections(tmp_path):
    from sheets_sync.sla import SlaPolicy

    cfg = load_config(env={}, cwd=tmp_path)
    assert (cfg.schedule.every_minutes, cfg.schedule.digest_at, cfg.schedule.archive_at) == (5, "08:00", "02:30")
    assert (cfg.schedule.status_every_minutes, cfg.schedule.status_max_rows) == (30, 500)
    assert isinstance(cfg.sla, SlaPolicy) and cfg.sla.office_hours is None and cfg.sla.tz == cfg.tz
    assert cfg.smtp is None
    assert cfg.digest.folder == tmp_path / ".sheets-sync" / "digests" and cfg.digest.cell_email == ""
    assert (cfg.archive.after_days, cfg.archive.cell_limit_fraction, cfg.archive.share_with) == (30, 0.8, [])
    assert cfg.routing.threshold == 1.0 and cfg.lease.minutes == 10
    assert (cfg.webhook.port, cfg.webhook.app_secret_env, cfg.webhook.verify_token_env) == (
        None, "FB_APP_SECRET", "FB_WEBHOOK_VERIFY_TOKEN")
    assert cfg.platforms == []


def test_values_are_normalised_at_load(tmp_path):
    (tmp_path / "conf").mkdir()
    path = write(tmp_path / "conf" / "sheets-sync.yaml", """\
timezone: Asia/Kathmandu
data_dir: state
schedule: {digest_at: 8:30, archive_at: '1:05', every_minutes: 2.5, status_max_rows: 100}
sla: {office_hours: {start: '09:45', end: '18:15', days: Mon-Fri}}
smtp: {host: smtp.example.com, from: bot@pmc.example, starttls: true, user_env: SMTP_USER, password_env: SMTP_PW}
digest: {cell_email: cell@pmc.example}
archive: {share_with: head@pmc.example, cell_limit_fraction: 1}
webhook: {port: 8443}
platforms:
  - {kind: facebook, page_id: 104000, token_env: FB_TOKEN, endpoint: 'http://127.0.0.1:9/'}
  - {kind: youtube, channel_id: UC1, credentials: yt.json, enabled: false}
""")
    cfg = load_config(path, env={})
    assert cfg.schedule.digest_at == "08:30"  # YAML 1.1 read the unquoted 8:30 as 510
    assert cfg.schedule.archive_at == "01:05" and cfg.schedule.every_minutes == 2.5
    assert cfg.sla.tz == ZoneInfo("Asia/Kathmandu") and cfg.sla.office_hours.days == frozenset(range(5))
    assert cfg.smtp.port == 587 and cfg.smtp.sender == "bot@pmc.example" and cfg.smtp.starttls
    assert (cfg.smtp.user_env, cfg.smtp.password_env, cfg.smtp.timeout) == ("SMTP_USER", "SMTP_PW", 30)
    assert cfg.digest.folder == tmp_path / "conf" / "state" / "digests"
    assert cfg.archive.share_with == ["head@pmc.example"] and cfg.archive.cell_limit_fraction == 1
    assert cfg.webhook.port == 8443
    fb, yt = cfg.platforms
    assert (fb.kind, fb.account_id, fb.token_env, fb.endpoint, fb.enabled) == (
        "facebook", "104000", "FB_TOKEN", "http://127.0.0.1:9", True)
    assert (yt.account_id, yt.credentials, yt.token_env, yt.enabled) == ("UC1", tmp_path / "conf" / "yt.json",
                                                                          None, False)


@pytest.mark.parametrize("smtp, port", [
    ({"host": "h"}, 25), ({"host": "h", "starttls": True}, 587), ({"host": "h", "ssl": True}, 465),
    ({"host": "h", "ssl": True, "port": 2465}, 2465),
])
def test_smtp_port_follows_the_connection_kind(tmp_path, smtp, port):
    from sheets_sync.config import parse_config

    assert parse_config({"smtp": smtp}, tmp_path / "sheets-sync.yaml").smtp.port == port


def test_sections_are_frozen(tmp_path):
    from pydantic import ValidationError

    from sheets_sync.config import parse_config

    cfg = parse_config({"smtp": {"host": "h"}}, tmp_path / "sheets-sync.yaml")
    for section, name in ((cfg.schedule, "digest_at"), (cfg.smtp, "port"), (cfg.lease, "minutes")):
        with pytest.raises(ValidationError):
            setattr(section, name, 1)
    assert cfg.where("lease.minutes") == f"{tmp_path / 'sheets-sync.yaml'} (key `lease.minutes`)"


@pytest.mark.parametrize("value, expected", [("08:00", "08:00"), (" 7:05 ", "07:05"), (510, "08:30"), (0, "00:00")])
def test_parse_at(value, expected):
    from sheets_sync.config import parse_at

    assert parse_at(value, "digest_at") == expected


@pytest.mark.parametrize("value", ["24:00", "8am", "08:60", "", None, True, 24 * 60, "08:00:00"])
def test_parse_at_names_the_key(value):
    from sheets_sync.config import parse_at

    with pytest.raises(ConfigError, match=r"`schedule\.digest_at` must be a time of day as HH:MM"):
        parse_at(value, "digest_at")
