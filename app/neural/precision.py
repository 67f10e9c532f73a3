"""Whether to compute in bf16: only where the CPU has native bf16 (elsewhere autocast emulates it, slower)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when /proc/cpuinfo advertises Intel AMX-BF16 or AVX512-BF16 (also on AMD Zen 4 EPYC)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def use_bf16(precision: str) -> bool:
    """`precision` is auto (bf16 iff `cpu_has_bf16`), bf16 or fp32."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    return precision == "bf16" or (precision == "auto" and cpu_has_bf16())
