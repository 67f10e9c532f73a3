"""Text of scanned pages and images, read by tesseract (through pytesseract) in the document's languages.

PDF pages are rendered with pypdfium2 (PDFium, the PDF engine of Chromium, shipped as a wheel) rather than taken
from pypdf's embedded images: a rendered page is what a reader sees whatever the scanner wrote, one image or
many strips, masks, rotations, CCITT or JBIG2 codecs that Pillow cannot decode, and text drawn as curves.

Every image is bounded in pixels before it is decoded or rendered (``OcrOptions.max_pixels``, also Pillow's
``MAX_IMAGE_PIXELS``), and every tesseract run in time, out of one budget per document.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import shutil
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from app.ingest.reader import SENTENCE_END, DocumentTooLarge, OcrOptions, OcrUnavailable, UnreadableDocument

if TYPE_CHECKING:
    from PIL.Image import Image

_BLOCKS = re.compile(r"\n[ \t]*\n|\f")
# A hyphen that breaks a word across two lines ("погра-" / "ничный"): the word is joined again.
_HYPHENATED = re.compile(r"(?<=\w)[-\u00ad]$")


@functools.cache
def ocr_problem(langs: str) -> str | None:
    """Why pages cannot be read in ``langs`` on this machine (a fixed sentence, safe to show), None when they can.

    Cached: tesseract and its language data are installed with the system, not while the service runs.
    """
    import pytesseract

    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return "tesseract is not installed"
    try:
        installed = set(pytesseract.get_languages(config=""))
    except Exception:  # a broken installation: the same answer as none
        return "tesseract does not run"
    missing = [lang for lang in langs.split("+") if lang and lang not in installed]
    if missing:
        return f"tesseract lacks the language data of {', '.join(missing)} (RAG_OCR_LANGS)"
    return None


def require_ocr(options: OcrOptions, what: str) -> None:
    """Raise ``OcrUnavailable`` naming ``what`` needed it, when tesseract cannot read ``options.langs``."""
    problem = ocr_problem(options.langs)
    if problem:
        raise OcrUnavailable(f"{what} needs OCR, which is unavailable: {problem}")


def paragraphs(raw: str) -> str:
    """tesseract's output with the page's line wraps undone, as ``reader._unwrap`` undoes a PDF text layer's: a line
    break ends a sentence downstream, a wrap must not. Within one of tesseract's paragraphs (blank-line separated)
    a line continues the one before unless that one ends a sentence, or is short (a heading) and this one starts in
    upper case; a word hyphenated across the two is made whole again."""
    blocks = [[line.strip() for line in block.split("\n") if line.strip()] for block in _BLOCKS.split(raw)]
    width = max((len(line) for block in blocks for line in block), default=0)
    out: list[str] = []
    for lines in blocks:
        for number, line in enumerate(lines):
            previous = lines[number - 1] if number else ""
            if previous and _HYPHENATED.search(previous) and line[0].islower():
                out[-1] = out[-1][:-1] + line
            elif (
                previous and not previous.endswith(SENTENCE_END) and (line[0].islower() or len(previous) >= 0.6 * width)
            ):
                out[-1] += " " + line
            else:
                out.append(line)
    return "\n".join(out)


class _Budget:
    """The seconds left of one document's OCR time."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.exceeded()
        return left

    def exceeded(self) -> DocumentTooLarge:
        return DocumentTooLarge(f"OCR took longer than {self.seconds:g} s (RAG_OCR_TIMEOUT_S)")


def _read(image: Image, options: OcrOptions, budget: _Budget) -> str:
    import pytesseract

    # pytesseract's timeout is whole seconds at least; the document's deadline is checked again after each page.
    timeout = max(1, math.ceil(budget.left()))
    try:
        raw = pytesseract.image_to_string(image, lang=options.langs, timeout=timeout)
    except RuntimeError as exc:  # pytesseract's "Tesseract process timeout"
        if "timeout" in str(exc).lower():
            raise budget.exceeded() from None
        raise UnreadableDocument(f"OCR failed: {exc}") from None
    except pytesseract.TesseractError as exc:
        raise UnreadableDocument(f"OCR failed: {exc.message or exc.status}") from None
    budget.left()
    return paragraphs(raw)


