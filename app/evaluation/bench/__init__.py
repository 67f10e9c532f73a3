"""Performance benchmark: ``python -m app bench``.

Measures, on corpora of 1k, 10k and 100k chunks: ingest and encoder throughput on a real sample, re-ingest of
an unchanged corpus, index size, server start-up and peak memory, ``/search`` and ``/ask`` latency in process
and over HTTP through a real uvicorn server, the floor (query embedding + raw FAISS + raw BM25) and the ratio
of ``/ask`` to it, HNSW recall against exact search, and thread settings. See ``runner.run_bench``.
"""

from app.evaluation.bench.runner import DEFAULT_QUERIES, DEFAULT_SCALES, run_bench

__all__ = ["DEFAULT_QUERIES", "DEFAULT_SCALES", "run_bench"]
