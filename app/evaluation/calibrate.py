"""Fits the confidence model and abstention threshold on development questions (never the evaluation set)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.answer.confidence import Calibrator
from app.evaluation.gold import GoldQuestion
from app.evaluation.metrics import contains
from app.pipeline import Pipeline


class MissingScikitLearn(ImportError):
    """Calibration needs the ``calibrate`` extra."""


@dataclass(frozen=True)
class Fit:
    """A fitted confidence model and how well its threshold decides on the questions it was fitted on."""

    calibrator: Calibrator
    questions: int
    right_top_answers: int
    examples: int
    accuracy: float  # share of questions where answering/abstaining at the threshold is the right call


def examples(pipeline: Pipeline, questions: list[GoldQuestion]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signals of every candidate answer, whether it is right, and whether it was the top answer."""
    features, labels, top = [], [], []
    for q in questions:
        # Every candidate answer is a training example (confidence is shown for each); the threshold is
        # then chosen on the top answers alone, which are the ones the service answers or withholds.
        for rank, answer in enumerate(pipeline.ask(q.question, top_k=5, min_confidence=0.0).answers):
            right = q.answerable and answer.doc_id == q.doc_id and contains(answer.sentence, q.answers)
            features.append(answer.signals)
            labels.append(int(right))
            top.append(rank == 0)
    return np.array(features), np.array(labels), np.array(top, dtype=bool)


def fit(pipeline: Pipeline, questions: list[GoldQuestion]) -> Fit:
    """A new calibrator for the pipeline's encoder: logistic regression over the answers' signals."""
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler
    except ImportError as exc:
        raise MissingScikitLearn("calibrate needs scikit-learn: pip install 'border-qa[calibrate]'") from exc
    x, y, top = examples(pipeline, questions)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(x), y)
    # Fold the standardisation into plain weights over raw signals.
    weights = model.coef_[0] / scaler.scale_
    bias = float(model.intercept_[0] - (model.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    probability = model.predict_proba(scaler.transform(x[top]))[:, 1]
    right = y[top]
    # The threshold that makes the most right decisions (answer when right, abstain when not).
    candidates = np.unique(np.round(probability, 3))
    accuracy = [float(((probability >= t) == right).mean()) for t in candidates]
    best = int(np.argmax(accuracy))
    return Fit(
        calibrator=Calibrator([float(w) for w in weights], bias, float(candidates[best])),
        questions=int(len(right)),
        right_top_answers=int(right.sum()),
        examples=int(len(x)),
        accuracy=accuracy[best],
    )
