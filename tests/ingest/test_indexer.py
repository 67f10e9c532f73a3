"""app/ingest/indexer.py: documents to a snapshot, embedding only new or changed documents."""

from __future__ import annotations

import numpy as np
import pytest

from app.ingest.indexer import Indexer
from app.ingest.documents import make_document
from app.text.sentences import split_sentences
from tests.conftest import SEED_DOCS

TEXTS = {
    "a.txt": "Border guards met in Osh. They agreed on joint patrols. The meeting lasted two days.",
    "b.txt": "Пограничники провели учения в пос. Боровое. В учениях участвовали 42 офицера.",
    "c.txt": "Customs officers inspected cargo in Tashkent. Three trucks were stopped.",
}
CHANGED_B = "Пограничники провели учения в Оше. В учениях участвовали 57 офицеров. Учения длились три дня."


def documents(**overrides: str):
    texts = {**TEXTS, **overrides}
    return [make_document(doc_id, text, text.split(".")[0]) for doc_id, text in texts.items()]


@pytest.fixture(scope="module")
def first(encoder, seed):
    indexer = Indexer(encoder, seed.settings)
    return indexer.build(documents()), indexer.embedded


def check_consistent(snapshot) -> None:
    """Tables agree with the documents: rows per document contiguous, chunks made of their sentences."""
    docs = list(snapshot.documents.values())
    for row, (doc_index, start, end) in enumerate(snapshot.sentences):
        text = docs[doc_index].text
        assert text[start:end] == text[start:end].strip() and end > start
    for doc_index, start, end, first_sentence, last_sentence in snapshot.chunks:
        rows = snapshot.sentences[first_sentence:last_sentence]
        assert (rows[:, 0] == doc_index).all()
        assert rows[0, 1] == start and rows[-1, 2] == end
    assert np.all(np.diff(snapshot.sentences[:, 0]) >= 0)
    assert len(snapshot.chunk_vectors) == len(snapshot.chunks) == snapshot.dense.index.ntotal
    assert len(snapshot.sentence_vectors) == len(snapshot.sentences)
    np.testing.assert_allclose(np.linalg.norm(snapshot.chunk_vectors, axis=1), 1.0, atol=1e-4)


def test_build_embeds_every_sentence_and_chunk(first, encoder, seed):
    """A fresh build embeds each sentence and each chunk once and records the encoder in the manifest."""
    snapshot, embedded = first
    assert embedded == len(snapshot.sentences) + len(snapshot.chunks)
    assert embedded == Indexer(encoder, seed.settings).count_texts(documents())
    assert len(snapshot.sentences) == sum(len(split_sentences(t)) for t in TEXTS.values())
    manifest = snapshot.manifest
    assert manifest["encoder"] == "e5-small" and manifest["dim"] == encoder.dim
    assert manifest["documents"] == 3 and manifest["dense_index"] == "flat"
    assert manifest["hashes"] == {d.doc_id: d.sha for d in documents()}
    check_consistent(snapshot)


def test_unchanged_documents_are_not_embedded_again(first, encoder, seed):
    """Rebuilding the same documents on top of the previous snapshot embeds nothing and changes nothing."""
    snapshot, _ = first
    indexer = Indexer(encoder, seed.settings)
    again = indexer.build(documents(), previous=snapshot)
    assert indexer.embedded == 0
    np.testing.assert_array_equal(again.chunks, snapshot.chunks)
    np.testing.assert_array_equal(again.chunk_vectors, snapshot.chunk_vectors)


def test_incremental_build_equals_a_build_from_scratch(first, encoder, seed):
    """Changing one document re-embeds only it, and the result matches a full rebuild table for table."""
    snapshot, _ = first
    changed = documents(**{"b.txt": CHANGED_B})
    incremental = Indexer(encoder, seed.settings)
    updated = incremental.build(changed, previous=snapshot)
    scratch = Indexer(encoder, seed.settings).build(changed)
    assert incremental.embedded == Indexer(encoder, seed.settings).count_texts([changed[1]])
    np.testing.assert_array_equal(updated.sentences, scratch.sentences)
    np.testing.assert_array_equal(updated.chunks, scratch.chunks)
    np.testing.assert_allclose(updated.sentence_vectors, scratch.sentence_vectors, atol=2e-3)
    np.testing.assert_allclose(updated.chunk_vectors, scratch.chunk_vectors, atol=2e-3)
    np.testing.assert_array_equal(updated.entities, scratch.entities)
    check_consistent(updated)


def test_removing_a_document_keeps_the_others_aligned(first, encoder, seed):
    """Dropping the middle document shifts the others' rows correctly without re-embedding."""
    snapshot, _ = first
    remaining = [d for d in documents() if d.doc_id != "b.txt"]
    indexer = Indexer(encoder, seed.settings)
    smaller = indexer.build(remaining, previous=snapshot)
    assert indexer.embedded == 0
    assert list(smaller.documents) == ["a.txt", "c.txt"]
    check_consistent(smaller)
    # Every chunk keeps the vector it had, now under its new row.
    for chunk_id in range(len(smaller.chunks)):
        doc = smaller.document_of_chunk(chunk_id)
        old_rows = [c for c in range(len(snapshot.chunks))
                    if snapshot.document_of_chunk(c).doc_id == doc.doc_id
                    and snapshot.chunk_text(c) == smaller.chunk_text(chunk_id)]
        assert len(old_rows) == 1
        np.testing.assert_array_equal(smaller.chunk_vectors[chunk_id], snapshot.chunk_vectors[old_rows[0]])


