"""Reads files into clean text: .txt, .md, .html and .pdf. Bad files raise ``UnreadableDocument``."""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import charset_normalizer

from app.text.dates import iso_date

if TYPE_CHECKING:
    from pypdf import PdfReader

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
# Legacy code pages of Russian and English files; others are refused rather than guessed.
_LEGACY_ENCODINGS = ["cp1251", "koi8_r", "cp1252"]

# A run of blank lines. The class never matches the newline that must follow it, so possessive repeats give up
# nothing a match needs and keep every attempt linear.
_BLANK_RUNS = re.compile(r"\n[ \t\u00a0]*+(?:\n[ \t\u00a0]*+)++")


class UnreadableDocument(ValueError):
    """A file that cannot be ingested; the message is the reason shown to the user."""


class DocumentTooLarge(UnreadableDocument):
    """A file beyond a limit of ``ReadLimits``; the message names the setting."""


class ReadLimits(NamedTuple):
    """Bounds on reading an untrusted file (an upload); files of the corpus folder are read without them."""

    max_chars: int  # characters of extracted text (RAG_MAX_DOCUMENT_CHARS)
    pdf_max_pages: int  # RAG_PDF_MAX_PAGES
    pdf_timeout_s: float  # seconds a PDF may take to parse, in a child process that is then killed (RAG_PDF_TIMEOUT_S)


def content_hash(data: bytes | str) -> str:
    """Stable content hash used for incremental ingest."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:32]


def decode(data: bytes) -> str:
    """Decode UTF-8 or UTF-16 (by BOM), else the legacy encoding charset-normalizer finds (cp1251, koi8-r...)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableDocument(f"undecodable: broken UTF-16 at offset {exc.start}") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    match = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    text = str(match) if match is not None else ""
    letters = sum(ch.isalpha() for ch in text)
    # Single-byte code pages map almost every byte to something: only accept text that reads as words.
    if letters and letters / max(len(text.strip()), 1) > 0.6:
        return text
    raise UnreadableDocument(
        f"undecodable: not UTF-8 text (byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start})"
    )


def drop_image_links(text: str) -> str:
    r"""``text`` without Markdown image links ``![alt](target)`` (also found in plain-text exports of web pages),
    which carry no answerable text: what ``re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)`` returns, in linear time.

    That regex is quadratic: every ``![`` of "![](![](![](..." scans to the end of the text for a ``)`` that never
    comes (80k characters: 0.6 s holding the GIL). Here every search resumes where the last one stopped, and one
    that finds no ``]`` or ``)`` ends the scan, since no later link could close either.
    """
    out: list[str] = []
    kept = 0  # text[:kept] is decided
    start = text.find("![")
    while start >= 0:
        close = text.find("]", start + 2)  # the alt text holds no "]": the link's "]" is the first one
        if close < 0:
            break
        if not text.startswith("(", close + 1):
            # Every "![" before ``close`` stops at this same "]": none of them is a link either.
            start = text.find("![", close + 1)
            continue
        end = text.find(")", close + 2)
        if end < 0:
            break
        out.append(text[kept:start])
        kept = end + 1
        start = text.find("![", kept)
    out.append(text[kept:])
    return "".join(out)


def clean(text: str) -> str:
    """Normalise line breaks, drop image links and collapse blank-line runs; text otherwise verbatim."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = drop_image_links(text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def _markdown_text(source: str) -> str:
    """Plain text of a Markdown document: block text kept, markup, images and link targets dropped."""
    from markdown_it import MarkdownIt

    blocks: list[str] = []
    for token in MarkdownIt("commonmark").parse(source):
        if token.type == "inline":
            parts = []
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append("\n")
            blocks.append("".join(parts))
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content)
    return "\n\n".join(b for b in blocks if b.strip())


# Elements that start a new line; text inside any other element (links, bold, spans) stays in its sentence.
_BLOCK_TAGS = (
    "address,article,aside,blockquote,br,caption,dd,details,div,dl,dt,fieldset,figcaption,figure,footer,form,"
    "h1,h2,h3,h4,h5,h6,header,hr,li,main,nav,ol,p,pre,section,summary,table,td,th,tr,ul"
)
_BREAK = "\u2029"  # a marker that HTML whitespace collapsing leaves alone
_HTML_SPACE = re.compile(r"[ \t\r\n\f\v]+")
# A break with the spaces around it. A match starts at the first space of a run (the lookbehind): trying every
# space of a long run not followed by a break would be quadratic.
_BREAKS = re.compile(r"(?<! ) *\u2029[\u2029 ]*")


# Where pages state their publication date (Open Graph, Dublin Core, schema.org, <time>), most specific first.
_HTML_DATES = (
    ('meta[property="article:published_time"]', "content"),
    ('meta[name="date"]', "content"),
    ('meta[name="dc.date"]', "content"),
    ('meta[name="DC.date"]', "content"),
    ('meta[itemprop="datePublished"]', "content"),
    ("time[datetime]", "datetime"),
)


def _html_text(source: str) -> tuple[str, str | None, str | None]:
    """Visible text of an HTML page, its <title> and its published date: one line per block, inline markup joined."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(source)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else None
    published = None
    for selector, attribute in _HTML_DATES:
        node = tree.css_first(selector)
        if node is not None and (published := iso_date(node.attributes.get(attribute))):
            break
    for selector in ("script", "style", "noscript", "template", "svg", "img", "head", "iframe"):
        for node in tree.css(selector):
            node.decompose()
    root = tree.body or tree.root
    if root is None:
        return "", title or None, published
    for node in root.css(_BLOCK_TAGS):
        node.insert_before(_BREAK)
        node.insert_after(_BREAK)
    # Source line breaks and indentation are not text in HTML: collapse them as a browser does.
    text = _BREAKS.sub("\n", _HTML_SPACE.sub(" ", root.text(separator="")))
    return text, title or None, published


