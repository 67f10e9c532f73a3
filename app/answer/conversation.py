"""Follow-up questions: a question that leans on the previous turn ("And when did they take place?") is read
together with it; a question that stands on its own is left alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.models import Turn
from app.text.question import AnswerType, answer_type
from app.text.terms import WORD, query_terms

# Words that point back to something named earlier. Closed word classes (personal and demonstrative
# pronouns, pronominal adverbs), so a list is the whole of them; "it"/"это" at the start of a definition
# question ("What is it?") is meant as a follow-up too.
ANAPHORA = frozenset(
    "he she it they him her them his its their theirs there then this that these those such same "
    "он она оно они его её ее их ему ей им него неё нее них нему ней ним нём нем "
    "там туда оттуда тогда этот эта это эти этого этой этих этому этим этом тот та те того той тех "
    "тем".split()
)
# Openings that continue the conversation: "And…", "What about…", "А…", "И ещё…".
CONTINUATIONS = ("and ", "also ", "what about ", "how about ", "а ", "и ", "а что ", "ещё ", "еще ", "также ")
# A pronoun in a question that names several things of its own ("…the organisation that funded the seminar
# on cross-border investigations?") is a relative clause, not a reference back.
MAX_TERMS_WITH_PRONOUN = 5
MAX_TERMS_WITH_CONTINUATION = 8
# Earlier turns read with a follow-up: the last one and, while those were follow-ups themselves, their heads.
MAX_CONTEXT_TURNS = 3


@dataclass(frozen=True)
class Resolved:
    """A question as it will be searched and read."""

    text: str  # what is embedded and read: the question, then the turns it continues
    terms: list[tuple[str, ...]]
    kind: AnswerType
    context: Turn | None  # the turn continued (its documents are preferred); None for a standalone question


def is_follow_up(question: str) -> bool:
    """Whether ``question`` needs an earlier turn to be understood: a pronoun, a continuation, or no subject."""
    lower = question.strip().lower()
    count = len(query_terms(question))
    if count <= 1:  # "And when?", "Где?", "How many?"
        return True
    if count <= MAX_TERMS_WITH_PRONOUN and any(w.lower() in ANAPHORA for w in WORD.findall(question)):
        return True
    return count <= MAX_TERMS_WITH_CONTINUATION and lower.startswith(CONTINUATIONS)


def resolve(question: str, history: Sequence[Turn]) -> Resolved:
    """Read ``question`` with the turns before it when it is a follow-up; as it is otherwise."""
    terms = query_terms(question)
    own_terms = len(terms)  # before the earlier turns' terms are added
    kind = answer_type(question)
    if not history or not is_follow_up(question):
        return Resolved(question, terms, kind, None)
    turns = [history[-1]]
    while len(turns) < MAX_CONTEXT_TURNS and len(history) > len(turns) and is_follow_up(turns[-1].question):
        turns.append(history[-1 - len(turns)])
    seen = {group[0] for group in terms}
    for turn in turns:
        for group in query_terms(turn.question):
            if group[0] not in seen:
                seen.add(group[0])
                terms.append(group)
    if kind is AnswerType.OTHER and own_terms <= 1:
        # "And in 2016?" asks for what the previous question asked for.
        kind = answer_type(turns[0].question)
    text = " ".join([question, *(t.question for t in turns)])
    doc_ids = tuple(dict.fromkeys(d for t in turns for d in t.doc_ids))
    context = Turn(turns[0].question, doc_ids, turns[0].sentences)
    return Resolved(text, terms, kind, context)
