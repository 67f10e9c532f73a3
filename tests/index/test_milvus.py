"""app/index/milvus.py: the Milvus store (Milvus Lite in a temporary folder): round trips, per-document atomic
commits, filters, corpus BM25 statistics, crashes in the middle of a commit and unreachable servers."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from app.answer.retriever import HybridRetriever
from app.encoders.factory import create_encoder
from app.index.lexical import TermStats
from app.index.milvus import MilvusStore
from app.index.milvus_schema import EMPTY_TERM, chunk_length, term_id
from app.index.milvus_tables import Postings, corpus_lexical, segment_tables
from app.index.snapshot import Snapshot
from app.index.storage import StoreUnavailable
from app.ingest.indexer import Indexer, Parts
from app.ingest.reader import read_file
from app.models import Document, Filters, Query, Turn
from app.ingest.documents import make_document
from app.text.question import AnswerType
from app.text.terms import query_terms, terms
from tests.conftest import PYTHON, ROOT, SEED_CORPUS, free_port, make_settings, subprocess_env
from tests.crashpoints import crash_env

COLLECTIONS = ("events", "seminars", None)
DATES = ("2016-04-28", "2018-05-30", None, "2019-04-05")
QUESTIONS = (
    "How many people attended the conference in Borovoe?",
    "Сколько представителей приняли участие во встрече на Иссык-Куле?",
    "Who is Sergey Kapinos?",
    "Когда прошёл пятый раунд консультаций?",
    "UN Security Council Resolution 2396 seminar",
    "border security cooperation in Central Asia",
)


def paragraph_documents() -> list[Document]:
    """Each paragraph of the seed corpus as a document, with collections and dates to filter on."""
    docs = []
    for path in sorted(SEED_CORPUS.iterdir()):
        read = read_file(path)
        paragraphs = [p.strip() for p in read.text.split("\n") if len(p.strip()) >= 150]
        for i, text in enumerate(paragraphs):
            n = len(docs)
            doc = make_document(f"{path.stem}/{i}", text, f"{read.title} ({i})", collection=COLLECTIONS[n % 3])
            docs.append(replace(doc, date=DATES[n % 4]))
    return docs


@pytest.fixture(scope="module")
def use_encoder():
    """The use-m3 encoder (numpy, quick to load)."""
    return create_encoder("use-m3")


@pytest.fixture(scope="module")
def corpus(use_encoder, tmp_path_factory) -> Snapshot:
    """A snapshot of 34 one-paragraph documents, built by the real indexer."""
    settings = make_settings(tmp_path_factory.mktemp("corpus") / "index", encoder="use-m3")
    return Indexer(use_encoder, settings).build(paragraph_documents())


def store_settings(root: Path, **overrides):
    """Settings of a Milvus Lite store under ``root`` (10 candidates: a question reads part of the corpus)."""
    overrides.setdefault("milvus_uri", str(root / "milvus.db"))
    return make_settings(root / "index", encoder="use-m3", store="milvus", candidates=10, **overrides)


@pytest.fixture
def store(tmp_path, corpus):
    """A Milvus Lite store holding ``corpus``."""
    opened = MilvusStore(store_settings(tmp_path))
    with opened.lock():
        opened.commit(corpus)
    yield opened
    opened.close()


def build(encoder, docs: list[Document], corpus: Snapshot, reuse: dict[str, str] | None = None) -> Snapshot:
    """A segment of ``docs`` compared in the corpus's projection (as the pipeline builds deltas); ``reuse`` maps
    a doc_id to the corpus document whose tables and vectors it takes (nothing is embedded for it)."""
    parts = {}
    for doc_id, source in (reuse or {}).items():
        t = segment_tables(corpus, source)
        parts[doc_id] = Parts(t.sentences, t.chunks, t.sentence_vectors, t.chunk_vectors, t.entities)
    indexer = Indexer(encoder, make_settings(Path("unused"), encoder="use-m3"))
    return indexer.build(docs, parts=parts, projection=corpus.projection)


def question(encoder, corpus: Snapshot, text: str, filters: Filters = Filters(), context: Turn | None = None) -> Query:
    """``text`` analysed as the pipeline does: embedded, projected, split into term groups."""
    return Query(
        text=text,
        lang="en",
        vector=corpus.projection.apply(encoder.query(text)),
        terms=query_terms(text),
        kind=AnswerType.OTHER,
        top_k=5,
        filters=filters,
        context=context,
    )


def assert_same_document(got: Snapshot, expected: Snapshot, doc_id: str) -> None:
    """The document's text and tables in ``got`` equal those in ``expected`` (vectors within 1e-6)."""
    a, b = segment_tables(got, doc_id), segment_tables(expected, doc_id)
    assert a.document == b.document
    np.testing.assert_array_equal(a.sentences, b.sentences)
    np.testing.assert_array_equal(a.chunks, b.chunks)
    np.testing.assert_array_equal(a.entities, b.entities)
    np.testing.assert_allclose(a.sentence_vectors, b.sentence_vectors, atol=1e-6)
    np.testing.assert_allclose(a.chunk_vectors, b.chunk_vectors, atol=1e-6)
    rows = got.chunk_rows(doc_id)
    np.testing.assert_allclose(got.dense.vectors(rows), got.chunk_matrix(rows), atol=1e-6)  # searched projected


