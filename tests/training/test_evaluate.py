"""app/training/evaluate.py: the reader's EM/F1 use the service's own unicode-aware SQuAD metrics."""

from __future__ import annotations

import pytest

from app.training.evaluate import best_over_golds


def test_best_gold_and_no_answer():
    """EM/F1 against the best gold; no gold is right only for an empty prediction."""
    assert best_over_golds("Пётр I", ["Петр I", "царь"]) == (1.0, 1.0)
    assert best_over_golds("«Ёлочка» — песня!", ["елочка песня"]) == (1.0, 1.0)
    em, f1 = best_over_golds("около трёх миллионов предметов", ["около трёх миллионов"])
    assert em == 0.0 and f1 == pytest.approx(2 * 0.75 / 1.75)
    assert best_over_golds("", []) == (1.0, 1.0) and best_over_golds("x", []) == (0.0, 0.0)
