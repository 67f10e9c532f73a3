"""``python -m app eval-langid | eval-kazqad``: language identification, and Kazakh open retrieval on KazQAD."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from app.cli.common import console

# No name: the root adds these commands at its top level.
app = typer.Typer()


@app.command("eval-langid")
def eval_langid(
    data: Path = typer.Option(Path("eval/langid.jsonl"), help="Labelled texts (JSONL: lang, kind, text, source)."),
) -> None:
    """Accuracy of language identification per language, for documents and for questions."""
    from app.evaluation.langid import TARGETS, evaluate_langid

    result = evaluate_langid(data)
    table = Table(title=f"Language identification on {data}")
    for column in ("lang", "documents", "accuracy", "questions", "accuracy "):
        table.add_column(column, justify="right")
    for row in result.rows():
        table.add_row(
            str(row["lang"]),
            str(row["documents"]),
            f"{row['document_accuracy']:.3f}",
            str(row["questions"]),
            f"{row['question_accuracy']:.3f}",
        )
    console.print(table)
    console.print(f"targets: documents ≥ {TARGETS['document']}, questions ≥ {TARGETS['question']} per language")
    for error in result.errors:
        console.print(f"{error['lang']} read as {error['found']} ({error['kind']}): {error['text']}")
