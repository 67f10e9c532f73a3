"""The reader alone on gold paragraphs of a SQuAD-format file: SQuAD EM/F1 with unicode-aware normalisation.

Metrics returned (percentages, like the official SQuAD script):
  - `has_ans_exact` / `has_ans_f1`: questions with a gold answer, the reader FORCED to answer (best span; the
    gold paragraph is given). Comparable to SQuAD v1.1 / XQuAD / MLQA numbers; training selects on this F1.
  - `exact` / `f1`: all questions, answering "" when the null score beats the best span (SQuAD v2 style), so
    the null head's calibration shows here; `null_rate` is how often the null won.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.evaluation.metrics import exact_match, token_f1
from app.neural.decode import decode_spans
from app.training.data import Example, load_squad

if TYPE_CHECKING:
    from app.neural.config import WindowScorer
    from app.neural.tokenizer import E5Tokenizer, Window


def best_over_golds(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) against the best-matching gold answer (the service's own SQuAD metrics); no gold = correct only if
    the prediction is empty."""
    if not golds:
        return float(prediction == ""), float(prediction == "")
    return exact_match(prediction, list(golds)), token_f1(prediction, list(golds))


@dataclass(frozen=True)
class Reading:
    """What the reader made of one example's paragraph: its best span (forced answer) and the scores that decide
    whether it answers at all (`null_score - score > threshold`: "no answer")."""

    text: str
    score: float
    null_score: float

    def answers(self, null_threshold: float = 0.0) -> bool:
        return self.text != "" and self.null_score - self.score <= null_threshold


def read_examples(
    model: WindowScorer,
    tokenizer: E5Tokenizer,
    examples: Sequence[Example],
    batch_size: int = 32,
    bf16: bool = False,
) -> list[Reading]:
    """The reader on each example's own paragraph, in one batched pass over all windows."""
    cfg = model.config
    contexts = sorted({ex.context for ex in examples})
    ctx_enc = dict(zip(contexts, tokenizer.encode_batch(contexts)))
    q_ids = [
        e.ids[: cfg.max_question_tokens]
        for e in tokenizer.encode_batch([cfg.question_prefix + ex.question for ex in examples])
    ]
    windows: list[Window] = []
    owner: list[int] = []  # window -> example
    for n, ex in enumerate(examples):
        for window in tokenizer.windows(q_ids[n], ctx_enc[ex.context], cfg.max_length, cfg.stride):
            windows.append(window)
            owner.append(n)
    logits = model.window_logits(windows, tokenizer.pad, batch_size, bf16=bf16)

    by_example: dict[int, list[int]] = collections.defaultdict(list)
    for w, n in enumerate(owner):
        by_example[n].append(w)
    readings = []
    for n, ex in enumerate(examples):
        ws = by_example.get(n, [])
        spans = decode_spans(
            [logits[w][0] for w in ws],
            [logits[w][1] for w in ws],
            [windows[w].offsets for w in ws],
            [0] * len(ws),
            [ex.context],
            cfg.max_answer_tokens,
        )
        top = spans[0] if spans else None
        readings.append(Reading(top.text, top.score, top.null_score) if top else Reading("", 0.0, 0.0))
    return readings


def score_readings(
    examples: Sequence[Example], readings: Sequence[Reading], null_threshold: float = 0.0
) -> dict[str, Any]:
    """The module docstring's metrics of `readings` (one per example) with the null answer decided at
    `null_threshold`."""
    sums: dict[str, float] = collections.defaultdict(float)
    has_ans = nulls = 0
    for ex, reading in zip(examples, readings):
        answers = reading.answers(null_threshold)
        nulls += not answers
        em, f1 = best_over_golds(reading.text if answers else "", ex.answers)
        sums["exact"] += em
        sums["f1"] += f1
        if ex.answers:
            has_ans += 1
            em, f1 = best_over_golds(reading.text, ex.answers)
            sums["has_ans_exact"] += em
            sums["has_ans_f1"] += f1
    total = max(1, len(examples))
    return {
        "n": len(examples),
        "has_ans_n": has_ans,
        "exact": 100 * sums["exact"] / total,
        "f1": 100 * sums["f1"] / total,
        "has_ans_exact": 100 * sums["has_ans_exact"] / max(1, has_ans),
        "has_ans_f1": 100 * sums["has_ans_f1"] / max(1, has_ans),
        "null_rate": nulls / total,
    }


def evaluate_examples(
    model: WindowScorer,
    tokenizer: E5Tokenizer,
    examples: Sequence[Example],
    batch_size: int = 32,
    null_threshold: float = 0.0,
    bf16: bool = False,
) -> dict[str, Any]:
    """Score the reader on each example's own paragraph (see the module docstring for the metrics)."""
    t0 = time.monotonic()
    readings = read_examples(model, tokenizer, examples, batch_size, bf16)
    result = score_readings(examples, readings, null_threshold)
    result["seconds"] = round(time.monotonic() - t0, 1)
    return result


