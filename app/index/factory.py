"""Picks the storage backend the settings name (``RAG_STORE``)."""

from __future__ import annotations

from app.index.storage import Storage
from app.index.store import IndexStore
from app.settings import Settings


def make_store(settings: Settings) -> Storage:
    """The embedded store in ``index_dir`` (default), or Milvus at ``milvus_target`` (imported only then)."""
    if settings.store == "milvus":
        from app.index.milvus import MilvusStore

        return MilvusStore(settings)
    return IndexStore(settings.index_dir)
