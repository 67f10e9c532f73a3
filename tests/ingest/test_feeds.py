"""Feeds polled into a real index from a web server on loopback: each entry indexed once, fallbacks, bounds, backoff,
the server's schedule and its metrics, and the `feeds` commands."""

from __future__ import annotations

import subprocess
import time

import pytest

from app.feeds.poller import FeedPoller, NotAFeed, parse_feed
from app.feeds.store import FeedStore, TooManyFeeds
from app.ingest.fetch import Fetcher, FetchPolicy, UnsupportedType, url_doc_id
from tests.conftest import PYTHON, ROOT, make_settings, subprocess_env
from tests.ingest.local_web import Reply, article, local_web, rss

LOOPBACK = FetchPolicy.parse(["127.0.0.0/8"])
SALMA = "Forty-two officers were assigned to the new Salma checkpoint on the border with Tajikistan."
DOSTYK = "The Dostyk crossing processed 1,250 trucks during the first week after its reconstruction."
KORDAI = "Kordai border officers seized 31 kilograms of hashish hidden in a truck carrying melons."


@pytest.fixture
def web():
    with local_web() as server:
        server.routes["/news/salma"] = Reply(body=article("Salma checkpoint opened", SALMA))
        server.routes["/news/dostyk"] = Reply(body=article("Dostyk crossing reconstructed", DOSTYK))
        # /news/kordai is not served (404): its entry's own summary is indexed instead.
        items = [
            (server.url("/news/salma"), "Salma checkpoint opened", "Short teaser about Salma."),
            (server.url("/news/dostyk"), "Dostyk crossing reconstructed", "Short teaser about Dostyk."),
            (server.url("/news/kordai"), "Seizure at Kordai", KORDAI),
            (server.url("/news/salma-copy"), "Salma checkpoint opened", "A syndicated copy."),
        ]
        server.routes["/news/salma-copy"] = Reply(body=article("Salma checkpoint opened", SALMA))
        server.routes["/feed.xml"] = Reply(content_type="application/rss+xml; charset=utf-8", body=rss(items))
        yield server


def _poller(workspace, fetcher, max_entries=20, interval=3600.0):
    store = FeedStore(workspace.settings.feeds_file)
    return FeedPoller(workspace.pipeline, store, fetcher, interval, max_entries), store


def test_a_feed_polled_twice_indexes_each_entry_once(workspace, web):
    with Fetcher(LOOPBACK) as fetcher:
        poller, store = _poller(workspace, fetcher)
        store.add(web.url("/feed.xml"), "border-news")
        first = poller.poll_due()
        documents = workspace.pipeline.catalog().documents
        second = poller.poll_all()
    assert [r.error for r in first] == [None]
    salma, dostyk, kordai = (url_doc_id(web.url(p)) for p in ("/news/salma", "/news/dostyk", "/news/kordai"))
    assert first[0].new == [salma, dostyk, kordai]
    assert first[0].seen == 1  # the syndicated copy: the same text under another link
    assert second[0].new == [] and second[0].seen == 4
    assert web.hits["/news/salma"] == 1 and web.hits["/feed.xml"] == 2  # seen entries are not fetched again
    assert SALMA in documents[salma].text and documents[salma].url == web.url("/news/salma")
    assert documents[salma].collection == "border-news" and documents[salma].date == "2024-05-02"
    assert KORDAI in documents[kordai].text  # the page was missing: the entry's summary
    assert url_doc_id(web.url("/news/salma-copy")) not in documents
    feed = store.feeds()[0]
    assert feed.entries == 3 and feed.failures == 0 and feed.next_poll > time.time() + 3000


def test_entries_per_poll_are_bounded(workspace, web):
    items = [(web.url(f"/n/{i}"), f"Item {i}", f"Officers of post number {i} reported {i * 7} crossings.") for i in range(5)]
    web.routes["/five.xml"] = Reply(content_type="application/atom+xml", body=rss(items))
    with Fetcher(LOOPBACK) as fetcher:
        poller, store = _poller(workspace, fetcher, max_entries=2)
        store.add(web.url("/five.xml"))
        counts = [len(poller.poll_all()[0].new) for _ in range(4)]
    assert counts == [2, 2, 1, 0]


def test_entry_links_go_through_the_allow_list(workspace, web):
    """The feed is allowed by name; its entries' links name an address the allow-list does not hold: those pages
    are never fetched, and the entries' own summaries are indexed."""
    with Fetcher(FetchPolicy.parse(["localhost"])) as fetcher:
        poller, store = _poller(workspace, fetcher)
        store.add(web.url("/feed.xml", "localhost"))
        (report,) = poller.poll_all()
    assert report.error is None and len(report.new) == 4  # the copy's summary differs from the original's
    assert "/news/salma" not in web.hits and "/news/dostyk" not in web.hits
    documents = workspace.pipeline.catalog().documents
    assert documents[url_doc_id(web.url("/news/salma"))].text.startswith("Short teaser about Salma")


