"""Documents from the web: a fetched page's main text, title and date (trafilatura), or a fetched file read as an
upload would be. Language is detected later, as for every other document."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura

from app.ingest.fetch import FILE_TYPES, Fetched, Fetcher, UnsupportedType, url_doc_id
from app.ingest.reader import SUPPORTED, DocumentTooLarge, ReadLimits, UnreadableDocument, read_bytes
from app.text.dates import iso_date


@dataclass(frozen=True)
class WebDocument:
    """What a URL yields: the text to index, its title and date (None when the page states none) and where from."""

    url: str
    doc_id: str
    text: str
    title: str | None
    date: str | None


def page_text(fetched: Fetched, limits: ReadLimits | None = None) -> tuple[str, str | None, str | None]:
    """Main text, title and ISO date of a fetched page or file; ``UnreadableDocument`` when there is no text."""
    suffix = FILE_TYPES.get(fetched.content_type)
    if suffix is not None:
        if suffix not in SUPPORTED:  # .docx only where the reader reads it
            raise UnsupportedType(f"{fetched.url} is {fetched.content_type}, which is not read here")
        read = read_bytes(fetched.body, suffix, limits)
        return read.text, read.title, read.date
    charset = fetched.charset if _known(fetched.charset) else None
    html: str | bytes = fetched.body.decode(charset, "replace") if charset else fetched.body
    # Links, images and comments are not the article; tables often are (figures in ministries' news).
    found = trafilatura.bare_extraction(
        html,
        url=fetched.url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
    )
    meta: dict = found.as_dict() if found is not None and not isinstance(found, dict) else (found or {})
    text = str(meta.get("text") or "").strip()
    if sum(ch.isalnum() for ch in text) < 3:
        raise UnreadableDocument(f"{fetched.url}: no main text found in the page")
    if limits is not None and len(text) > limits.max_chars:
        raise DocumentTooLarge(f"the text is longer than {limits.max_chars} characters (RAG_MAX_DOCUMENT_CHARS)")
    title = str(meta.get("title") or "").strip() or None
    date = iso_date(meta.get("date"))
    return text, title, date


def _known(charset: str | None) -> bool:
    if not charset:
        return False
    try:
        "".encode(charset)
    except LookupError:
        return False
    return True


def read_url(fetcher: Fetcher, url: str, limits: ReadLimits | None = None) -> WebDocument:
    """Fetch ``url`` as a page and read it; raises ``FetchError`` or ``UnreadableDocument`` saying why not."""
    fetched = fetcher.fetch(url, "page")
    text, title, date = page_text(fetched, limits)
    # The id and the cited URL are the one asked for: a redirect (to a mobile page, a session URL) may not last.
    return WebDocument(url.strip(), url_doc_id(url), text, title, date)
