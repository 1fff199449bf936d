"""The OpenAPI document: public, 3.1, complete, and built from the validating models."""

import pytest

from app.blueprints.api.routing import OPERATIONS
from app.blueprints.api.schemas import TenantCreate
from app.blueprints.api.spec import openapi_path

pytestmark = pytest.mark.db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client):  # type: ignore[no-untyped-def]
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(document, ref):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_the_document_needs_no_token_and_is_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    assert document["info"]["version"]


def test_every_api_route_is_documented_with_its_methods(app, document):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]
    assert len(rules) >= 24
    for rule in rules:
        path, _params = openapi_path(rule.rule)
        assert path in document["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], f"{method} {path}"


def test_the_document_lists_nothing_that_is_not_routed(app, document):
    routed = {
        (openapi_path(rule.rule)[0], method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    for path, item in document["paths"].items():
        for method in set(item) & HTTP_METHODS:
            assert (path, method) in routed


def test_every_ref_resolves(document):
    refs = list(_refs(document))
    assert refs
    for ref in refs:
        _resolve(document, ref)


def test_the_bearer_scheme_guards_everything_but_the_document(document):
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/api/openapi.json"]["get"]["security"] == []


def test_every_operation_is_described_tagged_and_answers_401(document):
    tags = {tag["name"] for tag in document["tags"]}
    operation_ids = []
    for path, item in document["paths"].items():
        for method in set(item) & HTTP_METHODS:
            operation = item[method]
            operation_ids.append(operation["operationId"])
            assert operation["summary"]
            assert set(operation["tags"]) <= tags
            if path.startswith("/api/v1") and operation.get("security") != []:
                assert "401" in operation["responses"]  # all but the declared public ones
    assert len(operation_ids) == len(set(operation_ids))


# Actions on a booking that take no body at all.
BODYLESS_ACTIONS = {"approve_booking", "check_in"}


def test_bodies_are_json_and_answer_400_415_and_422(document):
    for item in document["paths"].values():
        for method in {"post", "patch"} & set(item):
            operation = item[method]
            if operation["operationId"] in BODYLESS_ACTIONS:
                assert "requestBody" not in operation
                continue
            assert list(operation["requestBody"]["content"]) == ["application/json"]
            assert {"400", "415", "422"} <= set(operation["responses"])


def test_creation_answers_201_with_a_location(document):
    for path in (
        "/api/v1/tenants",
        "/api/v1/members",
        "/api/v1/resources",
        "/api/v1/badges",
        "/api/v1/qualifications",
    ):
        answer = document["paths"][path]["post"]["responses"]["201"]
        assert "Location" in answer["headers"]


def test_the_error_shape_is_documented(document):
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message"}
    assert {"fields", "rule"} <= set(error["properties"])
    for name in (
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Invalid",
        "UnsupportedMediaType",
        "BadRequest",
    ):
        schema = document["components"]["responses"][name]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}


def test_the_schemas_are_the_validating_models(document):
    expected = TenantCreate.model_json_schema(ref_template="#/components/schemas/{model}")
    expected.pop("$defs", None)
    assert document["components"]["schemas"]["TenantCreate"] == expected
    body = document["paths"]["/api/v1/tenants"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TenantCreate"
    }
    assert document["components"]["schemas"]["TenantCreate"]["additionalProperties"] is False


def test_response_schemas_hold_no_secrets(document):
    out = document["components"]["schemas"]["MemberOut"]["properties"]
    assert not {"password", "password_hash", "session_nonce", "token_hash"} & set(out)


def test_path_parameters_and_query_parameters_are_documented(document):
    detail = document["paths"]["/api/v1/tenants/{tenant_id}"]
    assert detail["parameters"][0]["name"] == "tenant_id"
    assert detail["parameters"][0]["in"] == "path"
    assert detail["parameters"][0]["schema"]["type"] == "integer"
    slug = document["paths"]["/api/v1/resources/{slug}"]["parameters"][0]
    assert slug["schema"]["type"] == "string"
    listed = {p["name"]: p for p in document["paths"]["/api/v1/members"]["get"]["parameters"]}
    assert {"page", "per_page", "tenant_id", "include_inactive", "search"} <= set(listed)
    assert listed["tenant_id"]["schema"]["type"] == "integer"
    assert "200" in listed["per_page"]["description"]


def test_the_registry_holds_each_operation_once():
    keys = [(op.rule, op.method) for op in OPERATIONS]
    assert len(keys) == len(set(keys))
