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


@app.command("eval-kazqad")
def eval_kazqad(
    data: Path = typer.Option(None, help="KazQAD in SQuAD format (default: shared/data/qa beside the project)."),
    limit: int = typer.Option(0, help="Ask only the first N questions (0: all)."),
    encoder: str = typer.Option(None, help="Encoder spec (default: RAG_ENCODER)."),
    all_questions: bool = typer.Option(
        False, "--all-questions", help="Also ask the questions of the part the span reader trains on."
    ),
) -> None:
    """Kazakh open retrieval: KazQAD paragraphs in a temporary index, its questions asked through the pipeline."""
    from app.cli.common import temporary_pipeline
    from app.evaluation.kazqad import (
        KAZQAD_DEV,
        KAZQAD_TRAIN_PART,
        TARGET_CONTAINMENT,
        TARGET_GOLD_FIRST,
        evaluate_kazqad,
        load_kazqad,
    )

    documents, questions = load_kazqad(data or KAZQAD_DEV, None if all_questions else KAZQAD_TRAIN_PART)
    pipeline = temporary_pipeline(None, documents, encoder)
    pipeline.warm_up()
    result = evaluate_kazqad(pipeline, questions[:limit] if limit else questions)
    table = Table(title=f"KazQAD open retrieval ({len(documents)} paragraphs)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in result.items():  # one row each: eight columns would not fit a terminal's width
        table.add_row(name, str(value))
    console.print(table)
    console.print(f"targets: gold paragraph first ≥ {TARGET_GOLD_FIRST}, containment ≥ {TARGET_CONTAINMENT}")
