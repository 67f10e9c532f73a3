"""Real questions about the seed corpus, in Russian and English, made distinct for every round of queries."""

from __future__ import annotations

import re

# Same- and cross-language questions about each seed document, and two the corpus does not answer.
QUESTIONS: tuple[str, ...] = (
    # Borovoe conference (ru)
    "Сколько человек приняли участие в конференции в Боровом?",
    "Где прошла 3-я Конференция регионального сотрудничества по пограничной безопасности?",
    "Когда состоялась конференция в Боровом?",
    "С какого года пограничные ведомства Центральной Азии собираются в рамках Иссык-Кульской Инициативы?",
    "Какие международные организации участвовали в конференции по пограничной безопасности?",
    "О чём договорились участники конференции в Боровом?",
    "How many people attended the border security conference in Borovoe?",
    "What will the conclusions of the Borovoe conference be used for?",
    # Issyk-Kul meeting (en)
    "How many senior representatives took part in the regional meeting in Issyk-Kul province?",
    "When did the three-day regional meeting of border services take place?",
    "What was the main purpose of the meeting in Issyk-Kul?",
    "Who is the Head of the OSCE Programme Office in Bishkek?",
    "What position does Marat Maralbaev hold?",
    "Which threats did the participants of the regional meeting discuss?",
    "Сколько представителей пограничных служб собралось в Иссык-Кульской области?",
    "Кто возглавляет Программный офис ОБСЕ в Бишкеке?",
    # UNODC seminar (ru)
    "Какой резолюции Совета Безопасности ООН был посвящён семинар?",
    "Кто финансирует проект семинара УНП ООН?",
    "Сколько дней длился семинар по трансграничным расследованиям?",
    "С какой академией УНП ООН провело национальный семинар?",
    "Эксперты каких организаций поделились опытом на семинаре?",
    "Which UN Security Council resolution was the seminar about?",
    "Who funds the UNODC seminar on cross-border investigations?",
    "What threats led to the adoption of Resolution 2396?",
    # OSCE Centre in Bishkek (en)
    "Who is the head of the OSCE Centre in Bishkek?",
    "How many officials attended the 12th Central Asia Border Security Initiative conference?",
    "When did the 12th Central Asia Border Security Initiative conference conclude?",
    "By how much did the number of border incidents in Kyrgyzstan decrease?",
    "Who is the Chief of Staff at the Kyrgyz State Border Service?",
    "Since when has the OSCE Centre supported early warning mechanisms in the Fergana Valley?",
    "Кто возглавляет Центр ОБСЕ в Бишкеке?",
    "На сколько процентов снизилось число пограничных инцидентов в Кыргызстане?",
    # Uzbek-Kazakh consultations (ru)
    "Когда состоялся пятый раунд консультаций между советами безопасности Узбекистана и Казахстана?",
    "Где прошёл пятый раунд двусторонних консультаций?",
    "Кто председательствовал на переговорах со стороны Узбекистана?",
    "Кто является секретарём Совета безопасности Республики Казахстан?",
    "На какие годы рассчитана дорожная карта сотрудничества Узбекистана и Казахстана?",
    "When did the fifth round of Uzbek-Kazakh security consultations take place?",
    "Who chaired the security council talks on the Uzbek side?",
    "In which years were high results achieved in countering security threats?",
    # Not answered by the corpus
    "Какова численность населения Монголии?",
    "What is the capital of Australia?",
)

# Lead-ins and endings made only of stopwords and punctuation: each round through QUESTIONS asks other
# strings (no cache can serve a repeat) with the same content terms.
_LEADS = {"ru": ("", "А ", "И ", "Так ", "Но ", "Ну, "), "en": ("", "And ", "But ", "Then, ", "Or ", "And then, ")}
_ENDS = ("", "??", " ?", "?!")
_VARIANTS = [(lead, end) for lead in range(len(_LEADS["en"])) for end in _ENDS]
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def questions(count: int, round_offset: int = 0) -> list[str]:
    """``count`` questions cycling through ``QUESTIONS``, with another lead-in or ending in each round.

    ``round_offset`` shifts the variants, so successive measurements do not start with the same strings.
    """
    out = []
    for i in range(count):
        base = QUESTIONS[i % len(QUESTIONS)]
        lead, end = _VARIANTS[(i // len(QUESTIONS) + round_offset) % len(_VARIANTS)]
        lead_text = _LEADS["ru" if _CYRILLIC.search(base) else "en"][lead]
        text = base if not lead_text else lead_text + base[0].lower() + base[1:]
        if end:
            text = text.rstrip("?") + end
        out.append(text)
    return out
