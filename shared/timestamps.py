"""Timestamps as the services write them: ISO 8601 in several spellings, or epoch seconds / milliseconds."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any, Optional

# ISO 8601 extended: date, T or space, hh:mm[:ss[.fraction of any length]], then Z, +hh, +hhmm, +hh:mm or
# nothing (UTC).
_ISO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
                       r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?")


def parse_time(value: Any) -> Optional[datetime]:
    """create_time as ISO 8601 (``Z`` or offset, optional fraction), ``YYYY-MM-DD HH:MM:SS`` (UTC),
    or epoch seconds / milliseconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = value / 1000 if value > 1e11 else value
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):  # out of datetime's range, or NaN: unreadable
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return parse_time(int(text)) if len(text) <= 20 else None
    match = _ISO_TIME.fullmatch(text)
    if match is None:
        return None
    date, minutes, second, fraction, zone = match.groups()
    # Rebuilt in the one form datetime.fromisoformat reads alike on 3.9-3.12: 3.9/3.10 take neither
    # "Z", nor "+0800", nor a fraction of other than 3 or 6 digits.
    zone = "+00:00" if zone in (None, "Z", "z") else f"{zone[:3]}:{zone[-2:] if len(zone) > 3 else '00'}"
    try:
        return datetime.fromisoformat(f"{date}T{minutes}:{second or '00'}.{(fraction or '').ljust(6, '0')[:6]}{zone}")
    except ValueError:  # out of range, e.g. month 13
        return None


def epoch_seconds(value: Any) -> Optional[float]:
    """``parse_time`` as seconds since the epoch; a number is read without building a datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # an integer of hundreds of digits: past float's range, unreadable
            return None
        if not math.isfinite(seconds):
            return None
        return seconds / 1000 if seconds > 1e11 else seconds
    parsed = parse_time(value)
    return parsed.timestamp() if parsed else None
