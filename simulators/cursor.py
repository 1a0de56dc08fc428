"""Markers and cursors of the change-ordered listings, shared by the REST and SOAP servers.

A *marker* is a change time the client keeps between runs ("changed since"): listings return
records whose change time is at or after it, so records sharing the marker's second are read
again rather than skipped. A *cursor* is opaque to clients: the packed (change time, index)
position of the last record of the previous page.
"""

from __future__ import annotations

import base64
import binascii

from simulators.eventindex import pack
from simulators.timeutil import parse_instant


class BadListingRequest(ValueError):
    """A marker, cursor or page size the server cannot use."""


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, position = text.split(":", 1)
        if version != "v1":
            raise ValueError(version)
        return int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadListingRequest(f"cursor {cursor!r} was not issued by this server") from None


def start_position(marker: str | None, cursor: str | None) -> int:
    """Where a listing resumes: after the cursor, else at the marker (inclusive)."""
    if cursor:
        return decode_cursor(cursor)
    if not marker:
        return -1
    try:
        return pack(parse_instant(marker), 0) - 1
    except ValueError:
        raise BadListingRequest(f"marker {marker!r} is not a date-time") from None


def page_size(value: str | int | None, default: int = 100, maximum: int = 500) -> int:
    try:
        size = default if value in (None, "") else int(value)
    except (TypeError, ValueError):
        raise BadListingRequest(f"page size {value!r} is not a number") from None
    if not 1 <= size <= maximum:
        raise BadListingRequest(f"page size must be within 1..{maximum}")
    return size
