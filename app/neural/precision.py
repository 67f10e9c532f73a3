"""Whether to compute in bf16: where the CPU has bf16 instructions and a short probe finds them faster than fp32.

The CPU's flags alone do not tell. Measured on 2-vCPU machines (`docs/performance.md`), OpenVINO's reader per 100
tokens: AMX-BF16 7.1 ms in bf16 against 20.7 in fp32; AMD EPYC with AVX512-BF16 9.2 against 13.4; an Intel Xeon
with AVX512-BF16 but no AMX 36.6 against 22.0 (torch there: 77.1 against 41.5). So `auto` times one feed-forward
block of the reader's shape in both precisions, once per process (0.4 s, in a child process), and takes bf16 only
where it wins clearly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path

# bf16 is chosen when the probe's bf16 time is below this share of its fp32 time: the slowest CPU where bf16 paid
# ran it at 0.69x, the one where it lost at 1.7x; the margin keeps a noisy probe from flipping a tie.
BF16_SHARE = 0.85


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where it cannot be read)."""
    try:
        return frozenset(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return frozenset()


def cpu_has_bf16() -> bool:
    """True when the CPU has bf16 instructions at all (AMX-BF16 or AVX512-BF16): the bench then times bf16 too."""
    return bool(cpu_flags() & {"amx_bf16", "avx512_bf16"})


def probe_seconds(repeats: int = 7, threads: int = 2) -> tuple[float, float]:
    """Median seconds of one feed-forward block (a batch of 2 windows of 192 tokens, 384 -> 1536 -> 384, as in the
    reader's layers) compiled by OpenVINO in fp32 and in bf16, timed alternately."""
    import numpy as np
    import openvino as ov
    import openvino.opset13 as ops

    rng = np.random.default_rng(0)
    x = ops.parameter([2, 192, 384], np.float32, name="x")
    inner = ops.gelu(ops.matmul(x, ops.constant(rng.standard_normal((1536, 384), np.float32)), False, True), "erf")
    out = ops.matmul(inner, ops.constant(rng.standard_normal((384, 1536), np.float32)), False, True)
    model = ov.Model([out], [x], "probe")
    core = ov.Core()
    compiled = {
        hint: core.compile_model(
            model, "CPU", {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1}
        )
        for hint in ("f32", "bf16")
    }
    data = rng.standard_normal((2, 192, 384), np.float32)
    times: dict[str, list[float]] = {hint: [] for hint in compiled}
    for run in range(repeats + 1):
        for hint, c in compiled.items():
            started = time.perf_counter()
            c({"x": data})
            if run:  # the first run of each warms up
                times[hint].append(time.perf_counter() - started)
    return float(np.median(times["f32"])), float(np.median(times["bf16"]))


@lru_cache(maxsize=1)
def auto_precision() -> dict:
    """What `auto` takes on this CPU (``auto``: bf16 or fp32), ``why``, and the probe's times where it ran
    (``probe_ms``). bf16 needs bf16 instructions and `probe_seconds` finding bf16 under `BF16_SHARE` of fp32's
    time. The probe runs in a child process: the kernels it compiles would otherwise stay in this one (+25 MB).
    Without OpenVINO, or if the probe fails, the flags decide."""
    if not cpu_has_bf16():
        return {"auto": "fp32", "why": "the CPU has no bf16 instructions"}
    try:
        fp32, bf16 = probe_in_child()
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as e:
        return {"auto": "bf16", "why": f"the CPU has bf16 instructions and the probe failed ({e})"}
    return {
        "auto": "bf16" if bf16 < BF16_SHARE * fp32 else "fp32",
        "why": f"probe: a feed-forward block in {1000 * fp32:.2f} ms in fp32, {1000 * bf16:.2f} ms in bf16",
        "probe_ms": {"fp32": round(1000 * fp32, 3), "bf16": round(1000 * bf16, 3)},
    }


def bf16_pays() -> bool:
    """True when bf16 is clearly faster than fp32 on this CPU (`auto_precision`, decided once per process)."""
    return auto_precision()["auto"] == "bf16"


def probe_in_child(timeout: float = 60.0) -> tuple[float, float]:
    """`probe_seconds` run by a fresh interpreter; RuntimeError when it fails (no OpenVINO, a crash)."""
    code = "import json; from app.neural.precision import probe_seconds; print(json.dumps(probe_seconds()))"
    root = str(Path(__file__).resolve().parents[2])  # the directory holding the `app` package
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"precision probe failed: {done.stderr.strip()[-300:]}")
    fp32, bf16 = json.loads(done.stdout.strip().splitlines()[-1])
    return float(fp32), float(bf16)


def use_bf16(precision: str) -> bool:
    """`precision` is auto (bf16 iff `bf16_pays`), bf16 or fp32."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    return precision == "bf16" or (precision == "auto" and bf16_pays())
