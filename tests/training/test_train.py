"""Training: the loss goes down on tiny data; an interrupted run resumed ends bit-identical to an unbroken one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import torch

from app.training.train import TrainConfig, linear_schedule, selection_score, train

pytestmark = pytest.mark.slow


def _config(tiny_squad, out, **overrides) -> TrainConfig:
    base = dict(train=[str(tiny_squad)], out=str(out), minutes=3, threads=1, batch_size=8, max_length=64,
                stride=16, lr=2e-4, negatives_ratio=0.25, seed=5, checkpoint_minutes=60, precision="fp32")
    base.update(overrides)
    return TrainConfig(**base)


def test_schedule_and_selection():
    """Linear warm-up then decay to 0; selection uses Russian dev files when present."""
    f = linear_schedule(10, 2)
    assert f(0) < f(1) < f(2) == 1.0 and f(6) == 0.5 and f(10) == 0.0
    results = {"en.json": {"has_ans_f1": 80.0}, "ru.json": {"has_ans_f1": 50.0}}
    assert selection_score(results, {"en.json": False, "ru.json": True}) == 50.0
    assert selection_score(results, {"en.json": False, "ru.json": False}) == 65.0


def test_few_steps_lower_the_loss(tiny_squad, tmp_path):
    """30 steps on 16 examples cut the training loss; dev evaluation writes metrics and shipped weights."""
    cfg = _config(tiny_squad, tmp_path / "run", steps=30, dev=[str(tiny_squad)])
    summary = train(cfg)
    losses = summary["losses"]
    assert summary["step"] == 30 and len(losses) == 30 and summary["reason"] == "schedule complete"
    assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:3]) / 3, losses
    assert (tmp_path / "run" / "best.safetensors").exists() and (tmp_path / "run" / "last.safetensors").exists()
    record = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["step"] == 30 and record["dev"][str(tiny_squad)]["n"] == 16


def test_interrupted_then_resumed_equals_uninterrupted(tiny_squad, tmp_path):
    """SIGTERM after 3 steps saves a checkpoint and exits; resuming ends with the same parameters and optimiser
    state, bit for bit, as a run that was never interrupted."""
    steps = 6
    train(_config(tiny_squad, tmp_path / "straight", steps=steps))

    def interrupt(step: int, loss: float) -> None:
        if step == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    first = train(_config(tiny_squad, tmp_path / "broken", steps=steps), on_step=interrupt)
    assert first["step"] == 3 and first["reason"] == "signal SIGTERM"
    assert not (tmp_path / "broken" / "metrics.jsonl").exists()  # no evaluation on the way out
    with pytest.raises(FileExistsError):
        train(_config(tiny_squad, tmp_path / "broken", steps=steps))
    # a changed recipe on the command line does not break exactness: the checkpoint's recipe wins
    second = train(_config(tiny_squad, tmp_path / "broken", steps=steps, lr=1.0), resume=True)
    assert second["step"] == steps and len(second["losses"]) == steps - 3

    a = torch.load(tmp_path / "straight" / "checkpoint.pt", weights_only=False)
    b = torch.load(tmp_path / "broken" / "checkpoint.pt", weights_only=False)
    assert a["step"] == b["step"] == steps
    assert a["trained"].keys() == b["trained"].keys()
    for name in a["trained"]:
        assert torch.equal(a["trained"][name], b["trained"][name]), name
    for key, state in a["optimizer"]["state"].items():
        assert torch.equal(state["exp_avg"], b["optimizer"]["state"][key]["exp_avg"])
    assert a["scheduler"] == b["scheduler"]
    assert torch.equal(a["rng"]["torch"], b["rng"]["torch"])


def test_init_starts_a_new_schedule_from_an_earlier_run(tiny_squad, tmp_path):
    """--init loads an earlier run's trained parameters (checkpoint or saved reader) before a new schedule."""
    train(_config(tiny_squad, tmp_path / "first", steps=4))
    earlier = torch.load(tmp_path / "first" / "checkpoint.pt", weights_only=False)["trained"]
    # lr 0: the new run's parameters stay exactly where --init put them.
    for source in ("checkpoint.pt", "last.safetensors"):
        out = tmp_path / f"again-{source}"
        summary = train(_config(tiny_squad, out, steps=2, lr=0.0, seed=6, init=str(tmp_path / "first" / source)))
        assert summary["step"] == 2
        state = torch.load(out / "checkpoint.pt", weights_only=False)["trained"]
        tolerance = 0 if source.endswith(".pt") else 1e-2  # the saved reader is fp16
        for name, value in earlier.items():
            assert torch.allclose(state[name], value, atol=tolerance), name


