"""The encoder protocol every dense backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Encoder(Protocol):
    """Turns text into L2-normalised float32 vectors; queries and passages may be embedded differently."""

    spec: str  # the setting that selects it, e.g. "e5-small"
    model: str  # the model it runs, recorded in the index manifest
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray:
        """Embed document passages: shape ``(len(texts), dim)``."""
        ...

    def query(self, text: str) -> np.ndarray:
        """Embed one question: shape ``(dim,)``."""
        ...

    def queries(self, texts: list[str]) -> np.ndarray:
        """Embed several questions in one call: shape ``(len(texts), dim)``."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation as float32 (cosine = inner product)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
