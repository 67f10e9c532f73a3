"""Split, chunk, tag entities and embed documents on a Ray cluster (Ray Data), for ``Pipeline.ingest_folder``.

Reading files and comparing hashes stay with the caller, which hands over only new or changed documents;
each Ray actor loads the encoder once and computes the same ``Parts`` as ``Indexer.parts`` does in process.
Needs the ``ray`` extra; the cluster's nodes need this package installed.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
from collections.abc import Callable

import numpy as np

from app.ingest.indexer import Indexer, Parts
from app.models import Document
from app.settings import Settings

Embedder = Callable[[list[Document]], dict[str, Parts]]
BLOCKS_PER_WORKER = 4  # several batches per actor, so that a long document does not leave the others idle


class DocumentParts:
    """The Ray Data stage: one encoder per actor, documents in, their pickled ``Parts`` out."""

    def __init__(self, settings: Settings):
        from app.encoders.factory import create_encoder

        # One actor per CPU Ray hands out: the encoder gets one thread.
        self.indexer = Indexer(create_encoder(settings.encoder, 1, settings.encoder_runtime), settings)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        docs: list[Document] = [pickle.loads(blob) for blob in batch["document"]]
        parts = self.indexer.parts(docs)
        # Parts hold arrays of different shapes per document: they travel pickled, one binary value per row.
        return {
            "doc_id": np.array([d.doc_id for d in docs], dtype=object),
            "parts": np.array([pickle.dumps(parts[d.doc_id], protocol=5) for d in docs], dtype=object),
        }


def connect_ray(address: str | None, workers: int) -> bool:
    """Attach to the Ray cluster at ``address`` (or ``RAY_ADDRESS``; "auto": the one ``ray start`` started), else
    start a local instance; True if this call did either."""
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        ray.init(address=address, logging_level=logging.WARNING)
    else:
        # "local": a new instance even if `ray start` left one running. It needs a CPU for every actor, even on a
        # machine with fewer cores.
        ray.init(
            address="local",
            num_cpus=max(workers, os.cpu_count() or 1),
            include_dashboard=False,
            logging_level=logging.WARNING,
        )
    return True


def ray_embedder(settings: Settings, address: str | None = None, workers: int = 1) -> Embedder:
    """A function that computes documents' ``Parts`` on Ray with ``workers`` actors.

    A call with documents starts Ray (or attaches to it at ``address``) and leaves it again at the end, unless Ray
    was already running in this process: nothing is started when no document changed.
    """
    if workers < 1:
        raise ValueError("the Ray stage needs at least one worker")

    def embed(documents: list[Document]) -> dict[str, Parts]:
        if not documents:
            return {}
        import ray

        connected = connect_ray(address, workers)
        try:
            blocks = min(len(documents), workers * BLOCKS_PER_WORKER)
            dataset = ray.data.from_items(
                [{"document": pickle.dumps(d, protocol=5)} for d in documents], override_num_blocks=blocks
            ).map_batches(
                DocumentParts,
                fn_constructor_kwargs={"settings": settings},
                batch_size=math.ceil(len(documents) / blocks),
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
            )
            return {row["doc_id"]: pickle.loads(row["parts"]) for row in dataset.iter_rows()}
        finally:
            if connected:
                ray.shutdown()

    return embed
