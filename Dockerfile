# Multilingual extractive QA service: API + chat widget on port 8000, index built at image build.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    RAG_INDEX_DIR=/srv/index \
    RAG_CORPUS_DIR=/srv/corpus \
    RAG_HOST=0.0.0.0 \
    RAG_PORT=8000 \
    RAG_KEYS_FILE=/srv/keys/keys.json \
    RAG_FEEDBACK_PATH=/srv/feedback/feedback.sqlite3 \
    RAG_FEEDS_PATH=/srv/feeds/feeds.sqlite3

# /srv itself is the app's too: writes to a Milvus server take a lock file beside the index folder.
RUN groupadd --system app && useradd --system --gid app --home /srv app \
    && mkdir -p /srv/keys /srv/feedback /srv/feeds && chown app:app /srv /srv/keys /srv/feedback /srv/feeds \
    && chmod 700 /srv/keys /srv/feedback /srv/feeds
WORKDIR /srv/app

# Debian's tesseract and the language data of the region: scanned PDFs and images are read by OCR (RAG_OCR_LANGS).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-rus tesseract-ocr-eng \
       tesseract-ocr-kaz tesseract-ocr-kir tesseract-ocr-uzb tesseract-ocr-uzb-cyrl tesseract-ocr-tgk \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first (with an empty package), so code changes do not reinstall them.
COPY pyproject.toml README.md ./
# No torch: the span reader is served by OpenVINO (training it needs the `train` extra, outside this image).
# Extras: milvus for RAG_STORE=milvus, redis for RAG_RATE_LIMIT_STORAGE=redis://... (both set by deploy/).
RUN pip install --upgrade pip \
    && mkdir app && touch app/__init__.py && pip install ".[milvus,redis]" && pip uninstall -y border-qa \
    && rm -rf app build
COPY app ./app
RUN pip install --no-deps .

COPY corpus /srv/corpus
# The index is part of the image: the container serves at once and needs no write access to start.
# Exit code 1 = some files reported and skipped; anything else fails the build.
RUN (python -m app ingest --corpus /srv/corpus --index /srv/index || [ $? -eq 1 ]) \
    && chown -R app:app /srv/index

USER app
# API keys live in /srv/keys (mount a volume there to keep them): docker exec <container> python -m app keys create
# --role admin. Without a key every upload and deletion is refused.
VOLUME /srv/keys
# Users' verdicts on answers (POST /feedback), kept apart from the index, which each image replaces.
VOLUME /srv/feedback
# The feeds polled into the index (python -m app feeds add) and the entries already seen, shared by the replicas.
VOLUME /srv/feeds
# The local index (RAG_STORE=local), which uploads and deletions change: a new volume starts as the image's index.
VOLUME /srv/index
EXPOSE 8000
# /ready: index loaded and encoder warm (503 with the reason before); /health would only say the process is alive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=4).status == 200 else 1)"

# `serve` configures the JSON access and audit logs and the malloc arenas (README "Running it as a service").
CMD ["python", "-m", "app", "serve"]
