"""SQuAD-format data -> windowed training features with answer token positions, negatives, and batches.

A feature is one window `<s> question </s></s> context-part </s>`; its target is the (start, end) token of the
answer when the whole answer lies inside the window, else the null target (0, 0). Negatives pair a question with a
neighbouring paragraph of the same article that does not contain its answer, so the reader also learns to say
"not here" about passages the retriever will hand it. Everything is deterministic given the seed.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.neural.tokenizer import E5Tokenizer, Encoding, make_windows


@dataclass(frozen=True)
class Example:
    """One question on one paragraph (`answers` may be empty for unanswerable SQuAD v2 questions)."""

    qid: str
    question: str
    context: str
    answers: tuple[str, ...]
    answer_starts: tuple[int, ...]
    article: int  # article number (for negatives: neighbours are taken from the same article)
    paragraph: int  # index of the paragraph within the article


@dataclass
class Feature:
    """One training window (int32 ids to keep 100k+ features in ~100 MB)."""

    input_ids: np.ndarray
    context_start: int
    start: int
    end: int
    example: int  # index into the example list
    negative: bool = False


def read_json(path: str | Path) -> Any:
    """Plain or gzipped JSON."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def load_squad(path: str | Path, limit: int | None = None, article_offset: int = 0) -> list[Example]:
    """Examples of a SQuAD-format file, in file order (first `limit` questions if given). Articles are numbered
    from `article_offset` so that several files can be concatenated without mixing their articles."""
    data = read_json(path)
    out: list[Example] = []
    for a, article in enumerate(data["data"], start=article_offset):
        for p, para in enumerate(article["paragraphs"]):
            context = para["context"]
            for qa in para["qas"]:
                answers = [x for x in qa.get("answers", []) if x.get("text")]
                out.append(
                    Example(
                        qid=str(qa["id"]),
                        question=qa["question"],
                        context=context,
                        answers=tuple(x["text"] for x in answers),
                        answer_starts=tuple(int(x["answer_start"]) for x in answers),
                        article=a,
                        paragraph=p,
                    )
                )
                if limit is not None and len(out) >= limit:
                    return out
    return out


def answer_tokens(context: Encoding, start_char: int, end_char: int) -> tuple[int, int] | None:
    """First and last context token (indices into `context`) overlapping the character span, or None."""
    first: int | None = None
    last = -1
    for i, (s, e) in enumerate(context.offsets):
        if s >= e:
            continue  # a bare "▁" has no characters
        if e > start_char and s < end_char:
            if first is None:
                first = i
            last = i
        elif s >= end_char:
            break
    return None if first is None else (first, last)


def build_features(
    examples: Sequence[Example],
    tokenizer: E5Tokenizer,
    max_length: int = 192,
    stride: int = 64,
    max_question_tokens: int = 64,
    negatives_ratio: float = 0.0,
    seed: int = 13,
    question_prefix: str = "query: ",
) -> list[Feature]:
    """Windowed features for all examples, plus round(negatives_ratio * len(examples)) negatives."""
    contexts = sorted({ex.context for ex in examples})
    ctx_index = {c: i for i, c in enumerate(contexts)}
    ctx_enc = _encode_chunked(tokenizer, contexts)
    q_ids = [
        e.ids[:max_question_tokens]
        for e in _encode_chunked(tokenizer, [question_prefix + ex.question for ex in examples])
    ]
    bos, eos = tokenizer.bos, tokenizer.eos

    features: list[Feature] = []
    for n, ex in enumerate(examples):
        enc = ctx_enc[ctx_index[ex.context]]
        span = None
        if ex.answers:
            s_char = ex.answer_starts[0]
            span = answer_tokens(enc, s_char, s_char + len(ex.answers[0]))
            if span is None:
                continue  # answer not tokenisable (e.g. whitespace only): skip rather than teach "no answer"
        for w in make_windows(q_ids[n], enc, max_length, stride, bos, eos):
            if span is not None and w.ctx_begin <= span[0] and span[1] < w.ctx_end:
                start, end = span[0] - w.ctx_begin + w.context_start, span[1] - w.ctx_begin + w.context_start
            else:
                start = end = 0
            features.append(Feature(np.asarray(w.input_ids, dtype=np.int32), w.context_start, start, end, n))

    if negatives_ratio > 0:
        features.extend(
            _negatives(examples, q_ids, tokenizer, ctx_enc, ctx_index, max_length, stride, negatives_ratio, seed)
        )
    return features


def _encode_chunked(tokenizer: E5Tokenizer, texts: list[str], chunk: int = 2048) -> list[Encoding]:
    out: list[Encoding] = []
    for i in range(0, len(texts), chunk):
        out.extend(tokenizer.encode_batch(texts[i : i + chunk]))
    return out


