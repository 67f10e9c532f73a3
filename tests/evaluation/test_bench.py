"""The benchmark: deterministic synthetic corpora and vectors, summaries, verdicts, and one small real run."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import numpy as np
import pytest

from app.evaluation.bench.corpus import TextVariator, seed_documents
from app.evaluation.bench.measure import summarize
from app.evaluation.bench.questions import QUESTIONS, questions
from app.evaluation.bench.report import TARGETS, load_verdicts, verdicts
from app.evaluation.bench.runner import _cached, _store
from app.evaluation.bench.vectors import CHUNK, SENTENCE, VectorReuse
from app.cli.evaluation import _scales
from app.text.language import script_language
from app.ingest.reader import read_text
from app.text.sentences import split_sentences
from app.text.terms import terms
from tests.conftest import SEED_CORPUS

LOAD_TARGETS = {"load_answers_per_s", "load_accepted_p95_ms", "load_errors"}


@pytest.fixture(scope="module")
def variator():
    return TextVariator(seed_documents(SEED_CORPUS))


def test_generated_documents_are_deterministic_clean_and_in_both_languages(variator):
    """The same index gives the same document in a new generator; reading it back changes nothing."""
    fresh = TextVariator(seed_documents(SEED_CORPUS))
    documents = [variator.document(i) for i in range(30)]
    assert documents == [fresh.document(i) for i in range(30)]
    assert all(read_text(text)[0] == text for text in documents)
    assert len(set(documents)) == 30
    assert {script_language(text) for text in documents} == {"ru", "en"}


def test_replicas_keep_sentence_boundaries(variator):
    """A replica splits into as many sentences as its original, at the offsets the generator reports."""
    for text in seed_documents(SEED_CORPUS).values():
        lang = script_language(text)
        spans = split_sentences(text, lang)
        for r in range(5):
            new, new_spans = variator.replica(text, spans, random.Random(r))
            assert new != text
            assert split_sentences(new, lang) == new_spans


def test_generated_text_grows_the_vocabulary(variator):
    """New words keep appearing as the corpus grows, as in real text, so BM25 sees a realistic vocabulary."""
    seen: set[str] = set()
    sizes = []
    for i in range(400):
        seen.update(terms(variator.document(i)))
        if i in (99, 399):
            sizes.append(len(seen))
    assert sizes[1] > sizes[0] * 1.3


def test_questions_are_distinct_across_rounds_and_keep_their_terms():
    asked = questions(len(QUESTIONS) * 6)
    assert len(set(asked)) == len(asked)
    for i, text in enumerate(asked):
        assert set(terms(text)) == set(terms(QUESTIONS[i % len(QUESTIONS)]))
    assert questions(10, round_offset=3) != questions(10)
    assert {script_language(q) for q in QUESTIONS} == {"ru", "en"}


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors in a narrow cone, as sentence embeddings are (any two at cosine ~0.8)."""
    x = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32) + 2.0
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_reused_vectors_are_deterministic_unit_and_close_to_their_source():
    like = SimpleNamespace(spec="e5-small", model="m", dim=64)
    sentences, chunks = _unit(20, 64, 1), _unit(10, 64, 2)
    reuse = VectorReuse(like, sentences, chunks)
    reuse.add("original", CHUNK, 3, perturbed=False)
    reuse.add("varied", CHUNK, 3)
    reuse.add("varied", SENTENCE, 7)  # a text keeps the vector it was first given
    reuse.add("sentence", SENTENCE, 5)
    out = reuse.passages(["original", "varied", "sentence", "never seen", "varied"])
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(out[0], chunks[3])
    assert np.array_equal(out[1], out[4])
    assert 0.85 < float(out[1] @ chunks[3]) < 0.999
    assert 0.85 < float(out[2] @ sentences[5]) < 0.999
    again = VectorReuse(like, sentences, chunks)
    again.add("varied", CHUNK, 3)
    assert np.array_equal(again.passages(["varied"])[0], out[1])
    stats = reuse.stats()
    assert stats["texts"] == 5 and stats["unaligned_texts"] == 1 and stats["aligned_share"] == 0.8
    with pytest.raises(NotImplementedError):
        reuse.query("a question")


def test_summarize_reports_percentiles_in_milliseconds():
    stats = summarize([i / 1000 for i in range(1, 101)])
    assert stats["n"] == 100 and stats["p50"] == pytest.approx(50.5) and stats["p99"] == pytest.approx(99.01)
    assert stats["max"] == pytest.approx(100.0)
    assert summarize([]) == {"n": 0}


def test_scales_option_accepts_lists_and_repeats():
    assert _scales(None) == [1000, 10000, 100000]
    assert _scales(["1000,10_000", "300"]) == [1000, 10000, 300]


def test_work_folder_results_are_reused_only_under_the_same_key(tmp_path):
    key = {"seed": "bench-1", "hnsw_threshold": 50_000}
    _store(tmp_path / "build.json", key, {"chunks": 123})
    assert _cached(tmp_path / "build.json", key) == {"chunks": 123}
    assert _cached(tmp_path / "build.json", {**key, "hnsw_threshold": 200}) is None
    assert _cached(tmp_path / "missing.json", key) is None


