"""Span decoding from start/end logits: pure numpy, shared by evaluation and serving.

Score of a span = start_logit[i] + end_logit[j] (raw logits, comparable across windows and passages as in the
SQuAD reference decoders); null score = start_logit[0] + end_logit[0] of a window. A passage's null score is the
MINIMUM over its windows: one window that sees the answer is enough to say the passage holds one.

The reader marks subword pieces, so a span's characters are widened to whole words (`word_span`) before anyone sees
them: "Двухдневн" becomes "Двухдневный", and a trailing comma or a lone bracket is left out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Offsets = Sequence[tuple[int, int] | None]

# Characters that join two word characters into one word: hyphens ("Нур-Султан"), apostrophes ("O'zbekiston",
# "Government’s"; ʻ and ʼ are letters already), the soft hyphen.
_JOINERS = frozenset("-\u2010\u2011'\u2019\u2018`\u00ad")
# Between two digits only: decimal and thousands separators ("1,5", "3.14", "5\u00a0000").
_DIGIT_JOINERS = frozenset(".,\u00a0\u202f\u2009")
_NUMBER_SUFFIXES = frozenset("%\u2030")  # "15%" is one quantity
_OPEN_TO_CLOSE = {"(": ")", "[": "]", "{": "}", "«": "»", "„": "“", "“": "”", "‹": "›"}
_CLOSE_TO_OPEN = {")": "(", "]": "[", "}": "{", "»": "«", "”": "“", "›": "‹"}  # "“" closes "„": see _pairs
# Punctuation left out at either end of an answer (brackets and quotes are handled by pairing instead).
_EDGE_PUNCTUATION = frozenset(".,;:!?…·•*/\\'\u2019\u2018`\u00ad")
# A final full stop is kept after these (lower-cased) abbreviations and after a single capital (an initial).
_ABBREVIATIONS = frozenset(
    "г гг пос ул им др тыс млн млрд руб долл обл р-н ст т.д т.п etc inc ltd co corp jr sr dr mr mrs ms st".split()
)
_BRACKET_REACH = 80  # characters searched beyond a span for the partner of a bracket it opens or closes


def _word(ch: str) -> bool:
    """A letter, digit, underscore or combining mark (a stress accent in Russian text is part of its word)."""
    return ch.isalnum() or ch == "_" or unicodedata.category(ch) in ("Mn", "Mc", "Me")


def _joined(text: str, i: int) -> bool:
    """Whether position ``i`` (between ``text[i-1]`` and ``text[i]``) lies inside a word."""
    if i <= 0 or i >= len(text):
        return False
    a, b = text[i - 1], text[i]
    if _word(a) and _word(b):
        return True
    if b in _NUMBER_SUFFIXES:
        return a.isdigit()
    if b in _JOINERS or b in _DIGIT_JOINERS:  # a|-b: the joiner belongs to the word when a word follows it
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if b in _JOINERS:
            return _word(a) and bool(nxt) and _word(nxt)
        return a.isdigit() and nxt.isdigit()
    if a in _JOINERS or a in _DIGIT_JOINERS:  # a-|b: the same, seen from the right of the joiner
        prev = text[i - 2] if i >= 2 else ""
        if a in _JOINERS:
            return _word(b) and bool(prev) and _word(prev)
        return b.isdigit() and prev.isdigit()
    return False


def _pairs(text: str, start: int, end: int) -> tuple[dict[int, int], list[int]]:
    """Brackets and quotes of ``text[start:end]``: matched opener -> closer positions, and unmatched positions.

    Straight double quotes pair up in order; "“" closes a "„" when one is open, else opens."""
    stack: list[int] = []
    matched: dict[int, int] = {}
    unmatched: list[int] = []
    for i in range(start, end):
        ch = text[i]
        top = text[stack[-1]] if stack else ""
        if ch == '"':
            if top == '"':
                matched[stack.pop()] = i
            else:
                stack.append(i)
        elif ch == "“" and top == "„":
            matched[stack.pop()] = i
        elif ch in _OPEN_TO_CLOSE:
            stack.append(i)
        elif ch in _CLOSE_TO_OPEN:
            if top == _CLOSE_TO_OPEN[ch]:
                matched[stack.pop()] = i
            else:
                unmatched.append(i)
    return matched, sorted(unmatched + stack)


def _keeps_full_stop(text: str, start: int, end: int) -> bool:
    """Whether ``text[end-1]`` is the full stop of an abbreviation or an initial that ends the span."""
    if end - start < 2 or text[end - 1] != ".":
        return False
    begin = end - 1
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin : end - 1]
    return word.lower().rstrip(".") in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop spaces and punctuation at both ends, and brackets or quotes whose partner is not in the span."""
    while start < end:
        matched, unmatched = _pairs(text, start, end)
        first, last = text[start], text[end - 1]
        if matched.get(start) == end - 1:  # "(ЮНОДК)", "«Боровое»": the pair only wraps the answer
            start, end = start + 1, end - 1
        elif first.isspace() or first in _EDGE_PUNCTUATION or start in unmatched or _dash(first):
            start += 1
        elif _keeps_full_stop(text, start, end):
            break
        elif last.isspace() or last in _EDGE_PUNCTUATION or end - 1 in unmatched or _dash(last):
            end -= 1
        else:
            break
    return start, end