def scratch_stats(docs: list[Document], corpus: Snapshot, extra: Snapshot | None = None) -> tuple[int, int, Counter]:
    """N, total length and df by term id of ``docs``' chunks, computed from their texts."""
    df: Counter[int] = Counter()
    count = length = 0
    for doc in docs:
        source = extra if extra is not None and doc.doc_id in extra.documents else corpus
        for row in source.chunk_rows(doc.doc_id):
            chunk_terms = terms(source.chunk_text(int(row)))
            df.update({term_id(t) for t in chunk_terms or [EMPTY_TERM]})
            count += 1
            length += chunk_length(chunk_terms)
    return count, length, df


def rows_of(store: MilvusStore, collection: str, doc_id: str) -> int:
    """Rows of ``doc_id`` in one collection of the served epoch, whatever their generation."""
    state = store._state()
    assert state is not None
    name = getattr(store._names(state), collection)
    return store._count(name, f'doc_id == "{doc_id}"')


def test_corpus_lexical_scores_as_bm25s(corpus):
    """BM25 over all chunks with the corpus's statistics scores as the indexer's bm25s index does."""
    chunk_terms = [terms(corpus.chunk_text(i)) for i in range(len(corpus.chunks))]
    df: Counter[str] = Counter(t for chunk in chunk_terms for t in set(chunk))
    avg = sum(chunk_length(t) for t in chunk_terms) / len(chunk_terms)
    halves = [Postings.of(chunk_terms[:10]), Postings.of(chunk_terms[10:])]
    lexical = corpus_lexical(halves, TermStats(len(chunk_terms), df), avg)
    for text in QUESTIONS:
        groups = query_terms(text)
        np.testing.assert_allclose(lexical.raw_scores(groups), corpus.lexical.raw_scores(groups), rtol=1e-5, atol=1e-6)
        assert lexical.upper_bound(groups) == pytest.approx(corpus.lexical.upper_bound(groups), rel=1e-5)


def test_empty_store_has_nothing(tmp_path):
    """Before the first write the store reports nothing and refuses an empty commit."""
    store = MilvusStore(store_settings(tmp_path))
    try:
        assert store.version() is None
        assert store.reader() is None
        assert store.documents() == {}
        assert store.manifest() is None and store.projection() is None
        with pytest.raises(ValueError):
            store.commit(None)
    finally:
        store.close()


def test_commit_round_trip(store, corpus):
    """Every committed document comes back with its text, sentences, chunks, entities and vectors."""
    snapshot = store.reader()
    assert snapshot is not None
    assert snapshot.documents == corpus.documents
    for doc_id in corpus.documents:
        assert_same_document(snapshot, corpus, doc_id)
    assert store.documents() == corpus.documents
    catalog = store.catalog()
    assert catalog.documents == corpus.documents
    assert catalog.chunks == {d: len(corpus.chunk_rows(d)) for d in corpus.documents}
    assert catalog.manifest["encoder"] == "use-m3"
    assert store.version() == "1"
    manifest = store.manifest()
    assert manifest["encoder"] == "use-m3" and manifest["dim"] == 512
    assert (manifest["documents"], manifest["chunks"]) == (len(corpus.documents), len(corpus.chunks))
    np.testing.assert_array_equal(store.projection().basis, corpus.projection.basis)


