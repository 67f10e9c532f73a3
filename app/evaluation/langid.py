"""Language identification measured on labelled real sentences (``eval/langid.jsonl``).

Each line is ``{"lang", "kind": "document" | "question", "text", "source"}``: paragraphs and questions of KazQAD
(kk), TyDi QA and the bundled corpus (ru, en), and texts written for this set (ky, uz in both scripts, tg).
Documents go through ``detect_language``, questions through ``question_language``, as the service reads them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from app.text.language import detect_language, question_language

LANGID_FILE = Path("eval/langid.jsonl")
# What the identification must reach per language (the test asserts it).
TARGETS = {"document": 0.97, "question": 0.90}


@dataclass
class LangidResult:
    """Accuracy per (language, kind) and the texts that were misread."""

    counts: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    errors: list[dict[str, str]] = field(default_factory=list)

    def accuracy(self, lang: str, kind: str) -> float:
        right, total = self.counts[(lang, kind)]
        return right / total if total else 0.0

    def rows(self) -> list[dict[str, object]]:
        """One row per language: texts and accuracy for documents and questions."""
        langs = sorted({lang for lang, _ in self.counts})
        return [
            {
                "lang": lang,
                "documents": self.counts[(lang, "document")][1],
                "document_accuracy": round(self.accuracy(lang, "document"), 3),
                "questions": self.counts[(lang, "question")][1],
                "question_accuracy": round(self.accuracy(lang, "question"), 3),
            }
            for lang in langs
        ]


def evaluate_langid(path: Path = LANGID_FILE) -> LangidResult:
    """Identify every text of ``path`` and count, per language and kind, how many were read right."""
    result = LangidResult()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        kind = row["kind"]
        found = detect_language(row["text"]) if kind == "document" else question_language(row["text"])
        counts = result.counts[(row["lang"], kind)]
        counts[1] += 1
        if found == row["lang"]:
            counts[0] += 1
        else:
            result.errors.append({"lang": row["lang"], "found": found, "kind": kind, "text": row["text"][:120]})
    return result
