"""Word documents (.docx, made in the test with python-docx): paragraphs and tables read in order, a table row a line,
a cell's sentence answerable; zip bombs and files that are not zip archives refused before python-docx opens them."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.ingest.reader import (
    CELL_SEPARATOR,
    DocumentTooLarge,
    ReadLimits,
    UnreadableDocument,
    check_zip,
    read_bytes,
)
from app.text.sentences import split_sentences

LIMITS = ReadLimits(max_chars=100_000, pdf_max_pages=10, pdf_timeout_s=30.0)

CELL_SENTENCE = "Пункт пропуска Хоргос работает круглосуточно с 2019 года."
TABLE_QUESTION = "С какого года круглосуточно работает пункт пропуска Хоргос?"


def report_docx(title: str | None = "Пункты пропуска на казахстанско-китайской границе") -> bytes:
    """A report: a heading, a paragraph, a table (a header row, rows with sentences in cells, a merged cell, a
    nested table) and a closing paragraph."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_heading("Пункты пропуска", level=1)
    document.add_paragraph("В отчёте описан режим работы пунктов пропуска на границе с Китаем.")
    table = document.add_table(rows=4, cols=3)
    rows = [
        ("Пункт", "Режим работы", "Пропускная способность"),
        ("Хоргос", CELL_SENTENCE, "500 человек в сутки"),
        ("Нур Жолы", "Пункт открыт с 8:00 до 20:00. По выходным закрыт.", "300 человек в сутки"),
        ("Итого", "", ""),
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = table.cell(3, 1).merge(table.cell(3, 2))
    merged.text = "800 человек в сутки на двух пунктах."
    nested = table.cell(2, 2).add_table(rows=1, cols=2)
    nested.cell(0, 0).text = "летом"
    nested.cell(0, 1).text = "350"
    document.add_paragraph("Данные приведены по состоянию на 1 октября.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx(unpacked: int = 60_000_000) -> bytes:
    """A real .docx with one more part of ``unpacked`` zero bytes, which deflate packs ~1000 times."""
    source = zipfile.ZipFile(io.BytesIO(report_docx()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in source.infolist():
            out.writestr(entry, source.read(entry))
        with out.open("word/media/padding.bin", "w", force_zip64=True) as part:
            chunk = bytes(1_000_000)
            for _ in range(unpacked // len(chunk)):
                part.write(chunk)
    return buffer.getvalue()


def test_paragraphs_and_tables_are_read_in_order_a_row_a_line():
    document = read_bytes(report_docx(), ".docx", LIMITS)  # in a child process, as an upload
    lines = document.text.split("\n")
    assert lines[0] == "Пункты пропуска"
    assert lines[2] == CELL_SEPARATOR.join(["Пункт", "Режим работы", "Пропускная способность"])
    assert lines[3] == CELL_SEPARATOR.join(["Хоргос", CELL_SENTENCE, "500 человек в сутки"])
    # The nested table's row joins its cell's line; the merged cell is read once.
    assert lines[4].endswith("300 человек в сутки летом 350")
    assert lines[5] == CELL_SEPARATOR.join(["Итого", "800 человек в сутки на двух пунктах."])
    assert lines[-1] == "Данные приведены по состоянию на 1 октября."
    assert document.title == "Пункты пропуска на казахстанско-китайской границе"
    assert read_bytes(report_docx(), ".docx") == document  # in process, as folder ingest reads


def test_a_cell_sentence_is_a_sentence_of_its_own():
    text = read_bytes(report_docx(), ".docx").text
    sentences = [text[a:b] for a, b in split_sentences(text, "ru")]
    assert "Пункт открыт с 8:00 до 20:00." in " ".join(sentences)
    assert any(s.endswith(CELL_SENTENCE) and "500" not in s for s in sentences), sentences
    assert "По выходным закрыт." in sentences


def test_title_falls_back_to_the_first_line():
    assert read_bytes(report_docx(title=None), ".docx").title == "Пункты пропуска"


def test_zip_bomb_is_refused_from_the_archive_directory():
    bomb = zip_bomb_docx()
    assert len(bomb) < 200_000  # 60 MB packed into a small file
    with pytest.raises(DocumentTooLarge, match="zip bomb"):
        check_zip(bomb)
    with pytest.raises(DocumentTooLarge, match="zip bomb"):
        read_bytes(bomb, ".docx", LIMITS)


def test_not_a_zip_or_not_word_is_unreadable():
    with pytest.raises(UnreadableDocument, match="not a Word document: a .docx file is a zip archive"):
        read_bytes("Это обычный текст, а не документ Word.".encode(), ".docx", LIMITS)
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(UnreadableDocument, match="no word/document.xml"):
        read_bytes(other.getvalue(), ".docx", LIMITS)
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<w:document")
    with pytest.raises(UnreadableDocument, match="unreadable Word document"):
        read_bytes(damaged.getvalue(), ".docx", LIMITS)


def test_text_over_the_limit_is_refused():
    with pytest.raises(DocumentTooLarge, match="RAG_MAX_DOCUMENT_CHARS"):
        read_bytes(report_docx(), ".docx", LIMITS._replace(max_chars=100))


def test_a_table_cell_answers_through_the_api(workspace_client):
    response = workspace_client.post(
        "/documents", files={"file": ("checkpoints.docx", report_docx(), "application/octet-stream")}
    )
    assert response.status_code == 201, response.text
    answer = workspace_client.post("/ask", json={"question": TABLE_QUESTION}).json()["answer"]
    assert answer is not None and answer["doc_id"] == "checkpoints.docx"
    assert CELL_SENTENCE in answer["sentence"]
    assert "2019" in answer["text"]
    text = workspace_client.get("/documents/checkpoints.docx").json()["text"]
    assert text[answer["sentence_start"] : answer["sentence_end"]] == answer["sentence"]


def test_zip_bomb_and_non_zip_uploads_are_4xx_and_lose_nothing(workspace_client):
    before = workspace_client.get("/documents").json()
    bomb = workspace_client.post("/documents", files={"file": ("bomb.docx", zip_bomb_docx(), "application/zip")})
    assert bomb.status_code == 413 and "zip bomb" in bomb.json()["detail"]
    plain = workspace_client.post("/documents", files={"file": ("plain.docx", b"just text", "text/plain")})
    assert plain.status_code == 422 and "not a Word document" in plain.json()["detail"]
    assert workspace_client.get("/documents").json() == before
