"""The span reader's inference paths side by side: the same reads, as `/ask` makes them for the gold questions,
timed on each runtime and precision this machine has (OpenVINO, and torch where the `train` extra is installed)."""

from __future__ import annotations

import statistics
import time
from importlib.util import find_spec
from pathlib import Path

from app.answer.confidence import Calibrator
from app.answer.neural_extractor import NeuralExtractor
from app.evaluation.gold import load_gold
from app.neural.precision import cpu_has_bf16
from app.neural.reader import NeuralReader, Parts
from app.pipeline import Pipeline

Read = tuple[str, list[str], float, Parts | None]  # one reader call: question, contexts, end slack, parts


def recorded_reads(pipeline: Pipeline, gold: Path) -> list[list[Read]]:
    """Per gold question, the reader calls `/ask` makes with the served settings (every sentence read)."""
    s = pipeline.settings
    calls: list[Read] = []

    def record(question: str, contexts: list[str], end_slack: float, parts: Parts | None = None) -> list:
        calls.append((question, contexts, end_slack, parts))
        return []  # no answer: the extractor goes on to read every sentence it would read

    extractor = NeuralExtractor(Calibrator([], 0.0), record, s.reader_sentences, s.reader_window, stop_at=1.0)
    per_question = []
    for item in load_gold(gold):
        calls.clear()
        snap, query = pipeline.query(item.question)
        if snap is not None and query.terms:
            extractor.extract(snap, query, pipeline.retriever.retrieve(snap, query, s.answer_passages))
        if calls:
            per_question.append(list(calls))
    return per_question


def paths() -> list[tuple[str, str]]:
    """(runtime, precision) pairs this machine can run: bf16 where the CPU has it, torch only when installed."""
    precisions = ["bf16", "fp32"] if cpu_has_bf16() else ["fp32"]
    runtimes = ["openvino"] + (["torch"] if find_spec("torch") and find_spec("transformers") else [])
    return [(r, p) for r in runtimes for p in precisions]


# Questions read in one call in the "together" figure: as the inference queue batches them under load.
TOGETHER = 8


def measure(weights: Path, reads: list[list[Read]], runtime: str, precision: str, threads: int) -> dict:
    """Milliseconds per question and per 100 tokens of one path, over every question's reads (after 3 warm-ups),
    each question alone and `TOGETHER` questions in one call."""
    reader = NeuralReader.load(weights, threads, precision=precision, runtime=runtime)
    tokens = [sum(len(w.input_ids) for q, c, *_ in calls for w in reader.windows(q, c)[0]) for calls in reads]
    for calls in reads[:3]:
        for call in calls:
            reader.read(*call)
    seconds = []
    for calls in reads:
        started = time.perf_counter()
        for call in calls:
            reader.read(*call)
        seconds.append(time.perf_counter() - started)
    total_ms = 1000 * sum(seconds)
    groups = [[call for calls in reads[i : i + TOGETHER] for call in calls] for i in range(0, len(reads), TOGETHER)]
    started = time.perf_counter()
    for group in groups:
        reader.read_many(group)
    together_ms = 1000 * (time.perf_counter() - started)
    return {
        "path": reader.path,
        "threads": threads,
        "questions": len(reads),
        "tokens_per_question": round(statistics.mean(tokens), 1),
        "ms_per_question_p50": round(1000 * statistics.median(seconds), 1),
        "ms_per_question_mean": round(total_ms / len(reads), 1),
        "ms_per_100_tokens": round(100 * total_ms / sum(tokens), 2),
        "ms_per_100_tokens_together": round(100 * together_ms / sum(tokens), 2),
    }
