"""Calibrated answer confidence: a logistic model over retrieval and extraction signals.

Coefficients are fitted per encoder on a development set (``python -m app calibrate``) and shipped in
``calibration.json``; the cosine scale differs between encoders, so one set does not fit all.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

FEATURES = ("cosine", "overlap", "passage", "lexical", "typed", "cross")
READER_FEATURES = ("cosine", "overlap", "passage", "lexical", "cross", "span", "margin")
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
# Used for encoders without fitted coefficients: rises with cosine and word overlap (and the reader's margin).
_FALLBACK = {"weights": [6.0, 3.0, 2.0, 1.0, 0.5, 0.0], "bias": -6.0, "threshold": 0.5}
_READER_FALLBACK = {"weights": [6.0, 3.0, 2.0, 1.0, 0.0, 0.0, 0.5], "bias": -6.0, "threshold": 0.5}
READER_SUFFIX = "+reader"  # calibration entry of an encoder with the neural reader: "e5-small+reader"
# Languages the span reader's answers are measured in (TyDi GoldP Russian and English dev, KazQAD's Kazakh part).
MEASURED_LANGUAGES = frozenset({"ru", "en", "kk"})


def cross_language(passage: str | None, question: str | None) -> float:
    """The ``cross`` signal of both confidence models: 1 for an answer read from a passage in another language
    than the question's, where the passage's language is one the readers are measured in; else 0.

    Across languages the same-language signals (word overlap, BM25) are 0, and the fitted model makes up for it
    with the weight of ``cross``. That allowance was fitted on Russian and English answers; read from Kyrgyz or
    Uzbek text, whose reading nothing measures, it let Russian and English questions the corpus cannot answer be
    answered from any regional report near the topic ("Сколько минут нужно варить яйцо всмятку?" got "беш" from a
    Kyrgyz one). Such answers must stand on their cosine, passage score and the reader's margin alone."""
    return 1.0 if passage != question and passage in MEASURED_LANGUAGES else 0.0


@dataclass(frozen=True)
class Signals:
    """What the extractor knows about a candidate answer."""

    cosine: float  # question-sentence cosine
    overlap: float  # idf-weighted share of the question's terms found in the sentence (same language only)
    passage: float  # fused score of the passage
    lexical: float  # normalised BM25 of the passage (same language only)
    typed: float  # 1 if the question wants a typed answer and a span of that type was found
    cross: float = 0.0  # 1 if the answer's language differs from the question's

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in FEATURES]


@dataclass(frozen=True)
class ReaderSignals:
    """What the neural extractor knows about a candidate answer: the sentence's retrieval signals and the
    reader's span and no-answer scores."""

    cosine: float
    overlap: float
    passage: float
    lexical: float
    cross: float
    span: float  # the reader's start + end logit of the span
    margin: float  # span score minus the sentence's no-answer score: > 0 when the reader thinks it answers

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in READER_FEATURES]


class Calibrator:
    """Maps signals to a probability that the answer is right."""

    def __init__(self, weights: list[float], bias: float, threshold: float = 0.5):
        self.weights = weights
        self.bias = bias
        self.threshold = threshold  # below it the service abstains

    @classmethod
    def for_encoder(cls, spec: str, path: Path = CALIBRATION_FILE) -> Calibrator:
        """The coefficients fitted for ``spec`` (an encoder, or an encoder + READER_SUFFIX)."""
        table = json.loads(path.read_text()) if path.exists() else {}
        entry = table.get(spec, _READER_FALLBACK if spec.endswith(READER_SUFFIX) else _FALLBACK)
        return cls(entry["weights"], entry["bias"], entry.get("threshold", 0.5))

    def __call__(self, signals: Signals | ReaderSignals) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, signals.vector()))
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def save_calibration(
    spec: str, weights: list[float], bias: float, threshold: float, extra: dict, path: Path = CALIBRATION_FILE
) -> None:
    """Store fitted coefficients for one encoder, keeping the others."""
    table = json.loads(path.read_text()) if path.exists() else {}
    table[spec] = {
        "weights": [round(w, 4) for w in weights],
        "bias": round(bias, 4),
        "threshold": round(threshold, 4),
        **extra,
    }
    path.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