def _dash(ch: str) -> bool:
    return unicodedata.category(ch) == "Pd"


def _balance(text: str, start: int, end: int) -> tuple[int, int]:
    """Reach a bracket's partner just outside the span ("Управление ООН (ЮНОДК" -> "... (ЮНОДК)"), else cut the
    span before a bracket it opens and never closes (or after one it closes and never opened)."""
    for _ in range(8):  # each round settles one bracket; nested leftovers are rare and bounded
        _, unmatched = _pairs(text, start, end)
        if not unmatched:
            break
        i = unmatched[0]
        ch = text[i]
        if ch in _CLOSE_TO_OPEN:
            reach = text[max(0, start - _BRACKET_REACH) : start]
            j = reach.rfind(_CLOSE_TO_OPEN[ch])
            if j >= 0 and "\n" not in reach[j:]:
                start = start - len(reach) + j
            else:
                start = i + 1
        else:
            partner = '"' if ch == '"' else _OPEN_TO_CLOSE[ch]
            reach = text[end : end + _BRACKET_REACH]
            j = reach.find(partner)
            if j >= 0 and "\n" not in reach[:j]:
                end = end + j + 1
            else:
                end = i
        start, end = _trim(text, *_snap(text, start, end))
    return start, end


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    while _joined(text, start):
        start -= 1
    while _joined(text, end):
        end += 1
    return start, end


