"""app/encoders/pool.py: passages embedded by worker processes, each with its own encoder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from app.encoders import Encoder, create_encoder
from app.encoders.pool import PoolEncoder, PoolError
from tests.conftest import ROOT, SEED_CORPUS, SEED_DOCS

SPEC = "use-m3"  # the fastest packaged encoder: the pool, not the model, is under test


def seed_sentences() -> list[str]:
    """Real lines of the seed corpus, of varied lengths and both languages."""
    lines = []
    for name in SEED_DOCS:
        lines += [line.strip() for line in (SEED_CORPUS / name).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line][:70]


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_dead(pids: list[int], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def pool():
    with PoolEncoder(SPEC, 2) as encoders:
        yield encoders


@pytest.fixture(scope="module")
def single():
    return create_encoder(SPEC, 1)


def test_pool_describes_its_encoder(pool, single):
    """The pool implements the Encoder protocol with the workers' spec, model and dimension."""
    assert isinstance(pool, Encoder)
    assert (pool.spec, pool.model, pool.dim) == (single.spec, single.model, single.dim)
    assert pool.batch_size == 64 and len(pool.pids) == 2 and os.getpid() not in pool.pids


def test_pool_vectors_match_one_process(pool, single):
    """Two workers give the vectors one in-process encoder gives, row for row, within 1e-5."""
    texts = seed_sentences()
    assert len(texts) > 40
    vectors = pool.passages(texts)
    assert vectors.shape == (len(texts), pool.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, single.passages(texts), atol=1e-5)


def test_pool_keeps_the_order(pool, single):
    """Each row is the vector of the text at that position, whatever the order or count of texts."""
    texts = seed_sentences()[:7]
    forward, backward = pool.passages(texts), pool.passages(texts[::-1])
    np.testing.assert_allclose(forward, backward[::-1], atol=1e-5)
    one = pool.passages(texts[3:4])  # fewer texts than workers
    np.testing.assert_allclose(one[0], single.passages([texts[3]])[0], atol=1e-5)


def test_pool_empty_input(pool):
    """No texts give an empty (0, dim) matrix, and no question an empty one too."""
    assert pool.passages([]).shape == (0, pool.dim)
    assert pool.queries([]).shape == (0, pool.dim)


def test_pool_questions(pool, single):
    """Questions are embedded as the single encoder embeds them."""
    question = "Кто возглавляет Центр ОБСЕ в Бишкеке?"
    np.testing.assert_allclose(pool.query(question), single.query(question), atol=1e-5)
    np.testing.assert_allclose(pool.queries([question, "Who?"]), single.queries([question, "Who?"]), atol=1e-5)


def test_close_stops_the_workers():
    """close() ends every worker, may be called twice, and the pool refuses work afterwards."""
    encoders = PoolEncoder(SPEC, 2)
    pids = encoders.pids
    assert encoders.passages(["Border guards met in Osh."]).shape == (1, encoders.dim)
    encoders.close()
    encoders.close()
    assert wait_dead(pids)
    with pytest.raises(PoolError, match="closed"):
        encoders.passages(["again"])


def test_unknown_encoder_fails_at_start():
    """A spec no backend knows fails when the pool is created, with the worker's reason."""
    with pytest.raises(PoolError, match="unknown encoder"):
        PoolEncoder("no-such-encoder", 1)


def test_workers_die_with_their_parent():
    """Workers of a process that is killed (no clean-up runs) exit on their own."""
    script = textwrap.dedent(
        """
        import sys, time
        from app.encoders.pool import PoolEncoder

        if __name__ == "__main__":
            pool = PoolEncoder("use-m3", 2)
            print(" ".join(map(str, pool.pids)), flush=True)
            time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
    finally:
        parent.kill()
        parent.wait()
    assert wait_dead(pids)