def _pdf_text(data: bytes, max_pages: int | None = None, max_chars: int | None = None) -> tuple[str, str | None]:
    """Text layer of a PDF, one block per page, and its creation date; ``DocumentTooLarge`` beyond the bounds,
    checked before reading any page and after each one, so that a file far over them costs little."""
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocument("encrypted PDF")
        if max_pages is not None and len(reader.pages) > max_pages:
            raise DocumentTooLarge(
                f"the PDF has {len(reader.pages)} pages; at most {max_pages} are read (RAG_PDF_MAX_PAGES)"
            )
        pages, chars = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if max_chars is not None and chars > max_chars:
                raise DocumentTooLarge(f"the PDF's text is longer than {max_chars} characters (RAG_MAX_DOCUMENT_CHARS)")
        created = _pdf_date(reader)
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf raises many exception types on damaged files, not only PdfReadError
        raise UnreadableDocument(f"unreadable PDF: {exc or type(exc).__name__}") from exc
    return "\n\n".join(_unwrap(p) for p in pages if p.strip()), created


def _pdf_date(reader: PdfReader) -> str | None:
    """The creation date in a PDF's document information, when present and well-formed."""
    try:
        return iso_date(reader.metadata.creation_date) if reader.metadata else None
    except ValueError:  # a malformed date string in the file: the text may still carry one
        return None


_SENTENCE_END = (".", "!", "?", "…", ":", ";")


def _unwrap(page: str) -> str:
    """Join the visual lines of a PDF paragraph: a line break ends a sentence downstream, a wrap must not.

    A line continues on the next one when it does not end a sentence and either runs nearly the full width
    (a wrap) or the next line starts in lower case.
    """
    lines = page.split("\n")
    width = max(len(line.strip()) for line in lines)
    out: list[str] = []
    previous = ""
    for line in lines:
        line = line.strip()
        wrapped = bool(
            out
            and previous
            and line
            and not previous.endswith(_SENTENCE_END)
            and (line[0].islower() or len(previous) >= 0.6 * width)
        )
        if wrapped:
            out[-1] += " " + line
        else:
            out.append(line)
        previous = line
    return "\n".join(out)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


class ReadDocument(NamedTuple):
    """What a file yields: cleaned text, a title and the date its metadata states (ISO, or None)."""

    text: str
    title: str
    date: str | None = None


def _bounded_pdf_text(data: bytes, limits: ReadLimits) -> tuple[str, str | None]:
    """``_pdf_text`` within ``limits``, in a child process killed when it runs past ``limits.pdf_timeout_s``."""
    from app.ingest.isolated import ChildDied, TimedOut, call_isolated

    try:
        return call_isolated(_pdf_text, (data, limits.pdf_max_pages, limits.max_chars), limits.pdf_timeout_s)
    except TimedOut:
        raise DocumentTooLarge(
            f"the PDF took longer than {limits.pdf_timeout_s:g} s to read (RAG_PDF_TIMEOUT_S)"
        ) from None
    except ChildDied as exc:
        raise UnreadableDocument(f"unreadable PDF: {exc}") from None


def read_bytes(data: bytes, suffix: str, limits: ReadLimits | None = None) -> ReadDocument:
    """Text, title and metadata date of file content with the given suffix, or raise ``UnreadableDocument``
    (``DocumentTooLarge`` beyond ``limits``, when given)."""
    suffix = suffix.lower()
    if suffix not in SUPPORTED:
        raise UnreadableDocument(f"unsupported file type '{suffix or '(none)'}' (supported: {', '.join(SUPPORTED)})")
    if not data.strip():
        raise UnreadableDocument("empty file")
    title: str | None = None
    published: str | None = None
    if suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise UnreadableDocument("unreadable PDF: missing %PDF header")
        raw, published = _pdf_text(data) if limits is None else _bounded_pdf_text(data, limits)
        if not raw.strip():
            raise UnreadableDocument("PDF has no text layer (scanned image?)")
    else:
        raw = decode(data)
        if suffix in (".md", ".markdown"):
            raw = _markdown_text(raw)
        elif suffix in (".html", ".htm"):
            raw, title, published = _html_text(raw)
    text = clean(raw)
    if limits is not None and len(text) > limits.max_chars:
        raise DocumentTooLarge(f"the text is longer than {limits.max_chars} characters (RAG_MAX_DOCUMENT_CHARS)")
    if sum(ch.isalnum() for ch in text) < 3:
        raise UnreadableDocument("empty document (no text after extraction)")
    return ReadDocument(text, (title or _first_line(text))[:300], published)


def read_text(text: str) -> ReadDocument:
    """Clean text given directly (API uploads) and derive its title."""
    return read_bytes(text.encode("utf-8"), ".txt")


def read_file(path: Path) -> ReadDocument:
    """Read one file from disk."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}") from exc
    return read_bytes(data, path.suffix)
