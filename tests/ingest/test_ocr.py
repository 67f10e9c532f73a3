"""Scanned PDFs and images read by the real tesseract: pages rendered in the test with a Cyrillic TrueType font,
embedded in image-only PDFs, read back, measured (character error rate), ingested and answered from."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from app.ingest import reader
from app.ingest.ocr import ocr_problem, paragraphs
from app.ingest.reader import DocumentTooLarge, NeedsOcr, OcrOptions, ReadLimits, UnreadableDocument, read_bytes
from app.text.sentences import split_sentences

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core

pytestmark = [
    pytest.mark.skipif(ocr_problem("rus+eng+kaz") is not None, reason=f"OCR: {ocr_problem('rus+eng+kaz')}"),
    pytest.mark.skipif(not FONT.exists(), reason=f"{FONT} is missing"),
]

# Facts the seed corpus does not hold, so that only the scan can answer.
RUSSIAN = [
    "Отчёт пограничной заставы Кордай за третий квартал.",
    "С 12 по 14 сентября на заставе Кордай прошли учения по задержанию нарушителей границы.",
    "В учениях на заставе Кордай участвовали 120 пограничников и 15 кинологов.",
    "Участники отработали обмен данными между пунктами пропуска и совместное патрулирование.",
]
RUSSIAN_QUESTION = "Сколько пограничников участвовали в учениях на заставе Кордай?"
RUSSIAN_ANSWER = RUSSIAN[2]

KAZAKH = [
    "Шекара қызметінің есебі.",
    "Әуежайдағы бақылау бекетінде жаңа құрылғылар орнатылды.",
    "Өңірлік ынтымақтастық туралы келісімге он бір ұйым қол қойды.",
    "Үкімет шекарадағы қауіпсіздікті күшейту үшін қаржы бөлді.",
    "Кеңсеге жаңа жиһаз әкелінді, ал іс қағаздары мұрағатқа тапсырылды.",
]
KAZAKH_LETTERS = set("әғқңөұүһі")

LIMITS = ReadLimits(max_chars=100_000, pdf_max_pages=10, pdf_timeout_s=30.0)
OCR = OcrOptions(langs="rus+eng+kaz", timeout_s=120.0)


def page_image(lines: list[str], size: tuple[int, int] = (2480, 3508), font_px: int = 42):
    """An A4 page at 300 dpi, black text on white, one paragraph per line, as a scanner would give it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(FONT), font_px)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((180, 250 + number * int(font_px * 2.2)), line, font=font, fill=0)
    return image


def degraded(image, seed: int = 7):
    """``image`` as a cheap office scanner gives it: skewed 0.8°, blurred, speckled, saved as a JPEG of quality 50
    (seeded, so that every run reads the same pixels)."""
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    image = image.rotate(0.8, resample=Image.Resampling.BICUBIC, fillcolor=255).filter(ImageFilter.GaussianBlur(1.2))
    pixels = image.load()
    width, height = image.size
    for _ in range(width * height // 200):
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=50)
    return Image.open(io.BytesIO(buffer.getvalue()))


