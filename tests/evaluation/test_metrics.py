"""app/evaluation/metrics.py: SQuAD-style answer metrics made Unicode-aware, ranks and percentiles."""

from __future__ import annotations

import pytest

from app.evaluation.metrics import contains, exact_match, first_rank, normalise_answer, percentile, token_f1


def test_normalisation_is_unicode_aware():
    """Case, punctuation of any script, English articles, ё/е and spacing are normalised away."""
    assert normalise_answer("«Более 50 человек»,") == "более 50 человек"
    assert normalise_answer("The  OSCE Centre!") == "osce centre"
    assert normalise_answer("Её ПОДДЕРЖКА") == "ее поддержка"


def test_exact_match_against_any_gold():
    """EM is 1 when the prediction equals any gold answer after normalisation, else 0."""
    assert exact_match("the two-day conference", ["two-day conference", "two days"]) == 1.0
    assert exact_match("Ташкенте.", ["в Ташкенте", "Ташкенте"]) == 1.0
    assert exact_match("Бишкеке", ["Ташкенте"]) == 0.0


def test_token_f1_counts_russian_words():
    """F1 overlaps Cyrillic tokens like Latin ones and takes the best gold."""
    assert token_f1("более 50 человек", ["50 человек"]) == pytest.approx(0.8)
    assert token_f1("пятый раунд консультаций", ["пятый раунд", "консультации"]) == pytest.approx(0.8)
    assert token_f1("", ["anything"]) == 0.0
    assert token_f1("Bishkek", ["Tashkent"]) == 0.0


def test_containment_needs_whole_words():
    """A gold answer counts as contained only as whole words: '5' is not inside '50'."""
    sentence = "В конференции приняли участие более 50 человек."
    assert contains(sentence, ["50 человек"]) == 1.0
    assert contains(sentence, ["5"]) == 0.0
    assert contains(sentence, [""]) == 0.0


def test_first_rank_over_distinct_documents():
    """Ranks count distinct documents (several passages of one document are one rank) up to k."""
    ranked = ["a", "a", "b", "c", "b", "d"]
    assert first_rank(ranked, "a", 10) == 1
    assert first_rank(ranked, "c", 10) == 3
    assert first_rank(ranked, "d", 3) is None
    assert first_rank(ranked, "z", 10) is None


def test_percentile():
    """Percentiles interpolate; an empty list gives 0."""
    assert percentile([10.0, 20.0, 30.0], 50) == 20.0
    assert percentile([], 95) == 0.0
