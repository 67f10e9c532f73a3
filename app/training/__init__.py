"""Training and evaluation of the neural span reader (`app.neural`), kept out of the served package.

Nothing here is imported when serving; the command line runs it (`python -m app reader train | evaluate`,
`python -m app eval --squad FILE --reading`). Modules (import them explicitly; this package imports nothing):

- `data`      — SQuAD-format loading, windowed features, negatives, deterministic dynamic-padding batches;
- `train`     — time-budgeted, checkpointed, exactly resumable training, on CPU or one CUDA GPU;
- `evaluate`  — SQuAD EM/F1 of the reader on gold paragraphs;
- `average`   — the parameter-wise mean of readers continued from the same weights (a model soup).

The weights a run produces are shipped by copying its `best.safetensors` to `app/neural/span-reader.safetensors`,
where the served reader loads them.
"""
