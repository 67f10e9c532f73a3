"""app/text/terms.py: content terms per language for BM25 and names in every script for cross-language matching."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.index.lexical import LexicalIndex
from app.text.terms import QUESTION_WORDS, STOPWORDS, query_terms, stem, terms, uzbek_latin
from tests.conftest import QA_DATA

KAZQAD = QA_DATA / "kazqad-kk-dev.json"


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


@pytest.mark.parametrize(
    ("english", "russian"),
    [
        ("Kazakhstan", "казахстан"),  # "kh" is one letter: not "Казакхстан"
        ("Tajikistan", "таджикистан"),  # "j" is "дж": not "Тайикистан"
        ("Khujand", "худжанд"),
        ("Zhyltyrov", "жылтыров"),  # "y" after a consonant is "ы"
        ("Tsoy", "цой"),  # after a vowel, "й"
        ("Yerlan", "ерлан"),  # "ye", "yu", "ya" are one letter each
        ("Yusupov", "юсупов"),
        ("Frontex", "фронтекс"),  # letters the letter-by-letter pack leaves Latin
        ("Kazakhstan's", "казахстан"),
    ],
)
def test_latin_names_get_the_russian_spelling_of_their_romanisation(english, russian):
    """An English question's names match Russian documents: the usual romanisation read back, not letter by letter."""
    group = next(g for g in query_terms(f"What did {english} announce?", "en") if g[0] == stem(english.lower()))
    assert stem(russian) in group, group


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


def test_kazakh_inflections_meet_and_question_words_go():
    """Kazakh suffix chains share their first letters: "шекарасындағы", "шекарамен", "шекараны" are one term;
    the question words and particles are stopwords."""
    assert terms("шекарасындағы шекарамен шекараны", "kk") == ["шекара"] * 3
    groups = query_terms("Шекара қызметі қашан құрылды?")
    assert [g[0] for g in groups] == ["шекара", "қызмет", "құрылд"]


def test_uzbek_scripts_meet():
    """Uzbek in Cyrillic and in Latin (with oʻ typed as o', oʻ or o‘) gives the same terms."""
    latin = terms("Oʻzbekiston Davlat chegarasi qo'mitasi mas‘ul", "uz")
    cyrillic = terms("Ўзбекистон давлат чегараси қўмитаси масъул", "uz")
    assert latin == cyrillic == ["özbeki", "davlat", "chegar", "qömita", "masul"]
    assert uzbek_latin("Ер юзи") == "yer yuzi"


def test_regional_question_names_also_get_russian_spellings():
    """A name in a Kazakh question also matches the Russian stem of a Russian document (and the reverse spelling
    of a Kazakh document); plain Kazakh words get one spelling."""
    groups = query_terms("Конференцияны Назарбаев қашан ашты?", "kk")
    name = next(g for g in groups if g[0] == "назарб")
    assert stem("назарбаев") in name
    assert all(len(g) == 1 for g in groups if g is not name)


def test_russian_and_english_analysis_unchanged():
    """Russian and English text keeps its Snowball stems whatever language argument it is given."""
    text = "Пограничники провели конференцию; border guards met"
    expected = [stem(w) for w in ("пограничники", "провели", "конференцию", "border", "guards", "met")]
    assert terms(text) == terms(text, "ru") == terms(text, "en") == expected


@pytest.mark.skipif(not KAZQAD.exists(), reason="needs the KazQAD dev set of the shared data")
def test_kazakh_retrieval_on_kazqad_beats_russian_stemming():
    """BM25 alone over the KazQAD dev paragraphs (395 questions): the gold paragraph first for ≥ 0.50 of the
    questions with the Kazakh analysis (0.537 measured), where Russian Snowball stemming gets 0.435."""
    data = json.loads(KAZQAD.read_text(encoding="utf-8"))["data"]
    paragraphs, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            paragraphs.append(paragraph["context"])
            questions += [(qa["question"], len(paragraphs) - 1) for qa in paragraph["qas"]]

    def hit_at_1(lang: str | None, question_lang: str | None) -> float:
        index = LexicalIndex.build([terms(p, lang) for p in paragraphs])
        hits = 0
        for question, gold in questions:
            scores = index.scores(query_terms(question, question_lang))
            hits += scores.max() > 0 and int(np.argmax(scores)) == gold
        return hits / len(questions)

    assert hit_at_1("kk", None) >= 0.50
    assert hit_at_1("ru", "ru") < 0.45
