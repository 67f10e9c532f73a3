"""A tiny web server on loopback for the tests of fetching by URL: an article, a feed, a redirect loop, an oversize
page, a non-HTML file... served by ``http.server`` from a thread. Nothing leaves the machine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # False: no Content-Length, the body ends when the connection closes


Route = Reply | Callable[[], Reply]


class LocalWeb:
    """Routes by path; ``hits`` counts the requests of each path (to tell a refused fetch from a made one)."""

    def __init__(self, server: ThreadingHTTPServer):
        self.server = server
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@contextmanager
def local_web() -> Iterator[LocalWeb]:
    web: LocalWeb

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = self.path
            web.hits[path] = web.hits.get(path, 0) + 1
            route = web.routes.get(path)
            reply = route() if callable(route) else route
            if reply is None:
                reply = Reply(404, "text/plain", b"not found")
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.length:
                self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading (an oversize body)
                pass

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    web = LocalWeb(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


ARTICLE_TITLE = "New checkpoint opened at Torugart"
ARTICLE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{ARTICLE_TITLE} | Border Service</title>
<meta property="article:published_time" content="2024-03-14T09:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/contacts">Contacts</a></nav>
<article>
<h1>{ARTICLE_TITLE}</h1>
<p>The Border Service of the Kyrgyz Republic opened a new checkpoint at the Torugart pass on 14 March 2024.
Forty-two officers were assigned to the new checkpoint, which will process cargo trucks around the clock.</p>
<p>The checkpoint was built with the support of the OSCE Programme Office in Bishkek. According to the
service, the new facility will cut the waiting time of trucks at the border from two days to six hours.</p>
<p>Officials from China and Kyrgyzstan attended the opening ceremony, which took place in the morning.</p>
</article>
<footer>© Border Service. All rights reserved.</footer>
</body></html>
"""


def article(title: str, body: str, date: str = "2024-05-02") -> bytes:
    """A news page of one paragraph ``body``."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{date}T10:00:00Z"></head><body>
<nav><a href="/">Home</a></nav><article><h1>{title}</h1><p>{body}</p></article></body></html>""".encode()


def rss(items: list[tuple[str, str, str]], title: str = "Border service news") -> bytes:
    """An RSS 2.0 feed of ``(link, title, summary)`` items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Thu, 02 May 2024 10:00:00 GMT</pubDate><description>{s}</description></item>"
        for link, t, s in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.org/</link><description>news</description>{entries}</channel></rss>"
    ).encode()
