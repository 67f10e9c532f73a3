"""The served OpenAPI schema states what validation enforces: its patterns, lengths, enums and required fields
accept exactly what the validators accept (the JSON-Schema patterns compiled with Python's re, which reads them as
ECMA-262 does)."""

from __future__ import annotations

import random
import re
import sys

import pytest

from app.api.schemas import AskIn, ShownAnswerIn, _question, check_collection, check_doc_id

# Python's whitespace (what strip() removes), and characters that ECMA's \s and Python's disagree on.
SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
TRICKY = ["a", "я", ".", "/", "\\", "\x00", "\x7f", "\x9f", "\ufeff", "\U0001f600", *SPACES]

GOOD_IDS = ["a", "a.txt", "reports/2024.txt", "...", ".a", "a.", "a/.b/c", " a.txt ", "a/ /b", "\ufeffa", "a b/c d",
            "\n\ta.txt\x85", "x/ .", ". /a", "a" * 512]
BAD_IDS = ["", " ", "/a", "a/", "a//b", ".", "..", "a/../b", "./a", "a/.", "a\\b", "a\x00b", "a\tb", "a\x9fb",
           " /a", "a/ ", "a/.. ", " ../a", "\x1c", "a" * 513, " " + "a" * 512]


def accepts(check, value: str) -> bool:
    try:
        check(value)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def openapi(client) -> dict:
    return client.get("/openapi.json").json()


def component(openapi: dict, name: str) -> dict:
    return openapi["components"]["schemas"][name]


def string_of(prop: dict) -> dict:
    """The string schema of a property, without its ``null`` alternative."""
    return next((s for s in prop.get("anyOf", []) if s.get("type") == "string"), prop)


def doc_id_schemas(openapi: dict) -> list[dict]:
    """Every place the schema describes a document id."""
    upload = openapi["paths"]["/documents"]["post"]["requestBody"]["content"]
    by_text, by_url = upload["application/json"]["schema"]["oneOf"]
    filters = component(openapi, "FiltersIn")["properties"]["doc_ids"]["anyOf"][0]["items"]
    path = next(p for p in openapi["paths"]["/documents/{doc_id}"]["get"]["parameters"] if p["name"] == "doc_id")
    return [
        component(openapi, "ShownAnswerIn")["properties"]["doc_id"],
        component(openapi, "TurnIn")["properties"]["doc_ids"]["items"],
        filters,
        by_text["properties"]["doc_id"],
        string_of(by_url["properties"]["doc_id"]),
        upload["multipart/form-data"]["schema"]["properties"]["doc_id"],
        path["schema"],
    ]


def agrees(schema: dict, check, values: list[str]) -> list[str]:
    """The values on which ``schema`` (pattern and lengths) and the validator ``check`` disagree."""
    pattern = re.compile(schema["pattern"])

    def allowed(value: str) -> bool:
        return schema.get("minLength", 0) <= len(value) <= schema["maxLength"] and bool(pattern.search(value))

    return [v for v in values if allowed(v) != accepts(check, v)]


def random_strings(count: int, alphabet: list[str], longest: int = 8) -> list[str]:
    rng = random.Random(20240607)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(count)]


def test_every_doc_id_has_the_validators_pattern_and_length(openapi):
    schemas = doc_id_schemas(openapi)
    assert all(s["pattern"] == schemas[0]["pattern"] and s["maxLength"] == 512 for s in schemas), schemas
    assert not agrees(schemas[0], check_doc_id, GOOD_IDS + BAD_IDS)
    assert all(accepts(check_doc_id, v) for v in GOOD_IDS) and not any(accepts(check_doc_id, v) for v in BAD_IDS)


def test_doc_id_pattern_and_validator_agree_on_random_ids(openapi):
    """30,000 short strings of slashes, dots, spaces of every kind, controls and letters: no disagreement."""
    schema = doc_id_schemas(openapi)[0]
    assert not agrees(schema, check_doc_id, random_strings(30_000, TRICKY))


def test_collection_pattern_and_validator_agree(openapi):
    schema = string_of(component(openapi, "FiltersIn")["properties"]["collections"]["anyOf"][0]["items"])
    table = ["reports", " reports ", "a b", "", " ", "a/b", "a\tb", "\ta", "a" * 100, "a" * 101, "\ufeff"]
    assert schema["maxLength"] == 100
    assert not agrees(schema, check_collection, table + random_strings(20_000, TRICKY))


def test_questions_are_bounded_and_need_a_character_that_is_not_whitespace(openapi):
    """A question of spaces of any kind (ECMA's \\s and Python's differ) is refused by both."""
    for model, field in (("AskIn", "question"), ("SearchIn", "query"), ("FeedbackIn", "question"),
                         ("TurnIn", "question")):
        schema = component(openapi, model)["properties"][field]
        assert schema["maxLength"] == 2000 and schema["minLength"] == 1, (model, schema)
        assert not agrees(schema, _question, [c * 3 for c in TRICKY] + ["a" * 2000, "a" * 2001]), model
    assert not agrees(schema, _question, random_strings(5_000, TRICKY))


def test_feedback_states_its_required_fields_enums_and_bounds(openapi):
    feedback = component(openapi, "FeedbackIn")
    assert set(feedback["required"]) == {"question", "verdict"}
    assert feedback["additionalProperties"] is False
    assert feedback["properties"]["verdict"]["enum"] == ["up", "down"]
    assert string_of(feedback["properties"]["correction"])["maxLength"] == 1000
    answer = component(openapi, "ShownAnswerIn")
    assert set(answer["required"]) == {"text", "doc_id", "start", "end"} and answer["additionalProperties"] is False
    assert answer["properties"]["start"]["minimum"] == 0 and answer["properties"]["text"]["maxLength"] == 10_000


def test_an_upload_is_text_or_a_url_or_a_file(openapi):
    content = openapi["paths"]["/documents"]["post"]["requestBody"]["content"]
    by_text, by_url = content["application/json"]["schema"]["oneOf"]
    assert set(by_text["required"]) == {"doc_id", "text"} and set(by_url["required"]) == {"url"}
    assert by_text["additionalProperties"] is False and by_url["additionalProperties"] is False  # so one, not both
    assert re.search(by_text["properties"]["text"]["pattern"], " \n\u3000") is None
    url = by_url["properties"]["url"]
    assert [bool(re.search(url["pattern"], u)) for u in ("https://a.kz/x", "ftp://a.kz", "http://u@a.kz")] == [
        True, False, False]
    form = content["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["title"]["maxLength"] == 300


def test_a_whole_number_written_with_a_fraction_is_an_integer():
    """JSON Schema's integer takes 5.0; true, "5" and 2.5 stay refused."""
    assert AskIn.model_validate_json('{"question": "a", "top_k": 5.0}').top_k == 5
    assert ShownAnswerIn.model_validate_json('{"text": "a", "doc_id": "a", "start": 0.0, "end": 1.0}').end == 1
    for bad in ("true", '"5"', "2.5"):
        with pytest.raises(ValueError):
            AskIn.model_validate_json(f'{{"question": "a", "top_k": {bad}}}')
