"""Runs gold questions against the service (in process or over HTTP) and scores every answer."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from app.evaluation.gold import GoldQuestion
from app.evaluation.metrics import contains, exact_match, first_rank, percentile, token_f1
from app.text.language import detect_language

RETRIEVAL_DEPTH = 10  # passages requested per question, for MRR@10


class AskClient(Protocol):
    """Anything that answers like ``POST /ask`` and lists documents like ``GET /documents``."""

    def ask(self, question: str, top_k: int, history: list[dict] | None = None) -> dict: ...

    def document_languages(self) -> dict[str, str]: ...


class InProcessClient:
    """Calls the pipeline directly, through the same response model as the API."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def ask(self, question: str, top_k: int, history: list[dict] | None = None) -> dict:
        from app.api.schemas import AskResponse, TurnIn

        turns = [TurnIn(**t).to_turn() for t in history or []]
        return AskResponse.from_result(self.pipeline.ask(question, top_k=top_k, history=turns)).model_dump()

    def document_languages(self) -> dict[str, str]:
        return {d.doc_id: d.lang for d in self.pipeline.catalog().documents.values()}


class HttpClient:
    """Calls a running server with httpx."""

    def __init__(self, endpoint: str, timeout: float = 60.0):
        import httpx

        self.http = httpx.Client(base_url=endpoint.rstrip("/"), timeout=timeout)

    def ask(self, question: str, top_k: int, history: list[dict] | None = None) -> dict:
        response = self.http.post("/ask", json={"question": question, "top_k": top_k, "history": history or []})
        response.raise_for_status()
        return response.json()

    def document_languages(self) -> dict[str, str]:
        response = self.http.get("/documents")
        response.raise_for_status()
        return {d["doc_id"]: d["lang"] for d in response.json()}


@dataclass
class Outcome:
    """How the service did on one question."""

    id: str
    question: str
    pair: str  # "question language→document language"; "en→none" for unanswerable
    answerable: bool
    abstained: bool
    rank: int | None
    hit1: float
    hit5: float
    rr: float
    containment: float
    exact: float
    f1: float
    citation: float
    latency_ms: float
    answer: str | None
    sentence: str | None
    answer_doc: str | None
    gold_doc: str | None


def score(gold: GoldQuestion, response: dict, latency_ms: float, doc_langs: dict[str, str]) -> Outcome:
    """Score one response against its gold record."""
    q_lang = gold.lang or detect_language(gold.question)
    d_lang = doc_langs.get(gold.doc_id, "?") if gold.doc_id else "none"
    answer = response.get("answer")
    ranked = [p["doc_id"] for p in response.get("passages", [])]
    rank = first_rank(ranked, gold.doc_id, RETRIEVAL_DEPTH) if gold.doc_id else None
    text = answer["text"] if answer else ""
    sentence = answer["sentence"] if answer else ""
    answered = answer is not None and gold.answerable
    return Outcome(
        id=gold.id,
        question=gold.question,
        pair=f"{q_lang}→{d_lang}",
        answerable=gold.answerable,
        abstained=answer is None,
        rank=rank,
        hit1=float(rank == 1),
        hit5=float(rank is not None and rank <= 5),
        rr=1.0 / rank if rank else 0.0,
        containment=contains(sentence, gold.answers) if answered else 0.0,
        exact=exact_match(text, gold.answers) if answered else 0.0,
        f1=token_f1(text, gold.answers) if answered else 0.0,
        citation=float(answered and answer is not None and answer["doc_id"] == gold.doc_id),
        latency_ms=latency_ms,
        answer=text or None,
        sentence=sentence or None,
        answer_doc=answer["doc_id"] if answer else None,
        gold_doc=gold.doc_id,
    )


def summarise(outcomes: list[Outcome]) -> dict:
    """Averages over answerable questions; abstention precision/recall over all; latency percentiles."""
    answerable = [o for o in outcomes if o.answerable]
    n = len(answerable) or 1
    abstained = [o for o in outcomes if o.abstained]
    unanswerable = [o for o in outcomes if not o.answerable]
    correct_abstentions = sum(1 for o in abstained if not o.answerable)
    latencies = [o.latency_ms for o in outcomes]
    summary = {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hit@1": sum(o.hit1 for o in answerable) / n,
        "hit@5": sum(o.hit5 for o in answerable) / n,
        "mrr@10": sum(o.rr for o in answerable) / n,
        "containment": sum(o.containment for o in answerable) / n,
        "exact_match": sum(o.exact for o in answerable) / n,
        "f1": sum(o.f1 for o in answerable) / n,
        "citation": sum(o.citation for o in answerable) / n,
        "answered_rate": sum(1 for o in answerable if not o.abstained) / n,
        # Of the answers given (to any question), the share whose sentence holds a gold answer.
        "answer_precision": sum(o.containment for o in answerable) / max(1, len(outcomes) - len(abstained)),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }
    # Undefined (absent) without abstentions, resp. without unanswerable questions.
    if abstained:
        summary["abstention_precision"] = correct_abstentions / len(abstained)
    if unanswerable:
        summary["abstention_recall"] = correct_abstentions / len(unanswerable)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()}


def evaluate(client: AskClient, questions: list[GoldQuestion], on_step: Callable[[], None] | None = None) -> dict:
    """Ask every question and return ``{"overall", "by_pair", "questions"}``."""
    doc_langs = client.document_languages()
    outcomes = []
    for gold in questions:
        started = time.perf_counter()
        response = client.ask(gold.question, RETRIEVAL_DEPTH)
        outcomes.append(score(gold, response, (time.perf_counter() - started) * 1000, doc_langs))
        if on_step:
            on_step()
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome.pair].append(outcome)
    return {
        "overall": summarise(outcomes),
        "by_pair": {pair: summarise(group) for pair, group in sorted(groups.items())},
        "questions": [asdict(o) for o in outcomes],
    }


THRESHOLDS = {
    "min_hit1": "hit@1",
    "min_hit5": "hit@5",
    "min_mrr": "mrr@10",
    "min_containment": "containment",
    "min_f1": "f1",
    "min_citation": "citation",
    "min_abstention_precision": "abstention_precision",
    "min_abstention_recall": "abstention_recall",
}


def failed_thresholds(overall: dict, limits: dict[str, float | None]) -> list[str]:
    """Human-readable list of metrics below their minimum."""
    failures = []
    for option, metric in THRESHOLDS.items():
        limit = limits.get(option)
        if limit is not None and overall.get(metric, 0.0) < limit:
            failures.append(f"{metric} {overall.get(metric, 0.0):.3f} < {limit}")
    return failures


def write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1))


def plot_report(report: dict, path: Path) -> None:
    """Grouped bar chart of the main metrics per language pair."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    metrics = ["hit@1", "hit@5", "mrr@10", "containment", "f1", "citation"]
    pairs = [p for p, s in report["by_pair"].items() if s["answerable"]]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(pairs) + 3), 4.2), dpi=110)
    width = 0.8 / len(metrics)
    x = np.arange(len(pairs))
    for i, metric in enumerate(metrics):
        ax.bar(x + i * width - 0.4 + width / 2, [report["by_pair"][p][metric] for p in pairs], width, label=metric)
    ax.set_xticks(x, [f"{p}\n(n={report['by_pair'][p]['answerable']})" for p in pairs])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    overall = report["overall"]
    ax.set_title(f"QA quality by question→document language (hit@1 {overall['hit@1']:.2f}, F1 {overall['f1']:.2f})")
    ax.legend(ncol=3, fontsize=8, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
