"""Deterministic synthetic corpora grown from the seed corpus: new documents and varied replicas.

Every change keeps sentence boundaries (punctuation and abbreviations are never touched), so the sentence
splitter cuts a variant where it cut the original and a replica's sentences and chunks line up with the
sample's, whose real vectors they reuse.
"""

from __future__ import annotations

import math
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.settings import Settings

SEED = "bench-1"
# Per-word probabilities of a substitution by another corpus word and of a made-up word, per-sentence
# probability of swapping two words; made-up words follow a Zipf-like law over this many, so BM25 sees a
# vocabulary that keeps growing with the corpus, as real text does.
P_SUBSTITUTE = 0.15
P_NEW_WORD = 0.05
P_SWAP = 0.3
PSEUDO_VOCABULARY = 200_000
RUSSIAN_SHARE = 0.6

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_TOKEN = re.compile(r"(\w+)", re.UNICODE)
_VOWELS = {"ru": "аеёиоуыэюя", "en": "aeiouy"}


def _script(word: str) -> str:
    return "ru" if _CYRILLIC.search(word) else "en"


def _like(word: str, model: str) -> str:
    """``word`` in the letter case of ``model``."""
    if len(model) > 1 and model.isupper():
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class TextVariator:
    """New documents and sentence-preserving variants built from the seed corpus' sentences and words."""

    def __init__(self, seed_texts: dict[str, str]):
        from app.text.language import script_language
        from app.text.sentences import split_sentences

        self.sentences: dict[str, list[str]] = {"ru": [], "en": []}
        self.titles: dict[str, list[str]] = {"ru": [], "en": []}
        words: dict[str, set[str]] = {"ru": set(), "en": set()}
        for text in seed_texts.values():
            lang = script_language(text)
            pieces = [text[s:e] for s, e in split_sentences(text, lang)]
            if pieces:
                self.titles[lang].append(pieces[0])
                self.sentences[lang] += [p for p in pieces[1:] if len(_TOKEN.findall(p)) >= 4]
            for word in _TOKEN.findall(text):
                if word.isalpha() and len(word) >= 3:
                    words[_script(word)].add(word.lower())
        for lang, other in (("ru", "en"), ("en", "ru")):  # a one-language seed still yields both kinds
            if not self.sentences[lang]:
                self.sentences[lang], self.titles[lang] = self.sentences[other], self.titles[other]
        self.words = {lang: sorted(pool) or ["word"] for lang, pool in words.items()}
        self.syllables = {}
        for lang, pool in self.words.items():
            pattern = re.compile(f"[^{_VOWELS[lang]}]*[{_VOWELS[lang]}]+")
            syllables = sorted({s for w in pool for s in pattern.findall(w) if 1 < len(s) <= 4})
            self.syllables[lang] = syllables or ["ka", "ro", "mi"]
        self._pseudo: dict[tuple[str, int], str] = {}

    def pseudo_word(self, lang: str, k: int) -> str:
        """The ``k``-th word of a made-up vocabulary in the script of ``lang`` (stable across runs)."""
        word = self._pseudo.get((lang, k))
        if word is None:
            rng = random.Random(f"{SEED}:pseudo:{lang}:{k}")
            word = "".join(rng.choice(self.syllables[lang]) for _ in range(rng.choice((2, 2, 3, 3, 4))))
            self._pseudo[(lang, k)] = word
        return word

    def vary(self, sentence: str, rng: random.Random) -> str:
        """The sentence with some words substituted, made up, renumbered or swapped; punctuation kept."""
        parts = _TOKEN.split(sentence)  # even indexes: separators, odd: words
        slots = list(range(1, len(parts), 2))
        last = slots[-1] if slots else -1
        # A word before an inner period is an abbreviation ("пос.", "г."): changing it could move a boundary.
        free = [s for s in slots if s == last or not (s + 1 < len(parts) and parts[s + 1].startswith("."))]
        for slot in free:
            word = parts[slot]
            if word.isdigit():
                if rng.random() < 0.5:
                    parts[slot] = self._number(word, rng)
                continue
            if not word.isalpha():
                continue
            draw = rng.random()
            if draw < P_SUBSTITUTE:
                parts[slot] = _like(rng.choice(self.words[_script(word)]), word)
            elif draw < P_SUBSTITUTE + P_NEW_WORD:
                k = int(math.exp(rng.random() * math.log(PSEUDO_VOCABULARY)))  # log-uniform rank: Zipf-like
                parts[slot] = _like(self.pseudo_word(_script(word), k), word)
        movable = [s for s in free[1:] if parts[s].isalpha() and parts[s].islower()]
        if len(movable) >= 2 and rng.random() < P_SWAP:
            a, b = rng.sample(movable, 2)
            parts[a], parts[b] = parts[b], parts[a]
        return "".join(parts)

    @staticmethod
    def _number(word: str, rng: random.Random) -> str:
        if len(word) == 4 and word[:2] in ("19", "20"):
            return str(rng.randint(1995, 2024))  # still reads as a year
        low = 10 ** (len(word) - 1) if len(word) > 1 else 1
        return str(rng.randint(low, 10 ** len(word) - 1))

    def document(self, index: int) -> str:
        """Generated document ``index``: a title and a few paragraphs of varied seed sentences of one language."""
        rng = random.Random(f"{SEED}:document:{index}")
        lang = "ru" if rng.random() < RUSSIAN_SHARE else "en"
        title = self.vary(rng.choice(self.titles[lang]), rng)
        paragraphs = []
        for _ in range(rng.randint(3, 7)):
            sentences = [self.vary(rng.choice(self.sentences[lang]), rng) for _ in range(rng.randint(1, 4))]
            paragraphs.append(" ".join(sentences))
        return "\n\n".join([title] + paragraphs)

    def replica(self, text: str, spans: list[tuple[int, int]], rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
        """``text`` with every sentence varied and the text between sentences kept; returns the new spans."""
        out, new_spans, cursor, at = [], [], 0, 0
        for start, end in spans:
            gap, sentence = text[cursor:start], self.vary(text[start:end], rng)
            out += [gap, sentence]
            new_spans.append((at + len(gap), at + len(gap) + len(sentence)))
            at += len(gap) + len(sentence)
            cursor = end
        out.append(text[cursor:])
        return "".join(out), new_spans


def seed_documents(corpus: Path) -> dict[str, str]:
    """Clean text of the seed corpus' readable documents, by doc_id."""
    from app.ingest.documents import corpus_files
    from app.ingest.reader import UnreadableDocument, read_file

    texts = {}
    for doc_id, path in corpus_files(corpus).items():
        try:
            texts[doc_id] = read_file(path)[0]
        except UnreadableDocument:
            continue
    if not texts:
        raise ValueError(f"no readable seed documents in {corpus}")
    return texts


def count_chunks(text: str, settings: Settings) -> int:
    """Chunks ingest will make of ``text`` (the script stands in for language detection)."""
    from app.ingest.chunker import chunk_sentences
    from app.text.language import script_language
    from app.text.sentences import split_sentences

    spans = split_sentences(text, script_language(text))
    return len(chunk_sentences(spans, settings.chunk_sentences, settings.chunk_overlap, settings.chunk_chars))


def write_sample_corpus(
    folder: Path, seed_corpus: Path, variator: TextVariator, target: int, settings: Settings
) -> dict:
    """The seed files plus generated documents, until about ``target`` chunks."""
    from app.ingest.documents import corpus_files

    seeds = corpus_files(seed_corpus)
    for doc_id, path in seeds.items():
        (folder / doc_id).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / doc_id)
    chunks = sum(count_chunks(text, settings) for text in seed_documents(folder).values())
    generated = 0
    (folder / "generated").mkdir(parents=True, exist_ok=True)
    while chunks < target:
        text = variator.document(generated)
        (folder / "generated" / f"g{generated:05d}.txt").write_text(text, encoding="utf-8")
        chunks += count_chunks(text, settings)
        generated += 1
    return {"seed_documents": len(seeds), "generated_documents": generated, "estimated_chunks": chunks}


