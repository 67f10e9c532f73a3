"""The house plan: which stage may import which, and the serving process never loads the evaluation code."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, ROOT, subprocess_env

APP = ROOT / "app"
# package -> packages of app it must never import
FORBIDDEN = {
    "ingest": ("answer", "api", "evaluation", "pipeline"),
    "index": ("ingest", "answer", "api", "evaluation", "pipeline"),
    "text": ("ingest", "index", "answer", "api", "evaluation", "pipeline", "encoders"),
    "answer": ("ingest", "api", "evaluation", "pipeline"),
    "encoders": ("ingest", "index", "answer", "api", "evaluation", "pipeline"),
    "api": ("evaluation",),
}


def imported_modules(path: Path) -> set[str]:
    """Every ``app...`` module a file imports, at any depth of the file (lazy imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "app" or m.startswith("app.")}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_stages_import_only_what_they_may(package):
    """No module of a stage imports a stage it must not depend on."""
    for path in (APP / package).rglob("*.py"):
        for module in imported_modules(path):
            stage = module.split(".")[1] if "." in module else ""
            assert stage not in FORBIDDEN[package], f"{path.relative_to(ROOT)} imports {module}"


def test_the_serving_process_never_loads_the_evaluation_code():
    """Building the app (and the pipeline it serves) imports nothing of app.evaluation."""
    code = (
        "import sys; from app.api.main import create_app; create_app(); "
        "print(sorted(m for m in sys.modules if m.startswith('app.evaluation')))"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, cwd=ROOT, env=subprocess_env(),
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"
