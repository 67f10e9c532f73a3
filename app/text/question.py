"""What kind of answer a question asks for, from its wording in Russian or English."""

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


def answer_type(question: str) -> AnswerType:
    """The expected answer type; OTHER when the question asks for an explanation or a description."""
    for kind, pattern in _PATTERNS:
        if pattern.search(question):
            return kind
    return AnswerType.OTHER
