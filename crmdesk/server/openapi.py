"""The OpenAPI 3.1 description of the Contact API as this server implements it, served at ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from crmdesk import __version__, contract

_RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests allowed per window", "schema": {"type": "string"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the bucket", "schema": {"type": "string"}},
    "X-RateLimit-Reset": {"description": "Seconds until the bucket is full", "schema": {"type": "string"}},
}


def _string(field: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if field in contract.MAX_LENGTH:
        schema["maxLength"] = contract.MAX_LENGTH[field]
    return schema


def _contact_body(mode: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"name": _string("name")}
    for field in contract.STRING_FIELDS:
        properties[field] = _string(field)
    properties["value"] = {"type": ["string", "number", "null"]}
    properties["tags"] = {
        "type": ["array", "null"],
        "maxItems": contract.MAX_TAGS_PER_REQUEST,
        "items": {"type": "string", "minLength": 1, "maxLength": contract.MAX_LENGTH["tagName"]},
    }
    required: list[str] = []
    if mode == "create":
        properties["note"] = _string("note")
    else:
        properties["uid"] = {"type": "string", "pattern": contract.UID_RE.pattern}
        required.append("uid")
    return {"type": "object", "properties": properties, "required": required}


def _identified_body(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "uid": {"type": "string", "pattern": contract.UID_RE.pattern},
            "email": {"type": "string"},
            "phone": {"type": "string"},
            field: schema,
        },
        "required": [field],
    }


def _success(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"success": {"const": True}, "message": {"type": "string"}, "data": data},
        "required": ["success", "message", "data"],
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict[str, Any], extra_headers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {**_RATE_HEADERS, **(extra_headers or {})},
        "content": {"application/json": {"schema": schema}},
    }


_ERRORS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "400": ("Malformed JSON, wrong types, missing or invalid fields, unknown stage, quality or owner", None),
    "401": ("Missing, malformed, unknown or revoked token (UNAUTHORIZED or AUTH_ERROR)", None),
    "403": ("The account's plan has no API access (Free or Express)", None),
    "404": ("No contact matches", None),
    "405": ("Method not supported on this route", {"Allow": {"schema": {"type": "string"}}}),
    "429": ("Rate limit exceeded", {"Retry-After": {"schema": {"type": "string"}}}),
    "500": ("Unexpected server error", None),
}


def _operation(
    summary: str,
    success_status: str,
    success_message: str,
    data: dict[str, Any],
    *,
    query: list[str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "security": [{"bearerAuth": []}],
        "responses": {success_status: _answer(success_message, _success(data))},
    }
    for status, (description, headers) in _ERRORS.items():
        operation["responses"][status] = _answer(description, _ref("Error"), headers)
    if query is not None:
        operation["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}} for name in query
        ]
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def _result(field: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    keys = ("contactUid", "contactEmail", "contactPhone", field, *extra)
    return {
        "type": "object",
        "properties": {key: {"type": "string"} for key in keys},
        "required": list(keys),
    }


def openapi_spec() -> dict[str, Any]:
    """The whole document; built once per app."""
    contact_or_list = {"oneOf": [_ref("Contact"), {"type": "array", "minItems": 2, "items": _ref("Summary")}]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CRMDesk Contact API",
            "version": __version__,
            "description": "The 8mGenius Contact API as implemented by the bundled CRMDesk server.",
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "success": {"const": False},
                        "error": {"type": "string"},
                        "code": {
                            "enum": [
                                "BAD_REQUEST",
                                "UNAUTHORIZED",
                                "AUTH_ERROR",
                                "FORBIDDEN",
                                "NOT_FOUND",
                                "METHOD_NOT_ALLOWED",
                                "RATE_LIMITED",
                                "SERVER_ERROR",
                            ]
                        },
                    },
                    "required": ["success", "error", "code"],
                    "additionalProperties": False,
                },
                "Summary": {
                    "type": "object",
                    "properties": {key: {"type": "string"} for key in contract.SUMMARY_FIELDS},
                    "required": list(contract.SUMMARY_FIELDS),
                    "additionalProperties": False,
                },
                "Contact": {
                    "type": "object",
                    "properties": {
                        **{key: {"type": "string"} for key in contract.CONTACT_FIELDS},
                        "uid": {"type": "string", "pattern": contract.UID_RE.pattern},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": list(contract.CONTACT_FIELDS),
                    "additionalProperties": False,
                },
            },
        },
        "security": [{"bearerAuth": []}],
        "paths": {
            "/api/contact": {
                "get": _operation(
                    "Get a contact by uid, or the contacts matching an email or phone",
                    "200",
                    "One full contact, or summaries of several matches oldest first",
                    contact_or_list,
                    query=["uid", "email", "phone"],
                ),
                "post": _operation(
                    "Create a contact",
                    "201",
                    "Contact created successfully",
                    _ref("Summary"),
                    body=_contact_body("create"),
                ),
                "put": _operation(
                    "Update a contact by uid; tags are added",
                    "200",
                    "Contact updated successfully",
                    _ref("Contact"),
                    body=_contact_body("update"),
                ),
                "delete": _operation(
                    "Delete a contact by uid",
                    "200",
                    "Contact deleted successfully",
                    {"type": "object", "properties": {"uid": {"type": "string"}}, "required": ["uid"]},
                    query=["uid"],
                ),
            },
            "/api/contact/tag/add": {
                "post": _operation(
                    "Add a tag to a contact",
                    "200",
                    "Tag added to contact successfully",
                    _result("tagName"),
                    body=_identified_body("tagName", {"type": "string", "maxLength": contract.MAX_LENGTH["tagName"]}),
                )
            },
            "/api/contact/note/add": {
                "post": _operation(
                    "Append a note to a contact",
                    "200",
                    "Note added to contact successfully",
                    _result("note"),
                    body=_identified_body("note", {"type": "string", "maxLength": contract.MAX_LENGTH["note"]}),
                )
            },
            "/api/contact/stage": {
                "put": _operation(
                    "Set a contact's stage",
                    "200",
                    "Contact stage updated successfully",
                    _result("stageName"),
                    body=_identified_body("stageName", {"type": "string"}),
                )
            },
            "/api/contact/quality": {
                "put": _operation(
                    "Set a contact's quality",
                    "200",
                    "Contact quality updated successfully",
                    _result("qualityName"),
                    body=_identified_body("qualityName", {"type": "string"}),
                )
            },
            "/api/contact/owner": {
                "put": _operation(
                    "Set a contact's owner (a team member)",
                    "200",
                    "Contact owner updated successfully",
                    _result("ownerEmail", ("ownerName",)),
                    body=_identified_body("ownerEmail", {"type": "string"}),
                )
            },
        },
    }