def _scale(chunks: int, kind: str, **overrides) -> dict:
    scale = {
        "index": {"chunks": chunks, "kind": kind},
        "http_ms": {"ask": {"p50": 20.0, "p95": 60.0}},
        "ask_over_floor": {"p50": 1.2},
        "http_over_floor": {"p50": 1.25},
        "took_over_in_process": {"p50": 1.1},
        "server": {"after_queries": {"vmhwm_mb": 900.0}},
        "hnsw": {"recall_at_10": 0.995, "ef_search": 160} if kind == "hnsw" else None,
        "faiss_threads": {"1": {"single_ms": {"p50": 1.0}}, "2": {"single_ms": {"p50": 0.5}}},
        "blas_threads": {"1": {"ner_ms_per_sentence": 2.0}, "2": {"ner_ms_per_sentence": 8.0}},
    }
    scale.update(overrides)
    return scale


def test_verdicts_judge_each_target():
    report = {
        "sample": {"chunks": 1000, "ingest_over_encoder": 1.5, "reingest_speedup": 80.0},
        "settings": {"hnsw_threshold": 50_000, "threads": 1, "encoder_threads": 2},
        "encoder_threads": [{"threads": 1, "query_ms": {"p50": 30.0}}, {"threads": 2, "query_ms": {"p50": 20.0}}],
        "scales": {
            "1000": _scale(1000, "flat", ask_over_floor={"p50": 1.4}, took_over_in_process={"p50": 1.2}),
            "100000": _scale(
                100_000, "hnsw", http_over_floor={"p50": 2.5},
                writes={"uploads": 20, "visible_beyond_embedding_ms": {"p95": 400.0},
                        "ask_during_over_idle": {"p50": 1.3}},
            ),
        },
    }
    found = verdicts(report)
    assert {v["target"] for v in found} == set(TARGETS) - LOAD_TARGETS
    status = {(v["target"], v["at"].split(" ")[0]): v["status"] for v in found}
    assert status == {
        ("ingest_over_encoder", "sample"): "miss", ("reingest_speedup", "sample"): "pass",
        ("http_ask_p50_ms", "100000"): "pass", ("http_ask_p95_ms", "100000"): "miss",
        ("server_peak_rss_mb", "100000"): "pass",
        ("ask_over_floor", "1000"): "miss", ("ask_over_floor", "100000"): "pass",
        ("http_ask_over_floor", "1000"): "pass", ("http_ask_over_floor", "100000"): "miss",
        ("server_took_over_in_process", "1000"): "miss", ("server_took_over_in_process", "100000"): "pass",
        ("index_kind", "every"): "pass", ("hnsw_recall_at_10", "100000"): "pass",
        ("faiss_threads", "single-query"): "miss", ("encoder_threads", "query"): "pass",
        ("blas_threads", "numpy"): "pass",
        ("upload_visible_beyond_embedding_p95_ms", "100000"): "pass", ("ask_during_uploads_over_idle", "100000"): "miss",
    }
    # An index of the wrong kind for its size is a miss; without HNSW the recall cannot be judged.
    report["scales"] = {"100000": _scale(100_000, "flat")}
    by_target = {v["target"]: v["status"] for v in verdicts(report)}
    assert by_target["index_kind"] == "miss" and by_target["hnsw_recall_at_10"] == "n/a"
    assert by_target["upload_visible_beyond_embedding_p95_ms"] == "n/a"  # no writes measured


