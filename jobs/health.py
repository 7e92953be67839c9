"""The runner's health, visible without a terminal.

Each cycle records in ``_state`` (key ``health``, in the cycle's own write) how many cycles in a row have failed,
when the last one succeeded and the last error. After ``ALERT_AFTER`` failed cycles in a row the cell
(``digest.cell_email``) gets one alert e-mail saying what fails and how to fix it, and one more when a cycle
succeeds again; the Dashboard shows the last successful cycle and the last error.

A failed cycle: one that raised (the sheet unreachable, a write refused by Google), or one with problems that
need a person (a platform refused its token, a tab could not be written, a job failed). A cycle that raised
could not write its ``_state``; a long-running runner counts those in memory too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sheets_sync.reports.digest import header_text
from sheets_sync.reports.mailer import build_mailer

log = logging.getLogger("sheets_sync.health")

STATE_KEY = "health"
ALERT_AFTER = 3  # one failed cycle is often a passing fault the next cycle clears; three in a row need a person
ERROR_CHARS = 1000


@dataclass
class Health:
    """What ``_state`` keeps about the runner's health."""

    failures: int = 0  # failed cycles in a row
    alerted: bool = False  # the cell was told, and has not been told of the recovery yet
    last_ok: str = ""  # ISO time of the last cycle without problems
    last_error: str = ""
    last_error_at: str = ""

    @classmethod
    def parse(cls, text: str | None) -> Health:
        """From its ``_state`` JSON (a fresh record when absent or unreadable)."""
        try:
            data = json.loads(text) if text else {}
            return cls(**{k: data[k] for k in asdict(cls()) if k in data})
        except (ValueError, TypeError):
            return cls()

    def dumps(self) -> str:
        """As ``_state`` JSON."""
        return json.dumps(asdict(self), ensure_ascii=False)


def after_cycle(health: Health, problems: list[str], now: datetime) -> tuple[Health, str | None]:
    """The health after a cycle with ``problems`` (none: it succeeded), and which mail is due: "alert" once
    ``ALERT_AFTER`` cycles in a row have failed, "recovered" on the first good cycle after an alert. Pure."""
    if problems:
        failures = health.failures + 1
        new = Health(failures, health.alerted, health.last_ok, "; ".join(problems)[:ERROR_CHARS], now.isoformat())
        if failures >= ALERT_AFTER and not health.alerted:
            new.alerted = True
            return new, "alert"
        return new, None
    new = Health(0, False, now.isoformat(), health.last_error, health.last_error_at)
    return new, "recovered" if health.alerted else None


def message(kind: str, health: Health, config: Any, sender: str) -> EmailMessage | None:
    """The alert or recovery e-mail to the cell (None when no ``digest.cell_email`` is configured)."""
    to = config.digest.cell_email
    if not to:
        return None
    mail = EmailMessage()
    mail["From"], mail["To"] = sender, to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="sheets-sync.local")
    every = config.schedule.every_minutes
    if kind == "alert":
        mail["Subject"] = header_text(f"sheets-sync: {health.failures} cycles in a row failed — action needed")
        mail.set_content(
            f"sheets-sync सलग {health.failures} फेऱ्यांमध्ये अयशस्वी झाले आहे; कार्यवाही आवश्यक. कारण व उपाय खाली "
            "(इंग्रजीत) दिले आहेत. प्रतिक्रिया गमावल्या जात नाहीत; फेरी यशस्वी झाल्यावर पुन्हा कळवले जाईल.\n\n"
            f"The sheets-sync runner has failed {health.failures} cycles in a row (every {every:g} minutes).\n\n"
            f"What fails, with the fix:\n  {health.last_error}\n\n"
            f"Last successful cycle: {health.last_ok or 'none recorded'}.\n"
            "The runner keeps trying; comments are not lost meanwhile (each platform's cursor waits). This mail\n"
            "is sent once; another comes when a cycle succeeds again. `sheets-sync doctor` checks everything.\n")
    else:
        mail["Subject"] = header_text("sheets-sync: cycles succeed again")
        mail.set_content("sheets-sync च्या फेऱ्या पुन्हा यशस्वी होत आहेत.\n\n"
                         f"The sheets-sync runner's cycles succeed again (last error: {health.last_error}).\n")
    return mail


def send(kind: str, health: Health, config: Any, mailer: Any) -> None:
    """Send the alert or recovery mail; a failure to send is logged (the next cycles still run)."""
    sender = (config.smtp.sender if config.smtp else "") or "sheets-sync@localhost"
    mail = message(kind, health, config, sender)
    if mail is None:
        log.warning("runner health: %s, but digest.cell_email is not set: nobody can be told by e-mail", kind)
        return
    try:
        results = (mailer or build_mailer(config)).deliver([mail])
    except Exception:  # noqa: BLE001 - the alert is best effort; the Dashboard shows the same
        log.exception("runner health: the %s mail could not be sent", kind)
        return
    if not all(r.ok for r in results):
        log.error("runner health: the %s mail was not delivered: %s", kind, [r.error for r in results])
