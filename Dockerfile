# Multilingual extractive QA service: API + chat widget on port 8000, index built at image build.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    RAG_INDEX_DIR=/srv/index \
    RAG_CORPUS_DIR=/srv/corpus \
    RAG_HOST=0.0.0.0 \
    RAG_PORT=8000

RUN groupadd --system app && useradd --system --gid app --home /srv app
WORKDIR /srv/app

# Dependencies first (with an empty package), so code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN pip install --upgrade pip \
    && mkdir app && touch app/__init__.py && pip install . && pip uninstall -y border-qa && rm -rf app build
COPY app ./app
RUN pip install --no-deps .

COPY corpus /srv/corpus
# The index is part of the image: the container serves at once and needs no write access to start.
# Exit code 1 = some files reported and skipped; anything else fails the build.
RUN (python -m app ingest --corpus /srv/corpus --index /srv/index || [ $? -eq 1 ]) \
    && chown -R app:app /srv/index

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"

CMD ["python", "-m", "uvicorn", "app.api.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
