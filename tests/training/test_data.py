"""Features: answer tokens map back to the answer, windows without it and negatives are null, determinism."""

from __future__ import annotations

import gzip
import json

import numpy as np

from app.training.data import batch_indices, build_features, collate, epoch_order, iterate_batches, load_squad, read_json

from tests.neural.conftest import PARAGRAPHS, squad_dict


def test_load_plain_and_gzip(tmp_path, tiny_squad):
    """Plain and gzipped SQuAD files load to the same 16 examples, articles numbered from the offset."""
    gz = tmp_path / "tiny.json.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        json.dump(read_json(tiny_squad), f, ensure_ascii=False)
    plain, packed = load_squad(tiny_squad), load_squad(gz, article_offset=100)
    assert len(plain) == len(packed) == 16
    assert [e.qid for e in plain] == [e.qid for e in packed]
    assert {e.article for e in packed} == {100, 101}
    assert all(e.context[e.answer_starts[0]:].startswith(e.answers[0]) for e in plain)
    assert len(load_squad(tiny_squad, limit=5)) == 5


def test_answer_positions_map_to_answer_text(tokenizer, tiny_squad):
    """For every window holding the answer, the target tokens' characters are exactly the answer."""
    examples = load_squad(tiny_squad)
    features = build_features(examples, tokenizer, max_length=48, stride=16, negatives_ratio=0.0)
    enc = {c: tokenizer.encode(c) for c in {e.context for e in examples}}
    positives = 0
    for f in features:
        ex = examples[f.example]
        assert len(f.input_ids) <= 48 and f.start <= f.end
        if f.start == 0:
            continue
        positives += 1
        assert f.context_start <= f.start
        offsets = enc[ex.context].offsets
        # the window's context tokens are the context's tokens, so find this window's first context token
        window_ctx = list(f.input_ids[f.context_start:-1])
        ctx_ids = enc[ex.context].ids
        begin = next(b for b in range(len(ctx_ids)) if ctx_ids[b:b + len(window_ctx)] == window_ctx)
        s = offsets[begin + f.start - f.context_start][0]
        e = offsets[begin + f.end - f.context_start][1]
        assert ex.context[s:e] == ex.answers[0]
    assert positives >= 16  # every question has a window that contains its answer
    assert any(f.start == 0 for f in features)  # and short windows leave some answerless: null targets


def test_negatives_are_neighbours_without_the_answer(tokenizer, tiny_squad):
    """Negatives pair a question with another paragraph of its article lacking the answer, target null."""
    examples = load_squad(tiny_squad)
    features = build_features(examples, tokenizer, max_length=192, stride=64, negatives_ratio=0.5, seed=3)
    negatives = [f for f in features if f.negative]
    assert len(negatives) == 8
    contexts = {tuple(tokenizer.encode(e.context).ids): e.context for e in examples}
    for f in negatives:
        ex = examples[f.example]
        assert (f.start, f.end) == (0, 0)
        paired = contexts[tuple(f.input_ids[f.context_start:-1])]
        assert paired != ex.context and ex.answers[0] not in paired
        assert any(o.context == paired and o.article == ex.article for o in examples)
    again = build_features(examples, tokenizer, max_length=192, stride=64, negatives_ratio=0.5, seed=3)
    assert [(f.example, f.input_ids.tobytes()) for f in again if f.negative] == \
        [(f.example, f.input_ids.tobytes()) for f in negatives]


def test_deterministic_order_and_dynamic_padding(tokenizer, tiny_squad):
    """Batches depend only on (seed, step); a batch is padded to its own longest feature."""
    features = build_features(load_squad(tiny_squad), tokenizer, max_length=64, stride=16)
    n = len(features)
    assert sorted(epoch_order(n, 7, 0)) == list(range(n))
    assert not np.array_equal(epoch_order(n, 7, 0), epoch_order(n, 7, 1))
    steps = [s for s, _ in zip(iterate_batches(features, 4, 7), range(10))]
    resumed = [s for s, _ in zip(iterate_batches(features, 4, 7, start_step=6), range(4))]
    assert [s for s, _ in resumed] == [6, 7, 8, 9]
    for (_, b1), (_, b2) in zip(steps[6:], resumed):
        assert [id(f) for f in b1] == [id(f) for f in b2]
    assert np.array_equal(batch_indices(n, 4, 7, 3), epoch_order(n, 7, 0)[12:16])
    batch = [f for f in features if len(f.input_ids) < 64][:3]
    tensors = collate(batch, tokenizer.pad)
    longest = max(len(f.input_ids) for f in batch)
    assert longest < 64 and tensors["input_ids"].shape == (3, longest)
    assert int(tensors["attention_mask"].sum()) == sum(len(f.input_ids) for f in batch)
    for r, f in enumerate(batch):
        allowed = tensors["answer_mask"][r].nonzero().flatten().tolist()
        assert allowed == [0, *range(f.context_start, len(f.input_ids) - 1)]


def test_unanswerable_questions_are_null(tokenizer, tmp_path):
    """SQuAD v2 questions without answers give null targets only."""
    data = squad_dict(PARAGRAPHS[:1])
    data["data"][0]["paragraphs"][0]["qas"].append({"id": "x", "question": "Who?", "answers": [],
                                                    "is_impossible": True})
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data, ensure_ascii=False))
    examples = load_squad(path)
    features = build_features(examples, tokenizer, max_length=192, stride=64)
    assert [(f.start, f.end) for f in features if examples[f.example].qid == "x"] == [(0, 0)]
