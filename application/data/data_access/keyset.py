"""Keyset ("seek") cursors for the index: page N+1 starts right after page N's last row.

A cursor is "<page>.<version>.<publish_at in µs since 1970>.<id>" (digits and dots only): the page
it leads to, the index listing's version when it was made (listing_counts), and the row to seek
from. It is used only when all of it still holds: the page asked for is the cursor's own and the
listing has not changed since (same version), so the page shown and its number are exactly
those OFFSET would give. Anything else (malformed, another page, an older version) falls back to
OFFSET. A hand-made cursor can only show published articles under a wrong page number.
"""
import re
from datetime import datetime, timedelta

from sqlalchemy import tuple_

from ..models import Article

EPOCH = datetime(1970, 1, 1)
_CURSOR = re.compile(r"^(\d{1,7})\.(\d{1,12})\.(\d{1,19})\.(\d{1,12})$")
MAX_MICROS = (datetime(9999, 12, 31) - EPOCH) // timedelta(microseconds=1)


def make_cursor(page: int, version: int, publish_at: datetime, article_id: int) -> str:
    return f"{page}.{version}.{(publish_at - EPOCH) // timedelta(microseconds=1)}.{article_id}"


def parse_cursor(raw: str | None) -> tuple[int, int, datetime, int] | None:
    """(page, version, publish_at, id) of a well-formed cursor, else None."""
    found = _CURSOR.match(raw or "")
    if not found or int(found[3]) > MAX_MICROS:
        return None
    page, version, micros, article_id = (int(g) for g in found.groups())
    return page, version, EPOCH + timedelta(microseconds=micros), article_id


def seek(direction: str, publish_at: datetime, article_id: int):
    """(WHERE clause, ORDER BY) for the rows after ("after": older) or before ("before": newer) a row.

    One range of ix_article_status_publish_at (status, publish_at, id) on both databases; "before"
    walks it the other way and the caller reverses the rows."""
    key, at = tuple_(Article.publish_at, Article.id), tuple_(publish_at, article_id)
    if direction == "after":
        return key < at, (Article.publish_at.desc(), Article.id.desc())
    return key > at, (Article.publish_at.asc(), Article.id.asc())
