"""app/evaluation/calibrate.py: the confidence model fitted on development questions, returned as a new object."""

from __future__ import annotations

from app.answer.confidence import READER_FEATURES, Calibrator
from app.evaluation.calibrate import fit
from app.evaluation.gold import load_gold
from tests.conftest import ROOT


def test_fit_returns_a_new_calibrator_and_leaves_the_pipeline_alone(pipeline):
    """Fitting on dev questions gives one weight per signal of the default (neural) reader and a threshold, without
    touching the settings."""
    before = pipeline.settings.model_dump()
    threshold = pipeline.min_confidence
    result = fit(pipeline, load_gold(ROOT / "eval" / "dev.jsonl"))
    assert isinstance(result.calibrator, Calibrator) and len(result.calibrator.weights) == len(READER_FEATURES)
    assert 0.0 <= result.calibrator.threshold <= 1.0
    assert result.questions == 100 and result.examples >= result.questions
    assert 0 < result.right_top_answers < result.questions
    assert result.accuracy > 0.6  # better than always answering or always abstaining on this set
    assert pipeline.settings.model_dump() == before and pipeline.min_confidence == threshold
