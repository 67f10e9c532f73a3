"""Ranking across more than two languages: a Kazakh question answered from a Russian document and the reverse, over a
fresh index of the seed corpus (ru, en) plus Kazakh documents, with the real encoder."""

from __future__ import annotations

import shutil

import pytest

from app.pipeline import Pipeline
from tests.conftest import BOROVOE, SEED_CORPUS, TASHKENT, make_settings

KAZAKH = {
    "kk/border-service.txt": (
        "Қазақстан Республикасы Ұлттық қауіпсіздік комитетінің Шекара қызметі 1992 жылғы 18 тамызда құрылды. "
        "Қызметтің штаб-пәтері Астана қаласында орналасқан. "
        "Шекара қызметі 2023 жылы шекараны бақылау үшін жаңа дрондар мен тепловизорлар алды."
    ),
    "kk/caspian.txt": (
        "Каспий теңізіндегі шекара учаскесін теңіз бөлімшелері күзетеді. "
        "Ақтау портында шекаралық кемелерге арналған жаңа база 2021 жылы ашылды. "
        "Базада жүзден астам әскери қызметші қызмет атқарады."
    ),
    "kk/training.txt": (
        "Алматыдағы шекара академиясы жыл сайын бес жүзге жуық офицер даярлайды. "
        "Академия 1997 жылы ашылған және оқу мерзімі төрт жыл. "
        "Курсанттар шетел тілдерін, құқықты және кинологияны оқиды."
    ),
}


# e5-small places these Kazakh/Russian pairs too far apart: the Borovoe conference report (ru, about Kazakhstan) wins
# the Russian question about the Kazakh border service, the Bishkek conference report (en) the Kazakh question
# about Borovoe. Strict: the day the ranking gets them right, these fail and the mark goes.
WEAK = pytest.mark.xfail(strict=True, reason="dense Kazakh-Russian similarity of the default encoder is weak")


@pytest.fixture(scope="module")
def trilingual(tmp_path_factory, encoder) -> Pipeline:
    root = tmp_path_factory.mktemp("trilingual")
    corpus = root / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    for doc_id, text in KAZAKH.items():
        (corpus / doc_id).parent.mkdir(parents=True, exist_ok=True)
        (corpus / doc_id).write_text(text, encoding="utf-8")
    pipeline = Pipeline(make_settings(root / "index"), encoder=encoder)
    report = pipeline.ingest_folder(corpus)
    assert not report.failed, report.failed
    return pipeline


@pytest.mark.slow
def test_documents_are_read_in_their_language_and_projected_apart(trilingual):
    """The Kazakh documents are Kazakh, and the projection removes one direction per extra language (ru, en, kk)."""
    documents = {d.doc_id: d.lang for d in trilingual.catalog().documents.values()}
    assert {documents[d] for d in KAZAKH} == {"kk"} and documents[BOROVOE] == "ru"
    assert trilingual.snapshot.projection.directions == 2


@pytest.mark.slow
@pytest.mark.parametrize("question,doc_id", [
    ("Шекара қызметі қашан құрылды?", "kk/border-service.txt"),  # kk -> kk, among ru and en documents
    pytest.param("Когда была создана Пограничная служба Казахстана?", "kk/border-service.txt", marks=WEAK),  # ru->kk
    ("How many officers does the border academy in Almaty train each year?", "kk/training.txt"),  # en -> kk
    pytest.param("Боровое кентінде өткен конференцияға қанша адам қатысты?", BOROVOE, marks=WEAK),  # kk -> ru
    ("Ташкентте өзбек-қазақ консультацияларының бесінші раунды қашан өтті?", TASHKENT),  # kk -> ru
], ids=["kk-kk", "ru-kk", "en-kk", "kk-ru-borovoe", "kk-ru-tashkent"])
def test_questions_cross_every_language_pair(trilingual, question, doc_id):
    """The answering document comes first whatever the pair of languages: no language crowds out another."""
    assert trilingual.search(question, top_k=3)[0].doc_id == doc_id
