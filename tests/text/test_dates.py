"""app/text/dates.py: a document's date from its opening text or its metadata."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.text.dates import iso_date, text_date


@pytest.mark.parametrize(
    "text,expected",
    [
        ("BISHKEK, 28 April 2016 – The two-day conference concluded today.", "2016-04-28"),
        ("В Ташкенте 5 апреля 2016 г. состоялся пятый раунд консультаций.", "2016-04-05"),
        ("Опубликовано 05.04.2016. Ташкент.", "2016-04-05"),  # day first, as written in the region
        ("In March 2015 the office opened.", "2015-03-01"),
        ("Published 2019-03-05 by the press office.", "2019-03-05"),
    ],
)
def test_text_date_finds_written_dates(text, expected):
    """Dates with a written year are found in Russian and English, day first."""
    assert text_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "24-25 июля в пос. Боровое состоялась конференция.",  # no year: this year's date would be a guess
        "The 12th conference brought together 100 officials in 3 days.",  # relative phrase, not a date
        "Инициатива действует с 2011 года.",  # a year alone is history, not the document's date
        "No date here at all.",
    ],
)
def test_text_date_ignores_guesses(text):
    """Year-less dates, relative phrases and bare years give no date."""
    assert text_date(text) is None


def test_text_date_reads_only_the_opening():
    """A date deep inside a long text is not taken for the document's date."""
    assert text_date("Слово. " * 400 + "5 апреля 2016 г.") is None


def test_iso_date_normalises_metadata_values():
    """Metadata datetimes and ISO strings become YYYY-MM-DD; junk and absurd years give None."""
    assert iso_date(datetime(2016, 4, 28, 10, 30)) == "2016-04-28"
    assert iso_date(date(2020, 1, 2)) == "2020-01-02"
    assert iso_date("2016-04-28T10:00:00Z") == "2016-04-28"
    assert iso_date("yesterday") is None
    assert iso_date("0001-01-01") is None
    assert iso_date(None) is None