def _negatives(
    examples: Sequence[Example],
    q_ids: list[list[int]],
    tokenizer: E5Tokenizer,
    ctx_enc: list[Encoding],
    ctx_index: dict[str, int],
    max_length: int,
    stride: int,
    ratio: float,
    seed: int,
) -> list[Feature]:
    """Questions paired with the previous or next paragraph of their article that lacks every answer text."""
    # paragraphs of each article, by (file-local) article and paragraph index
    paragraphs: dict[int, dict[int, str]] = {}
    for ex in examples:
        paragraphs.setdefault(ex.article, {})[ex.paragraph] = ex.context
    rng = random.Random(f"negatives-{seed}")
    wanted = round(ratio * len(examples))
    order = list(range(len(examples)))
    rng.shuffle(order)
    out: list[Feature] = []
    for n in order:
        if len(out) >= wanted:
            break
        ex = examples[n]
        if not ex.answers:
            continue
        article = paragraphs[ex.article]
        neighbours = [ex.paragraph - 1, ex.paragraph + 1]
        rng.shuffle(neighbours)
        for p in neighbours:
            ctx = article.get(p)
            if ctx is None or ctx == ex.context:
                continue
            low = ctx.casefold()
            if any(a.casefold() in low for a in ex.answers):
                continue  # the answer text is there too: not a clean negative
            windows = make_windows(q_ids[n], ctx_enc[ctx_index[ctx]], max_length, stride, tokenizer.bos, tokenizer.eos)
            if not windows:
                continue
            w = windows[rng.randrange(len(windows))]
            out.append(Feature(np.asarray(w.input_ids, dtype=np.int32), w.context_start, 0, 0, n, negative=True))
            break
    return out


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The feature order of one epoch: a permutation that depends only on (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def batches_per_epoch(n: int, batch_size: int) -> int:
    return max(1, -(-n // batch_size))


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """Feature indices of global step `step` (the data position is the step number, so resuming is exact)."""
    per_epoch = batches_per_epoch(n, batch_size)
    epoch, k = divmod(step, per_epoch)
    return epoch_order(n, seed, epoch)[k * batch_size : (k + 1) * batch_size]


def collate(features: Sequence[Feature], pad_id: int) -> dict[str, Any]:
    """Tensors padded to the longest feature of the batch (dynamic padding)."""
    import torch

    length = max(len(f.input_ids) for f in features)
    ids = np.full((len(features), length), pad_id, dtype=np.int64)
    attention = np.zeros((len(features), length), dtype=bool)
    answer = np.zeros((len(features), length), dtype=bool)
    for r, f in enumerate(features):
        n = len(f.input_ids)
        ids[r, :n] = f.input_ids
        attention[r, :n] = True
        answer[r, 0] = True  # the null answer
        answer[r, f.context_start : n - 1] = True  # context tokens (not the closing </s>)
    return {
        "input_ids": torch.from_numpy(ids),
        "attention_mask": torch.from_numpy(attention.astype(np.int64)),
        "answer_mask": torch.from_numpy(answer),
        "start_positions": torch.tensor([f.start for f in features], dtype=torch.long),
        "end_positions": torch.tensor([f.end for f in features], dtype=torch.long),
    }


def iterate_batches(
    features: Sequence[Feature], batch_size: int, seed: int, start_step: int = 0
) -> Iterator[tuple[int, list[Feature]]]:
    """(step, features) from `start_step` on, forever (epochs follow each other)."""
    step = start_step
    while True:
        yield step, [features[i] for i in batch_indices(len(features), batch_size, seed, step)]
        step += 1


def split_by_article(data: dict[str, Any], train_share: float = 0.6, seed: int = 13) -> tuple[dict, dict]:
    """Two SQuAD-format datasets from one, split by article so that no paragraph (nor article) is on both sides.

    Articles are ordered by a seeded hash of their title (the same split on every machine and Python version) and
    go to the first part until it holds ``train_share`` of the questions; the rest form the second part. Articles
    sharing a title are kept together."""
    import hashlib

    groups: dict[str, list[dict]] = {}
    for article in data["data"]:
        groups.setdefault(str(article.get("title", "")), []).append(article)
    order = sorted(groups, key=lambda t: hashlib.sha256(f"{seed}\n{t}".encode()).hexdigest())
    questions = {t: sum(len(p["qas"]) for a in groups[t] for p in a["paragraphs"]) for t in order}
    wanted = train_share * sum(questions.values())
    first: list[dict] = []
    second: list[dict] = []
    taken = 0
    for title in order:
        if taken < wanted:
            first.extend(groups[title])
            taken += questions[title]
        else:
            second.extend(groups[title])
    return {"version": data.get("version", ""), "data": first}, {"version": data.get("version", ""), "data": second}


def foreign_negatives(examples: Sequence[Example], seed: int = 13) -> list[Example]:
    """One unanswerable copy of each answerable example: its question on a paragraph of another article that holds
    none of its answer texts (chosen by a seeded shuffle), with no answers. For fitting a no-answer threshold on a
    file whose questions all have answers, where never abstaining would otherwise always win."""
    contexts: dict[str, int] = {}
    for ex in examples:
        contexts.setdefault(ex.context, ex.article)
    pool = sorted(contexts)
    rng = random.Random(f"foreign-{seed}")
    out: list[Example] = []
    for ex in examples:
        if not ex.answers:
            continue
        for _ in range(20):  # a few draws find a paragraph of another article without the answer
            ctx = pool[rng.randrange(len(pool))]
            low = ctx.casefold()
            if contexts[ctx] != ex.article and not any(a.casefold() in low for a in ex.answers):
                out.append(Example(ex.qid + "#foreign", ex.question, ctx, (), (), contexts[ctx], -1))
                break
    return out
