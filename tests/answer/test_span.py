"""app/answer/span.py: typed short answer spans (numbers, dates, names, places, organisations) inside a sentence."""

from __future__ import annotations

from app.text.question import AnswerType
from app.answer.span import best_span, candidates
from app.text.terms import query_terms, stem, terms

BOROVOE_SENTENCE = (
    "24-25 июля в пос. Боровое состоялась 3-я Конференция регионального сотрудничества по пограничной "
    "безопасности (Иссык-кульская Инициатива), в работе которой приняли участие более 50 человек – руководители "
    "и официальные лица пограничных ведомств Казахстана."
)
TASHKENT_SENTENCE = (
    "В г.Ташкенте 5 апреля состоялся пятый раунд двусторонних консультаций между аппаратами советов безопасности "
    "Республики Узбекистан и Республики Казахстан."
)
CHAIR_SENTENCE = (
    "Переговоры прошли под председательством секретаря Совета безопасности при Президенте Республики Узбекистан "
    "Виктора Махмудова и помощника Президента."
)
KAPINOS_SENTENCE = (
    "“At the conference, not only was information shared,” said Sergey Kapinos, Head of the OSCE Centre in "
    "Bishkek, which organized the conference along with the European Union."
)
ISSYK_KUL_SENTENCE = (
    "On June 27-29, a three-day regional meeting of 35 senior representatives of the border services from "
    "Kazakhstan, Kyrgyzstan, Tajikistan, and Uzbekistan took place in Issyk-Kul province."
)


def question_terms(question: str) -> set[str]:
    return {t for g in query_terms(question) for t in g}


def span_text(sentence: str, kind: AnswerType, question: str) -> str | None:
    span = best_span(sentence, kind, question_terms(question))
    return sentence[span[0]:span[1]] if span else None


def texts(sentence: str, kind: AnswerType) -> list[str]:
    return [sentence[a:b] for a, b in candidates(sentence, kind)]


def test_russian_date_and_not_a_number():
    """"5 апреля" is a date candidate and not a quantity."""
    assert texts(TASHKENT_SENTENCE, AnswerType.DATE) == ["5 апреля"]
    assert "5 апреля" not in " ".join(texts(TASHKENT_SENTENCE, AnswerType.NUMBER))


def test_russian_date_range_and_quantity():
    """A day range with a month is one date; an approximate count keeps its counted noun."""
    assert texts(BOROVOE_SENTENCE, AnswerType.DATE) == ["24-25 июля"]
    assert span_text(BOROVOE_SENTENCE, AnswerType.NUMBER, "Сколько человек приняли участие?") == "более 50 человек"


def test_english_dates():
    """English month-day ranges and day-month-year dates are found."""
    assert texts(ISSYK_KUL_SENTENCE, AnswerType.DATE) == ["June 27-29"]
    sentence = "BISHKEK, 28 April 2016 – The conference concluded after the 2015–2016 cycle."
    assert texts(sentence, AnswerType.DATE) == ["28 April 2016", "2015–2016"]


def test_english_month_and_year_is_not_read_as_a_day():
    """"May 2016" is a month and year, not "May 20" cut out of the year."""
    sentence = "The second phase started in May 2016 and ended in June 2019."
    assert texts(sentence, AnswerType.DATE) == ["May 2016", "June 2019"]


def test_quantity_named_by_the_question_wins():
    """"How many representatives" picks the count of representatives, "how many days" the duration."""
    assert span_text(ISSYK_KUL_SENTENCE, AnswerType.NUMBER,
                     "How many senior representatives attended?") == "35 senior representatives"
    assert "three-day" in span_text(ISSYK_KUL_SENTENCE, AnswerType.NUMBER, "How many days did the meeting last?")


def test_place_after_preposition():
    """A place after "in"/"в" is preferred as the answer to where."""
    assert span_text(ISSYK_KUL_SENTENCE, AnswerType.PLACE, "Where did the meeting take place?") == "Issyk-Kul province"
    assert span_text(TASHKENT_SENTENCE, AnswerType.PLACE, "Где прошел пятый раунд консультаций?") == "Ташкенте"


def test_russian_person_by_ner():
    """natasha finds the person in a Russian sentence."""
    assert "Виктора Махмудова" in texts(CHAIR_SENTENCE, AnswerType.PERSON)
    question = "Кто председательствовал на переговорах?"
    assert span_text(CHAIR_SENTENCE, AnswerType.PERSON, question) == "Виктора Махмудова"


def test_english_person():
    """A two-word capitalised name after "said" is a person."""
    question = "Who is the head of the OSCE Centre in Bishkek?"
    assert span_text(KAPINOS_SENTENCE, AnswerType.PERSON, question) == "Sergey Kapinos"


def test_english_organisation():
    """A capitalised run with an organisation word is an organisation."""
    found = texts(KAPINOS_SENTENCE, AnswerType.ORGANISATION)
    assert any("OSCE Centre in Bishkek" in f for f in found)


def test_span_is_never_only_question_words():
    """Asking about the named person does not return that name; asking the date does not return the asked date."""
    assert span_text(KAPINOS_SENTENCE, AnswerType.PERSON, "Who is Sergey Kapinos?") is None
    sentence = "Sergey Kapinos met Ivan Petrov in Bishkek."
    found = span_text(sentence, AnswerType.PERSON, "Whom did Sergey Kapinos meet?")
    assert found is not None and "Ivan Petrov" in found
    assert not set(terms(found)) <= question_terms("Whom did Sergey Kapinos meet?")


def test_english_person_span_is_the_name_only():
    """A person span is the name, without a following place or trailing punctuation."""
    sentence = "Sergey Kapinos met Ivan Petrov in Bishkek."
    assert span_text(sentence, AnswerType.PERSON, "Whom did Sergey Kapinos meet?") == "Ivan Petrov"


def test_no_candidate_gives_no_span():
    """A sentence without a number has no number span; OTHER questions get no typed candidates."""
    assert best_span("The border was calm.", AnswerType.NUMBER, {stem("border")}) is None
    assert candidates(ISSYK_KUL_SENTENCE, AnswerType.OTHER) == []


def test_spans_are_within_the_sentence():
    """Every candidate span is a non-empty slice of the sentence."""
    for sentence in (BOROVOE_SENTENCE, TASHKENT_SENTENCE, CHAIR_SENTENCE, KAPINOS_SENTENCE, ISSYK_KUL_SENTENCE):
        for kind in AnswerType:
            for start, end in candidates(sentence, kind):
                assert 0 <= start < end <= len(sentence)
                assert sentence[start:end].strip() == sentence[start:end]


def test_lists_of_names_are_one_answer():
    """"Latvia, Lithuania and Kazakhstan" answers "which countries" whole; two people stay two names."""
    sentence = "Participants came from Latvia, Lithuania and Kazakhstan."
    assert texts(sentence, AnswerType.PLACE) == ["Latvia, Lithuania and Kazakhstan"]
    assert texts("Sergey Kapinos met Ivan Petrov in Bishkek.", AnswerType.PERSON) == ["Sergey Kapinos", "Ivan Petrov"]


def test_dictionary_words_are_not_a_person():
    """A capitalised run of ordinary words ("Politico-Military Dimension") is not taken for a name."""
    sentence = "It is a project of the Politico-Military Dimension department of the OSCE Centre."
    assert texts(sentence, AnswerType.PERSON) == []
