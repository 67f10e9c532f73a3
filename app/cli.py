"""Command line: ``python -m app ingest | serve | ask | eval | calibrate | bench``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from app.settings import Settings

cli = typer.Typer(help="Multilingual extractive question answering over a document corpus.", no_args_is_help=True)
console = Console(stderr=True)


def _settings(index: Optional[Path], encoder: Optional[str] = None) -> Settings:
    overrides = {}
    if index is not None:
        overrides["index_dir"] = index
    if encoder is not None:
        overrides["encoder"] = encoder
    return Settings(**overrides)


@cli.command()
def ingest(
    corpus: Path = typer.Option(Path("corpus"), "--corpus", "-c", help="Folder of .txt/.md/.html/.pdf files."),
    index: Optional[Path] = typer.Option(None, "--index", "-i", help="Index folder (default: RAG_INDEX_DIR)."),
    encoder: Optional[str] = typer.Option(None, help="Encoder for a new index (default: RAG_ENCODER)."),
    rebuild: bool = typer.Option(False, help="Ignore the existing index and embed everything again."),
) -> None:
    """Build or update the index from a folder; exit code 1 if any file failed."""
    from app.pipeline import Pipeline
    from app.snapshot import IndexMismatch

    if not corpus.is_dir():
        console.print(f"[red]error:[/] corpus folder '{corpus}' does not exist")
        raise typer.Exit(2)
    settings = _settings(index, encoder)
    pipeline = Pipeline(settings)
    with Progress(
        TextColumn("[bold]embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, transient=True,
    ) as bar:
        task = bar.add_task("embed", total=None)
        try:
            report = pipeline.ingest_folder(
                corpus,
                rebuild=rebuild,
                on_total=lambda n: bar.update(task, total=n),
                on_progress=lambda n: bar.advance(task, n),
            )
        except IndexMismatch as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2)
    for doc_id, reason in report.failed.items():
        console.print(f"[red]failed[/] {doc_id}: {reason}")
    table = Table(title=f"Ingested {corpus} into {settings.index_dir}")
    for column in ("added", "updated", "unchanged", "removed", "failed", "chunks", "embedded", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(len(getattr(report, k))) for k in ("added", "updated", "unchanged", "removed", "failed")),
        str(report.chunks), str(report.embedded), f"{report.seconds:.1f}",
    )
    console.print(table)
    raise typer.Exit(1 if report.failed else 0)


@cli.command()
def serve(
    index: Optional[Path] = typer.Option(None, "--index", "-i", help="Index folder (default: RAG_INDEX_DIR)."),
    host: Optional[str] = typer.Option(None, help="Bind address (default: RAG_HOST)."),
    port: Optional[int] = typer.Option(None, help="Port (default: RAG_PORT)."),
) -> None:
    """Serve the HTTP API and the chat widget with uvicorn."""
    import uvicorn

    from app.api.main import create_app

    settings = _settings(index)
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info")


@cli.command()
def ask(
    question: str = typer.Argument(..., help="The question, in Russian or English."),
    index: Optional[Path] = typer.Option(None, "--index", "-i"),
    top_k: int = typer.Option(5, "--top-k", min=1, max=50),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON response."),
) -> None:
    """Ask one question against the index."""
    from app.api.schemas import AskResponse
    from app.pipeline import Pipeline

    pipeline = Pipeline(_settings(index))
    result = pipeline.ask(question, top_k=top_k)
    if as_json:
        print(AskResponse.from_result(result).model_dump_json(indent=2))
        return
    if result.answer is None:
        console.print("[yellow]Not found in the documents.[/]")
        raise typer.Exit(0)
    a = result.answer
    sys.stdout.write(f"{a.text}\n\n  “{a.sentence}”\n  — {a.title} [{a.doc_id}, {a.lang}, chars {a.start}-{a.end}]"
                     f"  confidence {a.confidence:.2f}\n")


def main() -> None:
    cli()
