"""Picks the encoder backend named by the ``encoder`` setting."""

from __future__ import annotations

from app.encoders.base import Encoder
from app.encoders.sentence_transformer import PREFIX

BACKENDS = ("e5-small", "use-m3", PREFIX + "<name or path>")


class UnknownEncoder(ValueError):
    """The encoder setting names no backend."""


def create_encoder(spec: str, threads: int = 1) -> Encoder:
    """Build the encoder for ``spec``; heavy libraries are imported only for the chosen backend."""
    spec = spec.strip()
    if spec == "e5-small":
        from app.encoders.e5 import E5Encoder

        return E5Encoder(threads)
    if spec == "use-m3":
        from app.encoders.use import UseEncoder

        return UseEncoder(threads)
    if spec.startswith(PREFIX) and spec[len(PREFIX) :].strip():
        from app.encoders.sentence_transformer import SentenceTransformerEncoder

        return SentenceTransformerEncoder(spec[len(PREFIX) :].strip(), threads)
    raise UnknownEncoder(f"unknown encoder '{spec}'; choose one of: {', '.join(BACKENDS)}")
