"""``/openapi.json`` describes the server truthfully: schemathesis finds no 5xx and no response outside the spec."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.server.conftest import create
from tests.support.live_server import Account

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}


def test_spec_lists_every_endpoint_and_the_bearer_scheme(account: Account) -> None:
    spec = httpx.get(f"{account.base_url}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    assert operations == {
        ("GET", "/api/contact"),
        ("POST", "/api/contact"),
        ("PUT", "/api/contact"),
        ("DELETE", "/api/contact"),
        ("POST", "/api/contact/tag/add"),
        ("POST", "/api/contact/note/add"),
        ("PUT", "/api/contact/stage"),
        ("PUT", "/api/contact/quality"),
        ("PUT", "/api/contact/owner"),
    }
    for item in spec["paths"].values():
        for operation in item.values():
            assert {"400", "401", "403", "404", "405", "429", "500"} <= set(operation["responses"])


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda mode: mode.value)
def test_schemathesis_finds_no_server_error_or_undocumented_response(
    account: Account, api: httpx.Client, mode: GenerationMode
) -> None:
    # A few contacts, so generated emails and phones sometimes find one, and several matches exist.
    create(api, name="Spec One", email="spec@example.com", phone="1")
    create(api, name="Spec Two", email="spec@example.com", phone="1")
    schema = schemathesis.openapi.from_dict(httpx.get(f"{account.base_url}/openapi.json").json())
    headers = {"Authorization": f"Bearer {account.token}"}
    tried: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(base_url=account.base_url, headers=headers, checks=CHECKS)

        exercise()
        tried.append(operation.label)
    assert len(tried) == 9
