"""``python -m app ingest | serve | ask``: build the index, serve it over HTTP, ask it one question."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from app.cli.common import console, open_pipeline, settings_for

# No name: the root adds these commands at its top level.
app = typer.Typer()


@app.command()
def ingest(
    corpus: Optional[Path] = typer.Option(
        None, "--corpus", "-c", help="Folder of .txt/.md/.html/.pdf files (default: RAG_CORPUS_DIR)."
    ),
    index: Optional[Path] = typer.Option(None, "--index", "-i", help="Index folder (default: RAG_INDEX_DIR)."),
    encoder: Optional[str] = typer.Option(None, help="Encoder for a new index (default: RAG_ENCODER)."),
    rebuild: bool = typer.Option(False, help="Ignore the existing index and embed everything again."),
    workers: int = typer.Option(
        1, min=1, help="Encoder processes embedding in parallel (with --ray: Ray actors); 1 embeds in this process."
    ),
    ray: bool = typer.Option(False, "--ray", help="Split, chunk and embed new documents as a Ray Data pipeline."),
    ray_address: Optional[str] = typer.Option(
        None, help="Ray cluster to run on, or 'auto' (implies --ray; default: RAY_ADDRESS, else a new local instance)."
    ),
    urls: Optional[list[str]] = typer.Option(
        None, "--url", help="Fetch this web page and index it (repeatable); the corpus folder is left alone."
    ),
    collection: Optional[str] = typer.Option(None, help="With --url: the collection to file the pages in."),
) -> None:
    """Build or update the index from a folder, or add web pages (--url); exit code 1 if any file or page failed."""
    from contextlib import ExitStack

    from app.index.snapshot import IndexMismatch
    from app.pipeline import Pipeline

    settings = settings_for(index, encoder)
    if urls:
        from app.cli.feeds import ingest_urls

        ingest_urls(settings, urls, collection)
    corpus = corpus or settings.corpus_dir
    if not corpus.is_dir():
        console.print(f"[red]error:[/] corpus folder '{corpus}' does not exist")
        raise typer.Exit(2)
    stack = ExitStack()
    embedder = None
    if ray or ray_address:
        from importlib.util import find_spec

        if find_spec("ray") is None:
            console.print("[red]error:[/] --ray needs Ray: pip install 'border-qa[ray]'")
            raise typer.Exit(2)
        from app.ingest.distributed import ray_embedder

        embedder = ray_embedder(settings, ray_address, workers)
        pipeline = Pipeline(settings)
    else:
        pipeline = Pipeline.with_encoder_processes(settings, workers, stack)
    with (
        stack,
        Progress(
            TextColumn("[bold]embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("embed", total=None)
        try:
            report = pipeline.ingest_folder(
                corpus,
                rebuild=rebuild,
                on_total=lambda n: bar.update(task, total=n),
                on_progress=lambda n: bar.advance(task, n),
                embedder=embedder,
            )
        except IndexMismatch as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
    for doc_id, reason in report.failed.items():
        console.print(f"[red]failed[/] {doc_id}: {reason}")
    table = Table(title=f"Ingested {corpus} into {settings.index_dir}")
    for column in ("added", "updated", "unchanged", "removed", "failed", "chunks", "embedded", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(len(getattr(report, k))) for k in ("added", "updated", "unchanged", "removed", "failed")),
        str(report.chunks),
        str(report.embedded),
        f"{report.seconds:.1f}",
    )
    console.print(table)
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def serve(
    index: Optional[Path] = typer.Option(None, "--index", "-i", help="Index folder (default: RAG_INDEX_DIR)."),
    host: Optional[str] = typer.Option(None, help="Bind address (default: RAG_HOST)."),
    port: Optional[int] = typer.Option(None, help="Port (default: RAG_PORT)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", min=1, max=64, help="Processes sharing the port and the index (default: RAG_WORKERS)."
    ),
) -> None:
    """Serve the HTTP API and the chat widget with uvicorn, in one process or --workers N (JSON logs on stdout)."""
    import os

    import uvicorn

    from app.api.logs import configure_logging
    from app.api.memory import limit_malloc_arenas

    settings = settings_for(index)
    workers = workers or settings.workers
    limit_malloc_arenas(settings.malloc_arenas)  # before any thread starts (the pipeline starts one)
    configure_logging()
    if "*" in (address.strip() for address in settings.forwarded_allow_ips.split(",")):
        import logging

        logging.getLogger("app").warning(
            "RAG_FORWARDED_ALLOW_IPS='*': every client can name its own address in X-Forwarded-For, and so get a "
            "fresh rate limit and any address in the logs; name the proxy's address instead"
        )
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_config": None,  # configure_logging's handlers, not uvicorn's
        "access_log": False,  # app.access replaces it (app/api/logs.py)
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
    if workers == 1:
        from app.api.main import create_app

        uvicorn.run(create_app(settings), **options)
        return

    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    # Each worker is a fresh interpreter that reads its settings from the environment (create_app_from_env), so
    # the options given here go there, ahead of any .env file. This process only supervises: it loads no index.
    os.environ.update(
        RAG_INDEX_DIR=str(settings.index_dir),
        RAG_HOST=options["host"],
        RAG_PORT=str(options["port"]),
        RAG_WORKERS=str(workers),
    )
    config = uvicorn.Config("app.api.main:create_app_from_env", factory=True, workers=workers, **options)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    # uvicorn's supervisor stops, but exits 0, when a worker cannot start (an index built by another encoder).
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise typer.Exit(STARTUP_FAILURE)


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, in Russian or English."),
    index: Optional[Path] = typer.Option(None, "--index", "-i"),
    top_k: int = typer.Option(5, "--top-k", min=1, max=50),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON response."),
    explain: bool = typer.Option(False, "--explain", help="Show what each stage found and why this answer."),
    lang: list[str] = typer.Option([], "--lang", help="Only documents in this language (repeat: ru, en)."),
    date_from: Optional[str] = typer.Option(None, "--from", help="Only documents dated on or after YYYY-MM-DD."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Only documents dated on or before YYYY-MM-DD."),
    collection: list[str] = typer.Option([], "--collection", help="Only this collection (repeat)."),
) -> None:
    """Ask one question against the index."""
    from pydantic import ValidationError

    from app.api.schemas import AskResponse, FiltersIn

    try:
        filters = FiltersIn(
            langs=lang or None, date_from=date_from, date_to=date_to, collections=collection or None
        ).to_filters()
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from None
    settings = settings_for(index)
    pipeline = open_pipeline(settings)
    result = pipeline.ask(question, top_k=top_k, filters=filters, explain=explain)
    if as_json:
        print(AskResponse.from_result(result, settings.refusal_contact).model_dump_json(indent=2))
        return
    if explain and result.explanation is not None:
        _print_explanation(result.explanation)
    if result.answer is None:
        console.print("[yellow]Not found in the documents.[/]")
        for p in result.passages[:3]:
            console.print(f"  closest: [dim]{p.doc_id}[/] {p.text[:160]}…")
        raise typer.Exit(0)
    a = result.answer
    sys.stdout.write(
        f"{a.text}\n\n  “{a.sentence}”\n  — {a.title} [{a.doc_id}, {a.lang}, chars {a.start}-{a.end}]"
        f"  confidence {a.confidence:.2f}\n"
    )


def _print_explanation(x: dict) -> None:
    """The explanation as a few readable tables."""
    from rich.table import Table

    q = x["question"]
    console.print(f"[bold]{x['verdict']}[/]" + (f"  (look at: {x['stage']})" if x["stage"] else ""))
    console.print(
        f"question [{q['lang']}, {q['kind']}] terms {[g[0] for g in q['terms']]}"
        + (f"; follow-up read as: {q['read_as']}" if q["follow_up"] else "")
        + (f"; filters {q['filters']}" if q["filters"] else "")
    )
    for name in ("dense", "lexical", "fused"):
        table = Table("doc_id", "chunk", "score", title=f"retrieval: {name}", title_justify="left")
        for row in x["retrieval"][name][:5]:
            table.add_row(row["doc_id"], str(row["chunk_id"]), f"{row['score']:.3f}")
        console.print(table)
    table = Table("score", "cosine", "overlap", "sentence", title="sentences read", title_justify="left")
    for row in x["reading"]["sentences"][:5]:
        table.add_row(f"{row['score']:.3f}", f"{row['cosine']:.3f}", f"{row['overlap']:.2f}", row["sentence"][:90])
    console.print(table)
    for a in x["answers"][:3]:
        console.print(f"candidate {a['text'][:60]!r} confidence {a['confidence']:.2f} inputs {a['inputs']}")
    console.print(f"threshold {x['threshold']:.2f}")
