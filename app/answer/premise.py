"""The question's premise: the numbers, the named actors (states, their peoples, organisations) and the places a
question takes as given, and whether the document an answer is read from names them.

"Where was the 14th Central Asia Border Security Initiative conference held?" asked of the report on the 12th
still finds a confident span ("Bishkek"): the reader judges whether a sentence answers a question of that shape,
not whether the question's premise holds. An answer is only given when its document names every number the
question names ("the 13th conference", "in the fifth round": digits, an ordinal word, a Roman numeral), every
actor ("the Afghan delegation", "Frontex") and every place ("the Bishkek conference"). Actors and places are
matched across ru, en, kk, ky, uz and tg by stems (a gazetteer of the region: the words for a state, its people
and its adjective share a stem in each language), so an English question is checked against a Russian report.
The check is on the whole document, not the sentences read: a report is often about the organisation or the two
states a question names without naming them again in the sentence that answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Ordinal words from 3 to 15 (Russian stems take the case endings below). "First" and "second" are left out: as
# often as not they mean "at first", "another" or "again" ("под каким вторым названием", "for the first time"),
# and 1 and 2 stand in nearly every document anyway. Cardinal words are not premises either: "which two countries"
# asks how many, and the document names the countries, not the count.
_NUMBER_WORDS: dict[int, tuple[str, ...]] = {
    3: ("third", "трет~", "үшінші", "uchinchi", "үчүнчү"),
    4: ("fourth", "четв[её]рт~", "төртінші", "to'rtinchi", "төртүнчү"),
    5: ("fifth", "пят~", "бесінші", "beshinchi", "бешинчи"),
    6: ("sixth", "шест~", "алтыншы", "oltinchi", "алтынчы"),
    7: ("seventh", "седьм~", "жетінші", "yettinchi", "жетинчи"),
    8: ("eighth", "восьм~", "сегізінші", "sakkizinchi", "сегизинчи"),
    9: ("ninth", "девят~", "тоғызыншы", "to'qqizinchi", "тогузунчу"),
    10: ("tenth", "десят~", "оныншы", "o'ninchi", "онунчу"),
    11: ("eleventh", "одиннадцат~"),
    12: ("twelfth", "двенадцат~"),
    13: ("thirteenth", "тринадцат~"),
    14: ("fourteenth", "четырнадцат~"),
    15: ("fifteenth", "пятнадцат~"),
}
_RU_ORDINAL_ENDINGS = "(?:ый|ой|ий|ая|ое|ые|ого|ому|ым|ом|ей|ую|ых|ыми|ья|ье|ьего|ьему|ьем|ьей|ьи|ьих|ью)"
# A number in digits, with the ordinal suffix it may carry: 13th, 11-я, 5-го, 2019, 4-ші.
_DIGITS = re.compile(
    r"(?<![\w.,])(\d{1,4})(?:-?(?:th|st|nd|rd|я|й|го|ой|ая|ее|ом|ый|ого|ші|шы|ншы|нші|inchi|nchi))?(?![\w]|[.,]\d)"
)
_ROMAN = re.compile(r"\b(X{0,3}(?:IX|IV|V?I{0,3}))\b")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}

# Actors of the region and the organisations its border reports name: stems in ru, en, kk, ky, uz (both scripts)
# and tg, matched at the start of a word (each word of a name of several), case-insensitively; acronyms exactly.
_ACTORS: dict[str, tuple[str, ...]] = {
    "Kazakhstan": ("казах", "қазақ", "kazakh", "казакст", "қазоқ", "qozog"),
    "Kyrgyzstan": ("кыргыз", "киргиз", "қырғыз", "қирғиз", "kyrgyz", "kirgiz", "qirg"),
    "Uzbekistan": ("узбек", "өзбек", "ўзбек", "ӯзбек", "uzbek", "o'zbek", "oʻzbek", "o‘zbek", "o’zbek"),
    "Tajikistan": ("таджик", "тәжік", "тажик", "тоҷик", "tajik", "tojik"),
    "Turkmenistan": ("туркмен", "түрікмен", "туркман", "түркмөн", "turkmen", "turkman"),
    "Afghanistan": ("афган", "ауған", "афғон", "ооган", "afghan", "afg'on", "afgʻon"),
    "Mongolia": ("монгол", "моңғол", "моғул", "mongol", "moʻgʻul", "mo'g'ul"),
    "China": ("китай", "китае", "қытай", "кытай", "хитой", "china", "chinese", "xitoy"),
    "Russia": ("росси", "ресей", "русия", "орусия", "russia", "rossiya"),
    "Iran": ("иран", "эрон", "iran"),
    "Pakistan": ("пакистан", "покистон", "pakistan"),
    "Turkey": ("турци", "турецк", "түркия", "turkey", "turkish", "türkiye", "turkiya"),
    "India": ("индии", "индия", "индию", "индией", "үндістан", "india"),
    "Japan": ("япон", "жапон", "japan"),
    "Frontex": ("frontex", "фронтекс"),
    "United States": ("америк", "american", "united states", "америка", "amerika"),
    "European Union": ("евросоюз", "европейск", "european union", "еуропалық одақ", "yevropa ittifoqi"),
    "United Nations": ("united nations", "организаци объедин наци", "біріккен ұлттар ұйым"),
    # Organisations by their full names, as reports first introduce them ("Исполнительный комитет Содружества
    # Независимых Государств") before or instead of the acronym a question uses ("Which CIS body...").
    "OSCE": (
        "organization for security and co-operation in europe",
        "organisation for security and co-operation in europe",
        "organization for security and cooperation in europe",
        "организаци по безопасност и сотрудничеств в европ",
        "еуропадағы қауіпсіздік және ынтымақтастық ұйым",
    ),
    "UNODC": (
        "united nations office on drugs and crime",
        "управлени организаци объедин наций по наркотик и преступност",
        "управлени оон по наркотик и преступност",
    ),
    "CIS": (
        "commonwealth of independent states",
        "содружеств независим государств",
        "тәуелсіз мемлекеттер достастығ",
        "көз карандысыз мамлекеттердин шериктештиг",
        "mustaqil davlatlar hamdo",
    ),
    "CSTO": (
        "collective security treaty organi",
        "организаци договор о коллективн безопасност",
        "ұжымдық қауіпсіздік туралы шарт ұйым",
    ),
    "SCO": ("shanghai cooperation organi", "шанхайск организаци сотрудничеств", "шанхай ынтымақтастық ұйым"),
    "IOM": (
        "international organization for migration",
        "international organisation for migration",
        "международн организаци по миграци",
        "халықаралық көші-қон ұйым",
    ),
    "NATO": ("north atlantic treaty organi", "североатлантическ альянс", "организаци североатлантическ договор"),
    "BOMCA": ("border management programme in central asia", "программ управлени границ в центральн ази"),
}
# Places of the region's border news: a question about "the Bishkek conference" is not answered from the report on
# the one in Borovoe. Stems as for actors; names of three letters or fewer (Osh) and words that are also common
# nouns in a language of the region are left out.
_PLACES: dict[str, tuple[str, ...]] = {
    "Astana": ("astana", "астан", "nur-sultan", "нур-султан", "нұр-сұлтан"),
    "Almaty": ("almaty", "алматы", "алматин", "алма-ат", "olmaota", "алмати", "алмаато"),
    "Bishkek": ("bishkek", "бишкек", "бішкек"),
    "Tashkent": ("tashkent", "ташкент", "toshkent", "тошкент", "тошканд"),
    "Dushanbe": ("dushanbe", "душанбе", "душанбин"),
    "Ashgabat": ("ashgabat", "ashkhabad", "ашхабад", "ашгабат", "ашғабат", "ashxobod", "ашхобод", "ашқобод"),
    "Kabul": ("kabul", "кабул", "kobul", "кобул"),
    "Borovoe": ("borovoe", "borovoye", "борово", "бурабай", "burabay"),
    "Issyk-Kul": ("issyk-kul", "issyk kul", "иссык-кул", "ысык-көл", "ыстықкөл", "issiqko", "иссиқкӯл"),
    "Fergana": ("fergana", "ferghana", "ферган", "ферғана", "фарғона", "farg'ona", "fargʻona", "farg‘ona"),
    "Termez": ("termez", "термез", "termiz", "термиз"),
    "Khorog": ("khorog", "хорог", "хоруғ", "xorug"),
    "Batken": ("batken", "баткен"),
    "Naryn": ("naryn", "нарын", "norin", "норин"),
    "Torugart": ("torugart", "торугарт"),
    "Khujand": ("khujand", "худжанд", "хуҷанд", "xo'jand", "xoʻjand", "хўжанд", "хожент"),
    "Samarkand": ("samarkand", "самарканд", "samarqand", "самарқанд"),
    "Shymkent": ("shymkent", "шымкент", "chimkent", "чимкент"),
    "Khorgos": ("khorgos", "хоргос", "қорғас"),
    "Moscow": ("moscow", "москв", "московск", "мәскеу", "moskva", "маскав"),
    "Beijing": ("beijing", "пекин", "бейжің", "pekin"),
    "Tehran": ("tehran", "тегеран", "теһран", "tehron", "теҳрон"),
    "Islamabad": ("islamabad", "исламабад"),
    "Brussels": ("brussels", "брюссел", "bryussel"),
}
_ACRONYMS: dict[str, tuple[str, ...]] = {
    "OSCE": ("OSCE", "ОБСЕ", "ЕҚЫҰ", "ЕККУ", "YeXHT"),
    "UNODC": ("UNODC", "УНП ООН"),
    "BOMCA": ("BOMCA", "БОМКА"),
    "CADAP": ("CADAP", "КАДАП"),
    "United States": ("US", "U.S.", "USA", "США", "АҚШ", "АКШ", "AQSH", "ИМА"),
    "European Union": ("EU", "ЕС", "ЕО", "ЕБ"),
    "United Nations": ("UN", "ООН", "БҰҰ", "БУУ", "BMT", "СММ"),
    "NATO": ("NATO", "НАТО"),
    "CSTO": ("CSTO", "ОДКБ", "ҰҚШҰ", "ЖККУ"),
    "CIS": ("CIS", "СНГ", "ТМД", "ИДМ"),
    "SCO": ("SCO", "ШОС", "ШЫҰ", "ШКУ", "ШҲТ"),
    "IOM": ("IOM", "МОМ"),
}


# A question in a state's own language takes that state as its frame, not as a premise: "Қазақстанда қай өндіріс
# электр энергияны көп өндіреді?" asked of a Kazakh text that never writes "Kazakhstan". Russian and English are
# spoken across the region and name no such state.
HOME = {"kk": "actor:Kazakhstan", "ky": "actor:Kyrgyzstan", "uz": "actor:Uzbekistan", "tg": "actor:Tajikistan"}
# Names that are also a common word in a question's language, a premise there only when capitalised: "душанбе" is
# Monday in Tajik.
COMMON_WORD = {"tg": {"place:Dushanbe"}}


@dataclass(frozen=True)
class Anchor:
    """One thing a question takes as given: ``key`` is what is matched ("n:13", "actor:Turkmenistan"),
    ``surface`` the question's own words for it."""

    key: str
    surface: str


