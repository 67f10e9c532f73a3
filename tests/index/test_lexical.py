"""app/index/lexical.py: bm25s over pre-stemmed terms, scores normalised by the query's upper bound."""

from __future__ import annotations

import numpy as np
import pytest

from app.index.lexical import LexicalIndex
from app.text.terms import query_terms, terms

CHUNKS = [
    "Border guards of Kyrgyzstan patrolled the border near Osh.",
    "Customs officers inspected cargo at the border crossing.",
    "Heavy rain and weather warnings closed the mountain road.",
    "Пограничники Кыргызстана провели учения в Бишкеке.",
    "the of and",  # only stopwords: no terms
]


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build([terms(c) for c in CHUNKS])


def test_scores_are_normalised_to_unit_interval(index):
    """Every score lies in [0, 1] and the best chunk for a one-term query scores exactly 1."""
    scores = index.scores(query_terms("border"))
    assert scores.shape == (len(CHUNKS),)
    assert np.all(scores >= 0) and np.all(scores <= 1.0 + 1e-6)
    assert scores.max() == pytest.approx(1.0)
    assert int(np.argmax(scores)) == 0  # "border" twice


def test_matching_chunks_rank_above_others(index):
    """Chunks holding the query's words score above zero, unrelated ones exactly zero."""
    scores = index.scores(query_terms("customs cargo inspection"))
    assert int(np.argmax(scores)) == 1
    assert scores[2] == 0 and scores[3] == 0 and scores[4] == 0


def test_unknown_words_score_zero_everywhere(index):
    """A query whose words are absent (another language) stays at zero instead of being stretched."""
    assert not index.scores(query_terms("банановый хлеб рецепт")).any()


def test_partial_match_is_below_one(index):
    """A chunk matching one of two rare query terms scores well below a perfect match."""
    scores = index.scores(query_terms("weather Osh"))
    assert 0 < scores[2] < 1 and 0 < scores[0] < 1


def test_alternative_spellings_count_once_by_the_best(index):
    """A name group ("Bishkek" with "бишкек") matches the Cyrillic chunk, counted once."""
    groups = query_terms("Guards trained in Bishkek")
    scores = index.scores(groups)
    single = index.scores([g for g in groups if "bishkek" not in g])
    assert scores[3] > single[3]
    assert scores.max() <= 1.0 + 1e-6


def test_idf_prefers_rare_terms(index):
    """A term in one chunk has higher idf than one in two; an unseen term the highest."""
    assert index.idf("osh") > index.idf("border")
    assert index.idf("never-seen") > index.idf("osh")


def test_empty_query_and_stopword_chunks(index):
    """No terms, no scores; a stopword-only chunk can still be indexed."""
    assert not index.scores([]).any()
    assert index.num_docs == len(CHUNKS)


def test_empty_corpus():
    """An index over no chunks scores nothing and does not crash."""
    empty = LexicalIndex.build([])
    assert empty.num_docs == 0
    assert empty.scores(query_terms("border")).shape == (0,)


def test_save_and_load_round_trip(index, tmp_path):
    """A saved index loads with identical scores and idf."""
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    for query in ("border crossing", "Guards trained in Bishkek", "weather"):
        np.testing.assert_allclose(loaded.scores(query_terms(query)), index.scores(query_terms(query)), rtol=1e-6)
    assert loaded.idf("osh") == pytest.approx(index.idf("osh"))
    assert loaded.num_docs == index.num_docs
