"""Replay gspread's recorded real Google traffic against the emulator and measure how faithful it is.

Each cassette ran against one fresh Google account state; it is replayed in order against a fresh emulator.
Ids Google chose (spreadsheet, sheet, named range, protected range, filter view...) are learned from id
fields of the recorded and emulated responses and substituted into later requests and into the recorded
bodies before comparing. Files the recording account already had (seen in a recorded ``files.list`` but
not created by the cassette) are created before that listing, with their recorded names and timestamps, as
the account's prior state. Only ids (and the account's e-mail) and timestamps are masked; everything else must be equal as parsed JSON
(or equal as text for non-JSON bodies such as CSV).

Run ``python -m sheets_sync.emulator.sheets.conformance [-v] [DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..http import EmuRequest
from .core import SheetsEmulator

# Keys whose values are ids Google picks: the only values the replay learns and substitutes.
ID_KEYS = {"spreadsheetId", "id", "sheetId", "namedRangeId", "protectedRangeId", "filterViewId", "metadataId",
           "chartId", "bandedRangeId", "sourceSheetId", "newSheetId", "filterId",
           # The recording account's e-mail address is an identity like an id (editors lists, owners).
           "users"}
# Fields that carry the time of the recording, not behaviour.
VOLATILE_KEYS = {"createdTime", "modifiedTime", "etag", "lastUpdateTime"}

# What the replay knows it cannot match, and why. These count as mismatches; they are listed so that nobody
# mistakes them for regressions.
DELIBERATELY_UNSUPPORTED: dict[str, str] = {
    "PUT /upload/drive/v2/files/{id}": (
        "Drive v2 media upload with convert=true (gspread's import_csv). The CSV import itself is emulated, "
        "but Drive v2's File resource (permissions, selfLink, owners, etags, export links) is not modelled, so "
        "the response body differs."),
    "GET /v4/spreadsheets/{id} (another account's spreadsheet)": (
        "ClientTest.test_access_private_spreadsheet reads a spreadsheet that exists in Google but was never "
        "created in the replay, so the emulator answers 404 NOT_FOUND where Google answered 403."),
    "autoResizeDimensions pixel widths": (
        "Google measures rendered glyph widths; the emulator estimates from text length, so the pixelSize "
        "read back after an auto-resize differs."),
    "spreadsheet locale/timeZone after import": (
        "Drive's CSV import sets the spreadsheet time zone from the account's settings, which a replay cannot "
        "know."),
}


@dataclass
class Result:
    """Outcome of one replayed interaction."""

    cassette: str
    index: int
    endpoint: str
    ok: bool
    detail: str = ""


@dataclass
class Report:
    """All results, with per-endpoint rates."""

    results: list[Result] = field(default_factory=list)

    def rate(self, predicate: Any = None) -> tuple[int, int]:
        """(matched, total) over results passing ``predicate``."""
        chosen = [r for r in self.results if predicate is None or predicate(r)]
        return sum(r.ok for r in chosen), len(chosen)

    def by_endpoint(self) -> dict[str, tuple[int, int]]:
        """(matched, total) per endpoint pattern."""
        groups: dict[str, list[Result]] = defaultdict(list)
        for r in self.results:
            groups[r.endpoint].append(r)
        return {k: (sum(r.ok for r in v), len(v)) for k, v in sorted(groups.items())}


def is_values_endpoint(endpoint: str) -> bool:
    """The values endpoints, held to a 100% match."""
    return "/values" in endpoint


class IdMap:
    """Recorded id -> emulator id, learned from responses."""

    def __init__(self) -> None:
        self.ids: dict[Any, Any] = {}

    def learn(self, recorded: Any, emulated: Any, key: str | None = None) -> None:
        """Walk both bodies in parallel; pair up values under id keys."""
        if isinstance(recorded, dict) and isinstance(emulated, dict):
            for k, v in recorded.items():
                if k in emulated:
                    self.learn(v, emulated[k], k)
        elif isinstance(recorded, list) and isinstance(emulated, list):
            for a, b in zip(recorded, emulated, strict=False):
                self.learn(a, b, key)
        elif key in ID_KEYS and type(recorded) is type(emulated) and recorded != emulated:
            if recorded not in self.ids:
                self.ids[recorded] = emulated

    def substitute(self, data: Any, key: str | None = None) -> Any:
        """Replace learned ids inside a JSON value (under id keys, or anywhere inside strings for long ids)."""
        if isinstance(data, dict):
            return {k: self.substitute(v, k) for k, v in data.items()}
        if isinstance(data, list):
            return [self.substitute(v, key) for v in data]
        if key in ID_KEYS and data in self.ids:
            return self.ids[data]
        if isinstance(data, str):
            return self.substitute_text(data)
        return data

    def substitute_text(self, text: str) -> str:
        """Replace long (spreadsheet) ids inside free text such as URLs."""
        for old, new in self.ids.items():
            if isinstance(old, str) and len(old) >= 20 and old in text:
                text = text.replace(old, str(new))
        return text

    def substitute_url(self, url: str) -> str:
        """Replace ids in a URL: spreadsheet ids anywhere, sheet ids in ``gid=``."""
        url = self.substitute_text(url)
        for old, new in self.ids.items():
            if isinstance(old, int):
                url = url.replace(f"gid={old}", f"gid={new}")
        return url


def mask_volatile(data: Any) -> Any:
    """Drop recording-time fields."""
    if isinstance(data, dict):
        return {k: mask_volatile(v) for k, v in data.items() if k not in VOLATILE_KEYS}
    if isinstance(data, list):
        return [mask_volatile(v) for v in data]
    return data


def _parse(body: str | bytes | None) -> tuple[Any, bool]:
    if body is None or body == "" or body == b"":
        return None, True
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body), True
    except ValueError:
        return body, False


def _endpoint(method: str, url: str) -> str:
    from .core import SheetsEmulator as _Emu

    route, _ = _Emu._match(method, urlsplit(url).path)
    return route.name if route else f"{method} (unknown route)"


def first_difference(a: Any, b: Any, path: str = "$") -> str:
    """A short description of where two JSON values first differ."""
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return f"{path}: {json.dumps(a, ensure_ascii=False)[:200]} != {json.dumps(b, ensure_ascii=False)[:200]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                return f"{path}.{k}: missing in emulator (recorded {json.dumps(b[k])[:200]})"
            if k not in b:
                return f"{path}.{k}: extra in emulator ({json.dumps(a[k])[:200]})"
            if a[k] != b[k]:
                return first_difference(a[k], b[k], f"{path}.{k}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != recorded {len(b)}: {json.dumps(a, ensure_ascii=False)[:300]} vs " \
                   f"{json.dumps(b, ensure_ascii=False)[:300]}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {json.dumps(a, ensure_ascii=False)[:200]} != {json.dumps(b, ensure_ascii=False)[:200]}"


def sync_external_files(emu: SheetsEmulator, ids: IdMap, seeded: dict[str, str], url: str,
                        recorded_body: Any) -> None:
    """Make the files that existed in the recording account, but were not made by the cassette, exist.

    Before a replayed ``files.list``, files in its recorded answer that the replay has never seen are created
    (keeping their recorded timestamps, which order the listing), and files created this way earlier that
    match the query but are absent from the recorded answer are removed: the account changed between runs.
    Files the cassette created itself are never touched.
    """
    from urllib.parse import parse_qs

    from . import drive

    if not isinstance(recorded_body, dict):
        return
    listed = recorded_body.get("files") or []
    listed_ids = {f.get("id") for f in listed}
    query = (parse_qs(urlsplit(url).query).get("q") or [""])[0]
    for recorded_id, emu_id in list(seeded.items()):
        book = emu.books.get(emu_id)
        if book is not None and recorded_id not in listed_ids and drive.query_matches(query, book):
            del emu.books[emu_id]
            del seeded[recorded_id]
    for entry in sorted(listed, key=lambda f: f.get("createdTime", "")):
        recorded_id = entry.get("id")
        if not recorded_id or recorded_id in ids.ids or recorded_id in seeded:
            continue
        book = emu.create_spreadsheet(entry.get("name") or "Untitled spreadsheet")
        book.created_time = entry.get("createdTime", book.created_time)
        book.modified_time = entry.get("modifiedTime", book.modified_time)
        seeded[recorded_id] = book.id
        ids.ids[recorded_id] = book.id


def replay_cassette(path: Path) -> list[Result]:
    """Replay one cassette against a fresh emulator."""
    data = json.loads(path.read_text(encoding="utf-8"))
    emu = SheetsEmulator(quota_per_minute=0)
    ids = IdMap()
    seeded: dict[str, str] = {}
    results = []
    for index, interaction in enumerate(data["interactions"]):
        recorded_req = interaction["request"]
        recorded_resp = interaction["response"]
        if recorded_req["method"] == "GET" and urlsplit(recorded_req["uri"]).path == "/drive/v3/files":
            sync_external_files(emu, ids, seeded, recorded_req["uri"],
                                _parse(recorded_resp["body"].get("string"))[0])
        url = ids.substitute_url(recorded_req["uri"])
        body = recorded_req.get("body")
        raw: bytes = b""
        if body:
            parsed, is_json = _parse(body)
            raw = (json.dumps(ids.substitute(parsed)) if is_json else ids.substitute_text(body)).encode("utf-8")
        headers = {k: (v[0] if isinstance(v, list) else v) for k, v in recorded_req.get("headers", {}).items()}
        response = emu.handle(EmuRequest(method=recorded_req["method"], url=url, headers=headers, body=raw))
        endpoint = _endpoint(recorded_req["method"], url)
        want_status = recorded_resp["status"]["code"]
        want_body, want_json = _parse(recorded_resp["body"].get("string"))
        got_body, got_json = _parse(response.body)
        if want_json and got_json:
            ids.learn(want_body, got_body)
        problems = []
        if response.status != want_status:
            problems.append(f"status {response.status} != recorded {want_status}")
        if want_json and got_json:
            want_norm = mask_volatile(ids.substitute(want_body))
            got_norm = mask_volatile(got_body)
            if want_norm != got_norm:
                problems.append(first_difference(got_norm, want_norm))
        elif want_body != got_body:
            problems.append(f"text body differs: {str(got_body)[:200]!r} != recorded {str(want_body)[:200]!r}")
        results.append(Result(path.name, index, endpoint, not problems,
                              f"{recorded_req['method']} {recorded_req['uri'][:160]}: " + "; ".join(problems)))
    return results


def default_cassette_dir() -> Path:
    """``$SHEETS_SYNC_CASSETTES``, else ``../shared/conformance/gspread-cassettes`` from the repo root."""
    env = os.environ.get("SHEETS_SYNC_CASSETTES")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "conformance" / "gspread-cassettes"


def run(directory: Path) -> Report:
    """Replay every cassette in ``directory``."""
    report = Report()
    for path in sorted(directory.glob("*.json")):
        report.results.extend(replay_cassette(path))
    return report


def _pct(pair: tuple[int, int]) -> str:
    matched, total = pair
    return f"{matched}/{total} ({100.0 * matched / total if total else 100.0:.1f}%)"


def format_report(report: Report, verbose: bool = False) -> str:
    """The figures (overall, values endpoints, per endpoint) and, verbosely, each mismatch."""
    lines = [f"overall: {_pct(report.rate())}",
             f"values endpoints: {_pct(report.rate(lambda r: is_values_endpoint(r.endpoint)))}", "per endpoint:"]
    for endpoint, pair in report.by_endpoint().items():
        lines.append(f"  {endpoint:<55} {_pct(pair)}")
    mismatches = [r for r in report.results if not r.ok]
    by_cassette = Counter(r.cassette for r in mismatches)
    lines.append(f"mismatches: {len(mismatches)} in {len(by_cassette)} cassettes")
    lines.append("deliberately unsupported:")
    for what, why in DELIBERATELY_UNSUPPORTED.items():
        lines.append(f"  - {what}: {why}")
    if verbose:
        for r in mismatches:
            lines.append(f"  [{r.cassette}#{r.index}] {r.detail}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: print the figures; exit 1 below the thresholds (90% overall, 100% values)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=None)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = parser.parse_args(argv)
    directory = args.directory or default_cassette_dir()
    if not directory.is_dir():
        print(f"no cassettes at {directory} (set SHEETS_SYNC_CASSETTES)", file=sys.stderr)
        return 2
    report = run(directory)
    print(format_report(report, args.verbose))
    matched, total = report.rate()
    values_matched, values_total = report.rate(lambda r: is_values_endpoint(r.endpoint))
    return 0 if matched >= 0.9 * total and values_matched == values_total else 1


__all__ = ["DELIBERATELY_UNSUPPORTED", "Report", "main", "replay_cassette", "run"]

if __name__ == "__main__":
    sys.exit(main())
