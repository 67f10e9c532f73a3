"""Reads files into clean text: .txt, .md, .html, .pdf, .docx, and scanned PDF pages and images through OCR
(``ocr.py``). Bad files raise ``UnreadableDocument``."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import charset_normalizer

from app.text.dates import iso_date

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from pypdf import PdfReader

    from app.settings import Settings

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", *IMAGE_SUFFIXES)
T = TypeVar("T")
# Seconds beyond RAG_OCR_TIMEOUT_S before an OCR child is killed: its own deadline should end it first.
OCR_GRACE_S = 10.0
# Legacy code pages of Russian and English files; others are refused rather than guessed.
_LEGACY_ENCODINGS = ["cp1251", "koi8_r", "cp1252"]

# A run of blank lines. The class never matches the newline that must follow it, so possessive repeats give up
# nothing a match needs and keep every attempt linear.
_BLANK_RUNS = re.compile(r"\n[ \t\u00a0]*+(?:\n[ \t\u00a0]*+)++")


class UnreadableDocument(ValueError):
    """A file that cannot be ingested; the message is the reason shown to the user."""


class DocumentTooLarge(UnreadableDocument):
    """A file beyond a limit of ``ReadLimits``; the message names the setting."""


class NeedsOcr(UnreadableDocument):
    """The file has pages only OCR can read and the caller did not pass ``OcrOptions`` (an upload becomes a job);
    ``what`` names the file's kind ("an image", "a scanned PDF (...)")."""

    def __init__(self, what: str):
        super().__init__(what)  # the one argument, so that the exception pickles back from a child process
        self.what = what

    def __str__(self) -> str:
        return f"{self.what} needs OCR"


class OcrUnavailable(UnreadableDocument):
    """The file needs OCR and this machine's tesseract cannot read its languages (or is not installed)."""


class ReadLimits(NamedTuple):
    """Bounds on reading an untrusted file (an upload); files of the corpus folder are read without them."""

    max_chars: int  # characters of extracted text (RAG_MAX_DOCUMENT_CHARS)
    pdf_max_pages: int  # RAG_PDF_MAX_PAGES, also the pages of a multi-page image
    # Seconds a PDF or a Word file may take to parse, in a child process that is then killed (RAG_PDF_TIMEOUT_S);
    # OCR has its own time (OcrOptions.timeout_s).
    pdf_timeout_s: float


class OcrOptions(NamedTuple):
    """How scanned pages are read (``RAG_OCR_*``): see ``ocr.py``."""

    langs: str = "rus+eng+kaz"  # tesseract languages, '+'-joined
    dpi: int = 300  # rendering resolution of PDF pages
    max_pixels: int = 40_000_000  # largest image decoded or page rendered (also Pillow's MAX_IMAGE_PIXELS)
    timeout_s: float = 600.0  # seconds of OCR per document


def ocr_options(settings: Settings | None = None) -> OcrOptions:
    """The ``OcrOptions`` of ``settings``, by default the process's (``RAG_OCR_*``)."""
    if settings is None:
        from app.settings import get_settings

        settings = get_settings()
    return OcrOptions(settings.ocr_langs, settings.ocr_dpi, settings.ocr_max_pixels, settings.ocr_timeout_s)


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


class PdfLayer(NamedTuple):
    """A PDF's text layer: each page's text (unwrapped), its creation date, the pages only OCR can read."""

    pages: list[str]
    created: str | None
    scanned: list[int]  # 0-based pages with no text but with images (or forms) drawn on them


def _pdf_text(data: bytes, max_pages: int | None = None, max_chars: int | None = None) -> PdfLayer:
    """Text layer of a PDF, one block per page, and its creation date; ``DocumentTooLarge`` beyond the bounds,
    checked before reading any page and after each one, so that a file far over them costs little."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocument("encrypted PDF")
        if max_pages is not None and len(reader.pages) > max_pages:
            raise DocumentTooLarge(
                f"the PDF has {len(reader.pages)} pages; at most {max_pages} are read (RAG_PDF_MAX_PAGES)"
            )
        pages, scanned, chars = [], [], 0
        for number, page in enumerate(reader.pages):
            pages.append(page.extract_text() or "")
            if not pages[-1].strip() and _draws_images(page):
                scanned.append(number)
            chars += len(pages[-1])
            if max_chars is not None and chars > max_chars:
                raise DocumentTooLarge(f"the PDF's text is longer than {max_chars} characters (RAG_MAX_DOCUMENT_CHARS)")
        created = _pdf_date(reader)
    except UnreadableDocument:
        raise
    except Exception as exc:  # pypdf raises many exception types on damaged files, not only PdfReadError
        raise UnreadableDocument(f"unreadable PDF: {exc or type(exc).__name__}") from exc
    return PdfLayer([_unwrap(p) if p.strip() else "" for p in pages], created, scanned)


def _draws_images(page: Any) -> bool:
    """Whether a pypdf page has external objects (images, or forms that may hold them): a page without text but
    with them is a scan; one with neither is blank and not worth a second of OCR."""
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    return bool(resources and resources.get("/XObject"))


def _pdf_date(reader: PdfReader) -> str | None:
    """The creation date in a PDF's document information, when present and well-formed."""
    try:
        return iso_date(reader.metadata.creation_date) if reader.metadata else None
    except ValueError:  # a malformed date string in the file: the text may still carry one
        return None


