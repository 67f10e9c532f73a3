"""``python -m app eval | calibrate | bench``: quality on gold questions, the confidence model, the speed report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from app.answer.confidence import CALIBRATION_FILE
from app.cli.common import console, open_pipeline, settings_for, temporary_pipeline
from app.settings import Settings

if TYPE_CHECKING:
    from app.evaluation.evaluate import AskClient

# No name: the root adds these commands at its top level.
app = typer.Typer()


def _client(
    index: Optional[Path],
    corpus: Optional[list[Path]],
    endpoint: Optional[str],
    squad_docs: Optional[dict[str, str]],
    encoder: Optional[str],
) -> AskClient:
    from app.evaluation.evaluate import HttpClient, InProcessClient

    if endpoint:
        return HttpClient(endpoint)
    if corpus or squad_docs is not None:
        pipeline = temporary_pipeline(corpus, squad_docs, encoder)
    else:
        pipeline = open_pipeline(settings_for(index, encoder))
    pipeline.warm_up()  # as the server does at start-up: latency percentiles measure warm questions
    return InProcessClient(pipeline)


def _evaluate_reading(squad: Optional[Path], weights: Optional[Path], limit: Optional[int], report: Path) -> None:
    """The span reader alone on the gold paragraphs of a SQuAD-format file: EM/F1, forced and null-aware."""
    from app.neural import SHIPPED_WEIGHTS
    from app.neural.reader import choose_runtime
    from app.training.evaluate import evaluate_weights

    if squad is None:
        console.print("[red]error:[/] --reading scores the reader on gold paragraphs: give --squad FILE")
        raise typer.Exit(2)
    settings = Settings()
    path = weights or settings.reader_weights or SHIPPED_WEIGHTS
    if not Path(path).is_file():
        console.print(f"[red]error:[/] no reader weights at {path}")
        raise typer.Exit(2)
    threads = settings.reader_threads_for(choose_runtime(settings.reader_runtime))
    result = evaluate_weights(
        path, squad, limit, threads=threads, precision=settings.reader_precision, runtime=settings.reader_runtime
    )
    result["source"] = {"squad": str(squad), "weights": str(path)}
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    table = Table(title=f"Span reader on {squad.name} (gold paragraphs)")
    for column in ("questions", "F1", "EM", "F1 null-aware", "EM null-aware", "null rate"):
        table.add_column(column, justify="right")
    table.add_row(
        str(result["n"]),
        f"{result['has_ans_f1']:.1f}",
        f"{result['has_ans_exact']:.1f}",
        f"{result['f1']:.1f}",
        f"{result['exact']:.1f}",
        f"{result.get('null_rate', 0):.2f}",
    )
    console.print(table)
    console.print(f"report: {report}")


@app.command("eval")
def evaluate_command(
    gold: Optional[Path] = typer.Option(None, help="Gold questions (JSONL)."),
    squad: Optional[Path] = typer.Option(
        None, help="SQuAD v1.1/v2.0 JSON: one document per paragraph, temporary index."
    ),
    limit: Optional[int] = typer.Option(None, help="With --squad: use only the first N paragraphs."),
    index: Optional[Path] = typer.Option(None, "--index", "-i", help="Index to query in process."),
    corpus: Optional[list[Path]] = typer.Option(
        None, help="Ingest this folder into a temporary index first; repeat to join folders (seed + regional)."
    ),
    endpoint: Optional[str] = typer.Option(None, help="Query a running server instead, e.g. http://127.0.0.1:8000."),
    encoder: Optional[str] = typer.Option(None, help="Encoder for a temporary index."),
    report: Path = typer.Option(Path("eval/report.json"), help="Where to write the JSON report."),
    chart: Path = typer.Option(Path("eval/report.png"), help="Where to write the chart."),
    min_hit1: Optional[float] = typer.Option(None),
    min_hit5: Optional[float] = typer.Option(None),
    min_mrr: Optional[float] = typer.Option(None),
    min_containment: Optional[float] = typer.Option(None),
    min_f1: Optional[float] = typer.Option(None),
    min_citation: Optional[float] = typer.Option(None),
    min_abstention_precision: Optional[float] = typer.Option(None),
    min_abstention_recall: Optional[float] = typer.Option(None),
    reading: bool = typer.Option(
        False, "--reading", help="With --squad: score the span reader alone on the gold paragraphs (no retrieval)."
    ),
    weights: Optional[Path] = typer.Option(None, help="With --reading: reader weights (default: RAG_READER_WEIGHTS)."),
    followups: Optional[Path] = typer.Option(
        None, help="Two-turn conversations (JSONL): score each follow-up against the same question asked in full."
    ),
    max_gap: Optional[float] = typer.Option(
        None, help="With --followups: fail if full-question containment beats the follow-up's by more than this."
    ),
) -> None:
    """Score the service on gold questions; exit code 1 if a --min-* threshold is not met."""
    if reading:
        _evaluate_reading(squad, weights, limit, report)
        return
    if followups:
        _evaluate_followups(followups, _client(index, corpus, endpoint, None, encoder), report, max_gap)
        return

    from app.evaluation.evaluate import InProcessClient, evaluate, failed_thresholds, plot_report, write_report
    from app.evaluation.gold import load_gold, load_squad

    if (gold is None) == (squad is None):
        console.print("[red]error:[/] give exactly one of --gold or --squad")
        raise typer.Exit(2)
    if squad and endpoint:
        console.print("[red]error:[/] --squad builds its own index and cannot run against --endpoint")
        raise typer.Exit(2)
    squad_docs = None
    if squad:
        squad_docs, questions = load_squad(squad, limit)
    else:
        assert gold is not None  # exactly one of --gold and --squad, checked above
        questions = load_gold(gold)
    client = _client(index, corpus, endpoint, squad_docs, encoder)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("asking", total=len(questions))
        result = evaluate(client, questions, on_step=lambda: progress.advance(task))
    result["source"] = {"gold": str(gold or squad), "endpoint": endpoint, "index": str(index or "")}
    if isinstance(client, InProcessClient):  # what read the answers (a server's /health says it for an endpoint)
        result["source"]["reader"] = client.pipeline.answerer.reader_path
    write_report(result, report)
    plot_report(result, chart)
    _print_report(result)
    console.print(f"report: {report}  chart: {chart}")
    failures = failed_thresholds(
        result["overall"],
        {
            "min_hit1": min_hit1,
            "min_hit5": min_hit5,
            "min_mrr": min_mrr,
            "min_containment": min_containment,
            "min_f1": min_f1,
            "min_citation": min_citation,
            "min_abstention_precision": min_abstention_precision,
            "min_abstention_recall": min_abstention_recall,
        },
    )
    for failure in failures:
        console.print(f"[red]below threshold:[/] {failure}")
    raise typer.Exit(1 if failures else 0)


def _evaluate_followups(path: Path, client, report: Path, max_gap: Optional[float]) -> None:
    from rich.table import Table

    from app.evaluation.evaluate import write_report
    from app.evaluation.followups import METRICS, evaluate_followups, load_followups

    items = load_followups(path)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("conversations", total=len(items))
        result = evaluate_followups(client, items, on_step=lambda: progress.advance(task))
    write_report(result, report)
    table = Table("pair", "n", *(f"{m} follow-up / full" for m in METRICS), title="follow-up vs full question")
    for pair, row in [("overall", result["overall"]), *result["by_pair"].items()]:
        table.add_row(pair, str(row["n"]), *(f"{row['follow_up'][m]:.3f} / {row['full'][m]:.3f}" for m in METRICS))
    console.print(table)
    console.print(f"report: {report}")
    gap = result["overall"]["gap"]["containment"]
    if max_gap is not None and gap > max_gap:
        console.print(f"[red]containment gap {gap:.3f} > {max_gap}[/]")
        raise typer.Exit(1)


def _print_report(result: dict) -> None:
    """Metrics as rows, language pairs as columns, so the table fits a terminal."""
    metrics = [
        "hit@1",
        "hit@5",
        "mrr@10",
        "containment",
        "exact_match",
        "f1",
        "citation",
        "answered_rate",
        "answer_precision",
        "abstention_precision",
        "abstention_recall",
        "latency_p50_ms",
        "latency_p95_ms",
    ]
    # Answer metrics are averages over answerable questions: blank for a pair without any.
    everywhere = {"abstention_precision", "abstention_recall", "latency_p50_ms", "latency_p95_ms", "answer_precision"}
    columns = [("overall", result["overall"])] + list(result["by_pair"].items())
    table = Table(title="Evaluation")
    table.add_column("metric", no_wrap=True)
    for name, _ in columns:
        table.add_column(name, justify="right")
    table.add_row("questions", *[str(summary["questions"]) for _, summary in columns])
    for metric in metrics:
        cells = []
        for _, summary in columns:
            value = summary.get(metric)
            if value is None or (metric not in everywhere and not summary["answerable"]):
                cells.append("–")
            else:
                cells.append(f"{value:.0f}" if metric.endswith("_ms") else f"{value:.3f}")
        table.add_row(metric.replace("_ms", " ms"), *cells)
    # Logs (CI) are not terminals and would get rich's 80 columns: give the table its natural width.
    Console(width=None if sys.stdout.isatty() else 120).print(table)


@app.command()
def calibrate(
    gold: Path = typer.Option(Path("eval/dev.jsonl"), help="Development questions (never the evaluation set)."),
    corpus: Path = typer.Option(Path("corpus"), help="Corpus the questions are about."),
    encoder: Optional[str] = typer.Option(None, help="Encoder to calibrate (default: RAG_ENCODER)."),
    out: Path = typer.Option(
        CALIBRATION_FILE, help="Calibration file to update (the one the service reads by default)."
    ),
) -> None:
    """Fit the confidence model and abstention threshold for an encoder on development questions."""
    from app.answer.confidence import FEATURES, READER_FEATURES, READER_SUFFIX, save_calibration
    from app.evaluation.calibrate import MissingScikitLearn, fit
    from app.evaluation.gold import load_gold

    pipeline = temporary_pipeline(corpus, None, encoder)
    try:
        result = fit(pipeline, load_gold(gold))
    except MissingScikitLearn as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    spec, model = pipeline.calibration_key, result.calibrator
    console.print(
        f"{spec}: {result.questions} questions, {result.right_top_answers} right top answers; "
        f"threshold {model.threshold:.3f} decides {result.accuracy:.1%} correctly"
    )
    for name, weight in zip(READER_FEATURES if spec.endswith(READER_SUFFIX) else FEATURES, model.weights):
        console.print(f"  {name:>8} {weight:+.3f}")
    save_calibration(
        spec,
        model.weights,
        model.bias,
        model.threshold,
        {"fitted_on": str(gold), "questions": result.questions, "examples": result.examples},
        out,
    )
    console.print(f"written to {out}")


def _scales(values: Optional[list[str]]) -> list[int]:
    from app.evaluation.bench import DEFAULT_SCALES

    if not values:
        return list(DEFAULT_SCALES)
    try:
        scales = [int(part.replace("_", "")) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("chunk counts are integers, e.g. --scale 1000,10000", param_hint="--scale") from None
    if not scales or min(scales) <= 0:
        raise typer.BadParameter("chunk counts must be positive", param_hint="--scale")
    return scales


@app.command()
def bench(
    scale: Optional[list[str]] = typer.Option(
        None, help="Corpus sizes in chunks; repeat or comma-separate (default: 1000,10000,100000)."
    ),
    backend: Optional[str] = typer.Option(None, help="Encoder (default: RAG_ENCODER)."),
    queries: int = typer.Option(200, min=1, help="Questions per latency measurement."),
    out: Path = typer.Option(Path("eval/bench.json"), help="Where to write the JSON report."),
    sample_chunks: int = typer.Option(1000, min=1, help="Chunks embedded for real to measure ingest throughput."),
    workdir: Optional[Path] = typer.Option(
        None, help="Keep corpora and indexes here and reuse them in later runs (default: a temporary folder)."
    ),
    load: int = typer.Option(0, min=0, max=256, help="Instead: this many concurrent clients asking over HTTP."),
    load_seconds: float = typer.Option(60.0, min=1, max=900, help="How long the load runs, per scale."),
    mix: bool = typer.Option(
        False, help="With --load: 90% /ask, 8% /search and document reads, 2% uploads/deletions (admin key)."
    ),
    ingest_workers: Optional[str] = typer.Option(
        None, help="Also ingest the sample with these encoder process counts, e.g. 1,2 (chunks/s of each)."
    ),
    ray: bool = typer.Option(
        False, "--ray", help="Also ingest the sample with the Ray Data stage (actors: the largest worker count)."
    ),
    writes: int = typer.Option(
        0, min=0, max=1000, help="Also upload and delete this many single documents per scale (cost of a write)."
    ),
    readers: bool = typer.Option(
        False, "--readers", help="Instead: the span reader's inference paths on the gold questions' reads."
    ),
    index: Optional[Path] = typer.Option(None, "--index", help="With --readers: the index (default: RAG_INDEX_DIR)."),
    gold: Path = typer.Option(Path("eval/gold.jsonl"), help="With --readers: the questions whose reads are timed."),
) -> None:
    """Speed report: ingest and encoder throughput, index size, memory, latency against the floor, by scale."""
    from app.evaluation.bench import run_bench

    if readers:
        _bench_readers(index, gold, out if out != Path("eval/bench.json") else Path("eval/bench-readers.json"))
        return

    try:
        workers = [int(part) for part in (ingest_workers or "").split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("worker counts are integers, e.g. 1,2", param_hint="--ingest-workers") from None
    if workers and min(workers) < 1:
        raise typer.BadParameter("worker counts must be positive", param_hint="--ingest-workers")
    from importlib.util import find_spec

    if ray and find_spec("ray") is None:
        raise typer.BadParameter("needs Ray: pip install 'border-qa[ray]'", param_hint="--ray")
    run_bench(
        _scales(scale),
        backend or Settings().encoder,
        queries,
        out,
        sample_chunks=sample_chunks,
        workdir=workdir,
        load=load,
        load_seconds=load_seconds,
        mix=mix,
        ingest_workers=workers,
        ray=ray,
        writes=writes,
    )
    failed = [t for t in json.loads(out.read_text(encoding="utf-8"))["targets"] if t["status"] == "miss"]
    if failed:
        console.print(f"[yellow]{len(failed)} target(s) missed:[/] " + ", ".join(t["target"] for t in failed))


def _bench_readers(index: Optional[Path], gold: Path, out: Path) -> None:
    """Time the reads `/ask` makes for the gold questions on every inference path this machine has."""
    from app.evaluation.bench.readers import TOGETHER, measure, paths, recorded_reads
    from app.neural import SHIPPED_WEIGHTS
    from app.neural.precision import auto_precision

    settings = settings_for(index)
    pipeline = open_pipeline(settings)
    reads = recorded_reads(pipeline, gold)
    if not reads:
        console.print(f"[red]error:[/] no question of {gold} reaches the reader over {settings.index_dir}")
        raise typer.Exit(2)
    weights = settings.reader_weights or SHIPPED_WEIGHTS
    # Each path at its served thread count, and at one thread too (the cost per token on one core).
    rows = [
        measure(weights, reads, runtime, precision, threads)
        for runtime, precision in paths()
        for threads in sorted({1, settings.reader_threads_for(runtime)})
    ]
    table = Table(title=f"Span reader: the reads of {len(reads)} questions of {gold}, per inference path")
    columns = {
        "path": "path",
        "threads": "threads",
        "tokens_per_question": "tokens/question",
        "ms_per_question_p50": "ms/question p50",
        "ms_per_question_mean": "mean",
        "ms_per_100_tokens": "ms/100 tokens",
        "ms_per_100_tokens_together": f"ms/100 tokens, {TOGETHER} questions together",
    }
    for name in columns.values():
        table.add_column(name, justify="left" if name == "path" else "right")
    for row in rows:
        table.add_row(*(str(row[key]) for key in columns))
    console.print(table)
    choice = auto_precision()
    console.print(f"precision auto: {choice['auto']} ({choice['why']})")
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"gold": str(gold), "paths": rows, "precision_auto": choice}
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    console.print(f"report: {out}")
