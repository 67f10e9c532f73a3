"""app/text/question.py: the expected answer type from the wording of a Russian or English question."""

from __future__ import annotations

import pytest

from app.text.question import AnswerType, answer_type

CASES = [
    ("When did the fifth round of consultations take place?", AnswerType.DATE),
    ("In what year was the resolution adopted?", AnswerType.DATE),
    ("Когда состоялась конференция в пос. Боровое?", AnswerType.DATE),
    ("В каком году была принята резолюция?", AnswerType.DATE),
    ("How many officials attended the conference?", AnswerType.NUMBER),
    ("What percentage of incidents were prevented?", AnswerType.NUMBER),
    ("Сколько человек приняли участие в конференции?", AnswerType.NUMBER),
    ("Какой процент инцидентов удалось предотвратить?", AnswerType.NUMBER),
    ("Who is the head of the OSCE Centre in Bishkek?", AnswerType.PERSON),
    ("Кто возглавляет Центр ОБСЕ в Бишкеке?", AnswerType.PERSON),
    ("Where did the regional meeting take place?", AnswerType.PLACE),
    ("In which city was the conference held?", AnswerType.PLACE),
    ("Где прошел пятый раунд консультаций?", AnswerType.PLACE),
    ("Which organisation funded the seminar?", AnswerType.ORGANISATION),
    ("Who funds the project?", AnswerType.ORGANISATION),
    ("Кто финансирует проект?", AnswerType.ORGANISATION),
    ("Какая организация провела семинар?", AnswerType.ORGANISATION),
    ("Кем был организован семинар?", AnswerType.ORGANISATION),
    ("Why is border co-operation important?", AnswerType.OTHER),
    ("Что обсуждали участники встречи?", AnswerType.OTHER),
]


# Kazakh ones from KazQAD's dev half; Kyrgyz, Uzbek (both scripts) and Tajik written for the test.
REGIONAL_CASES = [
    ("Абай қай жылы дүниеден өткен?", AnswerType.DATE),
    ("Біріккен Араб Республикасы қашан құрылды?", AnswerType.DATE),
    ("Дерек мәліметтері бойынша ғұндар неше руға бөлінген?", AnswerType.NUMBER),
    ("Тентектөре бастаған көтерілісшілер саны қанша болған?", AnswerType.NUMBER),
    ("Жамбылдың ұстазы кім болды?", AnswerType.PERSON),
    ("«Алаш» партиясының көсемдері кімдер болған?", AnswerType.PERSON),
    ("Алюминий зауыты қай қалада бар?", AnswerType.PLACE),
    ("Неолиттік Сексеуіл тұрағы қай аймақта орналасқан?", AnswerType.PLACE),
    ("БҰҰ-ның штаб-пәтері қайда?", AnswerType.PLACE),
    ("Семинарды қай ұйым қаржыландырды?", AnswerType.ORGANISATION),
    ("Қандай органоид тек өсімдіктер жасушасына ғана тән?", AnswerType.OTHER),
    ("Шекара қызметі қалай құрылды?", AnswerType.OTHER),
    ("Чек ара кызматы качан түзүлгөн?", AnswerType.DATE),
    ("Жолугушууга канча адам катышты?", AnswerType.NUMBER),
    ("Кеңешмени ким жетектеди?", AnswerType.PERSON),
    ("Жолугушуу кайсы шаарда өттү?", AnswerType.PLACE),
    ("Uchrashuv qachon boʻlib oʻtdi?", AnswerType.DATE),
    ("Seminarda necha kishi qatnashdi?", AnswerType.NUMBER),
    ("Delegatsiyani kim boshqardi?", AnswerType.PERSON),
    ("Uchrashuv qayerda oʻtkazildi?", AnswerType.PLACE),
    ("Loyihani qaysi tashkilot moliyalashtiradi?", AnswerType.ORGANISATION),
    ("Учрашув қаерда бўлиб ўтди?", AnswerType.PLACE),
    ("Вохӯрӣ кай баргузор шуд?", AnswerType.DATE),
    ("Дар семинар чанд нафар иштирок карданд?", AnswerType.NUMBER),
    ("Ҳайатро кӣ роҳбарӣ кард?", AnswerType.PERSON),
    ("Конфронс дар куҷо баргузор шуд?", AnswerType.PLACE),
]


@pytest.mark.parametrize("question,expected", REGIONAL_CASES)
def test_answer_type_in_the_languages_of_the_region(question, expected):
    """Kazakh, Kyrgyz, Uzbek and Tajik interrogatives give the same answer types as Russian ones."""
    assert answer_type(question) is expected


@pytest.mark.parametrize("question,expected", CASES, ids=[f"{kind.value}-{i}" for i, (_, kind) in enumerate(CASES)])
def test_answer_type(question, expected):
    """Each question is mapped to the answer type a reader would expect."""
    assert answer_type(question) is expected


def test_number_beats_date_words_inside_a_count():
    """ "How many days" asks for a number even though "day" is a date word."""
    assert answer_type("How many days did the meeting last?") is AnswerType.NUMBER


def test_case_insensitive():
    """Upper-case questions are typed like lower-case ones."""
    assert answer_type("WHEN DID IT HAPPEN?") is AnswerType.DATE
    assert answer_type("СКОЛЬКО УЧАСТНИКОВ?") is AnswerType.NUMBER


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Which two Baltic countries sent participants?", AnswerType.PLACE),
        ("What is the full name of the body abbreviated BS SCNS?", AnswerType.OTHER),
        ("Which officials opened the meeting?", AnswerType.PERSON),
    ],
)
def test_plural_and_qualified_wordings(question, expected):
    """Qualified plurals ("which two Baltic countries") and "full name of a body" are typed as a reader would."""
    assert answer_type(question) is expected