def test_reader_ranks_as_the_embedded_index(store, corpus, use_encoder):
    """The retriever over a question's snapshot returns the passages it returns over the whole corpus."""
    retriever = HybridRetriever(candidates=10)
    fetched = []
    for text in QUESTIONS:
        query = question(use_encoder, corpus, text)
        snapshot = store.reader(query)
        fetched.append(len(snapshot.documents))
        expected = retriever.retrieve(corpus, query, 5)
        got = retriever.retrieve(snapshot, query, 5)
        assert [(p.doc_id, p.start, p.end, p.score) for p in got] == [
            (p.doc_id, p.start, p.end, p.score) for p in expected
        ], text
        assert [p.lexical for p in got] == pytest.approx([p.lexical for p in expected], abs=1e-5)
    assert max(fetched) < len(corpus.documents)  # the questions read a part of the corpus, not all of it


@pytest.mark.parametrize(
    "filters",
    [
        Filters(langs=("ru",)),
        Filters(langs=("en",)),
        Filters(date_from="2017-01-01", date_to="2018-12-31"),
        Filters(date_to="2016-12-31"),
        Filters(collections=("seminars",)),
        Filters(collections=("events", "seminars"), langs=("en",)),
        Filters(doc_ids=("003_e4272607314c6f95/1", "000_5a5eb2172dcf12eb/2")),
    ],
)
def test_filters(store, corpus, use_encoder, filters):
    """A filtered question is answered from admitted documents only, as over the whole corpus."""
    retriever = HybridRetriever(candidates=10)
    admitted = {corpus.doc_order[i] for i in np.flatnonzero(corpus.document_mask(filters))}
    assert admitted and len(admitted) < len(corpus.documents)
    for text in QUESTIONS[:4]:
        query = question(use_encoder, corpus, text, filters)
        got = retriever.retrieve(store.reader(query), query, 5)
        assert got and {p.doc_id for p in got} <= admitted
        expected = retriever.retrieve(corpus, query, 5)
        assert [(p.doc_id, p.start, p.score) for p in got] == [(p.doc_id, p.start, p.score) for p in expected]


def test_narrow_filter_still_finds_chunks(store, corpus, use_encoder):
    """A filter admitting one unrelated document still yields its chunks, and exact scoring agrees with search."""
    target = "004_e237da839ca07bef/7"
    query = question(use_encoder, corpus, "Sergey Kapinos Bishkek", Filters(doc_ids=(target,)))
    snapshot = store.reader(query)
    assert target in snapshot.documents
    got = HybridRetriever(candidates=10).retrieve(snapshot, query, 5)
    assert got and {p.doc_id for p in got} == {target}
    names = store._names(store._state())
    expr = '(lang in ["ru"])'
    vector = np.asarray(query.vector, dtype=np.float32)
    assert store._exact_documents(names, vector, expr, 5, 100) == store._dense_documents(names, vector, expr, 5)


def test_context_documents_are_fetched(store, corpus, use_encoder):
    """The documents of the turn a follow-up continues are in its snapshot."""
    context = Turn("earlier question", doc_ids=("002_5cfd33afcd421555/3",))
    snapshot = store.reader(question(use_encoder, corpus, "How many people came?", context=context))
    assert "002_5cfd33afcd421555/3" in snapshot.documents


def test_delete_removes_document_and_rows(store, corpus):
    """A deleted document is gone from documents, snapshots and every collection; the others are untouched."""
    gone = "001_cbbf1589787f8c83/2"
    with store.lock():
        store.commit(None, [gone])
    assert gone not in store.documents()
    snapshot = store.reader()
    assert gone not in snapshot.documents and len(snapshot.documents) == len(corpus.documents) - 1
    for doc_id in snapshot.documents:
        assert_same_document(snapshot, corpus, doc_id)
    assert [rows_of(store, c, gone) for c in ("chunks", "sentences", "texts")] == [0, 0, 0]
    assert store.version() == "2"
    assert store.manifest()["documents"] == len(corpus.documents) - 1


