"""app/training/average.py: a model soup is the parameter-wise mean of readers cut the same way, and nothing else."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file
from typer.testing import CliRunner

from app.cli import cli
from app.neural.config import FORMAT, ReaderConfig, read_config
from app.training.average import average_readers

NAMES = ["bert.encoder.layer.11.output.dense.weight", "qa_outputs.weight", "qa_outputs.bias"]


def _reader(path: Path, values: dict[str, np.ndarray], step: int, freeze_layers: int = 6) -> Path:
    config = ReaderConfig(freeze_layers=freeze_layers, trained=sorted(values), extra={"step": step, "seed": step})
    save_file(
        {n: v.astype(np.float16) for n, v in values.items()},
        str(path),
        metadata={"format": FORMAT, "config": json.dumps(asdict(config))},
    )
    return path


def _values(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {NAMES[0]: (4, 3), NAMES[1]: (2, 3), NAMES[2]: (2,)}
    return {n: rng.normal(size=shapes[n]).astype(np.float32) for n in NAMES}


def test_the_mean_of_three_readers(tmp_path):
    """Every parameter is the mean of the three (to fp16), and the provenance names each file with its own."""
    values = [_values(s) for s in (1, 2, 3)]
    paths = [_reader(tmp_path / f"r{i}.safetensors", v, step=100 * (i + 1)) for i, v in enumerate(values)]
    out = average_readers(paths, tmp_path / "soup" / "mean.safetensors")
    soup = load_file(str(out))
    assert sorted(soup) == sorted(NAMES)
    for name in NAMES:
        expected = np.mean([v[name].astype(np.float16).astype(np.float64) for v in values], axis=0)
        assert soup[name].dtype == np.float16
        np.testing.assert_allclose(soup[name].astype(np.float64), expected, atol=2e-3)
        assert not np.allclose(soup[name], values[0][name], atol=1e-2)  # not one of the readers passed through
    config = read_config(out)
    assert config.freeze_layers == 6 and sorted(config.trained) == sorted(NAMES)
    assert [(a["file"], a["step"]) for a in config.extra["average_of"]] == [
        (str(p), s) for p, s in zip(paths, (100, 200, 300))
    ]
    assert not (tmp_path / "soup" / "mean.safetensors.tmp").exists()


def test_readers_cut_another_way_are_refused(tmp_path):
    a = _reader(tmp_path / "a.safetensors", _values(1), step=1)
    other_cut = _reader(tmp_path / "b.safetensors", _values(2), step=2, freeze_layers=4)
    with pytest.raises(ValueError, match="freeze_layers"):
        average_readers([a, other_cut], tmp_path / "out.safetensors")
    fewer = _values(3)
    del fewer[NAMES[0]]
    with pytest.raises(ValueError, match="other parameters"):
        average_readers([a, _reader(tmp_path / "c.safetensors", fewer, step=3)], tmp_path / "out.safetensors")
    with pytest.raises(ValueError, match="at least two"):
        average_readers([a], tmp_path / "out.safetensors")
    assert not (tmp_path / "out.safetensors").exists()


def test_the_command_averages_and_reports_a_mismatch(tmp_path):
    a = _reader(tmp_path / "a.safetensors", _values(1), step=1)
    b = _reader(tmp_path / "b.safetensors", _values(2), step=2)
    out = tmp_path / "ab.safetensors"
    result = CliRunner().invoke(cli, ["reader", "average", "--weights", str(a), "--weights", str(b), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "mean of 2 readers" in result.output and out.exists()
    c = _reader(tmp_path / "c.safetensors", _values(3), step=3, freeze_layers=0)
    bad = tmp_path / "bad.safetensors"
    result = CliRunner().invoke(cli, ["reader", "average", "--weights", str(a), "--weights", str(c), "--out", str(bad)])
    assert result.exit_code == 2 and "freeze_layers" in result.output and not bad.exists()