def word_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` widened to whole words and trimmed of the punctuation around it, in any script.

    Subword pieces become their words ("Двухдневн" -> "Двухдневный", "Султан" -> "Нур-Султан"); spaces, commas,
    full stops (bar an abbreviation's), dashes and unpaired brackets or quotes at either end are dropped; a bracket
    opened inside is closed. A span of punctuation only is returned widened but untrimmed, never empty."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    start, end = _snap(text, start, end)
    trimmed = _balance(text, *_trim(text, start, end))
    return trimmed if trimmed[0] < trimmed[1] else (start, end)


@dataclass(frozen=True)
class DecodedSpan:
    """Best span of one passage (or part); `text == context[start:end]` exactly."""

    passage: int  # the passage's index, or the part's where parts were given
    start: int  # character offsets into the passage's ORIGINAL text
    end: int
    text: str
    score: float
    null_score: float
    window: int  # index of the window it was read in
    start_token: int
    end_token: int


def best_in_window(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: Offsets,
    max_answer_tokens: int = 30,
    end_slack: float = 0.0,
    starts: tuple[int, int] | None = None,
) -> tuple[float, int, int] | None:
    """(score, start_token, end_token) of the best span with start <= end < start + max_answer_tokens over context
    tokens with a non-empty character span; None when the window has no such token.

    With ``end_slack`` > 0 the span runs on to the farthest end whose end logit is within ``end_slack`` of the best
    one's, from the same start: a clause the reader nearly ends at its close rather than after its first words.
    The score is then that longer span's own. With ``starts`` = (first, last) characters, only spans starting at a
    token inside them are considered."""
    n = min(len(offsets), len(start_logits), len(end_logits))
    valid = np.fromiter(((o is not None and o[0] < o[1]) for o in offsets[:n]), dtype=bool, count=n)
    may_start = valid
    if starts is not None:
        first, last = starts
        may_start = valid & np.fromiter(((o is not None and first <= o[0] < last) for o in offsets[:n]), bool, n)
    if not may_start.any() or max_answer_tokens < 1:
        return None
    s = np.where(may_start, np.asarray(start_logits[:n], dtype=np.float64), -np.inf)
    e = np.where(valid, np.asarray(end_logits[:n], dtype=np.float64), -np.inf)
    best = (-np.inf, -1, -1)
    # diagonal k = end - start: one vector op per allowed length instead of an n x n matrix
    for k in range(min(max_answer_tokens, n)):
        scores = s[: n - k] + e[k:]
        i = int(np.argmax(scores))
        if scores[i] > best[0]:
            best = (float(scores[i]), i, i + k)
    if best[1] < 0 or not np.isfinite(best[0]):
        return None
    score, i, j = best
    if end_slack > 0:
        reach = e[j : min(n, i + max_answer_tokens)]
        j += int(np.flatnonzero(reach >= e[j] - end_slack)[-1])
        score = float(s[i] + e[j])
    return score, i, j


def decode_spans(
    start_logits: Sequence[np.ndarray],
    end_logits: Sequence[np.ndarray],
    offsets: Sequence[Offsets],
    passage_of_window: Sequence[int],
    contexts: Sequence[str],
    max_answer_tokens: int = 30,
    end_slack: float = 0.0,
    parts: Sequence[tuple[int, int, int]] | None = None,
) -> list[DecodedSpan]:
    """The best span of every passage that has one, best first. Window w covers passage passage_of_window[w];
    its logits may include padding beyond len(offsets[w]), which is ignored. ``end_slack``: see best_in_window.

    With ``parts`` = [(passage, first, last) characters], the best span starting in each part instead (it may end
    past the part), its ``passage`` the part's index: a passage read once answers for several overlapping pieces of
    it, each read with the whole passage around it. A part's null score is the lowest of the windows reaching it."""
    if parts is None:
        parts = [(p, 0, len(contexts[p])) for p in range(len(contexts))]
    null: dict[int, float] = {}
    best: dict[int, tuple[float, int, int, int]] = {}
    for w, p in enumerate(passage_of_window):
        s_log, e_log = start_logits[w], end_logits[w]
        null_w = float(s_log[0] + e_log[0])
        for k, (passage, first, last) in enumerate(parts):
            if passage != p or not _covers(offsets[w], first, last):
                continue
            null[k] = min(null.get(k, np.inf), null_w)
            found = best_in_window(s_log, e_log, offsets[w], max_answer_tokens, end_slack, (first, last))
            if found is not None and (k not in best or found[0] > best[k][0]):
                best[k] = (found[0], w, found[1], found[2])
    spans = []
    for k, (score, w, i, j) in best.items():
        first_token, last_token = offsets[w][i], offsets[w][j]
        assert first_token is not None and last_token is not None  # best_in_window only picks context tokens
        text = contexts[parts[k][0]]
        start, end = word_span(text, first_token[0], last_token[1])
        spans.append(DecodedSpan(k, start, end, text[start:end], score, null[k], w, i, j))
    spans.sort(key=lambda sp: (-sp.score, sp.passage))
    return spans


def _covers(offsets: Offsets, first: int, last: int) -> bool:
    """Whether a window's context tokens reach into characters first..last."""
    return any(o is not None and o[0] < last and o[1] > first for o in offsets)


# The null answer wins when null_score - score exceeds the threshold of the passage's language. Russian and English
# keep 0, the decision the reader was trained with. Kazakh passages make the null head fire on many answerable
# paragraphs (39% of KazQAD's selection part at 0), so Kazakh has its own threshold, the one that maximises
# null-aware F1 on the selection part of KazQAD's dev half, read with as many paragraphs of other articles as
# questions (answer "no answer" there) so that it cannot win by never abstaining: the `fitted` threshold of
# `python -m app reader evaluate-language --squad eval/kazqad/kazqad-kk-dev-select.json --runtime openvino
# --precision auto` for the shipped weights on the served path (OpenVINO, bf16 here: null-aware F1 with foreign
# paragraphs 68.3; 22% of the answerable questions and 94% of the foreign paragraphs get no answer). Refit it with
# the weights. It was fitted on Kazakh questions only: a Russian or English question read against a Kazakh passage
# keeps 0, or any Kazakh text near the topic would answer it (in a corpus of the seed and the regional documents,
# "Where is the Eiffel Tower located?" got "Шымкент" from a Kazakh report, its margin lifted by the threshold).
NULL_THRESHOLDS: dict[str, float] = {"kk": 2.074}


def null_threshold(passage: str | None, question: str | None) -> float:
    """The no-answer threshold for a question in language ``question`` read against a passage in ``passage``
    (ISO 639-1): the passage language's own where the question is in it too, else 0."""
    return NULL_THRESHOLDS.get(passage or "", 0.0) if passage == question else 0.0


def best_answer(spans: Sequence[DecodedSpan], null_threshold: float = 0.0) -> DecodedSpan | None:
    """The best span overall, or None when the null answer wins (null_score - score > null_threshold) on the
    passage the best span came from."""
    if not spans:
        return None
    top = spans[0]
    return None if top.null_score - top.score > null_threshold else top
