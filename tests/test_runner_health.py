"""The runner's health without a terminal: after three failed cycles in a row the cell gets one alert e-mail
naming what fails and the fix, another when cycles succeed again; the Dashboard shows the last successful cycle
and the last error."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage

import pytest

from jobs.health import ALERT_AFTER, Health, after_cycle
from sheets_sync.config import DigestConfig
from sheets_sync.demo.world import IST, World
from sheets_sync.reports.mailer import SendResult

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=IST)


@pytest.mark.parametrize(("before", "problems", "failures", "mail"), [
    (Health(), [], 0, None),
    (Health(), ["x: token refused"], 1, None),
    (Health(failures=ALERT_AFTER - 1), ["x"], ALERT_AFTER, "alert"),
    (Health(failures=ALERT_AFTER, alerted=True), ["x"], ALERT_AFTER + 1, None),  # told once
    (Health(failures=7, alerted=True), [], 0, "recovered"),
    (Health(failures=2), [], 0, None),  # never alerted: nothing to take back
])
def test_after_cycle(before: Health, problems: list[str], failures: int, mail: str | None) -> None:
    after, due = after_cycle(before, problems, NOW)
    assert (after.failures, due) == (failures, mail)
    if problems:
        assert after.last_error == "; ".join(problems) and after.last_error_at == NOW.isoformat()
    else:
        assert after.last_ok == NOW.isoformat()


class Outbox:
    """A mailer that keeps what it is given (the digest's own mailer is tested against a real SMTP server)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def deliver(self, messages, **_kwargs):
        messages = list(messages)
        self.sent += messages
        return [SendResult(str(m["Message-ID"]), None, ok=True) for m in messages]


def dashboard_tail(world: World) -> list[list[str]]:
    return [r[:2] for r in world.worksheet("Dashboard").get_all_values() if r and r[0].startswith("Last ")]


def test_three_failed_cycles_alert_the_cell_once_and_recovery_is_told(tmp_path) -> None:
    world = World.create(tmp_path, NOW, quota_per_minute=0)
    world.config = replace(world.config, digest=DigestConfig.parse({"folder": str(tmp_path / "d"),
                                                                    "cell_email": "cell@pmc.example"}))
    outbox = Outbox()
    world.platforms.expire_token("facebook")
    for i in range(ALERT_AFTER + 2):
        assert not world.runner(f"r{i}", mailer=outbox).cycle().ok
        world.clock.advance(minutes=5)
        assert len(outbox.sent) == (1 if i + 1 >= ALERT_AFTER else 0)
    alert = outbox.sent[0]
    assert alert["To"] == "cell@pmc.example" and "3 cycles in a row failed" in alert["Subject"]
    assert "facebook" in alert.get_content() and "token" in alert.get_content()
    last_error = dict(dashboard_tail(world))["Last error"]
    assert "facebook" in last_error and dict(dashboard_tail(world))["Last successful cycle"] == "none yet"

    world.platforms.register_token("facebook", world.tokens["FACEBOOK_TOKEN"])
    assert world.runner("ok", mailer=outbox).cycle().ok
    assert len(outbox.sent) == 2 and "succeed again" in outbox.sent[1]["Subject"]
    assert dict(dashboard_tail(world))["Last successful cycle"].startswith(
        (world.clock.now).astimezone(IST).strftime("%Y-%m-%d %H:%M"))
    world.clock.advance(minutes=5)
    world.runner("ok2", mailer=outbox).cycle()
    assert len(outbox.sent) == 2  # nothing more while all is well


def test_cycles_that_raise_are_counted_in_memory_and_alert_too(tmp_path) -> None:
    world = World.create(tmp_path, NOW, quota_per_minute=0)
    world.config = replace(world.config, digest=DigestConfig.parse({"folder": str(tmp_path / "d"),
                                                                    "cell_email": "cell@pmc.example"}))
    outbox = Outbox()
    runner = world.runner("service", mailer=outbox)
    for _ in range(ALERT_AFTER):
        runner.cycle_raised(ConnectionError("sheets.googleapis.com unreachable"))
        world.clock.advance(minutes=5)
    assert len(outbox.sent) == 1 and "unreachable" in outbox.sent[0].get_content()
    assert runner.cycle().ok  # the sheet is back: the recovery is told, though the failures were never recorded
    assert len(outbox.sent) == 2 and "succeed again" in outbox.sent[1]["Subject"]
    assert runner.health.failures == 0 and not runner.health.alerted
