"""``python -m app feedback export | stats``: users' verdicts (``POST /feedback``) as gold questions and numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table

from app.cli.common import console
from app.feedback.store import FeedbackRow, FeedbackStore
from app.settings import Settings

if TYPE_CHECKING:
    from app.models import Document

app = typer.Typer(
    help="Users' verdicts on answers: export them as gold questions, agreement by language pair.",
    no_args_is_help=True,
)

DB_OPTION = typer.Option(None, "--db", help="Feedback file (default: RAG_FEEDBACK_PATH, beside the index).")
INDEX_OPTION = typer.Option(None, "--index", "-i", help="Index the feedback is about (default: RAG_INDEX_DIR).")
ANONYMOUS_OPTION = typer.Option(
    False,
    "--include-anonymous",
    help="Also use rows given without an API key (or stored before givers were recorded): anyone may post those "
    "while reads are open.",
)


def _inputs(db: Optional[Path], index: Optional[Path]) -> tuple[list[FeedbackRow], dict[str, Document]]:
    """The stored feedback and the served index's documents (read without vectors or models); exit 2 without
    feedback."""
    from app.index.factory import make_store  # loads FAISS: only for the commands that need it

    settings = Settings() if index is None else Settings(index_dir=index)
    path = db or settings.feedback_file
    if not path.is_file():
        console.print(f"[red]error:[/] no feedback file at {path} (RAG_FEEDBACK_PATH)")
        raise typer.Exit(2)
    store = FeedbackStore(path)
    try:
        rows = store.rows()
    finally:
        store.close()
    index_store = make_store(settings)  # the configured store: the embedded files or Milvus
    try:
        documents = {d.doc_id: d for d in index_store.stored_documents()}
    finally:
        index_store.close()
    return rows, documents


@app.command()
def export(
    gold: Path = typer.Option(..., "--gold", dir_okay=False, help="JSONL file to write, in eval/gold.jsonl's format."),
    db: Optional[Path] = DB_OPTION,
    index: Optional[Path] = INDEX_OPTION,
    include_anonymous: bool = ANONYMOUS_OPTION,
) -> None:
    """Write confirmed and corrected answers given with a key as gold questions, for `eval --gold` and
    `calibrate --gold`; each line names who gave it (given_by)."""
    from app.feedback.gold import gold_records

    rows, documents = _inputs(db, index)
    result = gold_records(rows, documents, include_anonymous=include_anonymous)
    gold.parent.mkdir(parents=True, exist_ok=True)
    with gold.open("w", encoding="utf-8") as out:
        for record in result.records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    console.print(
        f"wrote {len(result.records)} gold questions from {result.rows_used} of {len(rows)} feedback rows to {gold}"
    )
    for reason, count in result.skipped.most_common():
        console.print(f"  skipped {count}: {reason}")


@app.command()
def stats(
    db: Optional[Path] = DB_OPTION, index: Optional[Path] = INDEX_OPTION, include_anonymous: bool = ANONYMOUS_OPTION
) -> None:
    """Verdicts and agreement (share of "up") by question language → document language, of keyed rows by default."""
    from app.feedback.gold import pair_stats

    rows, documents = _inputs(db, index)
    if not include_anonymous:
        left_out = sum(not row.keyed for row in rows)
        rows = [row for row in rows if row.keyed]
        if left_out:
            console.print(f"left out {left_out} rows given without a key (--include-anonymous counts them)")
    by_pair = pair_stats(rows, {doc_id: doc.lang for doc_id, doc in documents.items()})
    table = Table(title="Feedback by language pair (question → document)")
    table.add_column("pair", no_wrap=True)
    for column in ("rows", "up", "down", "corrections", "agreement"):
        table.add_column(column, justify="right")
    for pair, numbers in by_pair.items():
        table.add_row(
            pair,
            str(numbers.rows),
            str(numbers.up),
            str(numbers.down),
            str(numbers.corrections),
            f"{numbers.agreement:.3f}",
        )
    # Logs (CI) are not terminals and would get rich's 80 columns: give the table its natural width.
    Console(width=None if sys.stdout.isatty() else 120).print(table)