SENTENCE_END = (".", "!", "?", "…", ":", ";")


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
            and not previous.endswith(SENTENCE_END)
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


def _bounded(fn: Callable[..., T], args: tuple, timeout: float, what: str, setting: str) -> T:
    """``fn(*args)`` in a child process killed when it runs past ``timeout`` seconds (``setting``)."""
    from app.ingest.isolated import ChildDied, TimedOut, call_isolated

    try:
        return call_isolated(fn, args, timeout)
    except TimedOut:
        raise DocumentTooLarge(f"the {what} took longer than {timeout:g} s to read ({setting})") from None
    except ChildDied as exc:
        raise UnreadableDocument(f"unreadable {what}: {exc}") from None


def _read_pdf(data: bytes, limits: ReadLimits | None, ocr: OcrOptions | None) -> tuple[str, str | None]:
    """A PDF's text and creation date: the text layer, and the pages without one read by OCR (``NeedsOcr`` when
    ``ocr`` is None). Within ``limits`` each step runs in a child process: parsing within RAG_PDF_TIMEOUT_S, OCR
    within RAG_OCR_TIMEOUT_S."""
    from app.ingest import ocr as recognition

    if limits is None:
        layer = _pdf_text(data)
    else:
        layer = _bounded(
            _pdf_text, (data, limits.pdf_max_pages, limits.max_chars), limits.pdf_timeout_s, "PDF", "RAG_PDF_TIMEOUT_S"
        )
    pages = layer.pages
    if layer.scanned:
        what = f"a scanned PDF ({len(layer.scanned)} of its {len(pages)} pages have no text layer)"
        if ocr is None:
            raise NeedsOcr(what)
        recognition.require_ocr(ocr, what)  # here, before a child starts: the reason is the same everywhere
        if limits is None:
            texts = recognition.pdf_pages(data, layer.scanned, ocr)
        else:
            # The child's own budget ends the OCR first, with the clearer message; this bound catches a hang.
            timeout = ocr.timeout_s + OCR_GRACE_S
            texts = _bounded(recognition.pdf_pages, (data, layer.scanned, ocr), timeout, "PDF", "RAG_OCR_TIMEOUT_S")
        pages = [texts.get(number, text) for number, text in enumerate(pages)]
    return "\n\n".join(p for p in pages if p.strip()), layer.created


def _read_image(data: bytes, limits: ReadLimits | None, ocr: OcrOptions | None) -> str:
    """An image's text, each frame (page) read by OCR."""
    from app.ingest import ocr as recognition

    if ocr is None:
        raise NeedsOcr("an image")
    recognition.require_ocr(ocr, "an image")
    if limits is None:
        pages = recognition.image_pages(data, ocr)
    else:
        args = (data, ocr, limits.pdf_max_pages)
        pages = _bounded(recognition.image_pages, args, ocr.timeout_s + OCR_GRACE_S, "image", "RAG_OCR_TIMEOUT_S")
    return "\n\n".join(p for p in pages if p.strip())


def check_image(data: bytes, limits: ReadLimits, ocr: OcrOptions) -> None:
    """Refuse an uploaded image that OCR could not read before it is queued (``UnreadableDocument``, or
    ``DocumentTooLarge`` beyond the page or pixel bounds), from its headers, in a child process."""
    from app.ingest import ocr as recognition

    args = (data, ocr, limits.pdf_max_pages)
    _bounded(recognition.check_image, args, limits.pdf_timeout_s, "image", "RAG_PDF_TIMEOUT_S")


# A zip whose entries unpack to more than this, or with an entry packed tighter than the ratio (past its first
# megabyte), is refused before python-docx opens it: a Word file's XML packs 5-20x and its images ~1x, while a
# zip bomb packs ~1000x. python-docx reads every part into memory, so the total bounds what it can allocate.
DOCX_MAX_UNZIPPED_BYTES = 200_000_000
DOCX_MAX_RATIO = 100
DOCX_MAX_ENTRIES = 10_000


