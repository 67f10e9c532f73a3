"""app/ingest/reader.py: every supported format to clean text, every bad file to UnreadableDocument with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ingest.reader import SUPPORTED, UnreadableDocument, clean, content_hash, decode, read_bytes, read_file, read_text
from tests.conftest import BISHKEK, BOROVOE, SEED_CORPUS

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

LONG_PARAGRAPH = (
    "The regional meeting of border services took place in Osh and gathered 42 officers from Kazakhstan, "
    "Kyrgyzstan, Tajikistan and Uzbekistan to discuss joint patrolling. It lasted three days and ended with a "
    "joint statement on the exchange of risk analysis data between the agencies."
)


def fpdf_document(*paragraphs: str, font: Path | None = None) -> bytes:
    """A real PDF with a text layer, one multi_cell per paragraph."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if font is None:
        pdf.set_font("Helvetica", size=12)
    else:
        pdf.add_font("Body", fname=str(font))
        pdf.set_font("Body", size=12)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 8, paragraph, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def handmade_pdf(trailer: bytes = b"<< /Size 6 /Root 1 0 R >>", content_filter: bytes = b"") -> bytes:
    """A minimal valid PDF written byte by byte (with a correct xref), for precise corruptions."""
    text = b"BT /F1 12 Tf 72 720 Td (The patrol found 17 crossings near Osh.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d %s>>\nstream\n" % (len(text), content_filter) + text + b"\nendstream",
    ]
    return pdf_bytes(objects, trailer)


