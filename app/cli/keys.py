"""``python -m app keys create | list | revoke``: the API keys of the keys file (``RAG_KEYS_FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from app.cli.common import console
from app.keys import ROLES, KeyFileError, KeyStore
from app.settings import Settings

app = typer.Typer(help="API keys: admin keys may upload and delete documents, read keys may ask and read.")

FILE_OPTION = typer.Option(None, "--file", "-f", help="Keys file (default: RAG_KEYS_FILE, keys.json).")


def _store(file: Optional[Path]) -> KeyStore:
    return KeyStore(file or Settings().keys_file)


@app.command()
def create(
    role: str = typer.Option(..., help="admin (may write) or read (may ask, search and read)."),
    name: Optional[str] = typer.Option(None, help="Who the key is for, shown in logs (default: <role>-<random>)."),
    public: bool = typer.Option(
        False, "--public", help="A read key to publish (the widget's data-key): rate-limited per client address."
    ),
    file: Optional[Path] = FILE_OPTION,
) -> None:
    """Create a key and print it once: only its hash is stored."""
    if role not in ROLES:
        raise typer.BadParameter(f"must be one of {', '.join(ROLES)}", param_hint="--role")
    if public and role != "read":
        raise typer.BadParameter("only a read key can be public", param_hint="--public")
    store = _store(file)
    try:
        key, secret = store.create(role, name, public=public)
    except (ValueError, KeyFileError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    kind = f"public {key.role}" if key.public else key.role
    console.print(f"created {kind} key [bold]{key.name}[/] in {store.path}; it is shown only now:")
    print(secret)  # stdout alone, so that `KEY=$(python -m app keys create ...)` captures just the key


@app.command("list")
def list_keys(file: Optional[Path] = FILE_OPTION) -> None:
    """Names, roles and creation times of the keys (never the keys themselves)."""
    store = _store(file)
    try:
        keys = store.keys()
    except KeyFileError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    table = Table(title=f"API keys in {store.path}")
    for column in ("name", "role", "public", "created"):
        table.add_column(column)
    for key in keys:
        table.add_row(key.name, key.role, "yes" if key.public else "", key.created)
    Console().print(table)


@app.command()
def revoke(
    name: str = typer.Argument(..., help="Name of the key to revoke."), file: Optional[Path] = FILE_OPTION
) -> None:
    """Revoke a key: running servers refuse it from their next request."""
    store = _store(file)
    try:
        key = store.revoke(name)
    except KeyError:
        console.print(f"[red]error:[/] no key named {name!r} in {store.path}")
        raise typer.Exit(2) from None
    except KeyFileError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"revoked {key.role} key {key.name}")
