"""``sheet_schema.yaml``: the Tracker Sheet's tabs and columns, who owns each column, and what it may hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import SchemaError

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "sheet_schema.yaml"
OWNERS = ("job", "human", "shared")
TYPES = ("text", "id", "datetime", "date", "enum", "checkbox", "number", "link")


@dataclass(frozen=True)
class Column:
    """One column: its header text, owner, type and allowed values."""

    header: str
    owner: str
    type: str = "text"
    values: tuple[str, ...] = ()
    values_from: str | None = None
    width: int = 120
    description: str = ""
    fill_if_empty: bool = False
    # False for figures the tool recomputes (the Posts tab's counts): their changes are not logged in Audit.
    audited: bool = True
    # Named sets of an enum's values that the tool treats alike (Status: open / finished).
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def group(self, name: str) -> tuple[str, ...]:
        """The values in one named group (``SchemaError`` when the schema does not define it)."""
        for group, values in self.groups:
            if group == name:
                return values
        raise SchemaError(f"sheet_schema.yaml: column {self.header!r} has no group {name!r}.")

    @property
    def checked_before_write(self) -> bool:
        """Whether a write must first see the cell unchanged by people since the read (compare-and-set)."""
        return self.owner == "shared" or self.fill_if_empty


@dataclass(frozen=True)
class Tab:
    """One tab of the Tracker Sheet."""

    title: str
    columns: tuple[Column, ...]
    key: str | None = None
    hidden: bool = False
    description: str = ""
    transitions: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        """Required headers, in the schema's order."""
        return [c.header for c in self.columns]

    def column(self, header: str) -> Column:
        """The column with this header."""
        for col in self.columns:
            if col.header == header:
                return col
        raise KeyError(f"{self.title}: no column {header!r} in sheet_schema.yaml")

    def allows(self, header: str, old: str, new: str) -> bool:
        """Whether the tool may change ``header`` from ``old`` to ``new`` (shared columns' transitions)."""
        col = self.column(header)
        if col.owner == "human":
            return col.fill_if_empty and old in ("", None)
        if col.owner == "job" or old in ("", None) or old == new:
            return True
        return (old, new) in self.transitions.get(header, frozenset())


@dataclass(frozen=True)
class Schema:
    """All tabs, in the order they appear in the sheet."""

    version: int
    tabs: dict[str, Tab]

    def __getitem__(self, title: str) -> Tab:
        return self.tabs[title]


def _column(raw: dict[str, Any], where: str) -> Column:
    header = raw.get("header")
    owner = raw.get("owner")
    kind = raw.get("type", "text")
    if not header or owner not in OWNERS or kind not in TYPES:
        raise SchemaError(f"{where}: each column needs header, owner ({'/'.join(OWNERS)}) and a type among "
                          f"{', '.join(TYPES)}; got {raw!r}.")
    return Column(
        header=str(header),
        owner=owner,
        type=kind,
        values=tuple(str(v) for v in raw.get("values", ()) or ()),
        values_from=raw.get("values_from"),
        width=int(raw.get("width", 120)),
        description=str(raw.get("description", "")),
        fill_if_empty=bool(raw.get("fill_if_empty", False)),
        audited=bool(raw.get("audit", True)),
        groups=_groups(raw, where),
    )


def _groups(raw: dict[str, Any], where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """An enum column's ``groups``, each value one of the column's own values."""
    groups = raw.get("groups") or {}
    values = {str(v) for v in raw.get("values", ()) or ()}
    out = []
    for name, members in groups.items():
        members = tuple(str(m) for m in members or ())
        stray = [m for m in members if m not in values]
        if stray:
            raise SchemaError(f"{where}: column {raw.get('header')!r} group {name!r} names {stray}, which are not "
                              "among its values.")
        out.append((str(name), members))
    return tuple(out)


def parse_schema(raw: dict[str, Any], where: str = "sheet_schema.yaml") -> Schema:
    """Build a Schema from the YAML mapping, checking it."""
    tabs: dict[str, Tab] = {}
    for title, spec in (raw.get("tabs") or {}).items():
        spec = spec or {}
        if "columns_from" in spec:
            source = tabs.get(spec["columns_from"])
            if source is None:
                raise SchemaError(f"{where}: tab {title} copies columns from {spec['columns_from']!r}, which must "
                                  "be defined above it.")
            columns = source.columns
            # A tab that copies another's columns (Archive) is keyed like it, unless it says otherwise.
            spec = {"key": source.key, **spec}
        else:
            columns = tuple(_column(c, f"{where}: tab {title}") for c in spec.get("columns") or [])
        headers = [c.header for c in columns]
        if len(set(headers)) != len(headers):
            raise SchemaError(f"{where}: tab {title} lists a header twice.")
        transitions = {
            header: frozenset((str(a), str(b)) for a, b in pairs)
            for header, pairs in (spec.get("transitions") or {}).items()
        }
        tabs[str(title)] = Tab(
            title=str(title),
            columns=columns,
            key=spec.get("key"),
            hidden=bool(spec.get("hidden", False)),
            description=str(spec.get("description", "")),
            transitions=transitions,
        )
    return Schema(version=int(raw.get("version", 1)), tabs=tabs)


@lru_cache(maxsize=4)
def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    """Load and check ``sheet_schema.yaml``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaError(f"{path} cannot be read: reinstall sheets-sync or restore the file.") from exc
    return parse_schema(raw, str(path))
