"""What several command groups share: the stderr console, settings with command-line overrides, and pipelines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.console import Console

from app.settings import Settings

if TYPE_CHECKING:
    from app.pipeline import Pipeline

# Progress, tables and errors go to stderr, so that stdout carries only what a script may capture.
console = Console(stderr=True)


def settings_for(index: Optional[Path], encoder: Optional[str] = None) -> Settings:
    """Settings from the environment, with the index folder and encoder given on the command line."""
    overrides: dict[str, Any] = {}
    if index is not None:
        overrides["index_dir"] = index
    if encoder is not None:
        overrides["encoder"] = encoder
    return Settings(**overrides)


def open_pipeline(settings: Settings) -> Pipeline:
    """A pipeline over an existing index, or exit 2 with the reason it cannot serve (before loading a model)."""
    from app.encoders.factory import UnknownEncoder
    from app.index.snapshot import IndexMismatch
    from app.pipeline import Pipeline

    pipeline = Pipeline(settings)
    try:
        pipeline.check()
    except (IndexMismatch, UnknownEncoder) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    return pipeline


def temporary_pipeline(
    corpus: Optional[Path | Sequence[Path]], documents: Optional[dict[str, str]], encoder: Optional[str]
) -> Pipeline:
    """A pipeline over a fresh index in a temporary folder, filled from one or more folders or from texts."""
    import tempfile

    from app.pipeline import Pipeline

    root = Path(tempfile.mkdtemp(prefix="qa-eval-"))
    folders = [corpus] if isinstance(corpus, Path) else list(corpus or [])
    if documents is not None:
        folders = [root / "corpus"]
        for doc_id, text in documents.items():
            (folders[0] / doc_id).parent.mkdir(parents=True, exist_ok=True)
            (folders[0] / doc_id).write_text(text, encoding="utf-8")
    if not folders:
        raise ValueError("a temporary index needs a corpus folder or documents")
    if len(folders) > 1:  # one folder is one corpus (a sync drops what is not in it): join them into one
        folders = [_joined(folders, root / "corpus")]
    pipeline = Pipeline(settings_for(root / "index", encoder))
    with console.status(f"indexing {folders[0]} into a temporary index"):
        report = pipeline.ingest_folder(folders[0])
    console.print(f"indexed {len(report.added)} documents, {report.chunks} chunks in {report.seconds:.1f}s")
    return pipeline


def _joined(folders: Sequence[Path], into: Path) -> Path:
    """A copy of every file of ``folders`` under ``into``, at its path relative to its folder (its document id)."""
    import shutil

    seen: dict[Path, Path] = {}
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            relative = path.relative_to(folder)
            if relative in seen:
                raise ValueError(f"{relative} is in both {seen[relative]} and {folder}: document ids must differ")
            seen[relative] = Path(folder)
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, into / relative)
    return into
