"""Ingest measurements: the real sample through the real encoder, and larger corpora from reused vectors."""

from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.encoders.base import Encoder
from app.evaluation.bench.corpus import TextVariator, replicas
from app.evaluation.bench.log import log
from app.evaluation.bench.vectors import CHUNK, SENTENCE, VectorReuse
from app.index.snapshot import Snapshot
from app.ingest.indexer import EMBED_BATCH
from app.models import IngestReport
from app.pipeline import Pipeline
from app.settings import Settings


def embedded_texts(snap: Snapshot) -> list[str]:
    """The texts ingest embedded, in its order: per document, its sentences then its chunks."""
    texts = []
    for doc_index in range(len(snap.doc_order)):
        texts += [snap.sentence_text(int(r)) for r in np.flatnonzero(snap.sentences[:, 0] == doc_index)]
        texts += [snap.chunk_text(int(r)) for r in np.flatnonzero(snap.chunks[:, 0] == doc_index)]
    return texts


def _ingest(pipeline: Pipeline, corpus: Path) -> IngestReport:
    # on_total makes ingest count its texts up front, as the CLI's progress bar does.
    return pipeline.ingest_folder(corpus, on_total=lambda n: None, on_progress=lambda n: None)


def _encode(encoder: Encoder, batches: list[list[str]]) -> float:
    started = time.perf_counter()
    for batch in batches:
        encoder.passages(batch)
    return time.perf_counter() - started


def measure_sample(encoder: Encoder, corpus: Path, settings: Settings) -> tuple[dict, Snapshot]:
    """First ingest of the real sample, the encoder alone on the same texts, then re-ingest unchanged.

    The encoder's share is timed half before and half after the ingest (alternate batches, as ingest
    sends them), so that a change of load on the machine weighs on both sides alike.
    """
    from app.ingest.documents import corpus_files
    from app.ingest.indexer import split_document
    from app.ingest.reader import read_file
    from app.models import Document
    from app.text.language import script_language

    # The texts ingest will embed, split by the indexer's own function, in its order: per document, its
    # sentences then its chunks. The script stands in for language detection, which would otherwise be
    # cached for the ingest; the report says whether the texts matched.
    texts = []
    for doc_id, path in corpus_files(corpus).items():
        text, title, _ = read_file(path)
        doc = Document(doc_id=doc_id, title=title, lang=script_language(text), text=text, sha="")
        sentence_spans, chunk_spans = split_document(doc, settings)
        texts += [text[s:e] for s, e in sentence_spans] + [text[s:e] for s, e, _, _ in chunk_spans]
    batches = [texts[at : at + EMBED_BATCH] for at in range(0, len(texts), EMBED_BATCH)]
    encoder.passages(batches[0])  # first-call costs belong to neither side
    before = _encode(encoder, batches[0::2])

    pipeline = Pipeline(settings, encoder=encoder)
    first = _ingest(pipeline, corpus)
    snap = pipeline.snapshot
    assert snap is not None, "ingest left no index"
    log(f"sample: {first.chunks} chunks, {first.embedded} texts embedded, ingest {first.seconds:.1f}s")
    encoder_seconds = before + _encode(encoder, batches[1::2])
    log(f"sample: encoder alone on the same {len(texts)} texts {encoder_seconds:.1f}s")

    again = _ingest(pipeline, corpus)
    log(f"sample: re-ingest unchanged {again.seconds:.3f}s")
    chunks = first.chunks
    return {
        "documents": len(first.added),
        "chunks": chunks,
        "sentences": len(snap.sentences),
        "texts_embedded": first.embedded,
        "texts_encoder_alone": len(texts),
        "encoder_alone_texts_match": texts == embedded_texts(snap),
        "mean_text_chars": round(sum(map(len, texts)) / max(len(texts), 1), 1),
        "ingest_seconds": round(first.seconds, 2),
        "ingest_chunks_per_s": round(chunks / first.seconds, 2),
        "ingest_texts_per_s": round(first.embedded / first.seconds, 2),
        "encoder_seconds": round(encoder_seconds, 2),
        "encoder_chunks_per_s": round(chunks / encoder_seconds, 2),
        "encoder_texts_per_s": round(len(texts) / encoder_seconds, 2),
        "ingest_over_encoder": round(first.seconds / encoder_seconds, 3),
        "reingest_unchanged_seconds": round(again.seconds, 4),
        "reingest_embedded": again.embedded,
        "reingest_speedup": round(first.seconds / max(again.seconds, 1e-9), 1),
        "index_build_seconds": snap.manifest.get("build_seconds"),
    }, snap


def build_scale(
    scale: int,
    sample: Snapshot,
    sample_corpus: Path,
    variator: TextVariator,
    encoder: Encoder,
    settings_for: Callable[[Path], Settings],
    folder: Path,
) -> dict:
    """About ``scale`` chunks (the sample plus varied replicas of its documents) ingested by the real pipeline
    with the vector-reusing encoder, then re-ingested unchanged. The index is left in ``folder / "index"``."""
    corpus = folder / "corpus"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(sample_corpus, corpus)
    reuse = VectorReuse(encoder, sample.sentence_vectors, sample.chunk_vectors)
    for row in range(len(sample.sentences)):
        reuse.add(sample.sentence_text(row), SENTENCE, row, perturbed=False)
    for row in range(len(sample.chunks)):
        reuse.add(sample.chunk_text(row), CHUNK, row, perturbed=False)

    started = time.perf_counter()
    count = 0
    for replica in replicas(sample, variator, scale - len(sample.chunks)):
        for text, row in replica.sentences:
            reuse.add(text, SENTENCE, row)
        for text, row in replica.chunks:
            reuse.add(text, CHUNK, row)
        path = corpus / replica.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(replica.text, encoding="utf-8")
        count += 1
    generated = time.perf_counter() - started
    log(f"scale {scale}: {count} replicas written in {generated:.1f}s; ingesting with reused vectors")

    pipeline = Pipeline(settings_for(folder / "index"), encoder=reuse)
    first = _ingest(pipeline, corpus)
    log(f"scale {scale}: {first.chunks} chunks ingested in {first.seconds:.1f}s; re-ingesting unchanged")
    again = _ingest(pipeline, corpus)
    snap = pipeline.snapshot
    assert snap is not None, "ingest left no index"
    result = {
        "replicas": count,
        "documents": len(first.added),
        "chunks": first.chunks,
        "text_generation_seconds": round(generated, 2),
        "ingest_seconds": round(first.seconds, 2),
        "ingest_chunks_per_s": round(first.chunks / max(first.seconds, 1e-9), 1),
        "index_build_seconds": snap.manifest.get("build_seconds"),
        "reingest_unchanged_seconds": round(again.seconds, 3),
        "reingest_embedded": again.embedded,
        "vectors": reuse.stats(),
    }
    shutil.rmtree(corpus, ignore_errors=True)  # the index holds every text it needs
    del pipeline, reuse
    gc.collect()
    return result
