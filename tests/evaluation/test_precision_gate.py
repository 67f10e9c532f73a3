"""The quality gate on CPUs without native bf16: the reader forced to fp32 passes the Makefile's gold gate."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

import pytest

from tests.conftest import PYTHON, ROOT, subprocess_env

pytestmark = pytest.mark.slow


def makefile_gate() -> list[str]:
    """The Makefile's GATE options (one source for the thresholds)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(r"^GATE := (.+)$", text, re.M)
    assert match, "the Makefile defines GATE"
    return shlex.split(match.group(1))


def test_the_fp32_reader_passes_the_gold_gate(seed, tmp_path):
    """`RAG_READER_PRECISION=fp32` (what `auto` chooses on AVX2-only CPUs) over the seed index: every threshold met."""
    gate = makefile_gate()
    assert "--min-containment" in gate and "--min-f1" in gate
    result = subprocess.run(
        [PYTHON, "-m", "app", "eval", "--gold", "eval/gold.jsonl", "--index", str(seed.index),
         "--report", str(tmp_path / "report.json"), "--chart", str(tmp_path / "report.png"), *gate],
        cwd=ROOT, env=subprocess_env(RAG_READER_PRECISION="fp32"), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["source"]["reader"] == "openvino-fp32"