def image_pages(data: bytes, options: OcrOptions, max_pages: int | None = None) -> list[str]:
    """Text of each frame of an image file (a TIFF may hold several pages), read by tesseract."""
    require_ocr(options, "an image")
    budget = _Budget(options.timeout_s)
    with _opened(data, options, max_pages) as (image, frames):
        return [_read(frame, options, budget) for frame in _frames(image, frames, options, decode=True)]


def check_image(data: bytes, options: OcrOptions, max_pages: int | None = None) -> int:
    """The pages of an image file, checked before it is queued for OCR without decoding its pixels: a format Pillow
    knows, within the page and pixel bounds, its structure intact (``Image.verify``: chunk checksums of a PNG)."""
    with _opened(data, options, max_pages) as (image, frames):
        for _ in _frames(image, frames, options, decode=False):
            pass
    with _opened(data, options, max_pages) as (image, _):
        image.verify()  # only on a freshly opened image
    return frames


@contextlib.contextmanager
def _opened(data: bytes, options: OcrOptions, max_pages: int | None) -> Iterator[tuple[Image, int]]:
    """The image (its header read, no pixels) and its frame count; Pillow's errors as ``UnreadableDocument``."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    # Pillow refuses images over twice this as decompression bombs and warns above it: _frames refuses those.
    PILImage.MAX_IMAGE_PIXELS = options.max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data))  # reads the header only
        with image:
            frames = getattr(image, "n_frames", 1)
            if max_pages is not None and frames > max_pages:
                raise DocumentTooLarge(
                    f"the image has {frames} pages; at most {max_pages} are read (RAG_PDF_MAX_PAGES)"
                )
            yield image, frames
    except UnreadableDocument:
        raise
    except PILImage.DecompressionBombError as exc:
        raise DocumentTooLarge(f"{exc} (RAG_OCR_MAX_PIXELS)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UnreadableDocument(f"unreadable image: {exc or type(exc).__name__}") from None


def _frames(image: Image, count: int, options: OcrOptions, decode: bool) -> Iterator[Image]:
    """Each frame within the pixel bound; decoded: upright (the camera's EXIF orientation), in a mode tesseract
    reads."""
    from PIL import ImageOps

    for index in range(count):
        image.seek(index)
        width, height = image.size
        if width * height > options.max_pixels:
            raise DocumentTooLarge(
                f"an image of {width}x{height} pixels is over {options.max_pixels} pixels (RAG_OCR_MAX_PIXELS)"
            )
        if not decode:
            continue
        frame = ImageOps.exif_transpose(image)  # decodes the frame: a truncated file fails here
        yield frame if frame.mode in ("1", "L", "RGB") else frame.convert("RGB")


def pdf_pages(data: bytes, pages: list[int], options: OcrOptions) -> dict[int, str]:
    """Text of the given pages (0-based) of a PDF, each rendered in grey at ``options.dpi`` (less where the page is
    so large that it would pass ``options.max_pixels``) and read by tesseract."""
    require_ocr(options, "a PDF page without a text layer")
    import pypdfium2 as pdfium

    budget = _Budget(options.timeout_s)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument(f"unreadable PDF: {exc}") from None
    texts: dict[int, str] = {}
    try:
        for index in pages:
            page = pdf[index]
            try:
                width, height = page.get_size()  # points, 1/72 inch
                scale = min(options.dpi / 72, math.sqrt(options.max_pixels / max(width * height, 1.0)))
                image = page.render(scale=scale, grayscale=True).to_pil()
            finally:
                page.close()
            texts[index] = _read(image, options, budget)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument(f"unreadable PDF page: {exc}") from None
    finally:
        pdf.close()
    return texts