@dataclass
class Replica:
    """A varied copy of a sample document, with the sample rows its sentences and chunks stand for."""

    name: str  # path relative to the corpus folder
    text: str
    sentences: list[tuple[str, int]]  # (sentence text, sample sentence row)
    chunks: list[tuple[str, int]]  # (chunk text, sample chunk row)


def _rows_by_document(table: np.ndarray, documents: int) -> list[np.ndarray]:
    """Row ids of a (doc_index, ...) table, grouped by document."""
    order = np.argsort(table[:, 0], kind="stable")
    bounds = np.searchsorted(table[order, 0], np.arange(documents + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(documents)]


def replicas(sample, variator: TextVariator, chunks_wanted: int) -> Iterator[Replica]:
    """Replicas of the sample snapshot's documents in turn, until they add up to ``chunks_wanted`` chunks."""
    doc_ids = list(sample.documents)
    sentence_table, chunk_table = np.asarray(sample.sentences), np.asarray(sample.chunks)
    sentence_rows = _rows_by_document(sentence_table, len(doc_ids))
    chunk_rows = _rows_by_document(chunk_table, len(doc_ids))
    if not any(len(rows) for rows in chunk_rows):
        raise ValueError("the sample has no chunks to replicate")
    made, n = 0, 0
    while made < chunks_wanted:
        template = n % len(doc_ids)
        srows, crows = sentence_rows[template], chunk_rows[template]
        if len(crows):
            rng = random.Random(f"{SEED}:replica:{n}")
            spans = [(int(s), int(e)) for s, e in sentence_table[srows, 1:3]]
            text, new_spans = variator.replica(sample.documents[doc_ids[template]].text, spans, rng)
            first_row = int(srows[0])
            chunks = []
            for row in crows:
                first, last = int(chunk_table[row, 3]) - first_row, int(chunk_table[row, 4]) - first_row
                chunks.append((text[new_spans[first][0] : new_spans[last - 1][1]], int(row)))
            sentences = [(text[s:e], int(row)) for (s, e), row in zip(new_spans, srows)]
            yield Replica(f"replicas/{n // 1000:04d}/r{n:07d}.txt", text, sentences, chunks)
            made += len(crows)
        n += 1