def pdf_bytes(objects: list[bytes], trailer: bytes) -> bytes:
    """PDF objects (numbered from 1) laid out byte by byte with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# -- good files -------------------------------------------------------------------------------------------

def test_txt_is_read_verbatim_with_first_line_as_title(tmp_path):
    """A .txt file keeps its words and sentences; its first non-empty line is the title."""
    path = tmp_path / "note.txt"
    path.write_text("\n\nBorder news\n\nGuards met in Osh.   They agreed on patrols.\n", encoding="utf-8")
    text, title, _ = read_file(path)
    assert text == "Border news\n\nGuards met in Osh.   They agreed on patrols."
    assert title == "Border news"


def test_seed_file_is_read_and_cleaned():
    """A seed document reads to its stripped text with the headline as title."""
    text, title, _ = read_file(SEED_CORPUS / BOROVOE)
    assert title == "В Казахстане прошла 3-я Конференция регионального сотрудничества по пограничной безопасности"
    assert "24-25 июля в пос. Боровое" in text
    assert text == text.strip() and "\r" not in text
    assert "\n\n\n" not in text


def test_markdown_image_links_are_dropped_from_txt():
    """The image link of seed 003 (a web page export) does not reach the text."""
    text, title, _ = read_file(SEED_CORPUS / BISHKEK)
    assert "![](" not in text and "osce.org/files" not in text
    assert title.startswith("OSCE Centre in Bishkek supports")
    assert "BISHKEK, 28 April 2016" in text


def test_clean_normalises_line_breaks_and_blank_runs():
    """CRLF becomes LF, trailing spaces go, runs of blank lines collapse to one."""
    assert clean("a  \r\nb\r\n\r\n \u00a0\r\n\r\nc\rd ") == "a\nb\n\nc\nd"


def test_utf8_bom_is_removed():
    """A UTF-8 byte order mark is not part of the text."""
    text, title, _ = read_bytes("\ufeffПограничная служба провела учения.".encode("utf-8"), ".txt")
    assert text == "Пограничная служба провела учения."
    assert not title.startswith("\ufeff")


def test_cp1251_russian_text_is_decoded(tmp_path):
    """A legacy Windows-1251 Russian file is decoded, not rejected or mangled."""
    source = "Пограничники Кыргызстана и Таджикистана провели совместное патрулирование 12 мая."
    path = tmp_path / "legacy.txt"
    path.write_bytes(source.encode("cp1251"))
    text, title, _ = read_file(path)
    assert text == source
    assert title == source


@pytest.mark.parametrize("encoding", ["utf-16", "koi8_r"])
def test_utf16_and_koi8_files_are_decoded(tmp_path, encoding):
    """UTF-16 with a BOM (Windows Notepad) and KOI8-R (old Unix mail) are read, not rejected as binary."""
    source = "Пограничники Кыргызстана и Таджикистана провели совместное патрулирование 12 мая на участке границы."
    path = tmp_path / "legacy.txt"
    path.write_bytes(source.encode(encoding))
    assert read_file(path)[0] == source


def test_markdown_markup_and_images_are_dropped():
    """Markdown keeps heading, paragraph, list and link text, drops markup, image alt text and link targets."""
    source = (
        "# Patrol report\n\n"
        "![satellite photo](https://example.org/photo.png)\n\n"
        "The **joint patrol** covered [the Fergana valley](https://example.org/fergana) in *May*.\n\n"
        "- first checkpoint\n- second checkpoint\n\n"
        "<script>alert('x')</script>\n"
    )
    text, title, _ = read_bytes(source.encode("utf-8"), ".md")
    assert title == "Patrol report"
    assert "The joint patrol covered the Fergana valley in May." in text
    assert "first checkpoint" in text and "second checkpoint" in text
    for junk in ("**", "#", "](", "example.org", "satellite photo", "alert", "<script>"):
        assert junk not in text, junk


def test_html_visible_text_title_and_no_scripts_styles_images():
    """HTML gives its visible text and <title>; scripts, styles, images and noscript are dropped."""
    html = b"""<!doctype html><html><head><title> Border patrol news </title>
      <style>p { color: red }</style><script>var secret = "script text";</script></head>
      <body><h1>Joint patrol</h1>
      <p>The meeting in <a href="/osh">Osh</a> gathered <b>42</b>
         officers.</p>
      <img src="photo.png" alt="photo alt text"><noscript>enable javascript</noscript>
      <script>document.write("more script")</script>
      <ul><li>First checkpoint</li><li>Second checkpoint</li></ul></body></html>"""
    text, title, _ = read_bytes(html, ".html")
    assert title == "Border patrol news"
    for junk in ("secret", "script text", "color", "photo", "javascript", "more script", "<", ">"):
        assert junk not in text, junk
    lines = text.split("\n")
    assert "Joint patrol" in lines
    # Inline markup and source line wrapping stay inside the sentence.
    assert "The meeting in Osh gathered 42 officers." in lines
    assert "First checkpoint" in lines and "Second checkpoint" in lines


def test_html_without_title_uses_first_line():
    """An HTML fragment without <title> is titled by its first line of text (.htm too)."""
    text, title, _ = read_bytes("<p>Граница открыта.</p><p>Пункт пропуска работает.</p>".encode(), ".htm")
    assert text == "Граница открыта.\nПункт пропуска работает."
    assert title == "Граница открыта."


def test_pdf_text_layer_is_read():
    """A real PDF (fpdf2) gives the text of its pages."""
    data = fpdf_document("Annual patrol report", LONG_PARAGRAPH, "Second paragraph.")
    text, title, _ = read_bytes(data, ".pdf")
    assert title == "Annual patrol report"
    assert "Second paragraph." in text


def test_pdf_line_wraps_do_not_split_sentences():
    """Visual line wraps of a PDF paragraph are joined so that each sentence stays whole."""
    text, _, _ = read_bytes(fpdf_document("Annual patrol report", LONG_PARAGRAPH), ".pdf")
    assert LONG_PARAGRAPH in text.split("\n")


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs the DejaVu Sans font for Cyrillic glyphs")
def test_russian_pdf_is_read():
    """A PDF with Cyrillic text (embedded TrueType font) is read as Russian words."""
    data = fpdf_document("В учениях в Оше участвовали 42 офицера пограничной службы.", font=DEJAVU)
    text, _, _ = read_bytes(data, ".pdf")
    assert "Оше" in text and "42" in text and "пограничной" in text


def test_handmade_pdf_is_read():
    """The byte-by-byte PDF used for corruption tests is itself valid."""
    text, _, _ = read_bytes(handmade_pdf(), ".pdf")
    assert text == "The patrol found 17 crossings near Osh."


def test_read_text_cleans_api_text():
    """Text given through the API is cleaned like a .txt file."""
    assert read_text("  Title line\r\n\r\n\r\nBody text here.  ") == ("Title line\n\nBody text here.", "Title line", None)


def test_suffix_is_case_insensitive(tmp_path):
    """FILE.TXT is as readable as file.txt."""
    path = tmp_path / "NOTE.TXT"
    path.write_text("Border guards met in Osh.")
    assert read_file(path)[0] == "Border guards met in Osh."


def test_content_hash_is_stable_and_sensitive():
    """Same content, same hash (str or bytes); one changed character, another hash."""
    assert content_hash("Граница") == content_hash("Граница".encode())
    assert content_hash("Граница") != content_hash("граница")
    assert len(content_hash("x")) == 32


# -- bad files --------------------------------------------------------------------------------------------

BAD_FILES = {
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary"),
    "empty.txt": (b"", "empty"),
    "blank.md": (b"  \n\t\r\n  \n", "empty"),
    "punctuation.txt": (b"-- ... --\n* *", "empty"),
    "undecodable.txt": (bytes(range(0x80, 0x100)) * 4, "undecodable"),
    "corrupt.pdf": (b"%PDF-1.4\nthis is not a pdf at all\n%%EOF", "PDF"),
    "truncated.pdf": (None, "PDF"),  # filled in below: half of a valid PDF
    "fake.pdf": (b"Just text pretending to be a PDF.", "PDF"),
    "image-only.html": (b"<html><body><img src='a.png'><script>var a = 1;</script></body></html>", "empty"),
    "report.docx": (b"PK\x03\x04 word document", "not a Word document"),  # a broken zip
    "report.doc": (b"\xd0\xcf\x11\xe0 old Word", "unsupported"),
    "noextension": (b"Border guards met in Osh.", "unsupported"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_unreadable_with_reason(tmp_path, name):
    """Binary, empty, whitespace-only, undecodable, corrupt-PDF and unsupported files raise UnreadableDocument."""
    data, reason = BAD_FILES[name]
    if data is None:
        full = fpdf_document(LONG_PARAGRAPH)
        data = full[: len(full) // 2]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnreadableDocument) as info:
        read_file(path)
    assert reason.lower() in str(info.value).lower()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(handmade_pdf(trailer=b"4< /Size 6 /Root 1 0 R >>"), id="damaged-trailer"),
        pytest.param(handmade_pdf(content_filter=b"/Filter /FooDecode "), id="unknown-stream-filter"),
    ],
)
def test_damaged_pdf_structures_are_unreadable_not_crashes(data):
    """A PDF that trips the parser in any way is reported as unreadable, never as another exception."""
    with pytest.raises(UnreadableDocument, match="PDF"):
        read_bytes(data, ".pdf")


def test_encrypted_pdf_is_unreadable():
    """A password-protected PDF is reported as encrypted."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Secret patrol schedule.")
    pdf.set_encryption(owner_password="owner", user_password="user")
    with pytest.raises(UnreadableDocument, match="encrypted"):
        read_bytes(bytes(pdf.output()), ".pdf")


def test_missing_file_is_unreadable(tmp_path):
    """A path that cannot be read is an UnreadableDocument, not an OSError."""
    with pytest.raises(UnreadableDocument, match="cannot read"):
        read_file(tmp_path / "gone.txt")


def test_undecodable_reason_names_the_byte():
    """The undecodable reason says which byte and where."""
    with pytest.raises(UnreadableDocument, match=r"byte 0x98 at offset 3"):
        decode(b"abc\x98\x81\x8d\x8f\x90")


def test_supported_suffixes():
    """The reader supports exactly txt, md, html, pdf, docx and the images OCR reads (with their common variants)."""
    assert set(SUPPORTED) == {
        ".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif", ".tiff"
    }
