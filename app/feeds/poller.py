"""Polling RSS/Atom feeds: new entries are fetched through the ``Fetcher`` (and its allow-list) and indexed.

Each due feed is fetched and parsed (``feedparser``); each entry not seen before (by its link, then by the content
hash of its text) is fetched as a page, or, when the page cannot be fetched or read, taken from the entry's own
content or summary, and indexed through ``Pipeline.upsert`` with the entry's link as its URL. A feed that fails
(unreachable, not a feed, the store down) is tried again after ``interval * 2**failures`` seconds, at most
``MAX_BACKOFF_FACTOR`` intervals. Bounded: at most ``max_entries`` new entries per feed per poll (the rest wait for
the next poll), each page and feed within the fetcher's byte limit.

``FeedWorker`` runs the polls on a thread of its own in the server: writes never run on the event loop, and an
upload's embedding shares the model thread in slices, so questions do not wait for a poll.
"""

from __future__ import annotations

import calendar
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import feedparser

from app.feeds.store import Feed, FeedStore
from app.index.storage import StoreUnavailable
from app.ingest.fetch import Fetcher, FetchError, url_doc_id
from app.ingest.reader import UnreadableDocument, content_hash, read_bytes
from app.ingest.web import read_url
from app.text.dates import iso_date

if TYPE_CHECKING:
    from app.pipeline import Pipeline

log = logging.getLogger("app.feeds")
MAX_BACKOFF_FACTOR = 64  # a feed failing for long is still tried every 64 intervals (about 2.7 days at 1 h)
# Seconds a claimed feed stays reserved for the process polling it (longer than any poll of one feed takes).
CLAIM_SECONDS = 600.0


class NotAFeed(FetchError):
    """The URL answered with something feedparser does not read as RSS or Atom."""

    status = 422


# What became of a fetch, by its exception (for /metrics).
def fetch_outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    names = {
        "Refused": "refused",
        "RedirectRefused": "redirect_refused",
        "Unreachable": "unreachable",
        "TooLarge": "too_large",
        "UnsupportedType": "unsupported_type",
        "NotAFeed": "not_a_feed",
    }
    return names.get(type(exc).__name__, "error")


Counter = Callable[[str, str], None]  # (what, outcome): "fetch:page", "ok"; "entry", "new"; "poll", "failed"


def _no_count(what: str, outcome: str) -> None:
    return None


@dataclass
class PollReport:
    """What one poll of one feed did."""

    url: str
    new: list[str] = field(default_factory=list)  # doc ids indexed
    seen: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # entry link -> reason
    error: str | None = None  # why the feed itself failed


def parse_feed(fetcher: Fetcher, url: str, count: Counter = _no_count) -> Any:
    """The parsed feed at ``url``; ``FetchError`` (``NotAFeed`` for a page that is not RSS or Atom)."""
    try:
        fetched = fetcher.fetch(url, "feed")
    except FetchError as exc:
        count("fetch:feed", fetch_outcome(exc))
        raise
    parsed = feedparser.parse(fetched.body, response_headers={"content-location": fetched.url})
    if not parsed.get("version"):
        count("fetch:feed", "not_a_feed")
        reason = getattr(parsed.get("bozo_exception"), "args", ("no RSS or Atom root element",))[0]
        raise NotAFeed(f"{url} is not an RSS or Atom feed: {reason}")
    count("fetch:feed", "ok")
    return parsed


def _entry_date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return iso_date(time.strftime("%Y-%m-%d", time.gmtime(calendar.timegm(value))))
    return None


def _entry_text(entry: Any) -> str | None:
    """The entry's own text: its longest content, else its summary, as plain text; None when it has none."""
    bodies = [c.get("value", "") for c in entry.get("content", []) or []] + [entry.get("summary", "")]
    html = max(bodies, key=len, default="")
    if not html.strip():
        return None
    try:
        return read_bytes(html.encode("utf-8"), ".html").text
    except UnreadableDocument:
        return None


