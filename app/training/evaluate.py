"""The reader alone on gold paragraphs of a SQuAD-format file: SQuAD EM/F1 with unicode-aware normalisation.

Metrics returned (percentages, like the official SQuAD script):
  - `has_ans_exact` / `has_ans_f1`: questions with a gold answer, the reader FORCED to answer (best span; the
    gold paragraph is given). Comparable to SQuAD v1.1 / XQuAD / MLQA numbers; training selects on this F1.
  - `exact` / `f1`: all questions, answering "" when the null score beats the best span (SQuAD v2 style), so
    the null head's calibration shows here; `null_rate` is how often the null won.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.evaluation.metrics import exact_match, token_f1
from app.neural.decode import decode_spans
from app.training.data import Example, load_squad

if TYPE_CHECKING:
    from app.neural.model import SpanReader
    from app.neural.tokenizer import E5Tokenizer, Window


def best_over_golds(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) against the best-matching gold answer (the service's own SQuAD metrics); no gold = correct only if
    the prediction is empty."""
    if not golds:
        return float(prediction == ""), float(prediction == "")
    return exact_match(prediction, list(golds)), token_f1(prediction, list(golds))


def evaluate_examples(
    model: SpanReader,
    tokenizer: E5Tokenizer,
    examples: Sequence[Example],
    batch_size: int = 32,
    null_threshold: float = 0.0,
    bf16: bool = False,
) -> dict[str, Any]:
    """Score the reader on each example's own paragraph (see the module docstring for the metrics)."""
    cfg = model.config
    t0 = time.monotonic()
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
    sums: dict[str, float] = collections.defaultdict(float)
    has_ans = nulls = 0
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
        forced = spans[0].text if spans else ""
        null_wins = not spans or spans[0].null_score - spans[0].score > null_threshold
        nulls += null_wins
        em, f1 = best_over_golds("" if null_wins else forced, ex.answers)
        sums["exact"] += em
        sums["f1"] += f1
        if ex.answers:
            has_ans += 1
            em, f1 = best_over_golds(forced, ex.answers)
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
        "windows": len(windows),
        "seconds": round(time.monotonic() - t0, 1),
    }


def evaluate_file(
    model: SpanReader,
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
) -> dict[str, Any]:
    """Load a saved reader and score it on a file; what `python -m app eval --squad FILE --reading` calls.
    `precision`: fp32 (default), bf16 or auto (see `precision.use_bf16`)."""
    import torch

    from app.neural.model import SpanReader
    from app.neural.precision import use_bf16
    from app.neural.tokenizer import get_tokenizer

    torch.set_num_threads(max(1, threads))
    result = evaluate_file(SpanReader.load(weights), get_tokenizer(), squad, limit, batch_size, use_bf16(precision))
    result["precision"] = "bf16" if use_bf16(precision) else "fp32"
    return result
