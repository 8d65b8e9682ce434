"""Schema-driven fuzzing: schemathesis generates requests from /api/openapi.json (bounded)
and checks that none is a 500 and every documented response matches its schema."""
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from .conftest import build_app, make_config

_app = build_app(make_config(Path(tempfile.mkdtemp(prefix="rw-fuzz-"))))
_client = _app.test_client()
_token = {}


def _setup() -> None:
    """A user with a token, and a few articles, so generated requests reach real rows."""
    r = _client.post("/api/users", json={"user": {"username": "fuzzer", "email": "fuzzer@example.com",
                                                  "password": "a-long-password-1"}})
    _token["value"] = r.get_json()["user"]["token"]
    for i in range(3):
        _client.post("/api/articles", headers={"Authorization": f"Token {_token['value']}"}, json={
            "article": {"title": f"Fuzz {i}", "description": "d", "body": "b", "tagList": ["fuzz"]}})


_setup()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _app)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_500s_and_matches_its_document(case):
    # identity: the WSGI transport does not undo Flask-Compress encoding
    response = case.call(headers={"Authorization": f"Token {_token['value']}", "Accept-Encoding": "identity"})
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance,
                                             content_type_conformance, response_schema_conformance))
    if case.method == "PUT" and case.path == "/user" and response.status_code == 200:
        _token["value"] = response.json()["user"]["token"]  # a fuzzed password change rotates the token
