"""Serving helper: `NeuralReader.read(question, contexts)` -> the best span of each context, one forward pass.

Never raises on odd input: empty or non-string contexts are skipped, a question without any letter gives [],
a very long question is cut (characters, then tokens), and long contexts are read in at most `max_windows`
windows in total (the first ones), so latency stays bounded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .decode import decode_spans

if TYPE_CHECKING:
    from .config import WindowScorer
    from .tokenizer import E5Tokenizer, Window

Parts = list[tuple[int, int, int]]  # (context, first character, last character) read as one piece each

_SHARED: dict[tuple, NeuralReader] = {}
_SHARED_LOCK = threading.Lock()

# Windows per model call: a lone question's windows (3 by default) go in one call; the windows of questions read
# together are sorted by length and cut in calls of at most this many. One call for 8 questions' 24-30 windows
# padded to the longest cost as much per token and grew the server by 270 MB over a minute of 32 clients (the
# runtime keeps buffers and kernels per input shape); calls of 8 grow it by about 80 MB (`docs/performance.md`).
WINDOW_BATCH = 8
MAX_QUESTION_CHARS = 1000  # far above any real question; bounds tokenisation cost before the token cut
RUNTIMES = ("auto", "openvino", "torch")


def openvino_available() -> bool:
    """Whether the OpenVINO runtime is installed (the light serving path)."""
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def choose_runtime(runtime: str) -> str:
    """`runtime` is auto (OpenVINO when installed, else torch), openvino or torch."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    if runtime == "auto":
        return "openvino" if openvino_available() else "torch"
    return runtime


def inference_path(runtime: str, bf16: bool) -> str:
    """How a reader reads, as /health, eval reports and the bench name it: ``openvino-bf16``, ``torch-fp32``..."""
    return f"{runtime}-{'bf16' if bf16 else 'fp32'}"


@dataclass(frozen=True)
class Span:
    """The best answer span in `contexts[context]`: `text == contexts[context][start:end]` (read with parts:
    `context` is the part's index and the text is its context's).

    `score` is start+end logit; `null_score` the lowest no-answer score (position 0) of the windows reading the
    context (the part): the reader thinks it holds no answer when null_score > score."""

    context: int
    start: int
    end: int
    text: str
    score: float
    null_score: float

    @property
    def answerable(self) -> bool:
        return self.score >= self.null_score


