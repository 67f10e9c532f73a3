"""Parallel ingest: `ingest --workers N` (app/encoders/pool.py) and the Ray Data stage (app/ingest/distributed.py)
build the index a single process builds."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from app.encoders import create_encoder
from app.index.snapshot import Snapshot
from app.index.store import IndexStore
from app.ingest.indexer import Indexer, Parts
from app.ingest.reader import read_file
from app.models import Document
from app.ingest.documents import corpus_files, folder_collection, make_document
from app.pipeline import Pipeline
from tests.conftest import BISHKEK, PYTHON, ROOT, SEED_CORPUS, SEED_DOCS, make_settings, subprocess_env

SPEC = "use-m3"  # the fastest packaged encoder: parallelism, not the model, is under test


def ingest_cli(corpus: Path, index: Path, *options: str) -> subprocess.CompletedProcess:
    env = subprocess_env(COLUMNS="200", RAY_AUTH_MODE="disabled")
    command = [PYTHON, "-m", "app", "ingest", "--corpus", str(corpus), "--index", str(index), "--encoder", SPEC]
    return subprocess.run([*command, *options], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def corpus_documents(corpus: Path) -> list[Document]:
    """The corpus read as ``ingest_folder`` reads it."""
    docs = []
    for doc_id, path in corpus_files(corpus).items():
        text, title, published = read_file(path)
        docs.append(make_document(doc_id, text, title, "corpus", published, folder_collection(doc_id)))
    return docs


def assert_same_index(got: Snapshot, want: Snapshot) -> None:
    """Same documents, tables and (within float noise) vectors."""
    assert got.doc_order == want.doc_order
    assert got.manifest["encoder"] == want.manifest["encoder"] == SPEC
    for table in ("sentences", "chunks", "entities"):
        np.testing.assert_array_equal(getattr(got, table), getattr(want, table), err_msg=table)
    np.testing.assert_allclose(got.chunk_vectors, want.chunk_vectors, atol=1e-5)
    np.testing.assert_allclose(got.sentence_vectors, want.sentence_vectors, atol=1e-5)


def assert_same_parts(got: dict[str, Parts], want: dict[str, Parts]) -> None:
    assert sorted(got) == sorted(want)
    for doc_id, p in want.items():
        q = got[doc_id]
        for table in ("sentences", "chunks", "entities"):
            np.testing.assert_array_equal(getattr(q, table), getattr(p, table), err_msg=f"{doc_id} {table}")
        np.testing.assert_allclose(q.sentence_vectors, p.sentence_vectors, atol=1e-5)
        np.testing.assert_allclose(q.chunk_vectors, p.chunk_vectors, atol=1e-5)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A read-only copy of the seed corpus."""
    folder = tmp_path_factory.mktemp("parallel") / "corpus"
    shutil.copytree(SEED_CORPUS, folder)
    return folder


@pytest.fixture(scope="module")
def one_worker(corpus, tmp_path_factory) -> Snapshot:
    """The index a plain one-process `ingest` builds."""
    index = tmp_path_factory.mktemp("one-worker") / "index"
    result = ingest_cli(corpus, index)
    assert result.returncode == 0, result.stderr
    snapshot = IndexStore(index).load()
    assert snapshot is not None
    return snapshot


def test_cli_two_workers_build_the_one_worker_index(corpus, one_worker, tmp_path):
    """`ingest --workers 2` gives the chunk table and vectors of a one-worker ingest, and reports every text."""
    result = ingest_cli(corpus, tmp_path / "index", "--workers", "2")
    assert result.returncode == 0, result.stderr
    got = IndexStore(tmp_path / "index").load()
    assert got is not None and list(got.documents) == list(SEED_DOCS)
    assert_same_index(got, one_worker)
    embedded = str(len(one_worker.sentences) + len(one_worker.chunks))
    assert embedded in result.stderr.split() and str(len(one_worker.chunks)) in result.stderr.split()


def test_pipeline_hands_only_new_and_changed_documents_to_the_embedder(corpus, one_worker, tmp_path):
    """ingest_folder gives the embedder the documents to embed (all, then only a changed one, then none) and
    builds the index from what it returns."""
    folder = tmp_path / "corpus"
    shutil.copytree(corpus, folder)
    settings = make_settings(tmp_path / "index", encoder=SPEC)
    indexer = Indexer(create_encoder(SPEC, 1), settings)
    handed: list[list[str]] = []

    def embedder(docs: list[Document]) -> dict[str, Parts]:
        handed.append([d.doc_id for d in docs])
        return indexer.parts(docs)

    pipeline = Pipeline(settings)
    first = pipeline.ingest_folder(folder, embedder=embedder)
    assert handed == [list(SEED_DOCS)] and sorted(first.added) == list(SEED_DOCS)
    assert_same_index(pipeline.snapshot, one_worker)

    path = folder / BISHKEK
    path.write_text(path.read_text(encoding="utf-8") + "\n\nThe meeting ended with a joint statement.\n")
    second = pipeline.ingest_folder(folder, embedder=embedder)
    assert second.updated == [BISHKEK] and handed[1] == [BISHKEK]
    assert "joint statement" in pipeline.snapshot.documents[BISHKEK].text

    assert pipeline.ingest_folder(folder, embedder=embedder).unchanged and len(handed) == 2


@pytest.mark.slow
def test_cli_ray_builds_the_one_worker_index(corpus, one_worker, tmp_path):
    """`ingest --ray --workers 2` (a local Ray instance) gives the index of a one-worker ingest."""
    result = ingest_cli(corpus, tmp_path / "index", "--ray", "--workers", "2")
    assert result.returncode == 0, result.stderr
    got = IndexStore(tmp_path / "index").load()
    assert got is not None
    assert_same_index(got, one_worker)


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance with 2 CPUs for this module."""
    ray = pytest.importorskip("ray")
    saved = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    ray.init(address="local", num_cpus=2, include_dashboard=False)
    yield ray
    ray.shutdown()
    if saved is None:
        os.environ.pop("RAY_AUTH_MODE", None)
    else:
        os.environ["RAY_AUTH_MODE"] = saved


@pytest.mark.slow
def test_ray_stage_gives_the_parts_of_the_plain_loop(corpus, ray_cluster):
    """The Ray Data stage (2 actors) computes every document's parts as Indexer.parts does in process."""
    from app.ingest.distributed import ray_embedder

    settings = make_settings(corpus.parent / "unused-index", encoder=SPEC)
    docs = corpus_documents(corpus)
    got = ray_embedder(settings, None, 2)(docs)
    assert_same_parts(got, Indexer(create_encoder(SPEC, 1), settings).parts(docs))
    assert ray_cluster.is_initialized()  # a Ray instance it did not start is left running
    assert ray_embedder(settings, None, 2)([]) == {}


@pytest.mark.slow
def test_pipeline_with_the_ray_stage_builds_the_one_worker_index(corpus, one_worker, ray_cluster, tmp_path):
    """ingest_folder with the Ray stage as embedder gives the index of a one-worker ingest."""
    from app.ingest.distributed import ray_embedder

    settings = make_settings(tmp_path / "index", encoder=SPEC)
    report = Pipeline(settings).ingest_folder(corpus, embedder=ray_embedder(settings, None, 2))
    assert sorted(report.added) == list(SEED_DOCS)
    got = IndexStore(tmp_path / "index").load()
    assert got is not None
    assert_same_index(got, one_worker)
