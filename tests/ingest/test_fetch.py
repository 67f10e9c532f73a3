"""Fetching by URL against a web server on loopback: main text, the SSRF rules, redirects, size and type limits."""

from __future__ import annotations

import socket

import pytest

from app.ingest.fetch import (
    Fetcher,
    FetchPolicy,
    Refused,
    RedirectRefused,
    TooLarge,
    Unreachable,
    UnsupportedType,
    resolve,
    url_doc_id,
)
from app.ingest.web import read_url
from tests.ingest.local_web import ARTICLE, ARTICLE_TITLE, Reply, local_web

LOOPBACK = FetchPolicy.parse(["127.0.0.0/8", "::1"])


@pytest.fixture
def web():
    with local_web() as server:
        server.routes["/news/torugart"] = Reply(body=ARTICLE.encode())
        yield server


def test_article_main_text_title_and_date(web):
    with Fetcher(LOOPBACK) as fetcher:
        page = read_url(fetcher, web.url("/news/torugart"))
    assert page.title == ARTICLE_TITLE
    assert page.date == "2024-03-14"
    assert "Forty-two officers were assigned to the new checkpoint" in page.text
    assert "All rights reserved" not in page.text and "Contacts" not in page.text  # boilerplate left out
    assert page.url == web.url("/news/torugart")
    assert page.doc_id == "127.0.0.1/news/torugart"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/news/torugart",
        "http://localhost:{port}/news/torugart",  # a name that resolves to loopback
        "http://[::1]:{port}/news/torugart",
        "http://[::ffff:127.0.0.1]:{port}/news/torugart",  # IPv4-mapped loopback
        "http://0.0.0.0:{port}/news/torugart",
        "http://10.0.0.1:{port}/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/",  # shared address space
        "http://224.0.0.1/",  # multicast
    ],
)
def test_default_policy_refuses_loopback_private_and_reserved_addresses(web, url):
    with Fetcher(FetchPolicy()) as fetcher, pytest.raises(Refused) as refused:
        fetcher.fetch(url.format(port=web.port), "page")
    assert refused.value.status == 422 and "RAG_FETCH_ALLOW" in str(refused.value)
    assert web.hits == {}  # refused before any request was sent


def test_allow_list_admits_only_what_it_lists(web):
    with Fetcher(FetchPolicy.parse(["10.0.0.0/8"])) as fetcher, pytest.raises(Refused, match="not in RAG_FETCH_ALLOW"):
        fetcher.fetch(web.url("/news/torugart"), "page")
    with Fetcher(FetchPolicy.parse(["localhost"])) as fetcher:  # a host name allows what it resolves to
        assert fetcher.fetch(web.url("/news/torugart", "localhost"), "page").body == ARTICLE.encode()
        with pytest.raises(Refused):  # the same server by its address is not listed
            fetcher.fetch(web.url("/news/torugart"), "page")
    assert web.hits == {"/news/torugart": 1}


