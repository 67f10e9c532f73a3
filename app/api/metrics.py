"""Prometheus metrics of the service (``prometheus-client``), served at ``GET /metrics``.

Requests are labelled by route template (``/documents/{doc_id:path}``), never by raw path, so the number of series
stays bounded whatever clients send. Index size, index age and queue depths are read when scraped. Each app has a
registry of its own, so several apps in one process (the tests) do not share counts.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app.index.storage import Catalog
from app.models import AskResult
from app.pipeline import Pipeline

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus version reads
UNMATCHED = "<unmatched>"  # any path no route serves: one label value, not one per path
# Seconds: /ask takes ~10-20 ms alone and up to ~0.5 s queued under load; uploads take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
WRITE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
CONFIDENCE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


def route_template(scope: Scope) -> str:
    """The template of the route serving this request, also for responses sent before routing (413, CORS)."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path
    for candidate in _routes(getattr(scope.get("app"), "routes", ())):
        match, _ = candidate.matches(scope)
        if match != Match.NONE and hasattr(candidate, "path"):
            return candidate.path
    return UNMATCHED


def _routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # how FastAPI's include_router keeps a router's routes
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


class _Gauges:
    """Values read at scrape time: what the served index holds, how old it is, how much work is queued."""

    def __init__(self, pipeline: Pipeline, writes_waiting: Callable[[], int]):
        self.pipeline = pipeline
        self.writes_waiting = writes_waiting

    def collect(self) -> Iterator[Metric]:
        try:
            catalog = self.pipeline.catalog()
        except Exception:  # an unreadable index or an unreachable store must not break the scrape; /ready says why
            catalog = Catalog({}, {}, {})
        yield GaugeMetricFamily("qa_index_documents", "Documents in the served index.", len(catalog.documents))
        yield GaugeMetricFamily("qa_index_chunks", "Chunks in the served index.", catalog.total_chunks)
        built = catalog.manifest.get("built_at")
        if built:
            age = time.time() - calendar.timegm(time.strptime(built, "%Y-%m-%dT%H:%M:%SZ"))
            yield GaugeMetricFamily("qa_index_age_seconds", "Seconds since the served index version was built.", age)
        yield GaugeMetricFamily(
            "qa_inference_queue_depth", "Questions waiting for the encoder.", self.pipeline.inference.waiting
        )
        yield GaugeMetricFamily(
            "qa_write_queue_depth", "Uploads and deletions in progress or waiting.", self.writes_waiting()
        )


class Metrics:
    """Every instrument of the service, in one registry."""

    def __init__(self, pipeline: Pipeline, writes_waiting: Callable[[], int]):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "qa_http_requests", "HTTP requests by route template and status.", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "qa_http_request_duration_seconds",
            "Time from request to the end of the response, by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.stages = Histogram(
            "qa_ask_stage_duration_seconds", "Time of each stage of /ask.", ["stage"], buckets=STAGE_BUCKETS, registry=r
        )
        self.answers = Counter("qa_answers", "Questions answered or abstained on.", ["outcome"], registry=r)
        self.confidence = Histogram(
            "qa_answer_confidence", "Confidence of the answers given.", buckets=CONFIDENCE_BUCKETS, registry=r
        )
        self.writes = Histogram(
            "qa_index_write_duration_seconds",
            "Time to index and persist an API upload or deletion.",
            ["operation"],
            buckets=WRITE_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "qa_rate_limited", "Requests refused with 429 by the rate limit.", ["route"], registry=r
        )
        self.shed = Counter(
            "qa_shed_requests",
            "Requests refused with 503 (a full queue, an unavailable store).",
            ["reason"],
            registry=r,
        )
        self.fetches = Counter(
            "qa_url_fetches",
            "Pages and feeds fetched by URL, by kind (page, feed) and outcome (ok, refused, unreachable, ...).",
            ["kind", "outcome"],
            registry=r,
        )
        self.feed_polls = Counter("qa_feed_polls", "Feed polls by outcome (ok, failed).", ["outcome"], registry=r)
        self.feed_entries = Counter(
            "qa_feed_entries", "Feed entries: new (indexed), seen (skipped), failed.", ["outcome"], registry=r
        )
        r.register(_Gauges(pipeline, writes_waiting))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def observe_answer(self, result: AskResult) -> None:
        """Stage times, and whether (and how confidently) the question was answered."""
        for stage, ms in result.stages.items():
            self.stages.labels(stage).observe(ms / 1000)
        if result.answer is None:
            self.answers.labels("abstained").inc()
        else:
            self.answers.labels("answered").inc()
            self.confidence.observe(result.answer.confidence)

    def count_fetching(self, what: str, outcome: str) -> None:
        """One event of fetching by URL or polling feeds: ``fetch:page``/``fetch:feed``, ``poll`` or ``entry``."""
        if what.startswith("fetch:"):
            self.fetches.labels(what.removeprefix("fetch:"), outcome).inc()
        elif what == "poll":
            self.feed_polls.labels(outcome).inc()
        elif what == "entry":
            self.feed_entries.labels(outcome).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