def test_entities_are_stored_per_sentence(first):
    """Names found at ingest are kept with their sentence: Osh and Tashkent are places, in both languages."""
    snapshot, _ = first
    found = {
        snapshot.sentence_text(row)[a:b]: label
        for row in range(len(snapshot.sentences))
        for label, (a, b) in snapshot.sentence_entities(row)
    }
    assert found.get("Osh") == "LOC" and found.get("Tashkent") == "LOC"
    assert found.get("Боровое") == "LOC"
    rows = snapshot.entities[:, 0]
    assert (np.diff(rows) >= 0).all() and rows.max() < len(snapshot.sentences)


def test_entities_survive_removing_a_document(first, encoder, seed):
    """When a document before it is removed, another document's entities move with its sentences."""
    snapshot, _ = first
    smaller = Indexer(encoder, seed.settings).build([d for d in documents() if d.doc_id != "b.txt"], snapshot)
    names = [smaller.sentence_text(r)[a:b] for r in range(len(smaller.sentences)) for _, (a, b) in smaller.sentence_entities(r)]
    assert "Tashkent" in names and "Osh" in names


def test_snapshot_lookups(first):
    """chunk_text, sentence_text and chunk_rows agree with the documents."""
    snapshot, _ = first
    rows = snapshot.chunk_rows("c.txt")
    assert len(rows) >= 1
    assert all(snapshot.document_of_chunk(int(r)).doc_id == "c.txt" for r in rows)
    assert snapshot.chunk_text(int(rows[0])).startswith("Customs officers inspected cargo in Tashkent.")
    assert snapshot.sentence_text(0) == "Border guards met in Osh."


def test_empty_document_set(encoder, seed):
    """A snapshot of no documents is valid and empty."""
    empty = Indexer(encoder, seed.settings).build([])
    assert len(empty.chunks) == 0 and len(empty.sentences) == 0
    assert empty.dense.index.ntotal == 0 and empty.manifest["documents"] == 0


def test_hnsw_is_used_above_the_threshold(encoder, seed, first):
    """With a threshold below the chunk count the dense index is HNSW."""
    settings = seed.settings.model_copy(update={"hnsw_threshold": 1})
    snapshot = Indexer(encoder, settings).build(documents(), previous=first[0])
    assert snapshot.dense.kind == "hnsw" and snapshot.manifest["dense_index"] == "hnsw"


def test_seed_snapshot_is_consistent(pipeline):
    """The session snapshot of the seed corpus passes the same consistency checks."""
    assert sorted(pipeline.snapshot.documents) == list(SEED_DOCS)
    check_consistent(pipeline.snapshot)


class HashEncoder:
    """A deterministic stand-in encoder (vectors from a hash of the text) for a corpus of thousands of documents."""

    spec, model, dim = "hash", "hash", 16

    def passages(self, texts: list[str]) -> np.ndarray:
        out = np.stack([np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(self.dim) for t in texts]) \
            if texts else np.zeros((0, self.dim))
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32) if len(texts) else out

    def query(self, text: str) -> np.ndarray:
        return self.passages([text])[0]

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.passages(texts)


def test_thousands_of_documents_are_found_by_position_and_row_range(seed):
    """At 3,000 documents every lookup goes through the doc_id map and row ranges, and one change re-embeds one
    document while every other keeps its exact rows, vectors and entities."""
    many = [
        make_document(f"d{i:04d}.txt", f"Report {i} from Osh. Patrol {i} met officers in Bishkek.", f"Report {i}")
        for i in range(3_000)
    ]
    indexer = Indexer(HashEncoder(), seed.settings)
    base = indexer.build(many)
    assert len(base.doc_index) == 3_000 and base.doc_index["d1234.txt"] == 1234
    for doc_id in ("d0000.txt", "d1500.txt", "d2999.txt"):  # ranges equal a full scan of the tables
        i = base.doc_index[doc_id]
        assert list(base.chunk_rows(doc_id)) == list(np.flatnonzero(base.chunks[:, 0] == i))
        assert list(base.sentence_rows(doc_id)) == list(np.flatnonzero(base.sentences[:, 0] == i))
    changed = list(many)
    changed[1500] = make_document("d1500.txt", "Customs officers inspected cargo in Tashkent.", "Changed")
    again = Indexer(HashEncoder(), seed.settings)
    update = again.build(changed, base)
    assert again.embedded == len(update.sentence_rows("d1500.txt")) + len(update.chunk_rows("d1500.txt"))
    for doc_id in ("d0000.txt", "d1499.txt", "d1501.txt", "d2999.txt"):
        old_rows, new_rows = base.sentence_rows(doc_id), update.sentence_rows(doc_id)
        np.testing.assert_array_equal(base.sentences[old_rows, 1:], update.sentences[new_rows, 1:])
        np.testing.assert_array_equal(base.sentence_vectors[old_rows], update.sentence_vectors[new_rows])
        assert [base.sentence_entities(r) for r in old_rows] == [update.sentence_entities(r) for r in new_rows]
        assert any(base.sentence_entities(r) for r in old_rows)  # "Osh", "Bishkek": there is something to keep
    check_consistent(update)
