"""Document records from files and uploads: which files of a folder are documents, and what a record holds."""

from __future__ import annotations

from pathlib import Path

from app.ingest.reader import SUPPORTED, ReadDocument, content_hash
from app.models import Document
from app.text.dates import text_date
from app.text.language import detect_language

MAX_TITLE_CHARS = 300


def corpus_files(folder: Path) -> dict[str, Path]:
    """Supported files under ``folder`` by document id (the path relative to the folder)."""
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        # Hidden files and folders (.git, .DS_Store, editors' temp files) are not documents.
        if path.is_file()
        and path.suffix.lower() in SUPPORTED
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


def folder_collection(doc_id: str) -> str | None:
    """The collection of a corpus file: its top sub-folder ("reports/2016/a.txt" -> "reports"); None at the top."""
    return doc_id.split("/", 1)[0] if "/" in doc_id else None


def make_document(
    doc_id: str,
    text: str,
    title: str,
    origin: str = "corpus",
    date: str | None = None,
    collection: str | None = None,
    url: str | None = None,
) -> Document:
    """A document record with its language, content hash and date (``date``, else the first one in its text)."""
    lang = detect_language(text)
    return Document(
        doc_id=doc_id,
        title=title,
        lang=lang,
        text=text,
        sha=content_hash(text),
        origin=origin,
        date=date or text_date(text, lang),
        collection=collection,
        url=url,
    )


def uploaded_document(
    doc_id: str,
    read: ReadDocument,
    title: str | None = None,
    date: str | None = None,
    collection: str | None = None,
    url: str | None = None,
) -> Document:
    """The record of an upload already read and cleaned (``read``): a given title or date wins over the file's."""
    chosen = (title or "").strip() or read.title
    return make_document(doc_id, read.text, chosen[:MAX_TITLE_CHARS], "upload", date or read.date, collection, url)
