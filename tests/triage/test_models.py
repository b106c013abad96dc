"""The triage contract and its strict structured-output schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from bot.triage.models import MAX_ACTIONS, Classification, TriageReport, triage_json_schema
from tests.triage.factories import action, report

# The keywords the strict dialect accepts; anything else would be refused by the server.
ALLOWED_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "anyOf",
    "description",
    "title",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
}


def _schemas(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "type" in node or "properties" in node or "enum" in node:
            yield path, node
        for key, value in node.items():
            if key == "properties":
                for name, sub in value.items():
                    yield from _schemas(sub, f"{path}.{name}")
            elif key in {"items", "anyOf"}:
                yield from _schemas(value, f"{path}[]")
    elif isinstance(node, list):
        for item in node:
            yield from _schemas(item, path)


def test_every_object_is_closed_and_requires_all_its_properties() -> None:
    schema = triage_json_schema()
    objects = [(p, n) for p, n in _schemas(schema) if n.get("type") == "object"]

    # report, evidence item, proposed action, action param
    assert [p for p, _ in objects] == [
        "$",
        "$.evidence[]",
        "$.proposed_actions[]",
        "$.proposed_actions[].params[]",
    ]
    for path, node in objects:
        assert node["additionalProperties"] is False, path
        assert node["required"] == list(node["properties"]), path


def test_schema_uses_only_the_strict_dialect() -> None:
    schema = triage_json_schema()
    text = json.dumps(schema)

    assert "$ref" not in text
    assert "$defs" not in text
    for path, node in _schemas(schema):
        assert set(node) <= ALLOWED_KEYWORDS, (path, set(node) - ALLOWED_KEYWORDS)


def test_schema_covers_every_field_with_closed_enums() -> None:
    schema = triage_json_schema()
    properties = schema["properties"]

    assert list(properties) == list(TriageReport.model_fields)
    assert properties["classification"]["enum"] == ["low", "medium", "high", "sev1"]
    assert properties["confidence"] == {
        "minimum": 0.0,
        "maximum": 1.0,
        "title": "Confidence",
        "type": "number",
    }
    params = properties["proposed_actions"]["items"]["properties"]["params"]
    assert params["type"] == "array"
    assert list(params["items"]["properties"]) == ["name", "value"]
    assert properties["proposed_actions"]["maxItems"] == MAX_ACTIONS
    # Length limits the dialect cannot express still reach the model as a hint.
    assert properties["hypothesis"]["description"] == "At most 500 characters"
    assert properties["incident_class"]["description"].endswith("(at most 64 characters)")


def _answer(**overrides: Any) -> dict[str, Any]:
    return {**report(actions=[action("restart_deployment")]).model_dump(mode="json"), **overrides}


def test_a_valid_answer_round_trips() -> None:
    raw = json.dumps(_answer())

    parsed = TriageReport.model_validate_json(raw)

    assert parsed.classification is Classification.MEDIUM
    assert parsed.proposed_actions[0].action == "restart_deployment"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"confidence": 1.5}, "less than or equal to 1"),
        ({"classification": "critical"}, "'low', 'medium', 'high' or 'sev1'"),
        ({"hypothesis": "x" * 501}, "at most 500 characters"),
        ({"unknowns": ["u" * 301]}, "at most 300 characters"),
        ({"unknowns": ["u"] * 11}, "at most 10 items"),
        ({"proposed_actions": [_answer()["proposed_actions"][0]] * 9}, "at most 8 items"),
        ({"extra": "field"}, "Extra inputs are not permitted"),
        ({"params": {"a": "b"}}, "Extra inputs are not permitted"),
    ],
)
def test_out_of_contract_answers_are_rejected(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TriageReport.model_validate_json(json.dumps(_answer(**change)))


def test_a_missing_field_is_rejected() -> None:
    answer = _answer()
    del answer["requires_mim"]

    with pytest.raises(ValidationError, match="requires_mim"):
        TriageReport.model_validate(answer)


def test_params_as_an_open_dict_are_rejected() -> None:
    answer = _answer()
    answer["proposed_actions"][0]["params"] = {"replicas": "3"}

    with pytest.raises(ValidationError, match="params"):
        TriageReport.model_validate(answer)
