"""What the service says to people, in the question's language: refusals and the explanation's verdict.

Written for Russian, English and Kazakh; Kyrgyz, Uzbek and Tajik questions are answered in Russian, which their
readers share (``wording_language``), until their own wording is written.
"""

from __future__ import annotations

WORDED = ("ru", "en", "kk")

REFUSAL = {
    "ru": "В документах ответа не найдено; ниже — самые близкие фрагменты.",
    "en": "Not found in the documents; the closest passages follow.",
    "kk": "Құжаттарда жауап табылмады; төменде ең жақын үзінділер берілген.",
}

# The explanation's verdict by the stage to look at (None: answered), for a person rather than a log.
VERDICT = {
    "ru": {
        None: "Ответ найден: уверенность {confidence:.2f} не ниже порога {threshold:.2f}.",
        "question": "В вопросе нет слов, по которым можно искать.",
        "index": "Документы ещё не загружены.",
        "filters": "Ни один документ не проходит фильтры.",
        "retrieval": "Фрагментов, близких к вопросу, не найдено.",
        "reading": "Фрагменты найдены, но ни одно предложение не отвечает достаточно уверенно.",
    },
    "en": {
        None: "Answered: confidence {confidence:.2f} is at least the threshold {threshold:.2f}.",
        "question": "The question has no words to search for.",
        "index": "No documents have been loaded yet.",
        "filters": "No document passes the filters.",
        "retrieval": "No passage close to the question was found.",
        "reading": "Passages were found, but no sentence in them answers with enough confidence.",
    },
    "kk": {
        None: "Жауап табылды: сенімділік {confidence:.2f}, шегі {threshold:.2f}.",
        "question": "Сұрақта іздеуге болатын сөз жоқ.",
        "index": "Құжаттар әлі жүктелмеген.",
        "filters": "Сүзгілерден бірде-бір құжат өтпейді.",
        "retrieval": "Сұраққа жақын үзінді табылмады.",
        "reading": "Үзінділер табылды, бірақ ешбір сөйлем жеткілікті сенімді жауап бермейді.",
    },
}


def wording_language(lang: str) -> str:
    """The language a question in ``lang`` is answered in: its own where worded, else Russian, English for none."""
    if lang in WORDED:
        return lang
    return "en" if lang == "und" else "ru"


def refusal(lang: str) -> str:
    """The "not found" message for a question in ``lang``."""
    return REFUSAL[wording_language(lang)]


def verdict_message(lang: str, stage: str | None, confidence: float = 0.0, threshold: float = 0.0) -> str:
    """The explanation's verdict for a person, in the question's language."""
    template = VERDICT[wording_language(lang)].get(stage, VERDICT[wording_language(lang)]["retrieval"])
    return template.format(confidence=confidence, threshold=threshold)