def test_not_a_feed_is_refused_and_a_failing_feed_backs_off(workspace, web):
    web.routes["/note.xml"] = Reply(content_type="application/xml", body=b"<?xml version='1.0'?><note>hi</note>")
    with Fetcher(LOOPBACK) as fetcher:
        with pytest.raises(NotAFeed) as not_a_feed:
            parse_feed(fetcher, web.url("/note.xml"))
        assert not_a_feed.value.status == 422
        with pytest.raises(UnsupportedType):
            parse_feed(fetcher, web.url("/news/salma"))
        poller, store = _poller(workspace, fetcher, interval=100.0)
        store.add(web.url("/note.xml"))
        delays = []
        for _ in range(3):
            started = time.time()
            (report,) = poller.poll_all()
            assert report.error and "not an RSS or Atom feed" in report.error
            delays.append(round(store.feeds()[0].next_poll - started, -1))
    assert delays == [200, 400, 800]  # interval * 2**failures
    feed = store.feeds()[0]
    assert feed.failures == 3 and "not an RSS" in feed.last_error
    assert poller.poll_due() == []  # not due again before its backoff


def test_feeds_are_bounded_and_claimed_once(tmp_path):
    store = FeedStore(tmp_path / "feeds.sqlite3", max_feeds=2)
    other = FeedStore(tmp_path / "feeds.sqlite3", max_feeds=2)  # a second server worker on the same file
    assert store.add("http://a.example/rss") and store.add("http://b.example/rss")
    assert not store.add("http://a.example/rss", "renamed")  # already there: its collection changes
    with pytest.raises(TooManyFeeds):
        store.add("http://c.example/rss")
    now = time.time()
    assert len(store.claim_due(now, 600)) == 2
    assert other.claim_due(now, 600) == []  # each due feed goes to one process
    assert store.remove("http://a.example/rss") and not store.remove("http://a.example/rss")
    assert [f.url for f in other.feeds()] == ["http://b.example/rss"]


def test_the_server_polls_on_its_schedule_and_counts_in_metrics(workspace, web, api_keys):
    from fastapi.testclient import TestClient

    from app.api.main import create_app
    from app.pipeline import Pipeline

    settings = make_settings(workspace.index, fetch_allow=["127.0.0.0/8"], feeds_interval=1)
    FeedStore(settings.feeds_file).add(web.url("/feed.xml"))
    pipeline = Pipeline(settings, encoder=workspace.pipeline.encoder)
    salma, kordai = url_doc_id(web.url("/news/salma")), url_doc_id(web.url("/news/kordai"))
    with TestClient(create_app(settings, pipeline=pipeline), headers=api_keys.admin_headers) as client:
        deadline = time.monotonic() + 120
        while kordai not in [d["doc_id"] for d in client.get("/documents").json()]:  # the last entry of the feed
            assert time.monotonic() < deadline, "the feed was not polled"
            time.sleep(0.2)
        metrics = client.get("/metrics").text
        listed = {d["doc_id"]: d for d in client.get("/documents").json()}
    assert listed[salma]["url"] == web.url("/news/salma")
    assert 'qa_url_fetches_total{kind="feed",outcome="ok"}' in metrics
    assert 'qa_feed_entries_total{outcome="new"}' in metrics
    assert 'qa_url_fetches_total{kind="page",outcome="unreachable"} 1.0' in metrics  # /news/kordai: 404


def _cli(index, *args, **env):
    return subprocess.run(
        [PYTHON, "-m", "app", *args, "--index", str(index)],
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_feeds_commands(tmp_path, web):
    index = tmp_path / "index"
    allow = {"RAG_FETCH_ALLOW": '["127.0.0.0/8"]'}
    added = _cli(index, "feeds", "add", web.url("/feed.xml"), "--collection", "news", **allow)
    assert added.returncode == 0, added.stderr
    assert "added" in added.stderr and "4 entries" in added.stderr
    refused = _cli(index, "feeds", "add", web.url("/feed.xml"))  # loopback without the allow-list
    assert refused.returncode == 2 and "RAG_FETCH_ALLOW" in refused.stderr
    web.routes["/note.xml"] = Reply(content_type="text/xml", body=b"<note>hi</note>")
    not_a_feed = _cli(index, "feeds", "add", web.url("/note.xml"), **allow)
    assert not_a_feed.returncode == 2 and "not an RSS or Atom feed" in not_a_feed.stderr
    listed = _cli(index, "feeds", "list")
    assert listed.returncode == 0 and listed.stdout.splitlines() == [f"{web.url('/feed.xml')}\tnews\t0\t0"]
    assert _cli(index, "feeds", "remove", web.url("/feed.xml")).returncode == 0
    assert _cli(index, "feeds", "remove", web.url("/feed.xml")).returncode == 1
    assert _cli(index, "feeds", "list").stdout == ""
