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
    from app.index.store import IndexStore

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


def _gold_file(path, questions) -> None:
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")


GOLD_SAMPLE = [
    {"id": "1", "question": "Сколько человек приняли участие в конференции в Боровом?", "lang": "ru",
     "doc_id": BOROVOE, "answers": ["более 50 человек"]},
    {"id": "2", "question": "Who is the head of the OSCE Centre in Bishkek?", "lang": "en",
     "doc_id": BISHKEK, "answers": ["Sergey Kapinos"]},
    {"id": "3", "question": "What is the best recipe for banana bread?", "lang": "en", "doc_id": None, "answers": []},
]


def test_eval_writes_report_chart_and_gates_on_thresholds(tmp_path, seed):
    """`eval` prints the table, writes JSON and PNG, exits 0 when thresholds hold and 1 when one fails."""
    gold = tmp_path / "gold.jsonl"
    _gold_file(gold, GOLD_SAMPLE)
    common = ("eval", "--gold", str(gold), "--index", str(seed.index),
              "--report", str(tmp_path / "report.json"), "--chart", str(tmp_path / "report.png"))
    passing = run(*common, "--min-hit1", "0.9", "--min-abstention-recall", "0.9")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "hit@1" in passing.stdout and "ru→ru" in passing.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["overall"]["questions"] == 3 and report["overall"]["hit@1"] == 1.0
    assert set(report["by_pair"]) == {"ru→ru", "en→en", "en→none"}
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    failing = run(*common, "--min-f1", "1.01")
    assert failing.returncode == 1 and "below threshold: f1" in failing.stderr


def test_eval_on_squad_builds_its_own_index(tmp_path):
    """`eval --squad` ingests one document per paragraph into a temporary index and scores v2 abstentions."""
    from tests.evaluation.test_gold import SQUAD_V2

    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps(SQUAD_V2), encoding="utf-8")
    result = run("eval", "--squad", str(squad), "--report", str(tmp_path / "r.json"), "--chart", str(tmp_path / "r.png"))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["overall"]["questions"] == 3 and report["overall"]["unanswerable"] == 1
    assert report["overall"]["hit@1"] == 1.0  # two paragraphs: each answerable question finds its own


def test_eval_needs_exactly_one_question_source(tmp_path):
    """Neither or both of --gold/--squad is a usage error with a message."""
    result = run("eval")
    assert result.returncode == 2 and "exactly one of --gold or --squad" in result.stderr


def test_calibrate_fits_and_stores_a_threshold(tmp_path):
    """`calibrate` fits weights for every signal and an abstention threshold that the service can load."""
    from app.answer.confidence import READER_FEATURES, READER_SUFFIX, Calibrator

    out = tmp_path / "calibration.json"
    result = run("calibrate", "--gold", str(ROOT / "eval" / "dev.jsonl"), "--corpus", str(ROOT / "corpus"),
                 "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    entry = json.loads(out.read_text())["e5-small" + READER_SUFFIX]  # the default reader's entry
    assert len(entry["weights"]) == len(READER_FEATURES) and 0.0 < entry["threshold"] < 1.0
    assert entry["questions"] == 100
    calibrator = Calibrator.for_encoder("e5-small" + READER_SUFFIX, out)
    assert calibrator.threshold == entry["threshold"]