def test_every_resolved_address_is_checked(monkeypatch):
    """A name resolving to a public and a private address is refused (no choosing the public one to check)."""

    def two_addresses(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    with pytest.raises(Refused, match="127.0.0.1"):
        resolve("news.example", 80, FetchPolicy())


def test_connection_goes_to_the_checked_address_with_the_name_as_host(web, monkeypatch):
    """The name is resolved once, by the check; the request goes to that address and names the host in Host."""
    seen_hosts = []
    resolved = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        resolved.append(host)
        if host == "news.example":  # resolves to loopback once; any later resolution would fail
            if resolved.count("news.example") > 1:
                raise socket.gaierror("resolved twice")
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    def route():
        return Reply(body=ARTICLE.encode())

    web.routes["/checked"] = route
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    original = web.server.RequestHandlerClass.do_GET

    def record_host(handler):
        seen_hosts.append(handler.headers["Host"])
        original(handler)

    monkeypatch.setattr(web.server.RequestHandlerClass, "do_GET", record_host)
    with Fetcher(FetchPolicy.parse(["news.example"])) as fetcher:
        fetched = fetcher.fetch(f"http://news.example:{web.port}/checked", "page")
    assert fetched.body == ARTICLE.encode()
    assert seen_hosts == [f"news.example:{web.port}"]
    assert resolved.count("news.example") == 1


def test_redirects_are_followed_and_each_hop_checked(web):
    web.routes["/old"] = Reply(301, headers={"Location": "/news/torugart"})
    web.routes["/away"] = Reply(302, headers={"Location": "http://127.0.0.1:{}/news/torugart".format(web.port)})
    with Fetcher(LOOPBACK) as fetcher:
        assert fetcher.fetch(web.url("/old"), "page").url == web.url("/news/torugart")
    # Allowed by name, redirected to an address the allow-list does not hold: refused, the target never asked.
    with Fetcher(FetchPolicy.parse(["localhost"])) as fetcher, pytest.raises(RedirectRefused) as refused:
        fetcher.fetch(web.url("/away", "localhost"), "page")
    assert refused.value.status == 422
    assert web.hits == {"/old": 1, "/news/torugart": 1, "/away": 1}


def test_redirect_loop_and_too_many_redirects_are_refused(web):
    web.routes["/loop/a"] = Reply(302, headers={"Location": "/loop/b"})
    web.routes["/loop/b"] = Reply(302, headers={"Location": "/loop/a"})
    for i in range(10):
        web.routes[f"/chain/{i}"] = Reply(302, headers={"Location": f"/chain/{i + 1}"})
    with Fetcher(LOOPBACK) as fetcher:
        with pytest.raises(RedirectRefused, match="loop"):
            fetcher.fetch(web.url("/loop/a"), "page")
        with pytest.raises(RedirectRefused, match="more than 5 redirects"):
            fetcher.fetch(web.url("/chain/0"), "page")
    assert web.hits["/loop/a"] == 1 and web.hits["/loop/b"] == 1
    assert "/chain/6" not in web.hits  # six requests: the first and five redirects


@pytest.mark.parametrize("declared", [True, False])
def test_oversize_body_is_refused(web, declared):
    web.routes["/big"] = Reply(body=b"<p>" + b"x" * 300_000 + b"</p>", length=declared)
    policy = FetchPolicy.parse(["127.0.0.0/8"], max_bytes=100_000)
    with Fetcher(policy) as fetcher, pytest.raises(TooLarge) as too_large:
        fetcher.fetch(web.url("/big"), "page")
    assert too_large.value.status == 413 and "RAG_FETCH_MAX_BYTES" in str(too_large.value)


def test_content_types_are_checked(web):
    web.routes["/logo.png"] = Reply(content_type="image/png", body=b"\x89PNG\r\n\x1a\n")
    web.routes["/feed.xml"] = Reply(content_type="application/rss+xml", body=b"<rss version='2.0'/>")
    with Fetcher(LOOPBACK) as fetcher:
        with pytest.raises(UnsupportedType) as unsupported:
            fetcher.fetch(web.url("/logo.png"), "page")
        assert unsupported.value.status == 415 and "image/png" in str(unsupported.value)
        with pytest.raises(UnsupportedType):  # a page is not a feed
            fetcher.fetch(web.url("/news/torugart"), "feed")
        with pytest.raises(UnsupportedType):  # nor a feed a page
            fetcher.fetch(web.url("/feed.xml"), "page")
        assert fetcher.fetch(web.url("/feed.xml"), "feed").content_type == "application/rss+xml"


def test_unreachable_and_error_statuses(web):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with Fetcher(LOOPBACK) as fetcher:
        with pytest.raises(Unreachable) as missing:
            fetcher.fetch(web.url("/nowhere"), "page")
        assert missing.value.status == 502 and "404" in str(missing.value)
        with pytest.raises(Unreachable, match="cannot connect"):
            fetcher.fetch(f"http://127.0.0.1:{closed_port}/", "page")
        with pytest.raises(Unreachable, match="does not resolve"):
            fetcher.fetch("http://no-such-host.invalid/", "page")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/a", "gopher://127.0.0.1:70/", "http://user:pw@example.org/", "/rel", ""],
)
def test_only_plain_http_urls(url):
    with Fetcher(FetchPolicy()) as fetcher, pytest.raises(Refused):
        fetcher.fetch(url, "page")


def test_doc_ids_from_urls_are_stable_and_readable():
    assert url_doc_id("https://www.mid.gov.kz/ru/news/12345") == "mid.gov.kz/ru/news/12345"
    assert url_doc_id("http://mid.gov.kz/ru/news/12345/") == "mid.gov.kz/ru/news/12345"
    assert url_doc_id("https://osce.org") == "osce.org/index"
    assert url_doc_id("https://gov.kg/новости/граница") == "gov.kg/новости/граница"
    with_query = url_doc_id("https://x.org/view.php?id=7")
    assert with_query.startswith("x.org/view.php-") and with_query != url_doc_id("https://x.org/view.php?id=8")
    assert ".." not in url_doc_id("https://x.org/a/../../etc/passwd").split("/")
    assert len(url_doc_id("https://x.org/" + "a/" * 600)) <= 400
