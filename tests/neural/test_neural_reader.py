"""NeuralReader.read: one forward pass over all windows; odd input returns [] or spans, never raises."""

from __future__ import annotations

import pytest

from app.neural.reader import NeuralReader, Span

pytestmark = pytest.mark.slow

CONTEXTS = [
    "Государственный Эрмитаж находится в Санкт‑Петербурге. Музей основан в 1764 году Екатериной II.",
    "",
    "Mount Elbrus rises 5,642 metres above sea level in the Caucasus.\r\n\r\nIt is the highest mountain in Europe.",
    "Ёлка\u00a0— «символ» Нового года 🎄, её ставят 31 декабря. " * 20,
]


@pytest.fixture(scope="module")
def reader(span_reader, tokenizer) -> NeuralReader:
    return NeuralReader(span_reader, tokenizer)


def _check(spans: list[Span], contexts) -> None:
    for sp in spans:
        assert isinstance(sp, Span)
        assert sp.text == contexts[sp.context][sp.start:sp.end] and sp.text.strip()
        assert isinstance(sp.score, float) and isinstance(sp.null_score, float)
    assert [sp.score for sp in spans] == sorted((sp.score for sp in spans), reverse=True)
    assert len({sp.context for sp in spans}) == len(spans)


def test_read_several_contexts(reader):
    """One span per non-empty context, exact substrings, best first; the empty context is skipped."""
    spans = reader.read("Когда основан Эрмитаж?", CONTEXTS)
    _check(spans, CONTEXTS)
    assert {sp.context for sp in spans} == {0, 2, 3}


def test_parts_read_a_text_once_for_each_piece_of_it(reader):
    """Parts give the best span starting inside each piece of a context: a piece holding the date gets the date,
    one without it a span of its own; parts covering whole contexts read as the contexts do."""
    text = CONTEXTS[0] + " " + CONTEXTS[2]
    split = len(CONTEXTS[0]) + 1
    parts = [(0, 0, len(CONTEXTS[0])), (0, split, len(text)), (0, 0, len(text))]
    spans = reader.read("Когда основан Эрмитаж?", [text], 0.0, parts)
    by_part = {sp.context: sp for sp in spans}
    assert set(by_part) == {0, 1, 2}
    for k, sp in by_part.items():
        _, first, last = parts[k]
        assert first <= sp.start < last and sp.text == text[sp.start : sp.end]
    assert "1764" in by_part[0].text and "1764" in by_part[2].text and "1764" not in by_part[1].text
    assert by_part[1].score < by_part[0].score == by_part[2].score
    whole = [(i, 0, len(c)) for i, c in enumerate(CONTEXTS)]
    assert [(s.context, s.start, s.end) for s in reader.read("Когда основан Эрмитаж?", CONTEXTS, 0.0, whole)] == [
        (s.context, s.start, s.end) for s in reader.read("Когда основан Эрмитаж?", CONTEXTS)
    ]


@pytest.mark.parametrize("question, contexts", [
    ("Когда основан Эрмитаж?", [""]),
    ("Когда основан Эрмитаж?", []),
    ("Когда основан Эрмитаж?", ["   \r\n\t "]),
    ("Когда основан Эрмитаж?", None),
    ("!!! ???", CONTEXTS),
    ("", CONTEXTS),
    ("12345 ?", CONTEXTS),
])
def test_unreadable_input_gives_no_spans(reader, question, contexts):
    """No usable context, or a question without letters, gives []."""
    assert reader.read(question, contexts) == []


def test_odd_input_never_raises(reader):
    """A 5,000-character question, non-string contexts, lone surrogates and a huge context still work."""
    long_question = ("Почему " + "очень " * 900 + "длинный вопрос?")[:5000]
    assert len(long_question) == 5000
    _check(reader.read(long_question, CONTEXTS), CONTEXTS)
    odd = [None, 42, "Broken \ud800 surrogate text about Paris.", "x" * 20000]
    spans = reader.read("What about Paris?", odd)  # type: ignore[list-item]
    assert {sp.context for sp in spans} <= {2, 3}
    _check(spans, ["", "", odd[2], odd[3]])
    huge = ["Слово " * 5000]
    _check(reader.read("Какое слово?", huge), huge)


def test_load_from_file_bf16_and_evaluate(span_reader, tiny_squad, tmp_path):
    """A saved reader loads through NeuralReader.load (bf16 path too) and scores a SQuAD file as a dict."""
    from app.training.evaluate import evaluate_weights

    path = span_reader.save(tmp_path / "reader.safetensors")
    reader = NeuralReader.load(path, threads=1, precision="bf16")
    assert reader.bf16
    _check(reader.read("Когда основан Эрмитаж?", CONTEXTS), CONTEXTS)
    result = evaluate_weights(path, tiny_squad, limit=8)
    assert result["n"] == result["has_ans_n"] == 8 and result["precision"] == "fp32"
    assert 0 <= result["has_ans_f1"] <= 100 and 0 <= result["f1"] <= 100 and 0 <= result["null_rate"] <= 1
