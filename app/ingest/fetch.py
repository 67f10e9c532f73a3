"""Fetching documents and feeds by URL: the one place the service makes outbound requests.

Every request is checked before a byte is sent, so that the service cannot be turned into a proxy into its own
network (SSRF):

- only ``http`` and ``https`` URLs, without user names or passwords in them;
- the host is resolved once, **every** address it resolves to is checked, and the connection goes to a checked
  address (the URL's host is kept for the ``Host`` header and for TLS's SNI and certificate check), so a name
  that resolves differently a moment later (DNS rebinding) cannot slip past the check;
- without an allow-list (``RAG_FETCH_ALLOW`` empty) any public address may be fetched and loopback, private,
  link-local, shared, multicast and reserved ones are refused; with one, only the listed hosts (``gov.kz`` also
  allows its sub-domains) and networks (``10.1.0.0/16``) may be fetched, whatever their addresses;
- redirects are followed here, not by the client: each hop is checked again, at most ``max_redirects`` of them,
  and a loop is refused;
- connect and read timeouts, a deadline for the whole fetch, the body streamed and dropped past ``max_bytes``
  (counted after decompression), the content type checked against what is expected (a page or a feed);
- proxies from the environment are ignored: a proxy would resolve the name itself, after the check.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import httpx

if TYPE_CHECKING:
    from app.settings import Settings

Kind = Literal["page", "feed"]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Content types by what is asked for. PDFs go to the file reader; the rest of a page's types are HTML.
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FILE_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/plain": ".txt",
}
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+xml",
)
REDIRECTS = (301, 302, 303, 307, 308)
MAX_URL_CHARS = 2048
USER_AGENT = "border-qa/1 (+document fetcher)"


class FetchError(Exception):
    """A URL that could not be fetched; ``status`` is the HTTP status the API answers with, the message the why."""

    status = 502


class Refused(FetchError):
    """The URL is not one the service may fetch: scheme, credentials, an address outside the allow-list."""

    status = 422


class RedirectRefused(FetchError):
    """A redirect loop, too many redirects, or a redirect to a URL that is refused."""

    status = 422


class Unreachable(FetchError):
    """The host does not resolve or answer, times out, or answers with an error status."""

    status = 502


class TooLarge(FetchError):
    status = 413


class UnsupportedType(FetchError):
    status = 415


@dataclass(frozen=True)
class FetchPolicy:
    """What may be fetched and how much; ``allow`` holds host names and networks (see the module's text)."""

    allow_hosts: tuple[str, ...] = ()
    allow_networks: tuple[Network, ...] = ()
    max_bytes: int = 5_000_000
    timeout: float = 10.0  # each of connect and read
    deadline: float = 30.0  # the whole fetch: every hop and the body
    max_redirects: int = 5

    @classmethod
    def parse(cls, allow: Sequence[str], **limits: float) -> FetchPolicy:
        """A policy from ``RAG_FETCH_ALLOW``'s entries: CIDRs or addresses are networks, anything else a host."""
        hosts: list[str] = []
        networks: list[Network] = []
        for entry in (e.strip().lower() for e in allow):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.append(entry.lstrip("."))
        return cls(tuple(hosts), tuple(networks), **limits)  # type: ignore[arg-type]

    @property
    def open(self) -> bool:
        """No allow-list: any public address may be fetched."""
        return not (self.allow_hosts or self.allow_networks)

    def host_listed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == h or host.endswith("." + h) for h in self.allow_hosts)

    def check_address(self, host: str, address: Address) -> None:
        """Raise ``Refused`` unless ``address`` (one that ``host`` resolved to) may be connected to."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if self.open:
            if not address.is_global or address.is_multicast:
                where = f"{host} resolves to {address}" if host.strip("[]") != str(address) else str(address)
                raise Refused(
                    f"{where}, a loopback, private or reserved address; allow it with RAG_FETCH_ALLOW to fetch from it"
                )
        elif not (self.host_listed(host) or any(address in n for n in self.allow_networks)):
            raise Refused(f"{host} ({address}) is not in RAG_FETCH_ALLOW")


def policy_of(settings: Settings) -> FetchPolicy:
    """The policy the settings describe (``RAG_FETCH_*``); a whole fetch may take three read timeouts."""
    return FetchPolicy.parse(
        settings.fetch_allow,
        max_bytes=settings.fetch_max_bytes,
        timeout=settings.fetch_timeout,
        deadline=3 * settings.fetch_timeout,
        max_redirects=settings.fetch_max_redirects,
    )


@dataclass(frozen=True)
class Fetched:
    """A fetched body: the URL it came from after redirects, its media type and charset."""

    url: str
    content_type: str
    charset: str | None
    body: bytes


def check_url(url: str) -> httpx.URL:
    """The URL parsed, or ``Refused``: http(s) only, a host, no credentials, bounded length."""
    if len(url) > MAX_URL_CHARS:
        raise Refused(f"the URL is longer than {MAX_URL_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        raise Refused("the URL contains control characters")
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise Refused(f"not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise Refused(f"only http and https URLs are fetched, not {parsed.scheme or 'a relative URL'!r}")
    if not parsed.host:
        raise Refused("the URL has no host")
    if parsed.userinfo:
        raise Refused("URLs with a user name or password are not fetched")
    return parsed


def resolve(host: str, port: int, policy: FetchPolicy) -> list[Address]:
    """Every address ``host`` resolves to, each checked by ``policy``; ``Refused`` if any one is refused.

    Checking all of them, not just the first, refuses a name that mixes a public address with a private one.
    """
    try:
        literal: Address | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise Unreachable(f"{host} does not resolve: {exc}") from None
        # getaddrinfo gives addresses as text; a scoped IPv6 one carries "%iface", which ip_address refuses.
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))
        if not addresses:
            raise Unreachable(f"{host} does not resolve")
    for address in addresses:
        policy.check_address(host, address)
    return addresses


def _media_type(header: str) -> tuple[str, str | None]:
    media, _, params = header.partition(";")
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", params, re.IGNORECASE)
    return media.strip().lower(), match.group(1) if match else None


def _accepts(kind: Kind, media: str) -> bool:
    if kind == "feed":
        return media in FEED_TYPES or media.endswith("+xml")
    return media in PAGE_TYPES or media in FILE_TYPES


class Fetcher:
    """Fetches pages and feeds under a ``FetchPolicy``; thread-safe (one client, used from several threads)."""

    def __init__(self, policy: FetchPolicy, verify: bool | str = True):
        self.policy = policy
        timeout = httpx.Timeout(policy.timeout, connect=policy.timeout)
        # trust_env=False: no proxy from the environment (it would resolve the host itself) and no .netrc.
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            verify=verify,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
        )

    def close(self) -> None:
        self._client.close()

    @property
    def closed(self) -> bool:
        return self._client.is_closed

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def fetch(self, url: str, kind: Kind) -> Fetched:
        """The body at ``url`` (after checked redirects), or a ``FetchError`` saying why not."""
        deadline = time.monotonic() + self.policy.deadline
        current = check_url(url)
        seen = {str(current)}
        for hop in range(self.policy.max_redirects + 1):
            try:
                response_or_next = self._hop(current, kind, deadline)
            except Refused as exc:
                if hop == 0:
                    raise
                raise RedirectRefused(f"redirected to a URL that is refused: {exc}") from None
            if isinstance(response_or_next, Fetched):
                return response_or_next
            current = response_or_next
            if str(current) in seen:
                raise RedirectRefused(f"redirect loop at {current}")
            seen.add(str(current))
        raise RedirectRefused(f"more than {self.policy.max_redirects} redirects")

    def _hop(self, url: httpx.URL, kind: Kind, deadline: float) -> Fetched | httpx.URL:
        """One request: the body, or the checked URL a redirect points to."""
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = resolve(url.host, port, self.policy)
        last: Exception | None = None
        for address in addresses:
            # The request goes to the checked address; Host and SNI (hence the certificate check) keep the name.
            target = url.copy_with(host=str(address))
            request = self._client.build_request(
                "GET",
                target,
                headers={"Host": url.netloc.decode("ascii"), "Accept": _accept_header(kind)},
                extensions={"sni_hostname": url.host, "timeout": self._timeouts(deadline)},
            )
            try:
                response = self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                last = exc
                continue  # the next address of the name, if any
            except httpx.TimeoutException:
                raise Unreachable(f"{url.host} did not answer within {self.policy.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise Unreachable(f"fetching {url} failed: {exc}") from None
            try:
                return self._read(url, response, kind, deadline)
            finally:
                response.close()
        raise Unreachable(f"cannot connect to {url.host}: {last}")

    def _timeouts(self, deadline: float) -> dict[str, float]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Unreachable(f"the fetch took longer than {self.policy.deadline:g} s")
        step = min(self.policy.timeout, left)
        return {"connect": step, "read": step, "write": step, "pool": step}

    def _read(self, url: httpx.URL, response: httpx.Response, kind: Kind, deadline: float) -> Fetched | httpx.URL:
        if response.status_code in REDIRECTS:
            location = response.headers.get("location")
            if not location:
                raise Unreachable(f"{url} redirects without a Location")
            try:
                return check_url(str(url.join(location)))
            except Refused as exc:
                raise RedirectRefused(f"{url} redirects to a URL that is refused: {exc}") from None
        if response.status_code >= 400:
            raise Unreachable(f"{url} answered {response.status_code} {response.reason_phrase}")
        if response.status_code != 200:
            raise Unreachable(f"{url} answered {response.status_code}, not 200")
        media, charset = _media_type(response.headers.get("content-type", ""))
        if not _accepts(kind, media):
            wanted = "an RSS or Atom feed" if kind == "feed" else "an HTML page"
            raise UnsupportedType(f"{url} is {media or 'of no stated type'}, not {wanted}")
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"{url} is {int(declared)} bytes, over the limit of {limit} (RAG_FETCH_MAX_BYTES)")
        body = bytearray()
        try:
            for chunk in response.iter_bytes():  # decompressed: a small gzip bomb still stops at the limit
                body += chunk
                if len(body) > limit:
                    raise TooLarge(f"{url} is over the limit of {limit} bytes (RAG_FETCH_MAX_BYTES)")
                if time.monotonic() > deadline:
                    raise Unreachable(f"the fetch took longer than {self.policy.deadline:g} s")
        except httpx.TimeoutException:
            raise Unreachable(f"{url.host} stopped sending for {self.policy.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"reading {url} failed: {exc}") from None
        return Fetched(str(url), media, charset, bytes(body))


def _accept_header(kind: Kind) -> str:
    if kind == "feed":
        return "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9"
    return "text/html, application/xhtml+xml, application/pdf;q=0.8"


_UNSAFE = re.compile(r"[^\w.\-]+")


def url_doc_id(url: str) -> str:
    """A stable, readable document id for a URL: host and path (``mid.gov.kz/ru/news/123``), a short hash of the
    query when there is one; the same page by http or https, with or without ``www.``, gets the same id."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "unknown").lower().removeprefix("www.")
    segments = [_UNSAFE.sub("_", urllib.parse.unquote(s)).strip("._") for s in parts.path.split("/")]
    segments = [s[:80] for s in segments if s]
    doc_id = "/".join([host, *segments]) if segments else f"{host}/index"
    if parts.query:
        doc_id += "-" + hashlib.sha256(parts.query.encode()).hexdigest()[:8]
    if len(doc_id) > 400:  # ids are at most 512 characters: a long path keeps its start and a hash of the rest
        doc_id = doc_id[:380].rstrip("/") + "-" + hashlib.sha256(doc_id.encode()).hexdigest()[:12]
    return doc_id
