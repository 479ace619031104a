"""The period a question names: "at the May 31, 2022 briefing" is that day, "his remarks in
April 2024" that month, "the 2019 debate" that year. Retrieval searches once more within the
transcripts of that period (retrieval.question_dates), so a question that names when a
transcript was given finds it among look-alikes of other days.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
# most specific first: a day, then a month, then a year alone
_PATTERNS = [
    re.compile(rf"\b{_YEAR}-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH},?\s+(?:of\s+)?{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"(?<![\d,.$£€-]){_YEAR}(?![\d-]|\s*(?:%|percent|per cent))\b"),
]


def named_period(question: str) -> tuple[str, str] | None:
    """The first and last ISO day of the most specific date the question names (a day, a
    month or a year), or None when it names none or more than one of that kind."""
    for pattern in _PATTERNS:
        periods = {p for m in pattern.finditer(question) if (p := _period(m)) is not None}
        if len(periods) == 1:
            return periods.pop()
        if periods:
            return None  # "between May 2022 and June 2023": not one period
    return None


def _period(match: re.Match[str]) -> tuple[str, str] | None:
    parts = match.groupdict()
    year = int(parts["year"])
    month_text = parts.get("month")
    if month_text is None:
        return f"{year}-01-01", f"{year}-12-31"
    month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if parts.get("day") is None:
        return f"{year}-{month:02d}-01", f"{year}-{month:02d}-{last:02d}"
    day = int(parts["day"])
    if not 1 <= day <= last:
        return None
    iso = date(year, month, day).isoformat()
    return iso, iso
