"""Span decoding: valid spans only, length cap, exact characters, best across windows, null when it wins."""

from __future__ import annotations

import numpy as np

from app.neural.decode import best_answer, best_in_window, decode_spans

CONTEXT = "Пётр I ввёл ёлку в 1700 году."
# window layout: <s> q q </s> </s> [tokens of CONTEXT] </s>
OFFSETS = [None, None, None, None, None, (0, 4), (5, 6), (7, 11), (12, 16), (17, 18), (19, 23), (24, 28), (28, 29),
           None]


def logits(start_at: dict[int, float], end_at: dict[int, float], n: int = len(OFFSETS)):
    s, e = np.full(n, -5.0), np.full(n, -5.0)
    for i, v in start_at.items():
        s[i] = v
    for i, v in end_at.items():
        e[i] = v
    return s, e


def test_best_span_maps_to_exact_characters():
    """The best start/end pair becomes the exact substring of the original context."""
    s, e = logits({10: 4.0}, {11: 3.0})
    spans = decode_spans([s], [e], [OFFSETS], [0], [CONTEXT])
    assert len(spans) == 1
    sp = spans[0]
    assert (sp.start_token, sp.end_token) == (10, 11)
    assert sp.text == CONTEXT[sp.start:sp.end] == "1700 году"
    assert sp.score == 7.0 and sp.null_score == -10.0


def test_start_not_after_end_and_only_context_tokens():
    """A high end before the start, and high logits on question/special tokens, are never chosen."""
    s, e = logits({8: 5.0, 1: 50.0}, {6: 9.0, 9: 1.0, 2: 50.0, 13: 50.0})
    score, i, j = best_in_window(s, e, OFFSETS, 30)
    assert i <= j and OFFSETS[i] is not None and OFFSETS[j] is not None
    assert (i, j) == (8, 9)


def test_length_cap_in_tokens():
    """Spans longer than max_answer_tokens are excluded."""
    s, e = logits({5: 5.0, 10: 1.0}, {12: 5.0})
    assert best_in_window(s, e, OFFSETS, 30)[1:] == (5, 12)
    assert best_in_window(s, e, OFFSETS, 3)[1:] == (10, 12)
    assert best_in_window(s, e, [None] * len(OFFSETS), 30) is None


def test_best_across_windows_and_passages_and_null():
    """Best span over windows and passages; a passage's null score is its lowest window null score."""
    other = "Nothing relevant here."
    other_offsets = [None, None, None, None, None, (0, 7), (8, 16), (17, 21), (21, 22), None]
    s1, e1 = logits({10: 2.0, 0: 1.0}, {10: 2.0, 0: 1.0})  # passage 0, window 0: "1700"
    s2, e2 = logits({8: 3.0, 0: -4.0}, {8: 3.5, 0: -4.0})  # passage 0, window 1: "ёлку", lower null
    s3, e3 = logits({5: 1.0, 0: 6.0}, {6: 1.0, 0: 6.0}, n=len(other_offsets))  # passage 1: null wins
    spans = decode_spans([s1, s2, s3], [e1, e2, e3], [OFFSETS, OFFSETS, other_offsets], [0, 0, 1],
                         [CONTEXT, other])
    assert [sp.passage for sp in spans] == [0, 1]
    assert spans[0].text == "ёлку" and spans[0].window == 1 and spans[0].null_score == -8.0
    assert spans[1].text == "Nothing relevant" and spans[1].null_score == 12.0 > spans[1].score
    assert best_answer(spans) is spans[0]
    assert best_answer(spans[1:]) is None  # null chosen when the null score wins
    assert best_answer([]) is None


def test_empty_spans_and_padding_are_ignored():
    """Tokens with an empty character span (a bare metaspace) and padded logits are never span boundaries."""
    offsets = [None, None, None, (0, 4), (5, 5), (5, 9), None]
    s = np.array([0, 0, 0, 1.5, 9.0, 1.0, 0, 99.0, 99.0])  # two padding positions at the end
    e = np.array([0, 0, 0, 1.0, 9.0, 2.0, 0, 99.0, 99.0])
    score, i, j = best_in_window(s, e, offsets, 30)
    assert (i, j) == (3, 5) and score == 3.5


def test_end_slack_runs_on_to_a_nearly_as_likely_later_end():
    """With slack, the span keeps its start and ends at the farthest end whose logit is within the slack of the
    best end; without it, or when the later end is weaker than that, the reader's own end stays."""
    s, e = logits({7: 4.0}, {8: 3.0, 11: 2.6, 12: 1.0})
    assert best_in_window(s, e, OFFSETS, 30)[1:] == (7, 8)
    assert best_in_window(s, e, OFFSETS, 30, end_slack=0.5) == (6.6, 7, 11)
    assert best_in_window(s, e, OFFSETS, 30, end_slack=0.3)[1:] == (7, 8)
    assert best_in_window(s, e, OFFSETS, 4, end_slack=0.5)[1:] == (7, 8)  # the length cap still holds
    spans = decode_spans([s], [e], [OFFSETS], [0], [CONTEXT], end_slack=0.5)
    assert spans[0].text == "ввёл ёлку в 1700 году"


def test_parts_get_the_best_span_starting_inside_them_and_their_own_windows_null():
    """With parts, each part of a passage gets the best span whose start lies in it (its end may run on), with the
    lowest null score of the windows that reach it; a part no window reaches gets nothing."""
    first_half = [o if o is None or o[1] <= 11 else None for o in OFFSETS]  # window 0 holds "Пётр I ввёл"
    second_half = [o if o is None or o[0] >= 12 else None for o in OFFSETS]  # window 1 holds "ёлку в 1700 году."
    s0, e0 = logits({5: 2.0, 0: 1.0}, {7: 2.0, 0: 3.0})  # "Пётр I ввёл", null 4
    s1, e1 = logits({10: 5.0, 8: 1.0, 0: -1.0}, {11: 4.0, 8: 1.0, 0: -1.0})  # "1700 году", null -2
    parts = [(0, 0, 11), (0, 12, 19), (0, 0, len(CONTEXT)), (0, 30, 40)]
    spans = decode_spans([s0, s1], [e0, e1], [first_half, second_half], [0, 0], [CONTEXT], parts=parts)
    by_part = {sp.passage: sp for sp in spans}
    assert set(by_part) == {0, 1, 2}, "the part past the text's end is reached by no window"
    assert by_part[0].text == "Пётр I ввёл" and by_part[0].null_score == 4.0
    assert by_part[1].text == "ёлку в 1700 году" and by_part[1].start == 12, "starts in its part, ends past it"
    assert by_part[1].null_score == -2.0
    assert by_part[2].text == "1700 году" and by_part[2].null_score == -2.0
    assert [sp.passage for sp in spans] == [2, 1, 0]  # best first
    whole = decode_spans([s0, s1], [e0, e1], [first_half, second_half], [0, 0], [CONTEXT])
    assert [(sp.start, sp.end, sp.score, sp.null_score) for sp in whole] == [
        (by_part[2].start, by_part[2].end, by_part[2].score, by_part[2].null_score)
    ], "one part covering the passage is the passage"