def check_zip(data: bytes) -> None:
    """Refuse what is not a zip archive or unpacks far beyond its size (a zip bomb) with ``UnreadableDocument``,
    from the archive's directory alone: nothing is unpacked. zipfile never unpacks past an entry's declared size
    (it fails the CRC instead), so the declared sizes bound what any later reader unpacks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise UnreadableDocument(f"not a Word document: a .docx file is a zip archive ({exc})") from None
    if len(entries) > DOCX_MAX_ENTRIES:
        raise DocumentTooLarge(f"the Word document's archive has {len(entries)} entries; at most {DOCX_MAX_ENTRIES}")
    total = sum(entry.file_size for entry in entries)
    if total > DOCX_MAX_UNZIPPED_BYTES:
        raise DocumentTooLarge(
            f"the Word document unpacks to {total} bytes; at most {DOCX_MAX_UNZIPPED_BYTES} (a zip bomb?)"
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1_000_000 and ratio > DOCX_MAX_RATIO:
            raise DocumentTooLarge(
                f"the Word document's part {entry.filename[:100]!r} unpacks {ratio:.0f} times its size; "
                f"at most {DOCX_MAX_RATIO} (a zip bomb?)"
            )
    if "word/document.xml" not in {entry.filename for entry in entries}:
        raise UnreadableDocument("not a Word document: the archive has no word/document.xml")


# Between the cells of a table row: a tab is whitespace to the sentence splitter, so a cell that ends a sentence
# ends it there, and the next cell starts a sentence of its own without a separator glued to its front.
CELL_SEPARATOR = "\t"


def _docx_text(data: bytes, max_chars: int | None = None) -> tuple[str, str | None, str | None]:
    """Text of a Word document (paragraphs, and tables a row a line), its title and creation date."""
    check_zip(data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        lines, chars = [], 0
        for line in _docx_lines(document):
            lines.append(line)
            chars += len(line) + 1
            if max_chars is not None and chars > max_chars:
                raise DocumentTooLarge(
                    f"the Word document's text is longer than {max_chars} characters (RAG_MAX_DOCUMENT_CHARS)"
                )
        properties = document.core_properties
        title = (properties.title or "").strip() or None
        created = iso_date(properties.created) if properties.created else None
    except UnreadableDocument:
        raise
    except Exception as exc:  # python-docx and lxml raise many types on damaged files
        raise UnreadableDocument(f"unreadable Word document: {exc or type(exc).__name__}") from exc
    return "\n".join(lines), title, created


def _docx_lines(container: DocxDocument | Any) -> Iterator[str]:
    """The lines of a document body or a table cell, in reading order: a paragraph a line, a table a row a line."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            yield from _table_rows(item)
        else:
            yield item.text


def _table_rows(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is listed once per grid column it spans
                continue
            seen.add(id(cell._tc))
            # A cell's paragraphs (and nested tables) in one line: the row is the line.
            text = " ".join(" ".join(line.split()) for line in _docx_lines(cell) if line.strip())
            if text:
                cells.append(text)
        if cells:
            yield CELL_SEPARATOR.join(cells)


def read_bytes(
    data: bytes, suffix: str, limits: ReadLimits | None = None, ocr: OcrOptions | None = None
) -> ReadDocument:
    """Text, title and metadata date of file content with the given suffix, or raise ``UnreadableDocument``
    (``DocumentTooLarge`` beyond ``limits``, when given; ``NeedsOcr`` for a scan or an image without ``ocr``)."""
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
        raw, published = _read_pdf(data, limits, ocr)
        if not raw.strip():
            raise UnreadableDocument("PDF has no text: no text layer, and no images to read")
    elif suffix == ".docx":
        if limits is None:
            raw, title, published = _docx_text(data)
        else:
            args, timeout = (data, limits.max_chars), limits.pdf_timeout_s
            raw, title, published = _bounded(_docx_text, args, timeout, "Word document", "RAG_PDF_TIMEOUT_S")
    elif suffix in IMAGE_SUFFIXES:
        raw = _read_image(data, limits, ocr)
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


def read_file(path: Path, ocr: OcrOptions | None = None) -> ReadDocument:
    """Read one file from disk; scans and images through OCR with ``ocr``, by default the process's settings."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read file: {exc.strerror or exc}") from exc
    return read_bytes(data, path.suffix, ocr=ocr or ocr_options())
