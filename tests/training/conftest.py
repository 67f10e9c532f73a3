"""The reader's fixtures (tokenizer, tiny SQuAD file, fresh span reader) are the neural tests' own."""

from tests.neural.conftest import PARAGRAPHS, span_reader, squad_dict, tiny_squad, tokenizer  # noqa: F401
