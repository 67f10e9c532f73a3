"""Command line: ``python -m app <command>`` (and the ``border-qa`` script).

One module per command group; the root below only registers them, in ``COMMAND_GROUPS``.
"""

from __future__ import annotations

import typer

from app.cli import evaluation, feedback, feeds, index, keys, languages, reader, settings

cli = typer.Typer(help="Multilingual extractive question answering over a document corpus.", no_args_is_help=True)

# (Typer app, name): with a name, its commands sit under `python -m app <name> ...`; with None, at the top level.
# The order is the order of `--help`. A new group is a module of this package and one line here.
COMMAND_GROUPS: list[tuple[typer.Typer, str | None]] = [
    (index.app, None),  # ingest, serve, ask
    (evaluation.app, None),  # eval, calibrate, bench
    (languages.app, None),  # eval-langid, eval-kazqad
    (reader.app, "reader"),  # train and score the neural span reader
    (keys.app, "keys"),  # API keys: create, list, revoke
    (feedback.app, "feedback"),  # users' verdicts: export as gold questions, stats
    (feeds.app, "feeds"),  # RSS/Atom feeds polled on a schedule: add, list, remove, poll
    (settings.app, None),  # settings: every RAG_ variable, its default and meaning (the README table)
]
for group, name in COMMAND_GROUPS:
    cli.add_typer(group, name=name)


def main() -> None:
    """Entry point of ``python -m app`` and of the ``border-qa`` script."""
    cli()