def test_init_from_a_run_that_froze_more_layers(tiny_squad, tmp_path):
    """A run that trains layers 4 and 5 may start from one that froze them: those begin pretrained, as the earlier
    run read them, and the rest from the earlier run. The reverse (dropping trained layers) is refused."""
    train(_config(tiny_squad, tmp_path / "six", steps=4))  # layers 0-5 frozen
    earlier = torch.load(tmp_path / "six" / "checkpoint.pt", weights_only=False)["trained"]
    train(_config(tiny_squad, tmp_path / "fresh", steps=1, lr=0.0, freeze_layers=4))
    pretrained = torch.load(tmp_path / "fresh" / "checkpoint.pt", weights_only=False)["trained"]
    six = str(tmp_path / "six" / "checkpoint.pt")
    train(_config(tiny_squad, tmp_path / "four", steps=1, lr=0.0, freeze_layers=4, init=six))
    state = torch.load(tmp_path / "four" / "checkpoint.pt", weights_only=False)["trained"]
    lower = [n for n in state if n.startswith(("bert.encoder.layer.4.", "bert.encoder.layer.5."))]
    assert lower and set(state) == set(earlier) | set(lower)
    for name in lower:
        assert torch.equal(state[name], pretrained[name]), name
    for name, value in earlier.items():
        assert torch.equal(state[name], value), name
    with pytest.raises(ValueError, match="unexpected"):
        train(_config(tiny_squad, tmp_path / "back", steps=1, init=str(tmp_path / "four" / "checkpoint.pt")))


def test_cli_help_and_light_import():
    """`python -m app reader` lists both commands; importing app.neural and the CLI loads no torch."""
    out = subprocess.run([sys.executable, "-m", "app", "reader", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "train" in out and "evaluate" in out
    code = ("import sys, app.neural, app.cli; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def _reader_train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", "reader", "train", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})


def test_cli_trains_on_the_device_and_base_file_it_is_given(tiny_squad, tmp_path):
    """`reader train --device cpu --base FILE` runs through the command line: the options reach the run's config,
    and the run leaves a checkpoint and shipped-format weights."""
    from app.neural.weights import default_model_path

    base = tmp_path / "e5-small-q4.bin"
    base.symlink_to(default_model_path())
    out = tmp_path / "run"
    done = _reader_train("--train", str(tiny_squad), "--out", str(out), "--device", "cpu", "--base", str(base),
                         "--steps", "2", "--batch-size", "4", "--max-length", "64", "--stride", "16",
                         "--precision", "fp32")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["step"] == 2
    config = json.loads((out / "config.json").read_text())
    assert config["device"] == "cpu" and config["base"] == str(base)
    assert (out / "checkpoint.pt").is_file() and (out / "last.safetensors").is_file()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:3", "tpu", "gpu"])
def test_cli_refuses_a_device_it_cannot_train_on(device, tiny_squad, tmp_path):
    """A device that is missing or unknown is a usage error (exit 2) naming --device, before any data is read."""
    done = _reader_train("--train", str(tiny_squad), "--out", str(tmp_path / "run"), "--device", device)
    assert done.returncode == 2
    assert "--device" in done.stderr and device in done.stderr
    assert not (tmp_path / "run").exists()
