"""A section a report module adds to a digest e-mail — pure data; ``reports.digest`` renders it as text and HTML.

Modules with something to say in the morning e-mail (``reports.posts``: a department's posts, the remarks for
the cell) build ``Section`` values; ``build_digests(..., sections=...)`` takes them per department name (the
cell's under ``CELL_KEY``), so the digest module needs no knowledge of what they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    """A heading, then a table (``headers`` and ``rows``; ``links[i]`` opens row i) and/or bullets."""

    heading: str
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()
    links: Sequence[str | None] | None = None
    bullets: Sequence[str] = field(default_factory=tuple)
