"""Blends dense and lexical scores so that both same-language and cross-language questions work."""

from __future__ import annotations

import numpy as np


def blend(
    dense: np.ndarray, lexical: np.ndarray, langs: np.ndarray, dense_weight: float, lexical_absolute: float
) -> np.ndarray:
    """Weighted sum of cosine and BM25 (upper-bound normalised), where BM25 mostly ranks within a language.

    A question's words only occur in documents of its own language, so raw BM25 lifts every same-language
    chunk that shares a generic word ("border", "conference") above the other-language chunk that answers.
    BM25 therefore enters mostly as the gap to the best chunk of the same language (it orders a
    language's chunks, and each language's best competes on meaning), plus a small absolute share
    (``lexical_absolute``) so a strong exact match still counts across languages. README "How it works" has
    the gold-set figures with and without it.
    """
    relative = np.zeros_like(lexical)
    for lang in np.unique(langs):
        group = langs == lang
        relative[group] = lexical[group] - lexical[group].max()
    lexical_part = lexical_absolute * lexical + (1.0 - lexical_absolute) * relative
    return dense_weight * dense + (1.0 - dense_weight) * lexical_part


def dense_score(chunk_cosine: np.ndarray, best_sentence_cosine: np.ndarray) -> np.ndarray:
    """Mean of the whole-chunk and best-sentence cosines: a chunk that answers in one sentence is not
    diluted by its neighbours, and one that matches as a whole still counts."""
    return 0.5 * (chunk_cosine + best_sentence_cosine)
