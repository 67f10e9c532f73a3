"""Tests for the removal of language directions from embeddings."""

import numpy as np

from app.index.projection import LanguageProjection


def _corpus(rng, offset, n=20, dim=16):
    """Unit vectors of random meaning shifted by a per-language offset."""
    meaning = rng.normal(size=(n, dim))
    vectors = meaning + offset
    return meaning, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_projection_removes_a_language_offset():
    """After projection, cross-language pairs of equal meaning are as close as same-language ones."""
    rng = np.random.default_rng(0)
    offset = np.zeros(16)
    offset[0] = 3.0
    meaning_en, en = _corpus(rng, offset)
    ru = meaning_en - offset
    ru /= np.linalg.norm(ru, axis=1, keepdims=True)
    vectors = np.vstack([en, ru]).astype(np.float32)
    langs = np.array(["en"] * 20 + ["ru"] * 20, dtype=object)
    projection = LanguageProjection.fit(vectors, langs)
    assert projection.directions == 1
    projected = projection.apply(vectors)
    np.testing.assert_allclose(np.linalg.norm(projected, axis=1), 1.0, rtol=1e-5)
    # Each English vector's nearest neighbour among the Russian ones is its own translation.
    nearest = np.argmax(projected[:20] @ projected[20:].T, axis=1)
    assert (nearest == np.arange(20)).mean() >= 0.9
    raw_gap = (vectors[:20] @ vectors[:20].T).mean() - (vectors[:20] @ vectors[20:].T).mean()
    new_gap = (projected[:20] @ projected[:20].T).mean() - (projected[:20] @ projected[20:].T).mean()
    assert raw_gap > 0.5 and abs(new_gap) < 0.1


def test_one_language_is_left_alone():
    """A single-language corpus (or a language with too few chunks) gets the identity."""
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(10, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    langs = np.array(["en"] * 9 + ["ru"], dtype=object)
    projection = LanguageProjection.fit(vectors, langs)
    assert projection.directions == 0
    np.testing.assert_array_equal(projection.apply(vectors), vectors)


def test_projection_round_trips_through_disk(tmp_path):
    """The basis saved beside the index is the one loaded; a missing file means identity."""
    basis = np.eye(4, dtype=np.float32)[:1]
    LanguageProjection(basis).save(tmp_path / "projection.npy")
    loaded = LanguageProjection.load(tmp_path / "projection.npy", 4)
    np.testing.assert_array_equal(loaded.basis, basis)
    assert LanguageProjection.load(tmp_path / "missing.npy", 4).directions == 0
    assert LanguageProjection(basis).apply(np.array([1.0, 1.0, 0.0, 0.0])).tolist() == [0.0, 1.0, 0.0, 0.0]


def test_cosines_equal_projecting_then_multiplying():
    """cosines() gives apply(vectors) @ query without materialising the projected rows."""
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(30, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    langs = np.array(["en"] * 15 + ["ru"] * 15, dtype=object)
    vectors[15:, 0] += 1.0
    projection = LanguageProjection.fit(vectors, langs)
    query = projection.apply(rng.normal(size=16).astype(np.float32))
    np.testing.assert_allclose(projection.cosines(vectors, query), projection.apply(vectors) @ query, atol=1e-5)
    identity = LanguageProjection(np.zeros((0, 16), dtype=np.float32))
    np.testing.assert_allclose(identity.cosines(vectors, query), vectors @ query, atol=1e-6)
