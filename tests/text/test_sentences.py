"""app/text/sentences.py: sentence offsets that slice the text verbatim, razdel for Russian, pysbd for English."""

from __future__ import annotations

import pytest

from app.ingest.reader import read_file
from app.text.sentences import MAX_SENTENCE_CHARS, split_sentences
from tests.conftest import BISHKEK, BOROVOE, SEED_CORPUS, SEED_DOCS, TASHKENT


def sentences(text: str, lang: str | None = None) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text, lang)]


@pytest.mark.parametrize("doc_id", SEED_DOCS)
def test_offsets_round_trip_on_seed_documents(doc_id):
    """On every seed document, spans are ordered, disjoint, trimmed, within one line and cover every word."""
    text, _, _ = read_file(SEED_CORPUS / doc_id)
    spans = split_sentences(text)
    assert spans
    previous_end = 0
    for start, end in spans:
        piece = text[start:end]
        assert previous_end <= start < end <= len(text)
        assert piece == piece.strip(), repr(piece)
        assert "\n" not in piece
        assert len(piece) <= MAX_SENTENCE_CHARS
        previous_end = end
    # Nothing but whitespace is left between sentences.
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())


def test_russian_abbreviation_pos_is_not_a_sentence_end():
    """razdel keeps "пос. Боровое" inside the sentence of seed 000."""
    text, _, _ = read_file(SEED_CORPUS / BOROVOE)
    found = [s for s in sentences(text, "ru") if "пос." in s]
    assert len(found) == 1
    assert found[0].startswith("24-25 июля в пос. Боровое состоялась 3-я Конференция")
    assert found[0].endswith("(Фронтекс, БОМНАФ, СКПВ СНГ).")


def test_russian_sentences_of_seed_004():
    """Seed 004 is split at its sentence ends, and "г.Ташкенте" does not end a sentence."""
    text, _, _ = read_file(SEED_CORPUS / TASHKENT)
    found = sentences(text)
    assert (
        "В г.Ташкенте 5 апреля состоялся пятый раунд двусторонних консультаций между аппаратами советов "
        "безопасности Республики Узбекистан и Республики Казахстан."
    ) in found
    assert "Источник: Министерство иностранных дел Республики Узбекистан" in found


def test_russian_initials_and_abbreviations():
    """Common Russian abbreviations (т.е., г., млн.) do not break a sentence in two."""
    text = "В 2019 г. на границе задержали 5 млн. доз, т.е. больше, чем годом ранее. Это рекорд."
    assert sentences(text, "ru") == [
        "В 2019 г. на границе задержали 5 млн. доз, т.е. больше, чем годом ранее.",
        "Это рекорд.",
    ]


def test_english_sentences_and_titles():
    """English text is split at sentence ends, not after "Mr." or "Dr."."""
    text = "Mr. Smith met Dr. Jones in Osh.  They agreed on joint patrols! Was it useful? Yes."
    assert sentences(text, "en") == [
        "Mr. Smith met Dr. Jones in Osh.",
        "They agreed on joint patrols!",
        "Was it useful?",
        "Yes.",
    ]


def test_english_seed_quotes_and_dates():
    """Seed 003 keeps "BISHKEK, 28 April 2016 – ..." and the quoted statement as sentences."""
    text, _, _ = read_file(SEED_CORPUS / BISHKEK)
    found = sentences(text)
    assert any(s.startswith("BISHKEK, 28 April 2016 – The two-day conference") and s.endswith("cross-border trade.")
               for s in found)
    assert ("These efforts contributed to the decrease in the number of border incidents in Kyrgyzstan by 22 per cent."
            in found)


def test_line_breaks_always_end_sentences():
    """A title line without punctuation is its own sentence."""
    assert sentences("Border news\nGuards met in Osh. They agreed.") == [
        "Border news", "Guards met in Osh.", "They agreed."]


def test_script_decides_per_line():
    """A Russian line in an English document is still split by razdel (and vice versa)."""
    text = "The meeting took place in Osh. It lasted two days.\nВстреча прошла в пос. Боровое. Она длилась два дня."
    assert sentences(text, "en") == [
        "The meeting took place in Osh.",
        "It lasted two days.",
        "Встреча прошла в пос. Боровое.",
        "Она длилась два дня.",
    ]


def test_repeated_sentences_get_distinct_offsets():
    """Identical sentences map to their own positions, not all to the first occurrence."""
    text = "Border closed. Border closed. Border closed."
    spans = split_sentences(text, "en")
    assert spans == [(0, 14), (15, 29), (30, 44)]


def test_single_huge_sentence_is_capped_at_spaces():
    """A sentence longer than the cap is cut at spaces into trimmed pieces no longer than the cap."""
    words = [f"слово{i}" for i in range(400)]
    text = " ".join(words)
    spans = split_sentences(text, "ru")
    assert len(spans) > 1
    for start, end in spans:
        piece = text[start:end]
        assert len(piece) <= MAX_SENTENCE_CHARS
        assert piece == piece.strip()
        assert text[start - 1:start] in ("", " ") and text[end:end + 1] in ("", " ")  # whole words
    assert " ".join(text[s:e] for s, e in spans).split() == words


def test_capped_pieces_have_no_trailing_spaces_with_double_spacing():
    """Double spaces at a cut point do not leave a space at the end of a piece."""
    text = "  ".join(["word"] * 400)
    for start, end in split_sentences(text, "en"):
        assert text[start:end] == text[start:end].strip()


def test_unbroken_token_is_cut_hard():
    """A 1500-character token without spaces is still capped."""
    text = "x" * 1500
    assert split_sentences(text) == [(0, 600), (600, 1200), (1200, 1500)]


def test_empty_and_blank_text():
    """Blank text has no sentences."""
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t\n") == []
