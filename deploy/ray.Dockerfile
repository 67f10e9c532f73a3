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
# torch from the CPU wheel index, as in the service's Dockerfile; Ray itself is already in the image. The milvus
# extra: the Ray ingest writes to the compose file's Milvus (RAG_STORE=milvus).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install ".[milvus]" \
    && python -c "import ray, app; assert ray.__version__ == '2.60.0', ray.__version__"
