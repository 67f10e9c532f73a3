"""``python -m app feeds add | list | remove | poll``: the RSS/Atom feeds a server polls (RAG_FEEDS_INTERVAL), and
``python -m app ingest --url``'s fetching of single pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from app.cli.common import console, open_pipeline, settings_for

if TYPE_CHECKING:
    from app.feeds.store import FeedStore
    from app.settings import Settings

app = typer.Typer(help="RSS/Atom feeds polled into the index on a schedule (RAG_FEEDS_INTERVAL).", no_args_is_help=True)

INDEX = typer.Option(None, "--index", "-i", help="Index folder (default: RAG_INDEX_DIR); feeds are kept beside it.")


def _store(settings: Settings) -> FeedStore:
    from app.feeds.store import FeedStore

    return FeedStore(settings.feeds_file, settings.feeds_max)


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "-"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command("add")
def add(
    url: str = typer.Argument(..., help="The feed's URL (RSS or Atom)."),
    collection: Optional[str] = typer.Option(None, "--collection", "-c", help="Collection its entries are filed in."),
    index: Optional[Path] = INDEX,
) -> None:
    """Add a feed, after fetching it once to check that it is one; exit code 2 if it is refused or not a feed."""
    from app.api.schemas import check_collection
    from app.feeds.poller import parse_feed
    from app.feeds.store import TooManyFeeds
    from app.ingest.fetch import Fetcher, FetchError, check_url, policy_of

    settings = settings_for(index)
    try:
        collection = check_collection(collection) if collection is not None else None
        url = str(check_url(url))
        with Fetcher(policy_of(settings)) as fetcher:
            parsed = parse_feed(fetcher, url)
    except ValueError as exc:
        console.print(f"[red]error:[/] collection: {exc}")
        raise typer.Exit(2) from None
    except FetchError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    store = _store(settings)
    try:
        added = store.add(url, collection)
    except TooManyFeeds as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    title = parsed.feed.get("title") or url
    said = "added" if added else "already there (collection updated)"
    console.print(f"{said}: {title} ({len(parsed.entries)} entries)")
    if settings.feeds_interval <= 0:
        console.print("[yellow]note:[/] RAG_FEEDS_INTERVAL is 0: the server polls no feed (`feeds poll` does once)")


@app.command("list")
def list_feeds(index: Optional[Path] = INDEX) -> None:
    """The feeds, with when each was polled, its consecutive failures and last error (tab-separated on stdout)."""
    settings = settings_for(index)
    store = _store(settings)
    try:
        feeds = store.feeds() if settings.feeds_file.exists() else []
    finally:
        store.close()
    table = Table(title=f"{len(feeds)} feeds ({settings.feeds_file})")
    for column in ("url", "collection", "entries", "last polled", "next poll", "failures", "last error"):
        table.add_column(column)
    for feed in feeds:
        table.add_row(
            feed.url,
            feed.collection or "-",
            str(feed.entries),
            _when(feed.last_polled),
            _when(feed.next_poll) if feed.next_poll else "now",
            str(feed.failures),
            feed.last_error or "",
        )
        print(f"{feed.url}\t{feed.collection or ''}\t{feed.entries}\t{feed.failures}")
    console.print(table)


@app.command("remove")
def remove(url: str = typer.Argument(..., help="The feed's URL, as listed."), index: Optional[Path] = INDEX) -> None:
    """Stop polling a feed (the entries already indexed stay); exit code 1 if there was no such feed."""
    settings = settings_for(index)
    store = _store(settings)
    try:
        removed = settings.feeds_file.exists() and store.remove(url)
    finally:
        store.close()
    if not removed:
        console.print(f"[red]error:[/] no feed {url}")
        raise typer.Exit(1)
    console.print(f"removed: {url}")


@app.command("poll")
def poll(index: Optional[Path] = INDEX) -> None:
    """Poll every feed once now, due or not (as the server does on its schedule); exit code 1 if any failed."""
    from app.feeds.poller import FeedPoller
    from app.ingest.fetch import Fetcher, policy_of

    settings = settings_for(index)
    if not settings.feeds_file.exists():
        console.print("no feeds")
        return
    pipeline = open_pipeline(settings)
    store = _store(settings)
    interval = settings.feeds_interval or 3600  # when the server's next poll is due, if it polls
    with Fetcher(policy_of(settings)) as fetcher:
        try:
            reports = FeedPoller(pipeline, store, fetcher, interval, settings.feeds_max_entries).poll_all()
        finally:
            store.close()
    failed = False
    for report in reports:
        if report.error:
            failed = True
            console.print(f"[red]failed[/] {report.url}: {report.error}")
            continue
        console.print(f"{report.url}: {len(report.new)} new, {report.seen} seen, {len(report.failed)} failed")
        for doc_id in report.new:
            print(doc_id)
    raise typer.Exit(1 if failed else 0)


def ingest_urls(settings: Settings, urls: list[str], collection: Optional[str]) -> None:
    """Fetch each page and index it as an upload (``ingest --url``); exit code 1 if any failed, 2 on bad input."""
    from app.api.schemas import check_collection
    from app.ingest.fetch import Fetcher, FetchError, policy_of
    from app.ingest.reader import ReadLimits, UnreadableDocument
    from app.ingest.web import read_url

    try:
        collection = check_collection(collection) if collection is not None else None
    except ValueError as exc:
        console.print(f"[red]error:[/] collection: {exc}")
        raise typer.Exit(2) from None
    pipeline = open_pipeline(settings)
    limits = ReadLimits(settings.max_document_chars, settings.pdf_max_pages, settings.pdf_timeout_s)
    failed = 0
    with Fetcher(policy_of(settings)) as fetcher:
        for url in urls:
            try:
                page = read_url(fetcher, url, limits)
                report = pipeline.upsert(page.doc_id, page.text, page.title, page.date, collection, page.url)
            except (FetchError, UnreadableDocument) as exc:
                failed += 1
                console.print(f"[red]failed[/] {url}: {exc}")
                continue
            status = "added" if report.added else "updated" if report.updated else "unchanged"
            console.print(f"{status}: {url} as {page.doc_id} ({len(page.text)} characters)")
            print(page.doc_id)
    raise typer.Exit(1 if failed else 0)
