"""What the service says to people, in the question's language: refusals and the explanation's verdict.

Written for every language a question is identified in: Russian, English, Kazakh, Kyrgyz, Uzbek (in its Latin
script, the official one; Cyrillic Uzbek questions read it too) and Tajik. A question in no known language is
answered in English (``wording_language``).
"""

from __future__ import annotations

WORDED = ("ru", "en", "kk", "ky", "uz", "tg")

REFUSAL = {
    "ru": "В документах ответа не найдено; ниже — самые близкие фрагменты.",
    "en": "Not found in the documents; the closest passages follow.",
    "kk": "Құжаттарда жауап табылмады; төменде ең жақын үзінділер берілген.",
    "ky": "Документтерден жооп табылган жок; төмөндө эң жакын үзүндүлөр берилген.",
    "uz": "Hujjatlarda javob topilmadi; quyida eng yaqin parchalar keltirilgan.",
    "tg": "Дар ҳуҷҷатҳо ҷавоб ёфт нашуд; дар поён порчаҳои наздиктарин оварда шудаанд.",
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
        "premise": "Найденные фрагменты не упоминают того, что названо в вопросе: {unmet}.",
    },
    "en": {
        None: "Answered: confidence {confidence:.2f} is at least the threshold {threshold:.2f}.",
        "question": "The question has no words to search for.",
        "index": "No documents have been loaded yet.",
        "filters": "No document passes the filters.",
        "retrieval": "No passage close to the question was found.",
        "reading": "Passages were found, but no sentence in them answers with enough confidence.",
        "premise": "The passages found do not mention what the question names: {unmet}.",
    },
    "kk": {
        None: "Жауап табылды: сенімділік {confidence:.2f}, шегі {threshold:.2f}.",
        "question": "Сұрақта іздеуге болатын сөз жоқ.",
        "index": "Құжаттар әлі жүктелмеген.",
        "filters": "Сүзгілерден бірде-бір құжат өтпейді.",
        "retrieval": "Сұраққа жақын үзінді табылмады.",
        "reading": "Үзінділер табылды, бірақ ешбір сөйлем жеткілікті сенімді жауап бермейді.",
        "premise": "Табылған үзінділерде сұрақта аталған мына нәрсе кездеспейді: {unmet}.",
    },
    "ky": {
        None: "Жооп табылды: ишенимдүүлүк {confidence:.2f}, босого {threshold:.2f}.",
        "question": "Суроодо издөөгө боло турган сөз жок.",
        "index": "Документтер али жүктөлө элек.",
        "filters": "Чыпкалардан бир да документ өтпөйт.",
        "retrieval": "Суроого жакын үзүндү табылган жок.",
        "reading": "Үзүндүлөр табылды, бирок алардагы бир да сүйлөм жетиштүү ишенимдүү жооп бербейт.",
        "premise": "Табылган үзүндүлөрдө суроодо аталган төмөнкүлөр кездешпейт: {unmet}.",
    },
    "uz": {
        None: "Javob topildi: ishonchlilik {confidence:.2f}, chegara {threshold:.2f}.",
        "question": "Savolda qidirish mumkin boʻlgan soʻz yoʻq.",
        "index": "Hujjatlar hali yuklanmagan.",
        "filters": "Filtrlardan birorta ham hujjat oʻtmaydi.",
        "retrieval": "Savolga yaqin parcha topilmadi.",
        "reading": "Parchalar topildi, lekin ulardagi birorta gap yetarlicha ishonchli javob bermaydi.",
        "premise": "Topilgan parchalarda savolda tilga olingan quyidagilar uchramaydi: {unmet}.",
    },
    "tg": {
        None: "Ҷавоб ёфт шуд: эътимод {confidence:.2f}, ҳад {threshold:.2f}.",
        "question": "Дар савол калимае нест, ки аз рӯи он ҷустуҷӯ кардан мумкин бошад.",
        "index": "Ҳуҷҷатҳо ҳанӯз бор карда нашудаанд.",
        "filters": "Ягон ҳуҷҷат аз филтрҳо намегузарад.",
        "retrieval": "Порчае, ки ба савол наздик бошад, ёфт нашуд.",
        "reading": "Порчаҳо ёфт шуданд, аммо ягон ҷумла бо эътимоди кофӣ ҷавоб намедиҳад.",
        "premise": "Дар порчаҳои ёфтшуда он чи дар савол зикр шудааст, вуҷуд надорад: {unmet}.",
    },
}


def wording_language(lang: str) -> str:
    """The language a question in ``lang`` is answered in: its own where worded, else English."""
    return lang if lang in WORDED else "en"


def refusal(lang: str) -> str:
    """The "not found" message for a question in ``lang``."""
    return REFUSAL[wording_language(lang)]


def verdict_message(
    lang: str, stage: str | None, confidence: float = 0.0, threshold: float = 0.0, unmet: str = ""
) -> str:
    """The explanation's verdict for a person, in the question's language (``unmet``: what the question names that
    the passages do not, for the "premise" stage)."""
    template = VERDICT[wording_language(lang)].get(stage, VERDICT[wording_language(lang)]["retrieval"])
    return template.format(confidence=confidence, threshold=threshold, unmet=unmet)