class NeuralReader:
    """A loaded reader (OpenVINO or torch) with its tokenizer, for inference at 1 thread by default."""

    def __init__(
        self, model: WindowScorer, tokenizer: E5Tokenizer, max_windows: int = 48, precision: str = "fp32"
    ) -> None:
        from .precision import use_bf16

        self.model = model
        self.tokenizer = tokenizer
        self.max_windows = max_windows
        self.bf16 = use_bf16(precision)
        self.runtime = model.runtime

    @property
    def path(self) -> str:
        """The inference path, e.g. ``openvino-bf16`` or ``torch-fp32`` (shown by /health and the bench)."""
        return inference_path(self.runtime, self.bf16)

    @classmethod
    def load(
        cls, path: str | Path, threads: int = 1, max_windows: int = 48, precision: str = "fp32", runtime: str = "auto"
    ) -> NeuralReader:
        """Load shipped weights (`best.safetensors`) on `runtime` (auto: OpenVINO when installed, which needs
        neither torch nor transformers; else torch) with `threads` threads (1: per-query latency is best with one
        thread here, and the server runs other work on the other core). `precision`: fp32 (default, exact), bf16,
        or auto (bf16 where it is faster than fp32 here: `precision.bf16_pays`)."""
        from .precision import use_bf16
        from .tokenizer import get_tokenizer

        threads = max(1, int(threads))
        if choose_runtime(runtime) == "openvino":
            from .openvino_model import OpenVINOReader

            model = OpenVINOReader.load(path, threads, use_bf16(precision))
            return cls(model, get_tokenizer(), max_windows, precision)
        try:
            import torch
        except ModuleNotFoundError:
            raise RuntimeError(
                "the span reader's torch runtime needs torch and transformers: pip install 'border-qa[train]', "
                "or RAG_READER_RUNTIME=openvino"
            ) from None

        from .model import SpanReader

        torch.set_num_threads(threads)
        return cls(SpanReader.load(path).eval(), get_tokenizer(), max_windows, precision)

    @classmethod
    def shared(
        cls, path: str | Path, threads: int = 1, max_windows: int = 48, precision: str = "fp32", runtime: str = "auto"
    ) -> NeuralReader:
        """One loaded reader per weights file, precision and runtime in a process: pipelines over other indexes
        (tests, a CLI next to a server's pipeline) reuse it instead of holding another copy."""
        path = Path(path).resolve()
        runtime = choose_runtime(runtime)
        key = (str(path), path.stat().st_mtime_ns, max_windows, precision, runtime)
        with _SHARED_LOCK:
            if key not in _SHARED:
                _SHARED[key] = cls.load(path, threads, max_windows, precision, runtime)
            if runtime == "torch":
                import torch

                torch.set_num_threads(max(1, int(threads)))
            return _SHARED[key]

    def windows(self, question: str, contexts: list[str]) -> tuple[list[Window], list[int]]:
        """The model inputs reading ``question`` against ``contexts`` makes (what a read costs is their tokens),
        and the context of each; none for a question without letters or contexts without text."""
        if not isinstance(question, str) or not any(ch.isalpha() for ch in question):
            return [], []
        keep = [i for i, c in enumerate(contexts) if isinstance(c, str) and c.strip()]
        if not keep:
            return [], []
        cfg = self.model.config
        q_ids = self.tokenizer.encode_question(
            question.strip()[:MAX_QUESTION_CHARS], cfg.max_question_tokens, cfg.question_prefix
        )
        windows: list[Window] = []
        owner: list[int] = []  # window -> context index
        for i, enc in zip(keep, self.tokenizer.encode_batch([contexts[i] for i in keep])):
            for w in self.tokenizer.windows(q_ids, enc, cfg.max_length, cfg.stride):
                if len(windows) >= self.max_windows:
                    break
                windows.append(w)
                owner.append(i)
        return windows, owner

    def read(
        self, question: str, contexts: list[str], end_slack: float = 0.0, parts: Parts | None = None
    ) -> list[Span]:
        """Best span of every readable context, best score first ([] if there is nothing to read). ``end_slack``
        lets a span run on to a nearly-as-likely later end (see `decode.best_in_window`). With ``parts`` =
        [(context, first, last) characters], the best span starting in each part, `Span.context` its index: a
        context read once answers for the overlapping pieces of it a caller would otherwise read one by one."""
        return self.read_many([(question, contexts, end_slack, parts)])[0]

    def read_many(self, reads: list[tuple[str, list[str], float, Parts | None]]) -> list[list[Span]]:
        """`read` for several (question, contexts, end slack, parts) at once: their windows sorted by length and
        read in batches of `WINDOW_BATCH`, so that questions waiting together share model calls."""
        inputs = []
        for question, contexts, _, _ in reads:
            texts = [c if isinstance(c, str) else "" for c in (contexts or [])]
            inputs.append((texts, *self.windows(question, texts)))
        every = [w for _, windows, _ in inputs for w in windows]
        if not every:
            return [[] for _ in reads]
        logits = self.model.window_logits(every, self.tokenizer.pad, batch_size=WINDOW_BATCH, bf16=self.bf16)
        cfg, results, at = self.model.config, [], 0
        for (texts, windows, owner), (_, _, end_slack, parts) in zip(inputs, reads):
            mine, at = logits[at : at + len(windows)], at + len(windows)
            spans = decode_spans(
                [s for s, _ in mine],
                [e for _, e in mine],
                [w.offsets for w in windows],
                owner,
                texts,
                cfg.max_answer_tokens,
                end_slack,
                parts,
            )
            results.append([Span(s.passage, s.start, s.end, s.text, s.score, s.null_score) for s in spans])
        return results
