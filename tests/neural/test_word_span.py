"""Answer spans on word boundaries: subword pieces widened to whole words in every script, punctuation around the
answer left out, brackets kept in pairs; and the span decoder applies it to every span it returns."""

from __future__ import annotations

import numpy as np
import pytest

from app.neural.decode import decode_spans, word_span


def widened(text: str, piece: str, nth: int = 0) -> str:
    """The answer served when the reader marks the ``nth`` occurrence of ``piece`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(piece, start + 1)
    s, e = word_span(text, start, start + len(piece))
    assert 0 <= s < e <= len(text)
    return text[s:e]


@pytest.mark.parametrize(
    ("text", "piece", "answer"),
    [
        # the reported case: the reader's last subword was "Двухдневн"
        ("Двухдневный национальный семинар прошёл в Астане.", "Двухдневн", "Двухдневный"),
        ("Двухдневный национальный семинар прошёл в Астане.", "вухдневный", "Двухдневный"),
        ("Двухдневный национальный семинар прошёл в Астане.", "ный национальн", "Двухдневный национальный"),
        # Latin, with a possessive apostrophe inside the word
        ("enhancing the Kyrgyz Government’s engagement", "Govern", "Government’s"),
        ("the participants' meeting", "participants'", "participants"),
        # Kazakh letters ә ғ қ ң ө ұ ү һ і
        ("Қазақстан Республикасының Үкіметі", "азақ", "Қазақстан"),
        ("Ұлттық қауіпсіздік комитеті", "ауіпсізд", "қауіпсіздік"),
        ("әңгіме өтті", "әңгі", "әңгіме"),
        ("Ғылым және һәм", "һә", "һәм"),
        # hyphenated words and Uzbek apostrophes (a modifier letter, a left quote, a straight one)
        ("Встреча в Нур-Султане прошла", "Султан", "Нур-Султане"),
        ("Встреча в Нур-Султане прошла", "Нур", "Нур-Султане"),
        ("Oʻzbekiston Respublikasi", "zbek", "Oʻzbekiston"),
        ("O‘zbekiston Respublikasi", "O", "O‘zbekiston"),
        ("O'zbekiston Respublikasi", "zbekiston Resp", "O'zbekiston Respublikasi"),
        ("үкімет іс-шара өтті", "іс", "іс-шара"),
        # numbers: decimals, thousands, percentages, ranges
        ("было 1,5 млн человек", "1,", "1,5"),
        ("рост на 15% за год", "15", "15%"),
        ("24-25 июля 2019 года", "24-2", "24-25"),
        ("около 5\u00a0000 человек", "5", "5\u00a0000"),
        # a stress mark (a combining character) belongs to its word
        ("за́мок на горе", "за", "за́мок"),
    ],
)
def test_pieces_widen_to_whole_words(text, piece, answer):
    assert widened(text, piece) == answer


@pytest.mark.parametrize(
    ("text", "piece", "answer"),
    [
        ("в пос. Боровое, Казахстан", " Боровое,", "Боровое"),  # spaces and a comma
        ("Итог: важные решения.", ": важные решения.", "важные решения"),  # a colon and the full stop
        ("встреча — в Ташкенте", "— в Ташкенте", "в Ташкенте"),  # a dash
        ("проект «Линия поведения» стартовал", "«Линия поведения»", "Линия поведения"),  # quotes around it all
        ("Управление ООН (ЮНОДК) провело", "(ЮНОДК)", "ЮНОДК"),  # brackets around it all
        ("Управление ООН (ЮНОДК) провело", "ЮНОДК)", "ЮНОДК"),  # a closer without its opener
        ("Управление ООН (ЮНОДК) провело", "(ЮНОД", "ЮНОДК"),  # an opener without its closer
        # a bracket opened inside the answer is closed with it
        ("Управление ООН (ЮНОДК) провело", "Управление ООН (ЮНОДК", "Управление ООН (ЮНОДК)"),
        ("Управление ООН (ЮНОДК) провело", "ЮНОДК) провело", "(ЮНОДК) провело"),
        ("проекты «Линия поведения» и «Дорожная карта»", "«Линия поведения» и «Дорожная карта»",
         "«Линия поведения» и «Дорожная карта»"),
        ("say \"yes\" now", "say \"yes", "say \"yes\""),
        # an abbreviation keeps its full stop, an initial too
        ("в 2016 г. было", "2016 г.", "2016 г."),
        ("доклад А. Иванова", "доклад А.", "доклад А."),
    ],
)
def test_punctuation_around_the_answer(text, piece, answer):
    assert widened(text, piece) == answer


def test_never_empty_and_within_the_text():
    """A span of punctuation only stays as it is; offsets outside the text are clipped, not trusted."""
    assert word_span("a — b", 2, 3) == (2, 3)
    assert word_span("слово", -4, 99) == (0, 5)
    assert word_span("", 0, 0) == (0, 0)


def test_widened_span_is_a_fixed_point():
    """Widening an answer again changes nothing (no drift when a span passes through twice)."""
    text = "Встреча в Нур-Султане (Казахстан) прошла 24-25 июля, «Линия поведения» принята."
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + 25) + 1):
            s, e = word_span(text, start, end)
            assert word_span(text, s, e) == (s, e), (text[start:end], text[s:e])


def test_decoder_returns_whole_words():
    """decode_spans hands out the widened span: the reader's pieces never reach an answer."""
    context = "Двухдневный семинар прошёл в Астане."
    # pieces: "Дву" "хд" "нев" "ный" "семинар" ...; the reader marks the first three
    offsets = [None, None, None, None, (0, 3), (3, 5), (5, 8), (8, 11), (12, 19), None]
    s, e = np.full(len(offsets), -5.0), np.full(len(offsets), -5.0)
    s[4], e[6] = 4.0, 3.0
    (span,) = decode_spans([s], [e], [offsets], [0], [context])
    assert (span.start_token, span.end_token) == (4, 6)
    assert span.text == context[span.start : span.end] == "Двухдневный"