def test_replacing_a_document(store, corpus, use_encoder):
    """A committed new version replaces the old one whole; the old version's rows are removed."""
    doc_id = "000_5a5eb2172dcf12eb/0"
    old = corpus.documents[doc_id]
    new = replace(old, text=old.text + " The participants agreed to meet again in Almaty next spring.", sha="changed")
    segment = build(use_encoder, [new], corpus)
    with store.lock():
        store.commit(segment)
    snapshot = store.reader()
    assert snapshot.documents[doc_id] == new
    assert_same_document(snapshot, segment, doc_id)
    assert rows_of(store, "chunks", doc_id) == len(segment.chunks)
    assert rows_of(store, "sentences", doc_id) == len(segment.sentences)
    assert len(snapshot.documents) == len(corpus.documents)


def test_readers_see_whole_documents_during_commits(store, corpus, use_encoder):
    """Snapshots read while another thread rewrites a document hold its old or its new version, whole."""
    doc_id = "002_5cfd33afcd421555/1"
    old = corpus.documents[doc_id]
    new = replace(old, text=old.text + " Представители УНП ООН провели ещё один семинар в Душанбе.", sha="new")
    segments = [build(use_encoder, [new], corpus), build(use_encoder, [old], corpus, reuse={doc_id: doc_id})]
    seen: Counter[str] = Counter()
    done, stop = threading.Event(), threading.Event()

    def write() -> None:
        # Rewrites go on until several snapshots were read in the meantime; the last one restores the old version.
        try:
            commits = 0
            while (commits < 6 or sum(seen.values()) < 5 or commits % 2) and not stop.is_set():
                with store.lock():
                    store.commit(segments[commits % 2])
                commits += 1
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while not done.is_set():
            snapshot = store.reader(question(use_encoder, corpus, "семинар УНП ООН", Filters(doc_ids=(doc_id,))))
            got = snapshot.documents[doc_id]
            seen[got.sha] += 1
            assert_same_document(snapshot, segments[0] if got.sha == "new" else corpus, doc_id)
    finally:
        stop.set()  # a failed read must not leave the writer waiting for more reads
        writer.join()
    assert seen["new"] + seen[old.sha] >= 5
    assert store.documents()[doc_id] == old
    assert_same_document(store.reader(), corpus, doc_id)


def test_term_statistics_follow_commits_and_deletes(store, corpus, use_encoder):
    """N, total length and df kept by commits equal those computed from scratch, after adds, replaces, deletes."""
    docs = list(corpus.documents.values())
    count, length, df = scratch_stats(docs, corpus)
    stored = store.stored_stats()
    assert (stored.num_docs, stored.total_length, stored.df) == (count, length, dict(df))

    changed = replace(docs[3], text=docs[3].text + " Border guards of Kazakhstan trained sniffer dogs.", sha="x")
    added = make_document("extra/1", "Пограничники Узбекистана и Казахстана провели совместные учения.", "Учения")
    segment = build(use_encoder, [changed, added], corpus)
    with store.lock():
        store.commit(segment, [docs[0].doc_id, docs[7].doc_id])
    remaining = [changed, added] + [d for d in docs if d.doc_id not in {docs[0].doc_id, docs[7].doc_id, docs[3].doc_id}]
    count, length, df = scratch_stats(remaining, corpus, segment)
    stored = store.stored_stats()
    assert (stored.num_docs, stored.total_length, stored.df) == (count, length, dict(df))
    assert store.corpus_stats() == stored


def test_long_text_round_trip(store, corpus, use_encoder):
    """A text beyond one VARCHAR (65,535 bytes) is stored in parts and comes back whole."""
    source = corpus.documents["000_5a5eb2172dcf12eb/0"]
    long = replace(source, doc_id="long", text=source.text + "\n" + "Пограничная безопасность. " * 3_000, sha="long")
    assert len(long.text.encode("utf-8")) > 2 * 65_535
    segment = build(use_encoder, [long], corpus, reuse={"long": source.doc_id})
    with store.lock():
        store.commit(segment)
    assert store.documents()["long"].text == long.text
    snapshot = store.reader(question(use_encoder, corpus, "security", Filters(doc_ids=("long",))))
    assert_same_document(snapshot, segment, "long")


def test_oversized_values_are_refused_before_writing(store, corpus, use_encoder):
    """A title beyond a VARCHAR raises ValueError and writes nothing."""
    source = corpus.documents["001_cbbf1589787f8c83/0"]
    huge = replace(source, doc_id="huge", title="Граница " * 10_000)
    segment = build(use_encoder, [huge], corpus, reuse={"huge": source.doc_id})
    with store.lock(), pytest.raises(ValueError, match="title"):
        store.commit(segment)
    assert store.version() == "1" and store._state().pending is None
    assert rows_of(store, "chunks", "huge") == 0 and "huge" not in store.documents()


