"""Picks the storage backend the settings name (``RAG_STORE``): the one place that knows the concrete stores."""

from __future__ import annotations

from app.index.storage import Storage
from app.settings import Settings


def make_store(settings: Settings) -> Storage:
    """The embedded store in ``index_dir`` (default), or Milvus at ``milvus_target`` (imported only then)."""
    if settings.store == "milvus":
        from app.index.milvus_index import MilvusIndex

        return MilvusIndex(settings)
    from app.index.embedded import EmbeddedIndex

    return EmbeddedIndex(settings)
