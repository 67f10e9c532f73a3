"""The command line (`python -m app ...`) run as a real subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.api.test_api import ANSWER_KEYS, ASK_KEYS, PASSAGE_KEYS
from tests.conftest import BISHKEK, BOROVOE, PYTHON, ROOT, SEED_DOCS, subprocess_env


def run(*args: str, timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "app", *args], cwd=ROOT, env=subprocess_env(COLUMNS="200", **env),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def copied(tmp_path, seed):
    """A copy of the seed corpus and index for the CLI to write to."""
    shutil.copytree(seed.corpus, tmp_path / "corpus")
    shutil.copytree(seed.index, tmp_path / "index")
    return tmp_path


def test_ingest_exit_code_is_1_when_a_file_failed_and_0_otherwise(copied):
    """`ingest` exits 1 and names the bad file and reason; once the file is gone it exits 0."""
    bad = copied / "corpus" / "broken.txt"
    bad.write_bytes(b"\x00\x01\x02binary junk")
    failed = run("ingest", "--corpus", str(copied / "corpus"), "--index", str(copied / "index"))
    assert failed.returncode == 1, failed.stderr
    assert "broken.txt" in failed.stderr and "binary" in failed.stderr

    bad.unlink()
    ok = run("ingest", "--corpus", str(copied / "corpus"), "--index", str(copied / "index"))
    assert ok.returncode == 0, ok.stderr
    assert "failed" in ok.stderr  # the summary table is printed


def test_ingest_fresh_index_from_scratch(tmp_path, seed):
    """`ingest` into an empty folder builds a loadable index of the given corpus."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seed.corpus / BISHKEK, corpus / BISHKEK)
    result = run("ingest", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    from app.store import IndexStore

    assert list(IndexStore(tmp_path / "index").load().documents) == [BISHKEK]


def test_ingest_missing_corpus_exits_2(tmp_path):
    """A corpus folder that does not exist is an error (exit 2) with a message."""
    result = run("ingest", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "index"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_ingest_with_another_encoder_is_refused(copied):
    """`ingest --encoder use-m3` on an e5-small index exits 2 naming both encoders."""
    result = run("ingest", "--corpus", str(copied / "corpus"), "--index", str(copied / "index"), "--encoder", "use-m3")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "e5-small" in message and "use-m3" in message


def test_ask_json_prints_the_contract(seed):
    """`ask --json` prints one valid JSON object with the /ask contract keys."""
    result = run("ask", "Сколько человек приняли участие в конференции в Боровом?", "--index", str(seed.index),
                 "--json", "--top-k", "2")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) == ASK_KEYS
    assert set(body["answer"]) == ANSWER_KEYS and all(set(p) == PASSAGE_KEYS for p in body["passages"])
    assert body["answer"]["doc_id"] == BOROVOE and "50" in body["answer"]["text"]
    assert len(body["passages"]) == 2 and body["lang"] == "ru"


def test_ask_plain_text_cites_the_source(seed):
    """`ask` without --json prints the span, the sentence and the citation."""
    result = run("ask", "Who is the head of the OSCE Centre in Bishkek?", "--index", str(seed.index))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sergey Kapinos")
    assert BISHKEK in result.stdout and "confidence" in result.stdout


def test_ask_uses_the_index_environment_variable(seed):
    """RAG_INDEX_DIR selects the index when --index is not given."""
    result = run("ask", "Who is the head of the OSCE Centre in Bishkek?", "--json", RAG_INDEX_DIR=str(seed.index))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answer"]["doc_id"] in SEED_DOCS


def test_ask_top_k_out_of_range_is_refused(seed):
    """--top-k outside 1..50 is a usage error."""
    result = run("ask", "Кто?", "--index", str(seed.index), "--top-k", "0")
    assert result.returncode == 2