def evaluate_file(
    model: WindowScorer,
    tokenizer: E5Tokenizer,
    squad: str | Path,
    limit: int | None = None,
    batch_size: int = 32,
    bf16: bool = False,
) -> dict[str, Any]:
    """`evaluate_examples` on the first `limit` questions of a SQuAD-format file (plain or .gz)."""
    result = evaluate_examples(model, tokenizer, load_squad(squad, limit), batch_size, bf16=bf16)
    result["file"] = str(squad)
    return result


def evaluate_weights(
    weights: str | Path,
    squad: str | Path,
    limit: int | None = None,
    threads: int = 1,
    batch_size: int = 32,
    precision: str = "fp32",
    runtime: str = "torch",
) -> dict[str, Any]:
    """Load a saved reader on `runtime` (torch, openvino or auto) and score it on a file; what `python -m app
    eval --squad FILE --reading` calls. `precision`: fp32 (default), bf16 or auto (see `precision.use_bf16`)."""
    from app.neural.reader import NeuralReader

    reader = NeuralReader.load(weights, threads, precision=precision, runtime=runtime)
    result = evaluate_file(reader.model, reader.tokenizer, squad, limit, batch_size, reader.bf16)
    result["precision"] = "bf16" if reader.bf16 else "fp32"
    result["runtime"] = reader.runtime
    return result


def fit_null_threshold(
    examples: Sequence[Example], readings: Sequence[Reading], negatives: Sequence[Reading]
) -> tuple[float, float]:
    """(threshold, score): the no-answer threshold maximising null-aware F1 summed over `examples` (answerable,
    read on their own paragraphs) and `negatives` (unanswerable readings: right only when the null wins). Ties go
    to the threshold nearest 0, the decision the reader was trained with."""
    margins = sorted({r.null_score - r.score for r in [*readings, *negatives]} | {0.0})
    forced = [best_over_golds(r.text, ex.answers)[1] for ex, r in zip(examples, readings)]
    silent = [best_over_golds("", ex.answers)[1] for ex in examples]
    # a threshold at each observed margin (the null wins strictly above it) covers every distinct decision
    best = (-math.inf, 0.0)
    for t in margins:
        right = sum(f if r.answers(t) else s for f, s, r in zip(forced, silent, readings))
        right += sum(not r.answers(t) for r in negatives)
        total = 100 * right / max(1, len(readings) + len(negatives))
        if total > best[0] + 1e-9 or (abs(total - best[0]) <= 1e-9 and abs(t) < abs(best[1])):
            best = (total, t)
    return best[1], best[0]


def evaluate_language(
    weights: str | Path,
    squad: str | Path,
    lang: str,
    limit: int | None = None,
    threads: int = 1,
    batch_size: int = 32,
    precision: str = "fp32",
    seed: int = 13,
    runtime: str = "torch",
) -> dict[str, Any]:
    """A saved reader on the gold paragraphs of a SQuAD-format file in one language (KazQAD for Kazakh), with the
    null answer decided at 0 (`at_zero`) and at the language's shipped threshold (`shipped`, from
    `app.neural.decode.NULL_THRESHOLDS`); each also says how often the null wins on paragraphs of other articles
    (`foreign_null_rate`, where it should). `fitted` is the threshold this file itself would choose
    (`fit_null_threshold`): fit it on a selection file, never on the file that reports the result."""
    from app.neural.decode import null_threshold
    from app.neural.reader import NeuralReader
    from app.training.data import foreign_negatives

    reader = NeuralReader.load(weights, threads, precision=precision, runtime=runtime)
    model, tokenizer, bf16 = reader.model, reader.tokenizer, reader.bf16
    t0 = time.monotonic()
    examples = load_squad(squad, limit)
    negatives = foreign_negatives(examples, seed)
    readings = read_examples(model, tokenizer, [*examples, *negatives], batch_size, bf16)
    positive, negative = readings[: len(examples)], readings[len(examples) :]

    def at(threshold: float) -> dict[str, Any]:
        result = score_readings(examples, positive, threshold)
        result["null_threshold"] = threshold
        result["foreign_null_rate"] = sum(not r.answers(threshold) for r in negative) / max(1, len(negative))
        return result

    fitted, score = fit_null_threshold(examples, positive, negative)
    return {
        "file": str(squad),
        "lang": lang,
        "at_zero": at(0.0),
        "shipped": at(null_threshold(lang, lang)),
        "fitted": {"null_threshold": round(fitted, 4), "null_aware_f1_with_foreign": score},
        "precision": "bf16" if bf16 else "fp32",
        "runtime": reader.runtime,
        "seconds": round(time.monotonic() - t0, 1),
    }
