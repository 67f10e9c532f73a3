"""Groups consecutive sentences into overlapping chunks."""

from __future__ import annotations


def chunk_sentences(
    spans: list[tuple[int, int]], max_sentences: int = 4, overlap: int = 1, max_chars: int = 900
) -> list[tuple[int, int]]:
    """Return ``[first, last)`` sentence-index ranges; a chunk holds at least one sentence."""
    if not spans:
        return []
    overlap = min(overlap, max_sentences - 1)
    ranges: list[tuple[int, int]] = []
    first = 0
    while True:
        last = first + 1
        while last < len(spans) and last - first < max_sentences and spans[last][1] - spans[first][0] <= max_chars:
            last += 1
        ranges.append((first, last))
        if last >= len(spans):
            return ranges
        first = max(last - overlap, first + 1)
        # Share only the sentences that fit with the next new one, or the next chunk would repeat part of this one.
        while first < last and spans[last][1] - spans[first][0] > max_chars:
            first += 1