def test_replace_switches_to_a_new_epoch(store, corpus, use_encoder):
    """replace serves the new index whole and drops the old epoch's collections."""
    state = store._state()
    keep = [d for d in corpus.documents if d.startswith("003_")]
    smaller = build(use_encoder, [corpus.documents[d] for d in keep], corpus, reuse={d: d for d in keep})
    with store.lock():
        store.replace(smaller)
    assert sorted(store.documents()) == sorted(keep)
    assert store.version() == "2"
    collections = store._call("list_collections")
    assert not [c for c in collections if state.epoch in c]
    snapshot = store.reader()
    for doc_id in keep:
        assert_same_document(snapshot, corpus, doc_id)


CHILD = """
import sys
from pathlib import Path
from app.index.milvus import MilvusStore
from app.index.snapshot import Snapshot
from app.settings import Settings

uri, folder = sys.argv[1:3]
settings = Settings(_env_file=None, index_dir=Path(folder) / "index", store="milvus", milvus_uri=uri)
store = MilvusStore(settings)
with store.lock():
    store.commit(Snapshot.load(Path(folder)))
sys.exit(3)
"""


@pytest.mark.parametrize("stage", ["rows", "documents", "stats"])
def test_killed_commit_leaves_whole_documents(tmp_path, corpus, use_encoder, stage):
    """A writer killed in the middle of a commit leaves each document whole (old or new); committing again
    converges: new tables, no leftover rows, statistics equal to a computation from scratch."""
    settings = store_settings(tmp_path)
    docs = list(corpus.documents.values())
    changed = replace(docs[5], text=docs[5].text + " Officers from Tajikistan joined the meeting.", sha="changed")
    added = make_document("new/1", "The Bishkek workshop trained 40 customs officers in risk analysis.", "Workshop")
    segment = build(use_encoder, [changed, added], corpus)
    folder = tmp_path / "segment"
    segment.save(folder)
    store = MilvusStore(settings)
    with store.lock():
        store.commit(corpus)
    store.close()  # Milvus Lite: one process per file

    child = subprocess.run(
        [PYTHON, "-c", CHILD, settings.milvus_target, str(folder)],
        cwd=ROOT,
        env=subprocess_env(**crash_env(f"milvus:{stage}")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr[-3000:]

    store = MilvusStore(settings)
    try:
        assert rows_of(store, "chunks", "new/1") > 0  # the crash came after the new rows were written
        snapshot = store.reader()
        if stage == "rows":
            assert "new/1" not in snapshot.documents and "new/1" not in store.documents()
            assert snapshot.documents[changed.doc_id] == docs[5]
            assert_same_document(snapshot, corpus, changed.doc_id)
        else:
            assert snapshot.documents[changed.doc_id] == changed and snapshot.documents["new/1"] == added
            assert_same_document(snapshot, segment, changed.doc_id)
            assert_same_document(snapshot, segment, "new/1")
        assert store._state().pending == (changed.doc_id, "new/1")
        for doc_id in snapshot.documents:
            if doc_id not in segment.documents:
                assert_same_document(snapshot, corpus, doc_id)

        with store.lock():
            store.commit(None)  # nothing to write: only the repair of the unfinished commit
        assert store._state().pending is None
        if stage == "rows":
            assert rows_of(store, "chunks", "new/1") == 0
            expected = scratch_stats(docs, corpus)
        else:
            assert rows_of(store, "chunks", changed.doc_id) == len(segment.chunk_rows(changed.doc_id))
            expected = scratch_stats([changed, added] + docs[:5] + docs[6:], corpus, segment)
        stored = store.stored_stats()
        assert (stored.num_docs, stored.total_length, stored.df) == (expected[0], expected[1], dict(expected[2]))

        with store.lock():
            store.commit(segment)
        snapshot = store.reader()
        for doc_id in segment.documents:
            assert_same_document(snapshot, segment, doc_id)
            assert rows_of(store, "chunks", doc_id) == len(segment.chunk_rows(doc_id))
            assert rows_of(store, "sentences", doc_id) == len(segment.sentence_rows(doc_id))
        assert store._state().pending is None
        count, length, df = scratch_stats([changed, added] + docs[:5] + docs[6:], corpus, segment)
        stored = store.stored_stats()
        assert (stored.num_docs, stored.total_length, stored.df) == (count, length, dict(df))
    finally:
        store.close()


def test_lite_file_serves_one_process(store):
    """A second process cannot open a Milvus Lite file in use: it gets StoreUnavailable, not a hang or a crash."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from app.index.milvus import MilvusStore\n"
        "from app.index.storage import StoreUnavailable\n"
        "from app.settings import Settings\n"
        "settings = Settings(_env_file=None, index_dir=Path('unused'), store='milvus', milvus_uri=sys.argv[1])\n"
        "try:\n"
        "    MilvusStore(settings).version()\n"
        "except StoreUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
    )
    child = subprocess.run(
        [PYTHON, "-c", code, store.target], cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert "unavailable:" in child.stdout and "one process per file" in child.stdout
    assert store.version() == "1"  # the owner is not disturbed


def test_unreachable_server_raises_store_unavailable(tmp_path):
    """A closed port raises StoreUnavailable within the timeout and a second."""
    store = MilvusStore(store_settings(tmp_path, milvus_uri=f"http://127.0.0.1:{free_port()}", milvus_timeout=1.0))
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.version()
    assert time.monotonic() - started < 2.0


def test_silent_server_raises_store_unavailable(tmp_path):
    """A server that accepts connections but never answers raises StoreUnavailable within the timeout and a second."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        uri = f"http://127.0.0.1:{silent.getsockname()[1]}"
        store = MilvusStore(store_settings(tmp_path, milvus_uri=uri, milvus_timeout=1.0))
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.reader()
        assert time.monotonic() - started < 2.0


def test_url_round_trip(store, corpus, use_encoder):
    """A document fetched from the web keeps its URL in Milvus: in the documents, the catalog and what is read."""
    source = corpus.documents["002_5cfd33afcd421555/0"]
    url = "https://mid.gov.kz/ru/news/12345?lang=ru&page=1"
    web = replace(source, doc_id="mid.gov.kz/ru/news/12345", url=url, sha="web")
    segment = build(use_encoder, [web], corpus, reuse={web.doc_id: source.doc_id})
    with store.lock():
        store.commit(segment)
    assert store.documents()[web.doc_id].url == url
    assert store.catalog().documents[web.doc_id].url == url
    snapshot = store.reader(question(use_encoder, corpus, "border", Filters(doc_ids=(web.doc_id,))))
    assert snapshot.documents[web.doc_id].url == url
    assert store.documents()[source.doc_id].url is None


def test_an_epoch_created_without_the_url_field_still_takes_writes(tmp_path, corpus, use_encoder, monkeypatch):
    """Collections made before documents had a URL (Milvus Lite cannot add a field) are written and read without
    it: an upload keeps working, its URL is not kept until a rebuild creates the field."""
    from pymilvus import MilvusClient

    make_schema = MilvusClient.create_schema

    def schema_without_url(*args, **kwargs):
        schema = make_schema(*args, **kwargs)
        add = schema.add_field
        schema.add_field = lambda name, *a, **k: schema if name == "url" else add(name, *a, **k)
        return schema

    settings = store_settings(tmp_path)
    old = MilvusStore(settings)
    with monkeypatch.context() as patch:
        patch.setattr(MilvusClient, "create_schema", staticmethod(schema_without_url))
        with old.lock():
            old.commit(corpus)
    fields = {f["name"] for f in old._call("describe_collection", old._names(old._state()).documents)["fields"]}
    old.close()
    assert "url" not in fields and "origin" in fields

    store = MilvusStore(settings)  # a new process's store: nothing cached about the collections
    try:
        source = corpus.documents["002_5cfd33afcd421555/0"]
        web = replace(source, doc_id="web/page", url="https://example.org/page", sha="web")
        with store.lock():
            store.commit(build(use_encoder, [web], corpus, reuse={web.doc_id: source.doc_id}))
        kept = store.documents()["web/page"]
        assert kept.url is None and kept.text == web.text and kept.title == web.title
        assert set(store.catalog().documents) == set(corpus.documents) | {"web/page"}
    finally:
        store.close()
