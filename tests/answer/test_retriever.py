"""app/answer/retriever.py + app/answer/fusion.py: hybrid FAISS + BM25 retrieval over the real seed index."""

from __future__ import annotations

import numpy as np
import pytest

from app.answer.fusion import blend, dense_score
from app.pipeline import UnknownDocument
from app.answer.retriever import HybridRetriever
from tests.conftest import BISHKEK, BOROVOE, ENGLISH_DOCS, ISSYK_KUL, RUSSIAN_DOCS, SEED_DOCS, TASHKENT, UNODC

SAME_LANGUAGE = [
    ("Сколько человек приняли участие в конференции в Боровом?", BOROVOE),
    ("Где прошел пятый раунд консультаций между Узбекистаном и Казахстаном?", TASHKENT),
    ("Какую резолюцию Совета Безопасности ООН обсуждали на семинаре?", UNODC),
    ("Кто финансирует проект семинара УНП ООН?", UNODC),
    ("How many officials attended the 12th Central Asia Border Security Initiative conference?", BISHKEK),
    ("By how much did border incidents in Kyrgyzstan decrease?", BISHKEK),
    ("What was the main purpose of the regional meeting in Issyk-Kul province?", ISSYK_KUL),
    ("Who is Chief of Staff at the Kyrgyz State Border Service?", ISSYK_KUL),
]

CROSS_LANGUAGE = [
    ("When was the fifth round of bilateral consultations held in Tashkent?", TASHKENT),  # en -> ru
    ("Who chaired the talks on the Uzbek side?", TASHKENT),  # en -> ru
    ("Кто возглавляет Центр ОБСЕ в Бишкеке?", BISHKEK),  # ru -> en
]


@pytest.mark.parametrize("question,doc_id", SAME_LANGUAGE, ids=[f"same-{i}" for i in range(len(SAME_LANGUAGE))])
def test_same_language_hit_at_1(pipeline, question, doc_id):
    """A question in the language of its document retrieves that document first."""
    assert pipeline.search(question, top_k=3)[0].doc_id == doc_id


@pytest.mark.parametrize("question,doc_id", CROSS_LANGUAGE, ids=["en-ru-date", "en-ru-person", "ru-en-person"])
def test_cross_language_hit_at_1(pipeline, question, doc_id):
    """A question in the other language retrieves the answering document first (dense retrieval decides)."""
    passages = pipeline.search(question, top_k=3)
    assert passages[0].doc_id == doc_id


def test_cross_language_bm25_stays_near_zero(pipeline):
    """A Russian question without shared names gets (almost) no BM25 credit on English chunks."""
    passages = pipeline.search("Какие угрозы обсуждались участниками встречи?", top_k=22)
    english = [p for p in passages if p.doc_id in ENGLISH_DOCS]
    assert english and max(p.lexical for p in english) < 0.05


def test_passages_are_verbatim_ranked_and_unique(pipeline):
    """Passages are slices of their documents, sorted by score, each chunk once."""
    passages = pipeline.search("border security co-operation in Central Asia", top_k=10)
    assert len(passages) == 10
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert len({p.chunk_id for p in passages}) == 10
    for p in passages:
        doc = pipeline.document(p.doc_id)
        assert doc.text[p.start:p.end] == p.text
        assert p.title == doc.title and p.lang == doc.lang


def test_top_k_larger_than_the_index_returns_every_chunk(pipeline):
    """Asking for 50 passages of a 22-chunk index returns each chunk exactly once."""
    passages = pipeline.search("граница", top_k=50)
    assert sorted(p.chunk_id for p in passages) == list(range(len(pipeline.snapshot.chunks)))


@pytest.mark.parametrize("doc_ids", [[UNODC], [BISHKEK, TASHKENT], list(RUSSIAN_DOCS)])
def test_doc_ids_filter_restricts_results(pipeline, doc_ids):
    """With doc_ids only those documents are searched, even for a question about another one."""
    passages = pipeline.search("Who is the head of the OSCE Centre in Bishkek?", top_k=20, doc_ids=doc_ids)
    assert passages
    assert {p.doc_id for p in passages} <= set(doc_ids)
    if BISHKEK in doc_ids:
        assert passages[0].doc_id == BISHKEK


def test_doc_ids_filter_returns_all_chunks_of_the_document(pipeline):
    """A filtered search is exact: every chunk of the allowed document can be returned."""
    passages = pipeline.search("погода", top_k=50, doc_ids=[TASHKENT])
    assert sorted(p.chunk_id for p in passages) == sorted(pipeline.snapshot.chunk_rows(TASHKENT).tolist())


def test_empty_doc_ids_returns_nothing(pipeline):
    """An empty doc_ids list searches no documents."""
    assert pipeline.search("border", doc_ids=[]) == []


def test_unknown_doc_id_is_refused(pipeline):
    """An unknown doc_id raises UnknownDocument naming it."""
    with pytest.raises(UnknownDocument, match="nope.txt"):
        pipeline.search("border", doc_ids=[BISHKEK, "nope.txt"])


