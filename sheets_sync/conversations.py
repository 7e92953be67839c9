"""Conversations: a citizen's answer to a comment already in the Tracker — or to the corporation's reply to it —
continues that comment's ticket instead of starting an unrelated one.

A conversation is named by its first ticket (the *root*); every follow-up row carries the root in *Parent
Ticket*, whatever it answered (the root, a later follow-up, or our reply), so a filter on one value shows the
whole conversation and the archive moves it together. Pure: the caller passes what the sheet holds.

How a platform says what a comment answers (``Comment.parent_id``):
  - Facebook: ``parent{id}`` — the comment replied to (a reply to a reply may name the top-level comment);
  - Instagram and YouTube: the top-level comment of the thread (two levels only);
  - X: the tweet replied to (``referenced_tweets`` ``replied_to``) — a citizen's mention, or our reply.
Either the parent is a citizen's comment (its ticket is ``ticket_id(platform, parent_id)``) or it is the
account's own reply, found through the *Reply ID* the Tracker recorded when the reply was posted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .vocabulary import ticket_id

__all__ = ["FOLLOW_UP", "REOPENED", "Parent", "find_parent", "conversation_of", "is_reopened"]

FOLLOW_UP = "follow-up"
# Assigned By of a follow-up that came after the conversation was Replied or Closed: the department sees at once
# that the citizen is not satisfied, and the Dashboard and digest count it.
REOPENED = "follow-up: reopened"


@dataclass(frozen=True)
class Parent:
    """What a follow-up continues: the row it answers (``ticket``), its conversation (``root``), and whether that
    row is in the Tracker (False: it is archived, so its Department cannot be read this cycle)."""

    ticket: str
    root: str
    in_tracker: bool


def find_parent(platform: str, parent_id: str | None, *, in_tracker: Callable[[str], bool],
                in_archive: Callable[[str], bool], root_of: Callable[[str], str],
                reply_index: Callable[[], Mapping[str, str]]) -> Parent | None:
    """The ticket a comment with ``parent_id`` continues, or None (a new conversation).

    ``root_of(ticket)`` is a Tracker row's *Parent Ticket* (empty for a root); ``reply_index()`` maps the
    *Reply ID*s the Tracker recorded to their tickets — called only when the parent is not a citizen's comment
    the sheet knows, since it scans a column.
    """
    if not parent_id:
        return None
    try:
        candidate = ticket_id(platform, parent_id)
    except ValueError:
        return None
    if in_tracker(candidate):
        return Parent(candidate, root_of(candidate) or candidate, True)
    if in_archive(candidate):
        return Parent(candidate, candidate, False)
    answered = reply_index().get(str(parent_id))
    if answered is not None:
        return Parent(answered, root_of(answered) or answered, True)
    return None


def conversation_of(ticket: str, parent_ticket: str) -> str:
    """The conversation a row belongs to: its Parent Ticket, or itself when it started one."""
    return parent_ticket.strip() or ticket


def is_reopened(assigned_by: str) -> bool:
    """Whether a row's Assigned By says it reopened a finished conversation."""
    return assigned_by.strip().startswith(REOPENED)
