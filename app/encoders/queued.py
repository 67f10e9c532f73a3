"""An encoder whose every call runs on the inference thread (see ``app.inference``)."""

from __future__ import annotations

import numpy as np

from app.encoders.base import Encoder
from app.encoders.factory import create_encoder
from app.inference import InferenceQueue


class QueuedEncoder:
    """Wraps an encoder created on the inference thread; questions are queued (and batched), passages too."""

    def __init__(self, inner: Encoder, queue: InferenceQueue):
        self.inner = inner
        self.queue = queue
        self.spec, self.model, self.dim = inner.spec, inner.model, inner.dim
        size = getattr(inner, "batch_size", None)
        if size is not None:  # a process pool asks the indexer for larger blocks
            self.batch_size: int = size

    @classmethod
    def create(cls, spec: str, threads: int, queue: InferenceQueue | None = None) -> QueuedEncoder:
        """The encoder for ``spec``, built on the inference thread: engines that keep per-thread state (OpenMP
        settings, thread teams) must be set up on the thread that will run them."""
        queue = queue or InferenceQueue()
        return cls(queue.call(create_encoder, spec, threads), queue)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.queue.call(self.inner.passages, texts)

    def query(self, text: str) -> np.ndarray:
        return self.queue.embed_question(self.inner, text)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.queue.call(self.inner.queries, texts)
