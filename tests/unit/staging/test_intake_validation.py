"""The intake's request validation and claim shape (the SQL path runs in the staging integration tests)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.staging.claims_apps import load_app

intake = load_app("intake")


def test_valid_claim() -> None:
    assert intake.validate({"id": "c-1", "text": "car crash", "canary": True}) == ("c-1", "car crash", True)
    assert intake.validate({"id": "c-2", "text": ""}) == ("c-2", "", False)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "body must be a JSON object"),
        ([], "body must be a JSON object"),
        ({"text": "x"}, "id must be a non-empty string"),
        ({"id": "", "text": "x"}, "id must be a non-empty string"),
        ({"id": 7, "text": "x"}, "id must be a non-empty string"),
        ({"id": "a/b", "text": "x"}, "without '/'"),
        ({"id": "x" * 201, "text": "x"}, "at most 200 characters"),
        ({"id": "a"}, "text must be a string"),
        ({"id": "a", "text": "x", "canary": "yes"}, "canary must be a boolean"),
    ],
)
def test_invalid_claim(body: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        intake.validate(body)


def test_claim_json_has_the_contract_fields() -> None:
    assert intake.claim_json(("c-1", "processed", "auto", "backup", False, 1)) == {
        "id": "c-1",
        "status": "processed",
        "label": "auto",
        "provider": "backup",
        "canary": False,
        "done_count": 1,
    }


def test_claim_path() -> None:
    match = intake.CLAIM_PATH.match("/claims/c-1")
    assert match is not None
    assert match["id"] == "c-1"
    assert intake.CLAIM_PATH.match("/claims/") is None
    assert intake.CLAIM_PATH.match("/claims/a/b") is None
