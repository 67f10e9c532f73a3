"""`python -m app bench --readers`: the reads `/ask` makes for gold questions, timed on an inference path."""

from __future__ import annotations

import json

import pytest

from app.evaluation.bench.readers import measure, paths, recorded_reads
from app.neural import SHIPPED_WEIGHTS

pytestmark = pytest.mark.slow

QUESTIONS = [
    {"id": "b1", "question": "Сколько человек приняли участие в конференции в Боровом?", "lang": "ru", "doc_id": None},
    {"id": "b2", "question": "Who heads the OSCE Centre in Bishkek?", "lang": "en", "doc_id": None},
    {"id": "b3", "question": "???", "lang": "en", "doc_id": None},  # no content word: never read
]


def test_reads_are_recorded_and_timed(pipeline, tmp_path):
    """Each answerable-looking question gives the reader calls of `/ask` (its sentences, with their neighbours);
    a path's row counts their tokens and times them (each question alone, and several read together as under
    load), and OpenVINO in fp32 is always among the paths."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    reads = recorded_reads(pipeline, gold)
    assert len(reads) == 2
    for calls in reads:
        contexts = [c for _, cs, _, _ in calls for c in cs]
        parts = [p for *_, ps in calls for p in ps]  # a sentence's context each, some sharing one text read once
        assert 1 <= len(contexts) <= len(parts) <= pipeline.settings.reader_sentences
        assert all(c.strip() for c in contexts)
    assert ("openvino", "fp32") in paths()
    row = measure(SHIPPED_WEIGHTS, reads, "openvino", "fp32", 1)
    assert row["path"] == "openvino-fp32" and row["questions"] == 2 and row["threads"] == 1
    assert row["tokens_per_question"] > 20 and row["ms_per_question_mean"] > 0 and row["ms_per_100_tokens"] > 0
    assert row["ms_per_100_tokens_together"] > 0


def test_the_bench_says_what_auto_precision_takes_and_why():
    """`bench --readers` reports `auto`'s choice: fp32 without bf16 instructions, else the probe's two times and
    the precision they decide."""
    from app.neural.precision import BF16_SHARE, auto_precision, cpu_has_bf16

    choice = auto_precision()
    if not cpu_has_bf16():
        assert choice == {"auto": "fp32", "why": "the CPU has no bf16 instructions"}
        return
    fp32, bf16 = choice["probe_ms"]["fp32"], choice["probe_ms"]["bf16"]
    assert fp32 > 0 and bf16 > 0
    assert choice["auto"] == ("bf16" if bf16 < BF16_SHARE * fp32 else "fp32")
    assert choice["why"].startswith("probe: ") and "ms in bf16" in choice["why"]