class FeedPoller:
    """Polls feeds into a pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        store: FeedStore,
        fetcher: Fetcher,
        interval: float,
        max_entries: int = 20,
        count: Counter = _no_count,
    ):
        self.pipeline = pipeline
        self.store = store
        self.fetcher = fetcher
        self.interval = interval
        self.max_entries = max_entries
        self.count = count
        self.stopping = threading.Event()

    def poll_due(self, now: float | None = None) -> list[PollReport]:
        """Poll every feed due at ``now`` (claimed first, so another process does not poll it too)."""
        now = time.time() if now is None else now
        return [self.poll(feed) for feed in self.store.claim_due(now, CLAIM_SECONDS) if not self.stopping.is_set()]

    def poll_all(self) -> list[PollReport]:
        """Poll every feed now, due or not (``python -m app feeds poll``)."""
        return [self.poll(feed) for feed in self.store.feeds()]

    def poll(self, feed: Feed) -> PollReport:
        """Poll one feed, index its new entries, and record the poll and when the next one is due."""
        report = PollReport(feed.url)
        try:
            parsed = parse_feed(self.fetcher, feed.url, self.count)
            for entry in parsed.entries:
                if len(report.new) + len(report.failed) >= self.max_entries or self.stopping.is_set():
                    break
                self._entry(feed, entry, report)
        except (FetchError, StoreUnavailable) as exc:
            report.error = str(exc) or type(exc).__name__
        now = time.time()
        if report.error is None:
            next_poll = now + self.interval
            self.count("poll", "ok")
        else:
            factor = min(2 ** (feed.failures + 1), MAX_BACKOFF_FACTOR)
            next_poll = now + self.interval * factor
            self.count("poll", "failed")
            log.warning(
                "feed %s failed (%d in a row; next try in %.0f s): %s",
                feed.url,
                feed.failures + 1,
                next_poll - now,
                report.error,
            )
        self.store.polled(feed.url, now, next_poll, report.error, len(report.new))
        return report

    def _entry(self, feed: Feed, entry: Any, report: PollReport) -> None:
        link = (entry.get("link") or "").strip()
        key = link or (entry.get("id") or "").strip()
        if not key or self.store.seen_url(key):
            report.seen += 1
            self.count("entry", "seen")
            return
        title = (entry.get("title") or "").strip() or None
        date = _entry_date(entry)
        text = None
        if link:
            try:
                page = read_url(self.fetcher, link)
                self.count("fetch:page", "ok")
                text, title, date = page.text, page.title or title, page.date or date
            except (FetchError, UnreadableDocument) as exc:
                self.count("fetch:page", fetch_outcome(exc) if isinstance(exc, FetchError) else "unreadable")
                log.info("feed entry %s: page not used (%s); the entry's own text is", link, exc)
        if text is None:
            text = _entry_text(entry)
        if text is None:
            report.failed[key] = "neither the page nor the entry has text"
            self.count("entry", "failed")
            self.store.mark_seen(feed.url, key, None, None)  # an entry without text will not grow one
            return
        sha = content_hash(text)
        if self.store.seen_sha(sha):  # the same text under another link (a syndicated copy)
            report.seen += 1
            self.count("entry", "seen")
            self.store.mark_seen(feed.url, key, sha, None)
            return
        doc_id = url_doc_id(key) if link else url_doc_id(f"{feed.url}#{key}")
        try:
            self.pipeline.upsert(doc_id, text, title, date, feed.collection, link or None)
        except UnreadableDocument as exc:
            report.failed[key] = str(exc)
            self.count("entry", "failed")
            self.store.mark_seen(feed.url, key, sha, None)
            return
        self.store.mark_seen(feed.url, key, sha, doc_id)
        report.new.append(doc_id)
        self.count("entry", "new")


class FeedWorker:
    """The server's schedule: polls the due feeds every ``tick`` seconds on a daemon thread until stopped."""

    def __init__(self, poller: FeedPoller, tick: float):
        self.poller = poller
        self.tick = tick
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.poller.stopping.clear()
        self._thread = threading.Thread(target=self._run, name="feeds", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self.poller.stopping.is_set():
            try:
                self.poller.poll_due()
            except Exception:  # one bad poll must not end the schedule; the next tick tries again
                log.exception("feed poll failed")
            self.poller.stopping.wait(self.tick)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the entry in progress (fetches are bounded by the fetcher's deadline)."""
        self.poller.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the feed poller is still finishing a fetch or write at shutdown")
            self._thread = None