def test_retriever_directly_on_the_snapshot(pipeline):
    """HybridRetriever over a snapshot finds the answering chunk with both signals in range."""
    question = "By how much did border incidents in Kyrgyzstan decrease?"
    retriever = HybridRetriever(candidates=10, dense_weight=0.8)
    snap, query = pipeline.query(question)
    passages = retriever.retrieve(snap, query, 5)
    assert len(passages) == 5
    assert passages[0].doc_id == BISHKEK
    assert "22 per cent" in passages[0].text
    for p in passages:
        assert -1.0 <= p.dense <= 1.0 and 0.0 <= p.lexical <= 1.0 + 1e-6
    assert passages[0].lexical > 0.5  # the question's own words are in the chunk


def test_blend_and_dense_score():
    """Fusion is a weighted sum; the dense score is the mean of chunk and best-sentence cosines."""
    same = np.array(["en", "en"], dtype=object)
    # With BM25 counted absolutely (share 1) the blend is the plain weighted sum.
    np.testing.assert_allclose(blend(np.array([0.8, 0.2]), np.array([0.0, 1.0]), same, 0.5, 1.0), [0.4, 0.6])
    np.testing.assert_allclose(blend(np.array([0.8]), np.array([0.1]), same[:1], 1.0, 0.2), [0.8])
    np.testing.assert_allclose(dense_score(np.array([0.2, 0.6]), np.array([0.8, 0.6])), [0.5, 0.6])


def test_blend_does_not_let_bm25_outvote_another_language():
    """A same-language chunk matching generic words does not beat a better other-language chunk."""
    langs = np.array(["en", "ru"], dtype=object)
    dense = np.array([0.80, 0.84])  # the Russian chunk is closer in meaning
    lexical = np.array([0.40, 0.0])  # the English question shares words only with the English chunk
    assert np.argmax(blend(dense, lexical, langs, 0.5, 1.0)) == 0  # raw BM25 would pick English
    assert np.argmax(blend(dense, lexical, langs, 0.8, 0.2)) == 1
    # Within one language BM25 still orders the chunks.
    en = np.array(["en", "en"], dtype=object)
    assert np.argmax(blend(np.array([0.80, 0.81]), np.array([0.6, 0.1]), en, 0.8, 0.2)) == 0
    np.testing.assert_allclose(dense_score(np.array([0.2, 0.6]), np.array([0.8, 0.6])), [0.5, 0.6])


def test_every_seed_document_is_reachable(pipeline):
    """Each seed document is the top hit for its own title."""
    for doc_id in SEED_DOCS:
        title = pipeline.document(doc_id).title
        assert pipeline.search(title, top_k=1)[0].doc_id == doc_id, title


# -- filters and follow-ups -------------------------------------------------------------------------------------
from app.models import Filters, Turn  # noqa: E402


def test_language_filter_applies_before_ranking(pipeline):
    """Only Russian documents answer a Russian-only search, and a full page of them comes back."""
    passages = pipeline.search("border security conference", top_k=8, filters=Filters(langs=("ru",)))
    assert len(passages) == 8
    assert {p.doc_id for p in passages} <= set(RUSSIAN_DOCS)


def test_date_filter_keeps_dated_documents_in_range(pipeline):
    """A 2016 filter keeps the dated Bishkek article; documents without a date are left out."""
    assert pipeline.document(BISHKEK).date == "2016-04-28"
    passages = pipeline.search("border", top_k=5, filters=Filters(date_from="2016-01-01", date_to="2016-12-31"))
    assert passages and {p.doc_id for p in passages} == {BISHKEK}
    assert pipeline.search("border", top_k=5, filters=Filters(date_from="2017-01-01")) == []


def test_combined_filters_must_all_hold(pipeline):
    """Language and document filters together: the intersection, here empty."""
    assert pipeline.search("border", filters=Filters(langs=("ru",), doc_ids=(BISHKEK,))) == []
    both = pipeline.search("border", top_k=20, filters=Filters(langs=("en",), doc_ids=(BISHKEK, BOROVOE)))
    assert both and {p.doc_id for p in both} == {BISHKEK}


def test_follow_up_prefers_the_continued_document(pipeline):
    """'And when did they take place?' after a Tashkent question retrieves the Tashkent article first."""
    alone = pipeline.ask("And when did they take place?", top_k=3)
    history = [Turn("Who chaired the consultations in Tashkent?", (TASHKENT,))]
    follow = pipeline.ask("And when did they take place?", top_k=3, history=history)
    assert follow.follow_up and not alone.follow_up
    assert follow.passages[0].doc_id == TASHKENT


def test_new_question_is_not_drowned_by_history(pipeline):
    """A standalone question after a Tashkent turn still retrieves its own (English) document first."""
    history = [Turn("Who chaired the consultations in Tashkent?", (TASHKENT,))]
    result = pipeline.ask(
        "How many officials attended the 12th Central Asia Border Security Initiative conference?", history=history
    )
    assert not result.follow_up and result.passages[0].doc_id == BISHKEK