def _word_pattern(forms: tuple[str, ...]) -> str:
    parts = []
    for form in forms:
        if form.endswith("~"):  # a Russian ordinal stem and its case endings
            parts.append(form[:-1] + _RU_ORDINAL_ENDINGS)
        else:
            parts.append(re.escape(form) if "[" not in form else form)
    return r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)"


def _escaped(words: str, stems: bool = False) -> str:
    """``words`` as a pattern in which any run of spaces (a no-break space too: "УНП\u00a0ООН") separates them;
    with ``stems`` each word but the last may take an ending (the caller adds the last one's)."""
    return (r"\w*\s+" if stems else r"\s+").join(re.escape(w) for w in words.split(" "))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, list[re.Pattern[str]]]:
    """The word patterns of each key: number words, actors' stems (any case) and acronyms (exact)."""
    patterns: dict[str, list[re.Pattern[str]]] = {
        f"n:{n}": [re.compile(_word_pattern(forms), re.IGNORECASE)] for n, forms in _NUMBER_WORDS.items()
    }
    for kind, names in (("actor", _ACTORS), ("place", _PLACES)):
        for name, stems in names.items():
            alternatives = "|".join(_escaped(s, stems=True) for s in stems)
            patterns.setdefault(f"{kind}:{name}", []).append(
                re.compile(r"(?<!\w)(?:" + alternatives + r")\w*", re.IGNORECASE)
            )
    for name, acronyms in _ACRONYMS.items():
        alternatives = "|".join(_escaped(a) for a in acronyms)
        patterns.setdefault(f"actor:{name}", []).append(re.compile(r"(?<![\w.])(?:" + alternatives + r")(?!\w)"))
    return patterns


