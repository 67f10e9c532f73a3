"""A document's date: from its metadata when the file has one, else the first full date written in its opening."""

from __future__ import annotations

from datetime import date, datetime

# News and reports put their date in the dateline or the first paragraphs; later dates are mostly history
# ("since 2011") and reading the whole text would cost dateparser seconds on long reports.
HEAD_CHARS = 1500

_SETTINGS = {
    # A month and a year must be written: "24-25 июля" alone would get this year's date, which is a guess.
    "REQUIRE_PARTS": ["month", "year"],
    "PREFER_DAY_OF_MONTH": "first",
    # 05.04.2016 is the 5th of April in Russian and in most English-language reports of the region.
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def text_date(text: str, lang: str | None = None) -> str | None:
    """ISO date (``YYYY-MM-DD``) of the first date with a written year in the opening of ``text``, or None.

    dateparser also reports relative phrases ("in 3 days") and year-less dates filled with today's year;
    a hit counts only when the year it parsed is written in the matched text itself.
    """
    from dateparser.search import search_dates

    languages = [lang] if lang in ("ru", "en") else ["ru", "en"]
    found = search_dates(text[:HEAD_CHARS], languages=languages, settings=_SETTINGS) or []
    for span, when in found:
        if 1900 <= when.year <= 2100 and str(when.year) in span:
            return when.date().isoformat()
    return None


def iso_date(value: object) -> str | None:
    """A metadata value (a datetime, or an ISO 8601 string such as ``2016-04-28T10:00:00Z``) as ``YYYY-MM-DD``."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d") if 1900 <= value.year <= 2100 else None
    if not isinstance(value, str) or len(value.strip()) < 10:
        return None
    try:
        parsed = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return parsed.isoformat() if 1900 <= parsed.year <= 2100 else None
