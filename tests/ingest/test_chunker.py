"""app/ingest/chunker.py: consecutive sentences grouped into overlapping chunks under sentence and character caps."""

from __future__ import annotations

import pytest

from app.ingest.chunker import chunk_sentences
from app.ingest.reader import read_file
from app.text.sentences import split_sentences
from tests.conftest import SEED_CORPUS, SEED_DOCS


def spans_of(lengths: list[int], gap: int = 1) -> list[tuple[int, int]]:
    """Sentence spans of the given lengths separated by ``gap`` characters."""
    spans, at = [], 0
    for length in lengths:
        spans.append((at, at + length))
        at += length + gap
    return spans


def test_consecutive_chunks_overlap_by_one_sentence():
    """With 4 sentences per chunk and overlap 1, each chunk starts at the last sentence of the previous one."""
    ranges = chunk_sentences(spans_of([10] * 10), max_sentences=4, overlap=1, max_chars=10_000)
    assert ranges == [(0, 4), (3, 7), (6, 10)]


def test_larger_overlap():
    """Overlap 2 shares two sentences between neighbours."""
    ranges = chunk_sentences(spans_of([10] * 8), max_sentences=4, overlap=2, max_chars=10_000)
    assert ranges == [(0, 4), (2, 6), (4, 8)]


def test_no_overlap():
    """Overlap 0 tiles the sentences."""
    assert chunk_sentences(spans_of([10] * 7), max_sentences=3, overlap=0) == [(0, 3), (3, 6), (6, 7)]


def test_overlap_never_stalls():
    """An overlap as large as the chunk still moves forward by at least one sentence."""
    ranges = chunk_sentences(spans_of([10] * 5), max_sentences=2, overlap=5, max_chars=10_000)
    assert ranges == [(0, 2), (1, 3), (2, 4), (3, 5)]


def test_character_cap_limits_chunk():
    """A chunk stops growing before it would exceed max_chars."""
    spans = spans_of([40] * 6)  # 41 characters per sentence with its gap
    ranges = chunk_sentences(spans, max_sentences=10, overlap=0, max_chars=100)
    assert ranges == [(0, 2), (2, 4), (4, 6)]
    for first, last in ranges:
        assert spans[last - 1][1] - spans[first][0] <= 100


def test_single_huge_sentence_is_a_chunk_of_its_own():
    """A sentence over the character cap forms a one-sentence chunk; neighbours are not merged into it."""
    spans = spans_of([50, 2000, 50])
    ranges = chunk_sentences(spans, max_sentences=4, overlap=1, max_chars=900)
    assert (1, 2) in ranges
    assert all(last - first == 1 for first, last in ranges if first <= 1 < last)


def test_every_sentence_is_in_a_chunk_and_order_is_kept():
    """Chunks cover all sentences, in order, each holding at least one."""
    spans = spans_of([30, 300, 5, 700, 80, 80, 80, 1000, 10])
    ranges = chunk_sentences(spans, max_sentences=4, overlap=1, max_chars=900)
    covered = set()
    for (first, last), nxt in zip(ranges, ranges[1:] + [None]):
        assert last > first
        covered.update(range(first, last))
        if nxt:
            assert nxt[0] > first and nxt[1] > last
    assert covered == set(range(len(spans)))
    assert ranges[-1][1] == len(spans)


def test_empty_and_single():
    """No sentences, no chunks; one sentence, one chunk."""
    assert chunk_sentences([]) == []
    assert chunk_sentences([(0, 5)]) == [(0, 1)]


@pytest.mark.parametrize("doc_id", SEED_DOCS)
def test_seed_chunks_respect_caps(doc_id):
    """Seed chunks hold 1-4 sentences, stay under 900 characters unless a single sentence, and overlap by one."""
    text, _, _ = read_file(SEED_CORPUS / doc_id)
    spans = split_sentences(text)
    ranges = chunk_sentences(spans, max_sentences=4, overlap=1, max_chars=900)
    for first, last in ranges:
        assert 1 <= last - first <= 4
        assert last - first == 1 or spans[last - 1][1] - spans[first][0] <= 900
    for (_, last), (first, _) in zip(ranges, ranges[1:]):
        assert first in (last - 1, last)  # one shared sentence unless the char cap forced a clean break
