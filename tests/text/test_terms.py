"""app/text/terms.py: stemmed content terms for BM25 and names in both scripts for cross-language matching."""

from __future__ import annotations

from app.text.terms import QUESTION_WORDS, STOPWORDS, query_terms, stem, terms


def flat(groups) -> set[str]:
    return {t for g in groups for t in g}


def test_stopwords_and_question_words_are_dropped():
    """Function words and interrogatives of both languages are not terms."""
    assert terms("Who is the head of the centre?") == ["head", "centr"]
    assert terms("Кто является главой этого центра?") == ["явля", "глав", "центр"]
    assert {"сколько", "когда", "how", "when"} <= QUESTION_WORDS <= STOPWORDS


def test_stemmer_follows_the_script_of_each_word():
    """Russian words get the Russian stemmer and English words the English one, in the same text."""
    assert stem("границы") == stem("граница") == stem("границей")
    assert stem("borders") == stem("border")
    assert terms("Borders границы") == [stem("border"), stem("граница")]


def test_digits_and_single_letters_are_kept():
    """Numbers carry meaning ("5 апреля", "3-я") and stay terms."""
    found = terms("5 апреля прошла 3-я конференция, 2396 резолюция")
    assert "5" in found and "3" in found and "2396" in found


def test_terms_are_lowercase_and_ordered():
    """Terms come in text order, lower-cased."""
    assert terms("OSCE Bishkek Kyrgyzstan") == [stem("osce"), stem("bishkek"), stem("kyrgyzstan")]


def test_latin_name_gets_cyrillic_alternative():
    """A capitalised Latin name in a question also matches its Cyrillic spelling."""
    groups = query_terms("Who is the head of the OSCE Centre in Bishkek?")
    bishkek = next(g for g in groups if g[0] == stem("bishkek"))
    assert stem("бишкек") in bishkek


def test_cyrillic_name_gets_latin_alternative():
    """A capitalised Cyrillic name also matches its Latin transliteration (Капинос -> Kapinos)."""
    groups = query_terms("Где работает Капинос?")
    kapinos = next(g for g in groups if g[0] == stem("капинос"))
    assert stem("kapinos") in kapinos


def test_group_key_comes_first_and_plain_words_have_one_spelling():
    """Each group starts with the question's own spelling; common words are not transliterated."""
    groups = query_terms("Сколько человек приняли участие в конференции в Боровом?")
    assert groups[0] == (stem("человек"),)
    assert all(len(g) == 1 for g in groups if g[0] != stem("боровом"))


def test_sentence_opener_is_not_treated_as_a_name():
    """The capitalised first word of a question is not given a transliterated spelling."""
    groups = query_terms("Conference participants met in Osh")
    assert groups[0] == (stem("conference"),)


def test_repeated_words_form_one_group():
    """A word repeated in a question counts once."""
    groups = query_terms("border border borders")
    assert groups == [(stem("border"),)]


def test_no_terms_in_question_words_only():
    """A question made of interrogatives and stopwords has no terms."""
    assert query_terms("Кто? Что? Когда? Who is it?") == []
    assert terms("") == []
