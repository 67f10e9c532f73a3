"""What kind of answer a question asks for, from its wording in Russian, English, Kazakh, Kyrgyz, Uzbek or Tajik."""

from __future__ import annotations

import re
from enum import Enum


class AnswerType(str, Enum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    PLACE = "place"
    ORGANISATION = "organisation"
    OTHER = "other"


# Order matters: "how many days" is a number, "in which year" a date, "which organisation" an organisation.
_PATTERNS: list[tuple[AnswerType, re.Pattern]] = [
    (
        AnswerType.DATE,
        re.compile(
            r"\b(when|what (year|date|day|month)|which (year|date|day|month)|in what year|"
            r"on what date|how long ago|since when|until when)\b|"
            r"(когда|в как(ом|ие|ой) (году|годах|месяце|день|дни|числа|сроки)|как(ого|ие) числ|какого года|"
            r"с какого (года|времени)|в какое время|в какую дату|какого месяца|в каком году)",
            re.I,
        ),
    ),
    (
        AnswerType.NUMBER,
        re.compile(
            r"\b(how many|how much|what number|what percentage|what share|how large|what was the number)\b|"
            r"(сколько|как(ое|ом) количеств|какое числ|какой процент|какова численност|какое число)",
            re.I,
        ),
    ),
    (
        AnswerType.ORGANISATION,
        re.compile(
            r"\b(which|what) (organi[sz]ation|agency|institution|body|bodies|service|office|ministry|"
            r"programme|program|centre|center|committee)|"
            r"\bwho (organi[sz]e[sd]?|funds?|funded|financed?|finances|hosts?|hosted|"
            r"sponsors?|sponsored|supports?|supported)\b|"
            r"(как(ая|ие|ой|ую|им|ими) (организаци|ведомств|структур|учреждени|служб|министерств|орган)|"
            r"кто (организовал|финансир|провел|провёл)|кем (был[аио]? )?(организован|финансир|проведен))",
            re.I,
        ),
    ),
    (
        AnswerType.PERSON,
        re.compile(
            r"\b(who|whom|whose|which (person|people|official|officials)|name of the (person|official|head|chief))\b|"
            r"(^|\s)(кто|кем|кого|кому|чей|чья|чьи|как зовут|какой чиновник|какое должностное)",
            re.I,
        ),
    ),
    (
        AnswerType.PLACE,
        re.compile(
            r"\b(where|in which (city|town|country|region|province|village|place)|"
            r"(what|which)( \w+){0,2} (city|cities|town|towns|country|countries|region|regions|province|provinces|"
            r"village|villages|place|places))\b|"
            r"(где|куда|откуда|в каком (городе|месте|регионе|селе|поселке|посёлке)|в какой (стране|области)|"
            r"как(ой|ая|ие) (город|стран|регион|област))",
            re.I,
        ),
    ),
]


# The languages of the region ask with their own interrogatives: Kazakh, Kyrgyz, Uzbek (Latin and Cyrillic), Tajik,
# in that order within each kind. "Which year" and "which city" are "which" + the noun, as in Russian.
_REGIONAL: dict[AnswerType, str] = {
    AnswerType.DATE: r"\bқашан\b|\bқай (жыл\w*|ғасыр\w*|ай|айда|айында|күн\w*|уақыт\w*|кез\w*)\b|\bнешінші жыл\w*|"
    r"\bкачан\b|\bкайсы (жыл\w*|кылым\w*|ай|айда|күн\w*|убак\w*)\b|"
    r"\bqachon\b|\bqaysi (yil\w*|asr\w*|oy|oyda|kun\w*|vaqt\w*)\b|"
    r"\bқачон\b|\bқайси (йил\w*|аср\w*|ой|ойда|кун\w*|вақт\w*)\b|"
    r"\bкай\b|\bкадом (сол|аср|моҳ|рӯз|вақт)\w*|\bсоли чанд",
    AnswerType.NUMBER: r"\bнеше\b|\bқанша\b|\bнешінші\b|\bканча\b|\bнече\b|"
    r"\bnecha\w*|\bqancha\b|\bнеча\w*|\bқанча\b|\bчанд\b|\bчӣ қадар\b",
    AnswerType.ORGANISATION: r"\b(қай|қандай) (ұйым|мекеме|министрлі|агенттік|комитет)\w*|"
    r"\bкайсы (уюм|мекеме|министрлик|агенттик|комитет)\w*|"
    r"\bqaysi (tashkilot|idora|vazirlik|agentlik|qo.mita)\w*|\bқайси (ташкилот|идора|вазирлик|агентлик|қўмита)\w*|"
    r"\bкадом (ташкилот|идора|вазорат|агентӣ|кумита)\w*",
    AnswerType.PERSON: r"\bкім(дер|нің|ге|ді|мен|дердің|дерді|дерге)?\b|\bким(дер|дин|ге|ди|ни|нинг|лар)?\b|"
    r"\bkim(lar|ning|ga|ni)?\b|\bкӣ\b|\bкист\b|\bкиҳо\b",
    AnswerType.PLACE: r"\bқайда\b|\bқайдан\b|\b(қай|қандай) (жер|қала|ел|мемлекет|аймақ|өлке|облыс|аудан)\w*|"
    r"\bкайда\b|\bкайдан\b|\bкайсы (жер|шаар|өлкө|мамлекет|облус|район)\w*|"
    r"\bqayer\w*|\bqaysi (shahar|davlat|mamlakat|viloyat|tuman|joy)\w*|"
    r"\bқаер\w*|\bқайси (шаҳар|давлат|мамлакат|вилоят|туман|жой)\w*|"
    r"\bкуҷо\w*|\bкадом (шаҳр|кишвар|давлат|вилоят|ноҳия|ҷой)\w*",
}
# One pattern per kind, in _PATTERNS' order: the Russian and English alternatives, then the region's.
_ALL_PATTERNS = [(kind, re.compile(f"{pattern.pattern}|{_REGIONAL[kind]}", re.I)) for kind, pattern in _PATTERNS]


def answer_type(question: str) -> AnswerType:
    """The expected answer type; OTHER when the question asks for an explanation or a description."""
    for kind, pattern in _ALL_PATTERNS:
        if pattern.search(question):
            return kind
    return AnswerType.OTHER
