"""Span decoding from start/end logits: pure numpy, shared by evaluation and serving.

Score of a span = start_logit[i] + end_logit[j] (raw logits, comparable across windows and passages as in the
SQuAD reference decoders); null score = start_logit[0] + end_logit[0] of a window. A passage's null score is the
MINIMUM over its windows: one window that sees the answer is enough to say the passage holds one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Offsets = Sequence[tuple[int, int] | None]


@dataclass(frozen=True)
class DecodedSpan:
    """Best span of one passage; `text == context[start:end]` exactly."""

    passage: int
    start: int  # character offsets into the passage's ORIGINAL text
    end: int
    text: str
    score: float
    null_score: float
    window: int  # index of the window it was read in
    start_token: int
    end_token: int


def best_in_window(
    start_logits: np.ndarray, end_logits: np.ndarray, offsets: Offsets, max_answer_tokens: int = 30
) -> tuple[float, int, int] | None:
    """(score, start_token, end_token) of the best span with start <= end < start + max_answer_tokens over context
    tokens with a non-empty character span; None when the window has no such token."""
    n = min(len(offsets), len(start_logits), len(end_logits))
    valid = np.fromiter(((o is not None and o[0] < o[1]) for o in offsets[:n]), dtype=bool, count=n)
    if not valid.any() or max_answer_tokens < 1:
        return None
    s = np.where(valid, np.asarray(start_logits[:n], dtype=np.float64), -np.inf)
    e = np.where(valid, np.asarray(end_logits[:n], dtype=np.float64), -np.inf)
    best = (-np.inf, -1, -1)
    # diagonal k = end - start: one vector op per allowed length instead of an n x n matrix
    for k in range(min(max_answer_tokens, n)):
        scores = s[: n - k] + e[k:]
        i = int(np.argmax(scores))
        if scores[i] > best[0]:
            best = (float(scores[i]), i, i + k)
    return best if best[1] >= 0 and np.isfinite(best[0]) else None


def decode_spans(
    start_logits: Sequence[np.ndarray],
    end_logits: Sequence[np.ndarray],
    offsets: Sequence[Offsets],
    passage_of_window: Sequence[int],
    contexts: Sequence[str],
    max_answer_tokens: int = 30,
) -> list[DecodedSpan]:
    """The best span of every passage that has one, best first. Window w covers passage passage_of_window[w];
    its logits may include padding beyond len(offsets[w]), which is ignored."""
    null: dict[int, float] = {}
    best: dict[int, tuple[float, int, int, int]] = {}
    for w, p in enumerate(passage_of_window):
        s_log, e_log = start_logits[w], end_logits[w]
        null_w = float(s_log[0] + e_log[0])
        null[p] = min(null.get(p, np.inf), null_w)
        found = best_in_window(s_log, e_log, offsets[w], max_answer_tokens)
        if found is not None and (p not in best or found[0] > best[p][0]):
            best[p] = (found[0], w, found[1], found[2])
    spans = []
    for p, (score, w, i, j) in best.items():
        first, last = offsets[w][i], offsets[w][j]
        assert first is not None and last is not None  # best_in_window only picks context tokens
        start, end = first[0], last[1]
        spans.append(DecodedSpan(p, start, end, contexts[p][start:end], score, null[p], w, i, j))
    spans.sort(key=lambda sp: (-sp.score, sp.passage))
    return spans


def best_answer(spans: Sequence[DecodedSpan], null_threshold: float = 0.0) -> DecodedSpan | None:
    """The best span overall, or None when the null answer wins (null_score - score > null_threshold) on the
    passage the best span came from."""
    if not spans:
        return None
    top = spans[0]
    return None if top.null_score - top.score > null_threshold else top
