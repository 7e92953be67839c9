"""Where comments enter and replies leave: one connector per platform behind one small interface.

``base`` holds the interface (``Connector``), its data (``Comment``, ``CommentState``, ``FetchResult``) and the
shared machinery (error classification, retries, exactly-once replies, paging, cursors); ``facebook``,
``instagram``, ``youtube`` and ``x`` each speak one API; ``registry`` builds them from config; ``webhook``
receives Meta's real-time comment events.
"""

from .base import (
    Comment,
    CommentState,
    Connector,
    FetchResult,
    ObjectMissing,
    PaginationLoopError,
    Paginator,
    ReplyRefused,
)
from .facebook import FacebookConnector
from .instagram import InstagramConnector
from .registry import build_connectors
from .x import XConnector
from .youtube import YouTubeConnector

__all__ = [
    "Comment",
    "CommentState",
    "Connector",
    "FacebookConnector",
    "FetchResult",
    "InstagramConnector",
    "ObjectMissing",
    "PaginationLoopError",
    "Paginator",
    "ReplyRefused",
    "XConnector",
    "YouTubeConnector",
    "build_connectors",
]
