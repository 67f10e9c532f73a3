"""Weight averaging ("model soup", Wortsman et al. 2022) of saved readers that continue the same weights.

Runs started from one reader with different seeds end in nearby minima; the mean of their parameters often reads
better than any one of them, at no cost when serving (it is one reader of the same shape). Only readers cut the same
way can be averaged: same frozen layers, same window shape, same trained parameters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.neural.config import read_config, write_reader

# Config fields that must agree: they decide what the saved parameters mean and how windows are built.
_SAME = ("freeze_layers", "max_length", "stride", "max_question_tokens", "max_answer_tokens", "question_prefix", "base")


def average_readers(paths: list[Path], out: Path) -> Path:
    """Write the parameter-wise mean of the readers ``paths`` (fp16, as `model.SpanReader.save` does) to ``out``.

    The config is the first reader's; its provenance lists the averaged files and their own provenance. Raises
    ValueError when fewer than two readers are given or they are not cut the same way."""
    from safetensors.numpy import load_file

    if len(paths) < 2:
        raise ValueError("averaging needs at least two readers")
    configs = [read_config(p) for p in paths]
    first = configs[0]
    for path, config in zip(paths[1:], configs[1:]):
        for name in _SAME:
            if getattr(config, name) != getattr(first, name):
                raise ValueError(f"{path}: {name} {getattr(config, name)!r} != {getattr(first, name)!r} of {paths[0]}")
        if sorted(config.trained) != sorted(first.trained):
            raise ValueError(f"{path}: trains other parameters than {paths[0]}")
    total: dict[str, np.ndarray] = {}
    for path in paths:
        for name, value in load_file(str(path)).items():
            if name in total and total[name].shape != value.shape:
                raise ValueError(f"{path}: {name} has shape {value.shape}, not {total[name].shape}")
            total[name] = total[name] + value.astype(np.float64) if name in total else value.astype(np.float64)
    tensors = {name: (value / len(paths)).astype(np.float16) for name, value in total.items()}
    first.extra = {"average_of": [{"file": str(p), **c.extra} for p, c in zip(paths, configs)]}
    return write_reader(out, tensors, first)
