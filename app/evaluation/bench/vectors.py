"""An encoder that answers with the real sample's vectors, slightly perturbed, for replicated texts.

Embedding 100k chunks with e5-small takes hours on 2 cores; this lets the real ingest pipeline build a large
index in minutes from real vectors. Each replica text gets the vector of the sample text it varies, pulled
part of the way towards another real vector of the same kind, plus isotropic noise, renormalised; identical
texts get identical vectors. The amounts are set so that a perturbed vector lies as close to its source as
the real encoder puts a varied text to its original (e5-small: cosine 0.96 on average, 0.92-0.93 at the
5th percentile, for sentences and chunks alike); ``replica_cosines`` checks this in every run.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

import numpy as np

from app.encoders.base import Encoder
from app.evaluation.bench.corpus import SEED

MIX = 0.6  # the pull towards another real vector is uniform in [0, MIX), by text
NOISE = 0.2  # norm of the added noise
NOISE_BANK = 4096  # noise is the sum of two of these unit vectors: 16M distinct directions
SENTENCE, CHUNK = 0, 1


def _draws(text: str) -> tuple[int, int, int, int]:
    """Four independent 32-bit numbers fixed by the text: the same text is always perturbed the same way."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    return struct.unpack("<4I", digest)


class VectorReuse:
    """Serves ``passages`` from a table of known texts; refuses ``query`` (questions use the real encoder)."""

    def __init__(self, like: Encoder, sentence_vectors: np.ndarray, chunk_vectors: np.ndarray):
        self.spec, self.model, self.dim = like.spec, like.model, like.dim  # the index records the real encoder
        self.vectors = (np.asarray(sentence_vectors, dtype=np.float32), np.asarray(chunk_vectors, dtype=np.float32))
        bank = np.random.default_rng(zlib.crc32(SEED.encode())).standard_normal((NOISE_BANK, self.dim))
        self.bank = (bank / np.linalg.norm(bank, axis=1, keepdims=True)).astype(np.float32)
        self.table: dict[str, tuple[int, int, bool]] = {}  # text -> (kind, sample row, perturbed)
        self.hits = self.misses = 0
        self.cosines: list[float] = []

    def add(self, text: str, kind: int, row: int, perturbed: bool = True) -> None:
        """Map ``text`` to the sample vector ``row`` of ``kind``; a text seen before keeps its vector."""
        self.table.setdefault(text, (kind, row, perturbed))

    def _vector(self, text: str, kind: int, row: int, perturbed: bool) -> np.ndarray:
        base = self.vectors[kind][row]
        if not perturbed:
            return base
        other, first, second, pull = _draws(text)
        noise = self.bank[first % NOISE_BANK] + self.bank[second % NOISE_BANK]
        noise /= max(float(np.linalg.norm(noise)), 1e-9)
        other_vector = self.vectors[kind][other % len(self.vectors[kind])]
        vector = base + MIX * (pull / 2**32) * (other_vector - base) + NOISE * noise
        vector /= float(np.linalg.norm(vector))
        if len(self.cosines) < 20_000:
            self.cosines.append(float(vector @ base))
        return vector

    def passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            entry = self.table.get(text)
            if entry is None:
                # The splitter or chunker cut a variant differently: a perturbed real chunk vector, by hash.
                self.misses += 1
                entry = (CHUNK, _draws(text)[3] % len(self.vectors[CHUNK]), True)
            else:
                self.hits += 1
            out[i] = self._vector(text, *entry)
        return out

    def query(self, text: str) -> np.ndarray:
        raise NotImplementedError("questions are embedded by the real encoder")

    def queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError("questions are embedded by the real encoder")

    def stats(self) -> dict:
        """How many texts were served from the table, and how close perturbed vectors stay to their source."""
        cos = np.asarray(self.cosines or [1.0])
        total = max(self.hits + self.misses, 1)
        return {
            "texts": self.hits + self.misses,
            "aligned_share": round(self.hits / total, 4),
            "unaligned_texts": self.misses,
            "cosine_to_source_mean": round(float(cos.mean()), 4),
            "cosine_to_source_p5": round(float(np.percentile(cos, 5)), 4),
        }


def replica_cosines(encoder: Encoder, sample, variator, count: int = 24) -> dict:
    """Cosine of replica sentences and chunks to the sample texts they vary: as the real encoder embeds them,
    and as ``VectorReuse`` perturbs them (the two should agree)."""
    from app.evaluation.bench.corpus import replicas

    found: dict[int, list[tuple[str, int]]] = {SENTENCE: [], CHUNK: []}
    for replica in replicas(sample, variator, 12 * count):  # one of each from many documents
        found[SENTENCE] += replica.sentences[:1]
        found[CHUNK] += replica.chunks[:1]
    reuse = VectorReuse(encoder, sample.sentence_vectors, sample.chunk_vectors)
    out: dict = {}
    for kind, name in ((SENTENCE, "sentences"), (CHUNK, "chunks")):
        pairs = found[kind][:: max(1, len(found[kind]) // count)][:count]
        for text, row in pairs:
            reuse.add(text, kind, row)
        texts = [text for text, _ in pairs]
        source = reuse.vectors[kind][[row for _, row in pairs]]
        out[name] = {}
        for how, vectors in (("real", encoder.passages(texts)), ("synthetic", reuse.passages(texts))):
            cos = np.einsum("ij,ij->i", vectors, source)
            out[name][how] = {"mean": round(float(cos.mean()), 4), "p5": round(float(np.percentile(cos, 5)), 4)}
    out["pairs"] = count
    return out
