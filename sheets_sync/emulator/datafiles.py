"""What both emulators do with their data files: read one as a JSON object, and set aside one they did not
write (moved to ``<name>.corrupt-<UTC time>``, its bytes kept) so the rest still starts."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigError

log = logging.getLogger(__name__)


def parse_json_bytes(raw: bytes) -> tuple[Any, str]:
    """A data file's bytes as JSON; (None, why) when they are empty, not UTF-8, cut off or not JSON."""
    if not raw.strip():
        return None, "the file is empty"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start})"
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):  # cut off mid-way
            return None, f"truncated JSON at {where}"
        return None, f"invalid JSON at {where}: {exc.msg}"
    except RecursionError:
        return None, "JSON nested too deeply"


def write_atomically(path: Path, text: str, prefix: str, suffix: str) -> None:
    """Write ``text`` so that a crash leaves either the old or the new file, never half of one (a temporary file
    in the same folder, fsynced, then renamed over). ``OSError`` when the disk refuses; the old file stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def set_aside(path: Path, reason: str, what: str, error: type[ConfigError], started: str) -> Path:
    """Move a data file the emulator did not write to ``<name>.corrupt-<UTC time>`` (bytes kept) and warn,
    naming it, why, where it went and what to do; ``error`` (one line, the file and the fix) when it cannot be
    moved. ``what``: "a spreadsheet", "a state"; ``started``: how the emulator goes on without it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.rename(path, target)
    except OSError as exc:
        raise error(f"{path} is not {what} the emulator wrote ({reason}) and cannot be moved aside "
                    f"({exc.strerror or exc}): move it away or restore it from a backup") from None
    log.warning("%s is not %s the emulator wrote (%s): moved it to %s (its bytes are kept) and %s; restore it "
                "from a backup, or delete the moved file if it is not needed", path, what, reason, target, started)
    return target
