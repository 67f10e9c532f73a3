"""An encoder whose every call runs on the inference thread (see ``app.encoders.inference``)."""

from __future__ import annotations

import numpy as np

from app.encoders.base import Encoder
from app.encoders.factory import create_encoder
from app.encoders.inference import InferenceQueue

# Passages reach the model thread a few at a time: a question arriving meanwhile waits for one slice (~70 ms on 2
# cores), not for a whole upload (~300 ms for a 4-chunk document's 17 texts), and goes first between slices.
PASSAGE_SLICE = 4


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
    def create(
        cls, spec: str, threads: int, queue: InferenceQueue | None = None, runtime: str = "auto"
    ) -> QueuedEncoder:
        """The encoder for ``spec``, built on the inference thread: engines that keep per-thread state (OpenMP
        settings, thread teams) must be set up on the thread that will run them."""
        queue = queue or InferenceQueue()
        return cls(queue.call(create_encoder, spec, threads, runtime), queue)

    def passages(self, texts: list[str]) -> np.ndarray:
        if hasattr(self, "batch_size") or len(texts) <= PASSAGE_SLICE:  # a process pool runs beside the thread
            return self.queue.call(self.inner.passages, texts)
        return np.concatenate(
            [
                self.queue.call(self.inner.passages, texts[at : at + PASSAGE_SLICE])
                for at in range(0, len(texts), PASSAGE_SLICE)
            ]
        )

    def query(self, text: str) -> np.ndarray:
        return self.queue.embed_question(self.inner, text)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.queue.call(self.inner.queries, texts)
