"""`auto` precision: bf16 only where the CPU has bf16 instructions and the probe finds them clearly faster."""

from __future__ import annotations

import pytest

from app.neural import precision


# The cached functions themselves: a test's monkeypatch replaces `cpu_flags` until after the fixture's teardown.
CACHED = (precision.cpu_flags, precision.auto_precision)


@pytest.fixture
def fresh(monkeypatch):
    """Forget the process's cached flags and decision, before and after."""
    for f in CACHED:
        f.cache_clear()
    yield monkeypatch
    for f in CACHED:
        f.cache_clear()


def test_without_bf16_instructions_auto_is_fp32_and_nothing_is_probed(fresh):
    fresh.setattr(precision, "cpu_flags", lambda: frozenset({"avx2", "fma"}))
    fresh.setattr(precision, "probe_in_child", lambda: pytest.fail("probed a CPU without bf16"))
    assert not precision.cpu_has_bf16()
    assert precision.use_bf16("auto") is False
    assert precision.use_bf16("bf16") is True  # asked for explicitly: granted
    assert precision.use_bf16("fp32") is False


@pytest.mark.parametrize(
    ("flag", "seconds", "expected"),
    [
        ("amx_bf16", (3.0, 1.0), True),  # AMX: bf16 about 3x faster
        ("avx512_bf16", (1.0, 0.69), True),  # AMD's AVX512-BF16
        ("avx512_bf16", (1.0, 1.7), False),  # an Intel Xeon's AVX512-BF16 without AMX
        ("avx512_bf16", (1.0, 0.9), False),  # a tie within the probe's noise stays fp32
    ],
)
def test_with_bf16_instructions_the_probe_decides(fresh, flag, seconds, expected):
    fresh.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", flag}))
    fresh.setattr(precision, "probe_in_child", lambda: seconds)
    assert precision.cpu_has_bf16()
    assert precision.use_bf16("auto") is expected


def test_the_decision_is_taken_once_per_process(fresh):
    calls = []
    fresh.setattr(precision, "cpu_flags", lambda: frozenset({"amx_bf16"}))
    fresh.setattr(precision, "probe_in_child", lambda: calls.append(1) or (2.0, 1.0))
    assert [precision.use_bf16("auto") for _ in range(3)] == [True, True, True]
    assert len(calls) == 1


def test_the_real_probe_times_both_precisions_here_and_in_a_child():
    fp32, bf16 = precision.probe_seconds(repeats=2, threads=1)
    assert 0 < fp32 < 1 and 0 < bf16 < 1
    fp32, bf16 = precision.probe_in_child()
    assert 0 < fp32 < 1 and 0 < bf16 < 1


def test_a_failed_probe_leaves_the_decision_to_the_flags(fresh):
    def broken():
        raise RuntimeError("precision probe failed: no OpenVINO")

    fresh.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    fresh.setattr(precision, "probe_in_child", broken)
    assert precision.use_bf16("auto") is True


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="auto, bf16 or fp32"):
        precision.use_bf16("int8")
