"""Evaluation metrics: retrieval (hit@k, MRR), answers (containment, SQuAD EM/F1), abstention, latency."""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter

import numpy as np

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation) | {"«", "»", "“", "”", "„", "‘", "’", "–", "—", "…"}


def normalise_answer(text: str) -> str:
    """SQuAD normalisation made Unicode-aware: case-fold, drop punctuation (any script), articles, extra spaces."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    text = "".join(" " if ch in _PUNCTUATION or unicodedata.category(ch).startswith("P") else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: list[str]) -> float:
    return float(any(normalise_answer(prediction) == normalise_answer(g) for g in golds))


def token_f1(prediction: str, golds: list[str]) -> float:
    """Best token-overlap F1 against any gold answer (SQuAD definition)."""
    pred = normalise_answer(prediction).split()
    best = 0.0
    for gold in golds:
        truth = normalise_answer(gold).split()
        common = sum((Counter(pred) & Counter(truth)).values())
        if common:
            precision, recall = common / len(pred), common / len(truth)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains(sentence: str, golds: list[str]) -> float:
    """1 if a gold answer occurs in the returned sentence (after normalisation)."""
    haystack = f" {normalise_answer(sentence)} "
    return float(any(f" {normalise_answer(g)} " in haystack for g in golds if normalise_answer(g)))


def first_rank(ranked: list[str], relevant: str, k: int) -> int | None:
    """1-based rank of ``relevant`` among the first ``k`` distinct items, or None."""
    seen: list[str] = []
    for item in ranked:
        if item not in seen:
            seen.append(item)
        if len(seen) > k:
            break
    return seen.index(relevant) + 1 if relevant in seen[:k] else None


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0
