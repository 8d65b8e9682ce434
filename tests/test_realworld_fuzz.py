"""Schema-driven fuzzing: schemathesis generates requests (valid and invalid, including its coverage
phase of boundary and negative cases) from /api/openapi.json and runs every check it has against
each answer: no 500, documented status codes, content types, headers and response schemas, invalid
data rejected, auth not ignored, unsupported methods refused, deleted resources gone.

Left out: positive_data_acceptance, because the document cannot state every rule the handlers apply
(Flask-Security's email/username/password rules, "not blank", no NUL), so a schema-valid but
rule-breaking body is rightly a 422; and allow_header_conformance on /articles/feed only, where the
RealWorld spec's own paths overlap (PUT/DELETE /articles/{slug} with slug "feed" are real routes).
Bounded so one database takes well under a minute on 2 cores.
"""
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import allow_header_conformance, positive_data_acceptance
from schemathesis.config import SchemathesisConfig

from .conftest import build_app, make_config

EXAMPLES_PER_OPERATION = 20

_app = build_app(make_config(Path(tempfile.mkdtemp(prefix="rw-fuzz-"))))
_client = _app.test_client()
_token = {}
_server_errors = []


def _setup() -> None:
    """A user with a token, and a few articles, so generated requests reach real rows."""
    r = _client.post("/api/users", json={"user": {"username": "fuzzer", "email": "fuzzer@example.com",
                                                  "password": "a-long-password-1"}})
    _token["value"] = r.get_json()["user"]["token"]
    for i in range(3):
        _client.post("/api/articles", headers={"Authorization": f"Token {_token['value']}"}, json={
            "article": {"title": f"Fuzz {i}", "description": "d", "body": "b", "tagList": ["fuzz"]}})


_setup()
# A generated "too long" body (over maxLength in astral characters, JSON-escaped) can pass MAX_CONTENT_LENGTH:
# 413 is then the right rejection of invalid data (documented on every body route), besides schemathesis' list.
_CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": [
    400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]}}})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _app, config=_CONFIG)


@schema.auth()
class TokenAuth:
    """The fuzzer's token, sent the RealWorld way; schemathesis also tries without it and with a bad one."""

    def get(self, case, context):
        return _token["value"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_500s_and_matches_its_document(case):
    # identity: the WSGI transport does not undo Flask-Compress encoding
    response = case.call(headers={"Accept-Encoding": "identity"})
    if response.status_code >= 500:
        _server_errors.append((case.method, case.formatted_path, response.status_code))
    excluded = [positive_data_acceptance] + ([allow_header_conformance] if case.path == "/articles/feed" else [])
    case.validate_response(response, excluded_checks=excluded, headers={"Accept-Encoding": "identity"})
    if case.method == "PUT" and case.path == "/user" and response.status_code == 200:
        _token["value"] = response.json()["user"]["token"]  # a fuzzed password change rotates the token


def test_no_server_error_was_seen():
    assert _server_errors == []