def png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def scanned_pdf(*pages: list[str], worn: bool = False) -> bytes:
    """An image-only PDF (no text layer), one rendered page image per page (``degraded`` when ``worn``), made with
    fpdf2."""
    from fpdf import FPDF

    pdf = FPDF()
    for lines in pages:
        pdf.add_page()
        image = degraded(page_image(lines, font_px=36)) if worn else page_image(lines)
        pdf.image(io.BytesIO(png(image)), x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edits (Levenshtein) per reference character."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(reference, hypothesis) / len(reference)


def test_scanned_russian_pdf_is_read_by_ocr_with_a_low_character_error_rate():
    data = scanned_pdf(RUSSIAN, worn=True)
    with pytest.raises(NeedsOcr, match="scanned PDF"):  # without OCR options the caller is told, not given nothing
        read_bytes(data, ".pdf", LIMITS)
    document = read_bytes(data, ".pdf", LIMITS, OCR)  # parsed and read in child processes
    reference = "\n".join(RUSSIAN)
    rate = cer(reference, document.text)
    print(f"\nOCR character error rate, Russian scan: {rate:.4f} ({len(reference)} characters)")
    assert rate < 0.1, document.text
    # Lines joined into paragraphs, then split into sentences: the answer is one sentence to cite, whole.
    sentences = [document.text[a:b] for a, b in split_sentences(document.text, "ru")]
    assert RUSSIAN_ANSWER in sentences, sentences
    assert document.title == RUSSIAN[0]


def test_scanned_kazakh_page_is_read_with_its_letters():
    document = read_bytes(png(degraded(page_image(KAZAKH, font_px=36))), ".png", LIMITS, OCR)
    reference = "\n".join(KAZAKH)
    rate = cer(reference, document.text)
    print(f"\nOCR character error rate, Kazakh scan: {rate:.4f} ({len(reference)} characters)")
    assert rate < 0.1, document.text
    assert set(document.text.lower()) >= KAZAKH_LETTERS


def test_pdf_mixing_a_text_layer_and_a_scan_keeps_both_in_page_order():
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    text_page = FPDF()
    text_page.add_page()
    text_page.set_font("Helvetica", size=12)
    text_page.multi_cell(0, 8, "The first page has a text layer about the Naryn patrol.")
    writer = PdfWriter()
    for part in (bytes(text_page.output()), scanned_pdf(RUSSIAN[1:3])):
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    text = read_bytes(out.getvalue(), ".pdf", None, OCR).text  # in process, as folder ingest reads
    first, second = text.split("\n\n")
    assert "Naryn patrol" in first
    assert cer("\n".join(RUSSIAN[1:3]), second) < 0.1, second


def test_tesseract_lines_are_joined_into_paragraphs():
    raw = "Пограничники задержали нару-\nшителя у реки.\nОн шёл ночью.\n\nВторой абзац\nпродолжается.\n\f"
    assert paragraphs(raw) == "Пограничники задержали нарушителя у реки.\nОн шёл ночью.\nВторой абзац продолжается."
    # A short line (a heading) before one in upper case stays a line; a long one wraps into the next.
    heading = "Итоги года\nЗастава Кордай задержала сорок нарушителей за год,\nЗаставу проверила комиссия."
    assert paragraphs(heading) == (
        "Итоги года\nЗастава Кордай задержала сорок нарушителей за год, Заставу проверила комиссия."
    )


def test_a_multi_page_tiff_is_read_page_by_page():
    first, second = page_image(RUSSIAN[:2], (2480, 900)), page_image(RUSSIAN[2:], (2480, 900))
    buffer = io.BytesIO()
    first.save(buffer, "TIFF", save_all=True, append_images=[second], compression="tiff_lzw")
    text = read_bytes(buffer.getvalue(), ".tiff", LIMITS, OCR).text
    assert text.index("Кордай прошли") < text.index("120 пограничников")
    with pytest.raises(DocumentTooLarge, match="2 pages; at most 1"):
        read_bytes(buffer.getvalue(), ".tiff", LIMITS._replace(pdf_max_pages=1), OCR)


def test_corrupt_and_oversized_images_are_refused():
    with pytest.raises(UnreadableDocument, match="unreadable image") as caught:
        read_bytes(b"\x89PNG\r\n\x1a\n" + b"not an image at all" * 20, ".png", LIMITS, OCR)
    assert not isinstance(caught.value, DocumentTooLarge)
    truncated = png(page_image(RUSSIAN[:1], (1200, 400)))[:2000]
    with pytest.raises(UnreadableDocument, match="unreadable image"):
        read_bytes(truncated, ".png", LIMITS, OCR)
    # Beyond the pixel bound (a decompression bomb) from the header alone, before any pixel is decoded.
    big = png(page_image(RUSSIAN[:1], (1500, 1000)))
    with pytest.raises(DocumentTooLarge, match="RAG_OCR_MAX_PIXELS"):
        read_bytes(big, ".png", LIMITS, OCR._replace(max_pixels=1_000_000))
    with pytest.raises(DocumentTooLarge, match="RAG_OCR_MAX_PIXELS"):
        reader.check_image(big, LIMITS, OCR._replace(max_pixels=1_000_000))
    with pytest.raises(UnreadableDocument, match="unreadable image"):
        reader.check_image(b"GIF89a garbage", LIMITS, OCR)


def test_ocr_past_its_time_is_abandoned():
    data = png(page_image(RUSSIAN * 6))
    with pytest.raises(DocumentTooLarge, match="RAG_OCR_TIMEOUT_S"):
        read_bytes(data, ".png", LIMITS, OCR._replace(timeout_s=0.2))


def test_missing_language_data_is_a_clear_refusal():
    with pytest.raises(reader.OcrUnavailable, match="language data of xxx.*RAG_OCR_LANGS"):
        read_bytes(png(page_image(RUSSIAN[:1], (1200, 400))), ".png", LIMITS, OCR._replace(langs="rus+xxx"))


def test_folder_ingest_reads_scans_and_skips_bad_files(workspace, monkeypatch):
    """A scan and an image are ingested and answered from; an encrypted PDF, a zip bomb disguised as .docx and a
    corrupt image are each reported and skipped, and nothing else is lost."""
    from fpdf import FPDF

    from tests.ingest.test_docx import zip_bomb_docx

    corpus = workspace.corpus
    (corpus / "scan.pdf").write_bytes(scanned_pdf(RUSSIAN))
    (corpus / "kazakh.png").write_bytes(png(page_image(KAZAKH)))
    encrypted = FPDF()
    encrypted.add_page()
    encrypted.set_font("Helvetica", size=12)
    encrypted.multi_cell(0, 8, "Secret patrol schedule.")
    encrypted.set_encryption(owner_password="owner", user_password="user")
    (corpus / "locked.pdf").write_bytes(bytes(encrypted.output()))
    (corpus / "bomb.docx").write_bytes(zip_bomb_docx())
    (corpus / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    before = set(workspace.pipeline.catalog().documents)

    report = workspace.pipeline.ingest_folder(corpus)

    assert set(report.failed) == {"locked.pdf", "bomb.docx", "broken.jpg"}, report.failed
    assert "encrypted" in report.failed["locked.pdf"]
    assert "zip bomb" in report.failed["bomb.docx"]
    assert "unreadable image" in report.failed["broken.jpg"]
    assert set(report.added) == {"scan.pdf", "kazakh.png"}
    assert set(workspace.pipeline.catalog().documents) == before | {"scan.pdf", "kazakh.png"}
    result = workspace.pipeline.ask(RUSSIAN_QUESTION)
    assert result.answer is not None and result.answer.doc_id == "scan.pdf"
    assert result.answer.sentence == RUSSIAN_ANSWER
    text = workspace.pipeline.catalog().documents["scan.pdf"].text
    assert text[result.answer.sentence_start : result.answer.sentence_end] == RUSSIAN_ANSWER