@pytest.mark.slow
def test_small_run_end_to_end(tmp_path, monkeypatch):
    """A real sample, one replicated corpus served as HNSW by a real server, a few queries, written as JSON."""
    monkeypatch.setenv("RAG_HNSW_THRESHOLD", "200")
    from app.evaluation.bench import run_bench

    out = tmp_path / "bench.json"
    report = run_bench([300], "e5-small", 4, out, sample_chunks=40, workdir=tmp_path / "work", show=False, writes=2)
    assert json.loads(out.read_text(encoding="utf-8"))["scales"].keys() == {"300"}
    sample = report["sample"]
    assert sample["chunks"] >= 40 and sample["reingest_embedded"] == 0
    assert sample["texts_embedded"] == sample["texts_encoder_alone"] and sample["encoder_alone_texts_match"]
    assert sample["ingest_chunks_per_s"] > 0 and sample["encoder_chunks_per_s"] > 0
    assert [(p["threads"], p["wait_policy"]) for p in report["encoder_threads"]] == [(1, "default"), (2, "default"),
                                                                                      (2, "passive")]
    scale = report["scales"]["300"]
    build, index = scale["build"], scale["index"]
    assert build["chunks"] >= 300 and build["reingest_embedded"] == 0 and build["vectors"]["aligned_share"] > 0.8
    assert index["chunks"] == build["chunks"] == scale["server"]["health"]["chunks"]
    assert index["kind"] == "hnsw" and index["size"]["mb"] > 0
    for where in ("in_process_ms", "http_ms", "server_took_ms"):
        assert scale[where]["ask"]["n"] == 4 and scale[where]["search"]["n"] == 4
    floor = scale["floor_ms"]
    assert 0 < floor["embed"]["p50"] <= floor["floor"]["p50"] and scale["ask_over_floor"]["p50"] > 0
    assert scale["stages_ms"]["embed"] > 0 and set(scale["faiss_threads"]) == {"1", "2"}
    assert 0.5 <= scale["hnsw"]["recall_at_10"] <= 1.0 and scale["hnsw"]["ef_sweep"]
    assert scale["server"]["after_queries"]["vmhwm_mb"] > 0 and scale["profile_ask"]
    assert scale["blas_threads"]["1"]["ner_ms_per_sentence"] > 0
    for kind in ("sentences", "chunks"):  # synthetic vectors sit as close to their source as real ones
        cosines = report["replica_cosines"][kind]
        assert abs(cosines["real"]["mean"] - cosines["synthetic"]["mean"]) < 0.05
    assert report["machine"]["cpus"] >= 1 and len(report["load_average"]["end"]) == 3
    assert {v["target"] for v in report["targets"]} == set(TARGETS) - LOAD_TARGETS
    # Two single uploads and deletions against a real server on a copy of the index, each cited, then gone.
    writes = scale["writes"]
    assert writes["upload_ms"]["n"] == 2 and writes["delete_ms"]["n"] == 2 and writes["ask_idle_ms"]["n"] == 4
    assert 0 < writes["embedding_ms"]["p50"] < writes["upload_ms"]["p50"]
    assert writes["visible_ms"]["max"] < 30_000 and writes["gone_ms"]["max"] < 30_000  # 30 s: never seen
    assert writes["chunks_after"] >= build["chunks"]
    assert scale["http_over_floor"]["p50"] > 0 and scale["took_over_in_process"]["p50"] > 0


def test_load_verdicts_judge_throughput_latency_and_errors():
    """A load run at 1k chunks is judged on answers/s, accepted p95 and errors; other scales on the last two."""
    run = {"clients": 32, "seconds": 60.0, "answered_per_s": 70.0, "accepted_ms": {"p95": 650.0}, "errors": 0}
    report = {"load": {"1000": run, "100000": {**run, "answered_per_s": 10.0, "errors": 2}}}
    status = {(v["target"], v["at"].split(" ")[0]): v["status"] for v in load_verdicts(report)}
    assert status == {
        ("load_answers_per_s", "1000"): "pass", ("load_accepted_p95_ms", "1000"): "miss",
        ("load_errors", "1000"): "pass", ("load_accepted_p95_ms", "100000"): "miss",
        ("load_errors", "100000"): "miss",
    }


@pytest.mark.slow
def test_load_mode_against_a_real_server(tmp_path):
    """`bench --load` runs concurrent clients against a real server and reports throughput and statuses."""
    from app.evaluation.bench import run_bench

    out = tmp_path / "load.json"
    report = run_bench([40], "e5-small", 4, out, sample_chunks=40, workdir=tmp_path / "work", show=False,
                       load=4, load_seconds=3)
    run = report["load"]["40"]
    assert run["clients"] == 4 and run["requests"] > 4 and run["statuses"].get("200", 0) > 0
    assert run["errors"] == 0 and run["answered_per_s"] > 0 and run["accepted_ms"]["p50"] > 0
    assert {v["target"] for v in report["targets"]} == {"load_answers_per_s", "load_accepted_p95_ms", "load_errors"}



@pytest.mark.slow
def test_mixed_load_keeps_every_acknowledged_write(tmp_path, seed):
    """Mixed load, 8 clients, 10 s: no unintended status, writes kept across a restart, RSS growth < 10%."""
    from app.evaluation.bench.runner import measure_mixed_load

    result = measure_mixed_load("test", seed.index, "e5-small", 8, 10, tmp_path)
    assert result["errors"] == 0 and set(result["statuses"]) <= {"200", "201", "429", "503"}, result["statuses"]
    assert all(result["kinds"][kind]["requests"] >= 1 for kind in ("ask", "search", "read", "write"))
    assert result["kinds"]["write"]["statuses"].get("201", 0) >= 1  # the cycle starts with an upload
    documents = result["documents"]
    assert result["check"]["checked"] == len(documents["present"]) + len(documents["deleted"]) >= 1
    assert result["check"]["ok"] and result["check_after_restart"]["ok"], (result["check"],
                                                                             result["check_after_restart"])
    assert result["rss_growth_pct"] < 10, result["server_memory"]
    for kind in ("ask", "search", "read", "write"):
        stats = result["kinds"][kind]
        accepted = stats["statuses"].get("200", 0) + stats["statuses"].get("201", 0)
        assert stats["accepted_ms"]["n"] == accepted and (not accepted or stats["accepted_ms"]["p99"] > 0)


def test_bench_has_a_mixed_load_mode():
    """`python -m app bench --help` offers --mix next to --load."""
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["bench", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--mix" in result.output and "--load" in result.output