def _roman(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


@lru_cache(maxsize=64)  # a document is checked for each of its sentences read
def _numbers(text: str) -> dict[int, str]:
    """The numbers written in digits or Roman numerals in ``text``, with their first surface form."""
    found: dict[int, str] = {}
    for m in _DIGITS.finditer(text):
        found.setdefault(int(m.group(1)), m.group(0))
    for m in _ROMAN.finditer(text):
        if len(m.group(1)) >= 2:  # a lone "I" or "V" is a word or a letter, not a numeral
            found.setdefault(_roman(m.group(1)), m.group(1))
    return found


def _inside(m: re.Match[str], start: int, end: int) -> bool:
    """Whether match ``m`` lies within ``start..end`` and is shorter than it."""
    return start <= m.start() and m.end() <= end and end - start > m.end() - m.start()


def anchors(text: str, lang: str | None = None) -> dict[str, Anchor]:
    """Every number, named actor and place of ``text``, by key (the first surface form found for each); with the
    text's ``lang``, its own state (``HOME``) and lower-case names that are a common word in it (``COMMON_WORD``)
    are left out."""
    found = {f"n:{n}": Anchor(f"n:{n}", surface) for n, surface in _numbers(text).items()}
    matches = {
        key: [m for pattern in patterns for m in pattern.finditer(text)]
        for key, patterns in _patterns().items()
        if key != HOME.get(lang or "")
    }
    for key in COMMON_WORD.get(lang or "", ()):
        matches[key] = [m for m in matches.get(key, []) if m.group(0)[:1].isupper()]
    spans = [(m.start(), m.end(), key) for key, ms in matches.items() for m in ms]
    for key, ms in matches.items():
        # A name inside a longer one is part of it, not an actor of its own: "United Nations Office on Drugs and
        # Crime" names UNODC, and a report that writes "UNODC" need not also name the United Nations.
        own = [m for m in ms if not any(k != key and _inside(m, s, e) for s, e, k in spans)]
        if own:
            found[key] = Anchor(key, min(own, key=lambda m: m.start()).group(0))
    return found


@lru_cache(maxsize=256)  # a document is checked once per question however many of its passages are read
def mentions(text: str, key: str) -> bool:
    """Whether ``text`` names the number, actor or place ``key`` in any of its forms."""
    if key.startswith("n:") and int(key[2:]) in _numbers(text):
        return True
    return any(pattern.search(text) for pattern in _patterns().get(key, ()))


def unmet(question: dict[str, Anchor], document: str) -> list[Anchor]:
    """The anchors of ``question`` that ``document`` (an answer's source) does not name."""
    return [a for key, a in question.items() if not mentions(document, key)]
