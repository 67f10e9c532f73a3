"""app/answer/confidence.py: the calibrated logistic confidence and its per-encoder file."""

from __future__ import annotations

import json

import pytest

from app.answer.confidence import CALIBRATION_FILE, FEATURES, Calibrator, Signals, save_calibration


def signals(**overrides: float) -> Signals:
    values = {"cosine": 0.85, "overlap": 0.5, "passage": 0.7, "lexical": 0.3, "typed": 1.0, "cross": 0.0}
    return Signals(**{**values, **overrides})


def test_confidence_is_a_probability_that_rises_with_evidence():
    """Output is in (0, 1) and grows with cosine and overlap when their weights are positive."""
    calibrator = Calibrator([10.0, 3.0, 2.0, 1.0, 0.5, 0.0], bias=-12.0)
    low, high = calibrator(signals(cosine=0.7, overlap=0.0)), calibrator(signals(cosine=0.9, overlap=0.8))
    assert 0.0 < low < high < 1.0
    assert calibrator(signals(cosine=100.0)) == pytest.approx(1.0)  # clipped, no overflow


def test_shipped_calibration_covers_the_encoders():
    """calibration.json holds a full weight vector and a threshold in (0, 1) for e5-small and use-m3."""
    table = json.loads(CALIBRATION_FILE.read_text())
    for spec in ("e5-small", "use-m3"):
        entry = table[spec]
        assert len(entry["weights"]) == len(FEATURES) and 0.0 < entry["threshold"] < 1.0
        assert Calibrator.for_encoder(spec).threshold == entry["threshold"]


def test_unknown_encoder_gets_the_fallback(tmp_path):
    """An encoder without fitted coefficients still gets a working model and a 0.5 threshold."""
    calibrator = Calibrator.for_encoder("sentence-transformers:some-model", tmp_path / "none.json")
    assert calibrator.threshold == 0.5 and len(calibrator.weights) == len(FEATURES)
    assert 0.0 < calibrator(signals()) < 1.0


def test_save_keeps_other_encoders(tmp_path):
    """Saving one encoder's coefficients leaves the others in the file."""
    path = tmp_path / "calibration.json"
    save_calibration("a", [1.0] * len(FEATURES), -1.0, 0.3, {"questions": 10}, path)
    save_calibration("b", [2.0] * len(FEATURES), -2.0, 0.4, {}, path)
    table = json.loads(path.read_text())
    assert set(table) == {"a", "b"} and table["a"]["threshold"] == 0.3 and table["a"]["questions"] == 10
    assert Calibrator.for_encoder("b", path).bias == -2.0
