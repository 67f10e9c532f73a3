"""PDF bombs: an uploaded PDF is read within RAG_PDF_MAX_PAGES, RAG_MAX_DOCUMENT_CHARS and RAG_PDF_TIMEOUT_S, in a
child process that is killed when it runs past its time, and only once it has its place in the bounded write queue.
A refused file gets a 413 naming the limit and leaves the index as it was."""

from __future__ import annotations

import os
import shutil
import threading
import time
import zlib
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.ingest import reader
from app.ingest.reader import UnreadableDocument, read_bytes
from app.pipeline import Pipeline
from tests.conftest import make_settings
from tests.ingest.test_reader import pdf_bytes
from tests.security.test_redos import HEALTH_SECONDS, health_while

# ``slow_pdf`` shows an empty string this many times on each of its pages: under pypdf's budget of 2M tokens per
# stream, ~7 µs each to read (a 5 kB file that takes pypdf ~11 s on one core, and has no text when it is done),
# far past the time limits set below however fast or busy the machine.
SLOW_OPERATORS = 400_000
SLOW_PAGES = 4


def paged_pdf(pages: int, text: str = "The patrol in Naryn found 9 illegal crossings during the winter.") -> bytes:
    """A real PDF (fpdf2) of ``pages`` pages, each holding ``text``."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for number in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Page {number + 1}. {text}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def slow_pdf(operators: int = SLOW_OPERATORS, pages: int = SLOW_PAGES) -> bytes:
    """Pages sharing one compressed content stream that shows an empty string ``operators`` times."""
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td " + b"() Tj " * operators + b"ET", 9)
    kids = b" ".join(b"%d 0 R" % (5 + page) for page in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 4 0 R >>"
    ] * pages
    return pdf_bytes(objects, b"<< /Size %d /Root 1 0 R >>" % (len(objects) + 1))


def parser_processes() -> list[int]:
    """Pids of the PDF parsing children: the children of this process's multiprocessing forkserver."""
    parents: dict[int, int] = {}
    servers = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            command = Path(entry.path, "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if parents[int(entry.name)] == os.getpid() and b"forkserver" in command:
            servers.add(int(entry.name))
    return [pid for pid, parent in parents.items() if parent in servers]


def upload(client, name: str, data: bytes) -> dict:
    """POST a file; the response and the monotonic time it came back."""
    response = client.post("/documents", files={"file": (name, data, "application/pdf")})
    return {"response": response, "at": time.monotonic()}


@pytest.fixture
def make_client(tmp_path, seed, encoder, api_keys):
    """``make_client(**settings)``: a client with the admin key over a private copy of the seed index."""
    with ExitStack() as stack:

        def make(**overrides) -> TestClient:
            index = tmp_path / "index"
            shutil.copytree(seed.index, index)
            settings = make_settings(index, **overrides)
            app = create_app(settings, pipeline=Pipeline(settings, encoder=encoder))
            client = TestClient(app, raise_server_exceptions=False, headers=api_keys.admin_headers)
            return stack.enter_context(client)

        yield make


def limits(**changes) -> reader.ReadLimits:
    return reader.ReadLimits(max_chars=10_000, pdf_max_pages=3, pdf_timeout_s=30.0)._replace(**changes)


# -- the reader -----------------------------------------------------------------------------------------------------


def test_pdf_bomb_read_in_a_child_process_equals_the_in_process_read():
    """Within the limits, the isolated read gives exactly what reading in this process gives."""
    data = paged_pdf(3)
    assert read_bytes(data, ".pdf", limits()) == read_bytes(data, ".pdf")


def test_pdf_bomb_pages_over_the_limit_are_refused_before_reading():
    with pytest.raises(reader.DocumentTooLarge, match=r"4 pages; at most 3 .*RAG_PDF_MAX_PAGES"):
        read_bytes(paged_pdf(4), ".pdf", limits())


def test_pdf_bomb_text_over_the_limit_is_refused():
    with pytest.raises(reader.DocumentTooLarge, match=r"longer than 1000 characters \(RAG_MAX_DOCUMENT_CHARS\)"):
        read_bytes(paged_pdf(1, "Border guards met in Osh. " * 60), ".pdf", limits(max_chars=1000))
    with pytest.raises(reader.DocumentTooLarge, match="RAG_MAX_DOCUMENT_CHARS"):  # any file type, not only PDFs
        read_bytes(b"Border guards met in Osh. " * 60, ".txt", limits(max_chars=1000))


def test_pdf_bomb_parsing_past_the_time_limit_is_abandoned():
    """A parse past its time is killed: no parser process is left."""
    with pytest.raises(reader.DocumentTooLarge, match=r"longer than 0.5 s .*RAG_PDF_TIMEOUT_S"):
        read_bytes(slow_pdf(), ".pdf", limits(pdf_timeout_s=0.5, pdf_max_pages=10))
    assert parser_processes() == []


def test_pdf_bomb_damaged_pdf_in_a_child_process_is_still_unreadable():
    with pytest.raises(UnreadableDocument, match="PDF") as caught:
        read_bytes(b"%PDF-1.4\nnot a pdf", ".pdf", limits())
    assert not isinstance(caught.value, reader.DocumentTooLarge)


# -- through the API ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_pdf_bomb_upload_over_the_page_limit_is_413_naming_the_limit(make_client):
    c = make_client(pdf_max_pages=3)
    before = c.get("/documents").json()
    response = c.post("/documents", files={"file": ("pages.pdf", paged_pdf(4), "application/pdf")})
    assert response.status_code == 413, response.text
    assert "4 pages" in response.json()["detail"] and "RAG_PDF_MAX_PAGES" in response.json()["detail"]
    assert c.get("/documents").json() == before
    ok = c.post("/documents", files={"file": ("pages.pdf", paged_pdf(3), "application/pdf")})
    assert ok.status_code == 201, ok.text


def test_pdf_bomb_upload_over_the_text_limit_is_413_naming_the_limit(make_client):
    c = make_client(max_document_chars=1000)
    before = c.get("/documents").json()
    data = paged_pdf(1, "Border guards met in Osh. " * 60)
    response = c.post("/documents", files={"file": ("long.pdf", data, "application/pdf")})
    assert response.status_code == 413 and "RAG_MAX_DOCUMENT_CHARS" in response.json()["detail"], response.text
    assert c.get("/documents").json() == before


def test_pdf_bomb_upload_parsing_past_the_time_limit_is_413_and_health_answers_meanwhile(make_client):
    """The parse runs in a child process: /health answers while it runs, and it is killed at the limit."""
    c = make_client(pdf_timeout_s=2.0)
    before = c.get("/documents").json()
    result: list[dict] = []
    thread = threading.Thread(target=lambda: result.append(upload(c, "slow.pdf", slow_pdf())), daemon=True)
    thread.start()
    parsing: list[int] = []
    stall, answered = health_while(c, thread, probe=lambda: parsing.extend(parser_processes()))
    assert stall < HEALTH_SECONDS, f"/health went unanswered for {stall:.1f} s during the upload"
    assert result, "the upload did not answer"
    response = result[0]["response"]
    assert response.status_code == 413, response.text
    assert "longer than 2 s" in response.json()["detail"] and "RAG_PDF_TIMEOUT_S" in response.json()["detail"]
    assert parsing and answered >= 2  # parsed in a child while /health answered
    assert parser_processes() == []  # abandoned: killed, not left running
    assert c.get("/documents").json() == before


def test_pdf_bomb_uploads_beyond_the_write_queue_get_503_instead_of_parsing_at_once(make_client):
    """With room for 2 writes, 5 simultaneous slow PDFs: 2 are parsed (and time out), 3 are refused with 503 and
    Retry-After at once, before any parse ends; never more than 2 parse together."""
    c = make_client(max_queued_writes=2, pdf_timeout_s=3.0)
    before = c.get("/documents").json()
    data, start = slow_pdf(), threading.Barrier(5)
    results: list[dict] = []

    def send(number: int) -> None:
        start.wait()
        results.append(upload(c, f"slow-{number}.pdf", data))

    threads = [threading.Thread(target=send, args=(n,), daemon=True) for n in range(5)]
    for thread in threads:
        thread.start()
    most, deadline = 0, time.monotonic() + 120
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        most = max(most, len(parser_processes()))
        time.sleep(0.05)
    assert len(results) == 5, "some uploads did not answer"
    statuses = sorted(r["response"].status_code for r in results)
    assert statuses == [413, 413, 503, 503, 503], [r["response"].text for r in results]
    refused = [r for r in results if r["response"].status_code == 503]
    assert all(r["response"].headers["retry-after"] == "10" for r in refused)
    assert all("queued" in r["response"].json()["detail"] for r in refused)
    assert max(r["at"] for r in refused) < min(r["at"] for r in results if r["response"].status_code == 413)
    assert most <= 2
    assert c.get("/documents").json() == before
    assert c.app.state.writes == 0
