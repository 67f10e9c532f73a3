"""Gold question sets: our JSONL format and SQuAD v1.1/v2.0 converted to it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GoldQuestion:
    """One question; ``doc_id`` None means the corpus does not answer it."""

    id: str
    question: str
    lang: str
    doc_id: str | None
    answers: list[str] = field(default_factory=list)
    type: str = "other"

    @property
    def answerable(self) -> bool:
        return self.doc_id is not None


class GoldFormatError(ValueError):
    """A gold file line that is not a valid question record."""


def load_gold(path: Path) -> list[GoldQuestion]:
    """Read a JSONL gold file, reporting the first bad line precisely."""
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            questions.append(
                GoldQuestion(
                    id=str(record["id"]),
                    question=record["question"],
                    lang=record.get("lang") or "",
                    doc_id=record.get("doc_id"),
                    answers=list(record.get("answers") or []),
                    type=record.get("type", "other"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise GoldFormatError(f"{path}:{number}: {exc}") from exc
    return questions


def load_squad(path: Path, limit: int | None = None) -> tuple[dict[str, str], list[GoldQuestion]]:
    """SQuAD JSON → (documents by id, one per paragraph; questions). v2 impossible questions are unanswerable."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    documents: dict[str, str] = {}
    questions: list[GoldQuestion] = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            if limit is not None and len(documents) >= limit:
                return documents, questions
            doc_id = f"squad/{len(documents):05d}.txt"
            documents[doc_id] = paragraph["context"]
            for qa in paragraph["qas"]:
                impossible = qa.get("is_impossible", False) or not qa.get("answers")
                questions.append(
                    GoldQuestion(
                        id=str(qa["id"]),
                        question=qa["question"],
                        lang="",
                        doc_id=None if impossible else doc_id,
                        answers=[] if impossible else [a["text"] for a in qa["answers"]],
                    )
                )
    return documents, questions
