"""The quality gate on CPUs without native bf16: the reader and the encoder forced to fp32 pass the Makefile's gold
gate."""

from __future__ import annotations

import re
import shlex

import pytest

from app.evaluation.evaluate import InProcessClient, evaluate, failed_thresholds
from app.evaluation.gold import load_gold
from app.pipeline import Pipeline
from tests.conftest import ROOT, make_settings

pytestmark = pytest.mark.slow


def makefile_gate() -> dict[str, float]:
    """The Makefile's GATE options as `failed_thresholds` limits (one source for the thresholds)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(r"^GATE := (.+)$", text, re.M)
    assert match, "the Makefile defines GATE"
    words = shlex.split(match.group(1))
    return {words[i].removeprefix("--").replace("-", "_"): float(words[i + 1]) for i in range(0, len(words), 2)}


def test_the_fp32_reader_passes_the_gold_gate(seed):
    """`RAG_READER_PRECISION=fp32` and e5-small on OpenVINO in fp32 (what `auto` chooses on AVX2-only CPUs) over the
    seed index: every threshold met."""
    from app.encoders.e5_openvino import OpenVINOE5Encoder

    gate = makefile_gate()
    assert {"min_containment", "min_f1", "min_abstention_recall"} <= set(gate)
    encoder = OpenVINOE5Encoder(2, bf16=False)
    assert encoder.model.endswith("OpenVINO fp32)")
    pipeline = Pipeline(make_settings(seed.index, reader="neural", reader_precision="fp32"), encoder=encoder)
    assert pipeline.answerer.reader_path == "openvino-fp32"
    result = evaluate(InProcessClient(pipeline), load_gold(ROOT / "eval" / "gold.jsonl"))
    assert failed_thresholds(result["overall"], gate) == [], result["overall"]
