"""Schemathesis hooks of the fuzz test (loaded through SCHEMATHESIS_HOOKS): a check that a schema-valid request is
refused with 422 only for what its schema cannot state (tests/api/schemathesis.toml lets those operations answer
422 to positive data)."""

from __future__ import annotations

import re

import schemathesis
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

# The details of 422s that depend on the index's contents, the bytes of a file or the server's fetch allow-list;
# a 422 for anything else (the body's fields) means the schema allows what validation refuses.
NOT_IN_THE_SCHEMA = re.compile(
    r"unknown doc_id: "
    r"|history doc_ids: unknown document"
    r"|filters\.collections: unknown collection"
    r"|filters: Value error, date_from \S+ is after date_to "  # two fields compared: not a JSON Schema rule
    r"|answer\.start \d+ and answer\.end \d+ must satisfy start < end <= \d+, the length of "
    r"|answer\.text is not the text at "
    r"|unreadable document: "
    r"|\S+ \(\S+\) is not in RAG_FETCH_ALLOW"
    r"|not a valid URL: "
)


@schemathesis.check
def refused_only_for_what_the_schema_cannot_say(ctx, response, case) -> bool | None:
    """A 422 to positive data names the stored document, file or URL it could not take, never a field's form."""
    meta = case.meta
    if meta is None or is_unexpected_http_status_case(case) or not meta.generation.mode.is_positive:
        return None
    if response.status_code != 422:
        return None
    detail = response.json().get("detail", "")
    if not NOT_IN_THE_SCHEMA.match(detail):
        raise AssertionError(f"a request the schema allows was refused as invalid: {detail}")
    return None
