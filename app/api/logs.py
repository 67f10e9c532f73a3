"""How ``serve`` logs: one JSON object per line for requests (``app.access``) and writes (``app.audit``) on stdout,
plain text for everything else (start-up, errors, uvicorn) on stderr.

uvicorn's own access log is switched off: ``app.access`` has every field it had (method, path, status) plus the
route, latency, request id and key name, and two lines per request would only double the volume.
"""

from __future__ import annotations

import logging.config

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Install the service's handlers (called by ``serve`` before uvicorn starts)."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"line": {"format": "%(message)s"}, "plain": {"format": PLAIN}},
            "handlers": {
                "lines": {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stdout"},
                # INFO at the handler too: libraries that set DEBUG on their own loggers (bm25s) stay quiet.
                "plain": {
                    "class": "logging.StreamHandler",
                    "formatter": "plain",
                    "stream": "ext://sys.stderr",
                    "level": level,
                },
            },
            "loggers": {
                "app.access": {"handlers": ["lines"], "level": "INFO", "propagate": False},
                "app.audit": {"handlers": ["lines"], "level": "INFO", "propagate": False},
                "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
                # FAISS logs which CPU-specific build it tried (AVX512, AVX2, ...) at INFO: no news to an operator.
                "faiss.loader": {"level": "WARNING"},
            },
            "root": {"handlers": ["plain"], "level": level},
        }
    )
