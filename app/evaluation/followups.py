"""Follow-up questions scored against the same questions asked in full: does the conversation lose anything?"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.evaluation.evaluate import RETRIEVAL_DEPTH, AskClient, Outcome, score, summarise
from app.evaluation.gold import GoldFormatError, GoldQuestion

METRICS = ("hit@1", "containment", "f1", "citation", "answered_rate")


@dataclass(frozen=True)
class FollowUp:
    """A two-turn conversation: ``first``, then ``question`` (which leans on it), and ``full`` (the same, in full)."""

    id: str
    lang: str
    first: str
    question: str
    full: str
    doc_id: str
    answers: list[str]
    type: str = "other"

    def gold(self, text: str, suffix: str) -> GoldQuestion:
        return GoldQuestion(f"{self.id}-{suffix}", text, self.lang, self.doc_id, self.answers, self.type)


def load_followups(path: Path) -> list[FollowUp]:
    """Read a follow-up JSONL file, reporting the first bad line precisely."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            items.append(
                FollowUp(
                    str(r["id"]),
                    r["lang"],
                    r["first"],
                    r["question"],
                    r["full"],
                    r["doc_id"],
                    list(r["answers"]),
                    r.get("type", "other"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise GoldFormatError(f"{path}:{number}: {exc}") from exc
    return items


def _turn(response: dict) -> dict:
    """What a client sends back as history: the question and where its answer (else best passage) came from."""
    answer = response.get("answer")
    if answer:
        return {"question": response["question"], "doc_ids": [answer["doc_id"]], "sentences": [answer["sentence"]]}
    passages = response.get("passages") or []
    return {"question": response["question"], "doc_ids": [p["doc_id"] for p in passages[:1]], "sentences": []}


def evaluate_followups(client: AskClient, items: list[FollowUp], on_step: Callable[[], None] | None = None) -> dict:
    """Ask each first turn, then the follow-up with it as history, and the full question alone; score both.

    ``gap`` is full minus follow-up per metric: how much is lost by asking the short way.
    """
    doc_langs = client.document_languages()
    follow: list[Outcome] = []
    full: list[Outcome] = []
    for item in items:
        first = client.ask(item.first, RETRIEVAL_DEPTH)
        started = time.perf_counter()
        response = client.ask(item.question, RETRIEVAL_DEPTH, history=[_turn(first)])
        follow.append(
            score(item.gold(item.question, "follow"), response, (time.perf_counter() - started) * 1000, doc_langs)
        )
        started = time.perf_counter()
        response = client.ask(item.full, RETRIEVAL_DEPTH)
        full.append(score(item.gold(item.full, "full"), response, (time.perf_counter() - started) * 1000, doc_langs))
        if on_step:
            on_step()
    pairs: dict[str, list[int]] = defaultdict(list)
    for i, outcome in enumerate(follow):
        pairs[outcome.pair].append(i)

    def compare(rows: list[int]) -> dict:
        a = summarise([follow[i] for i in rows])
        b = summarise([full[i] for i in rows])
        return {
            "n": len(rows),
            "follow_up": {m: a[m] for m in METRICS},
            "full": {m: b[m] for m in METRICS},
            "gap": {m: round(b[m] - a[m], 4) for m in METRICS},
        }

    return {
        "overall": compare(list(range(len(items)))),
        "by_pair": {pair: compare(rows) for pair, rows in sorted(pairs.items())},
        "questions": [
            {
                "id": item.id,
                "question": item.question,
                "follow_up": f.answer,
                "full": g.answer,
                "follow_up_contains": f.containment,
                "full_contains": g.containment,
            }
            for item, f, g in zip(items, follow, full)
        ],
    }
