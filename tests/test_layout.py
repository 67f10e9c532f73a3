"""The house plan: which stage may import which, and the serving process never loads the evaluation, training or
command-line code."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, ROOT, subprocess_env

APP = ROOT / "app"
# package -> packages of app it must never import
FORBIDDEN = {
    "ingest": ("answer", "api", "evaluation", "pipeline", "training", "cli"),
    "index": ("ingest", "answer", "api", "evaluation", "pipeline", "training", "cli"),
    "text": ("ingest", "index", "answer", "api", "evaluation", "pipeline", "encoders", "training", "cli"),
    "answer": ("ingest", "api", "evaluation", "pipeline", "training", "cli"),
    "encoders": ("ingest", "index", "answer", "api", "evaluation", "pipeline", "training", "cli"),
    "neural": ("training", "evaluation", "api", "ingest", "index", "pipeline", "cli"),
    "api": ("evaluation", "training", "cli"),
}
# Offline code: the serving process must never load it (checked for real in a subprocess below).
OFFLINE = ("app.evaluation", "app.training", "app.cli")


def module_name(path: Path) -> str:
    """``app/neural/model.py`` -> ``app.neural.model``; a package's ``__init__.py`` -> the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, top: str = "app") -> set[str]:
    """Every ``top...`` module a file imports, at any depth of the file (lazy imports included); relative imports
    (``from .train import x``, ``from .. import training``) are resolved against the file's package."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from app import training`
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == top or m.startswith(top + ".")}


def test_relative_imports_are_resolved():
    """The import scan sees through relative imports, so a stage cannot dodge the rules with a leading dot."""
    module = APP / "neural" / "reader.py"
    found = imported_modules(module)
    assert "app.neural.decode" in found  # `from .decode import decode_spans`
    assert "app.neural.model" in found  # a lazy `from .model import SpanReader`


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_stages_import_only_what_they_may(package):
    """No module of a stage imports a stage it must not depend on."""
    for path in (APP / package).rglob("*.py"):
        for module in imported_modules(path):
            stage = module.split(".")[1] if "." in module else ""
            assert stage not in FORBIDDEN[package], f"{path.relative_to(ROOT)} imports {module}"


# offline package -> the only packages of app that may import it (itself included)
IMPORTED_ONLY_BY = {
    "evaluation": ("evaluation", "training", "cli"),
    "training": ("training", "cli"),
    "cli": ("cli", "__main__"),
}


@pytest.mark.parametrize("offline", sorted(IMPORTED_ONLY_BY))
def test_offline_code_is_imported_only_by_its_users(offline):
    """Evaluation is reached only from training and the command line, training only from the command line, and the
    command line from nothing but ``python -m app``: no module a server runs can pull them in, even lazily."""
    for path in APP.rglob("*.py"):
        where = path.relative_to(APP).with_suffix("").parts[0]
        if where in IMPORTED_ONLY_BY[offline]:
            continue
        for module in imported_modules(path):
            assert not (module + ".").startswith(f"app.{offline}."), f"{path.relative_to(ROOT)} imports {module}"


def test_only_the_command_line_imports_typer():
    """Argument parsing lives in app/cli alone: no other module of app imports typer, even lazily."""
    for path in APP.rglob("*.py"):
        if path.is_relative_to(APP / "cli"):
            continue
        assert not imported_modules(path, top="typer"), f"{path.relative_to(ROOT)} imports typer"


def test_the_serving_process_never_loads_offline_code(tmp_path):
    """Building the app and its pipeline, with the neural reader loaded as for the first question, imports nothing
    of app.evaluation, app.training or app.cli, nor torch or transformers (the reader runs on OpenVINO)."""
    code = (
        "import sys; from app.api.main import create_app; app = create_app(); "
        "extractor = app.state.pipeline.extractor; "  # loads the span reader on the model thread
        "print(type(extractor).__name__, 'app.neural.openvino_model' in sys.modules, "
        "[m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules]); "
        f"print(sorted(m for m in sys.modules if m.startswith({OFFLINE!r})))"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=subprocess_env(RAG_INDEX_DIR=str(tmp_path / "index"), RAG_READER="neural"),
                         timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded, offline = out.stdout.strip().splitlines()[-2:]
    assert loaded == "NeuralExtractor True []"  # the reader really was loaded, so its imports were exercised
    assert offline == "[]"


# The concrete stores: only app/index/ (its factory picks one) may name them; everything else holds a ``Storage``.
CONCRETE_STORES = {"IndexStore", "MilvusStore", "EmbeddedIndex", "MilvusIndex"}
# Tools that read an embedded index folder directly (measurements), never the serving path.
READS_INDEX_FOLDERS = ("app/evaluation/",)
MAX_LINES = 600
LONG_ALLOWED = ("app/index/milvus", "app/evaluation/bench/", "app/static/")


def storage_kind_uses(path: Path) -> list[str]:
    """Where a module names a concrete store or branches on the configured store kind (``settings.store``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app.index"):
            found += [f"imports {a.name}" for a in node.names if a.name in CONCRETE_STORES]
        elif isinstance(node, ast.Name) and node.id in CONCRETE_STORES:
            found.append(f"names {node.id} (line {node.lineno})")
        elif isinstance(node, ast.Attribute) and node.attr in ("store", "local") and isinstance(node.ctx, ast.Load):
            base = node.value
            if node.attr == "store" and isinstance(base, ast.Name | ast.Attribute) and "settings" in ast.unparse(base):
                found.append(f"reads {ast.unparse(node)} (line {node.lineno})")
            elif node.attr == "local":
                found.append(f"reads {ast.unparse(node)} (line {node.lineno})")
    return found


def test_only_the_index_package_knows_the_storage_kind():
    """Outside app/index/ nothing imports a concrete store, tests isinstance against one or reads the store kind:
    every difference between the embedded store and Milvus lives behind the storage protocol."""
    offenders = []
    for path in APP.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("app/index/") or rel == "app/settings.py":
            continue
        uses = storage_kind_uses(path)
        if rel.startswith(READS_INDEX_FOLDERS):
            uses = [u for u in uses if "IndexStore" not in u]
        offenders += [f"{rel} {use}" for use in uses]
    assert offenders == []


def test_the_front_object_stays_thin():
    """app/pipeline.py only wires the read and write sides together."""
    assert len((APP / "pipeline.py").read_text(encoding="utf-8").splitlines()) <= 250


def test_no_module_outgrows_reading_top_to_bottom():
    """No module is over 600 lines, except Milvus's (its wire format), the benchmarks and the static assets."""
    long = []
    for path in APP.rglob("*"):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix in (".py", ".js") and not rel.startswith(LONG_ALLOWED):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                long.append(f"{rel}: {lines} lines")
    assert long == []
