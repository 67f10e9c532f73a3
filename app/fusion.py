"""Blends dense and lexical scores so that both same-language and cross-language questions work."""

from __future__ import annotations

import numpy as np


def blend(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    """Weighted sum of cosine and upper-bound-normalised BM25.

    Unlike min-max or rank fusion, neither score is stretched per query: when the question's words
    are absent from a document (another language), its BM25 part stays near zero and the dense
    ranking decides; when they match, BM25 adds up to ``1 - dense_weight``.
    """
    return dense_weight * dense + (1.0 - dense_weight) * lexical


def dense_score(chunk_cosine: np.ndarray, best_sentence_cosine: np.ndarray) -> np.ndarray:
    """Mean of the whole-chunk and best-sentence cosines: a chunk that answers in one sentence is not
    diluted by its neighbours, and one that matches as a whole still counts."""
    return 0.5 * (chunk_cosine + best_sentence_cosine)
