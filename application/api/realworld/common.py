"""Shared plumbing for the RealWorld handlers: errors in the spec's shape, input
validation through marshmallow, `Authorization: Token <t>` on Flask-Security's tokens,
and the per-operation metadata the OpenAPI document is generated from."""
import functools

from flask import current_app, g, jsonify, request
from marshmallow import Schema, ValidationError

from application.extensions import security


class ApiError(Exception):
    """An error answered as {"errors": {"body": [messages]}} with this status."""

    def __init__(self, status: int, *messages: str):
        super().__init__(status, messages)
        self.status, self.messages = status, list(messages)


def handle_api_error(exc: ApiError):
    response = jsonify({"errors": {"body": exc.messages}})
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Token"
    return response, exc.status


def _flatten(messages, path=()) -> list[str]:
    """marshmallow's nested {field: [msg]} to ["field: msg"], naming the innermost field."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            out += _flatten(value, path + (str(key),))
        return out
    if isinstance(messages, list) and messages and not all(isinstance(m, str) for m in messages):
        return [m for i, item in enumerate(messages) for m in _flatten(item, path + (str(i),))]
    items = messages if isinstance(messages, list) else [messages]
    name = ".".join(p for p in path[1:] if p != "_schema") if len(path) > 1 else ".".join(path)
    return [f"{name or 'body'}: {m}" for m in items]


def load(schema: type[Schema], data) -> dict:
    """Validate data with the schema; 422 in the spec's shape on any error."""
    try:
        return schema().load(data)
    except ValidationError as exc:
        raise ApiError(422, *_flatten(exc.messages)) from None


def body(schema: type[Schema]) -> dict:
    """The JSON body validated by an envelope schema; returns the inner object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(422, "body: must be a JSON object")
    loaded = load(schema, data)
    return next(iter(loaded.values()))


def query(schema: type[Schema]) -> dict:
    """The query string validated by a schema (422 on a bad limit/offset)."""
    try:
        return schema().load(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(422, *[f"{k}: {m}" for k, v in exc.messages.items() for m in v]) from None


# -- auth --------------------------------------------------------------------
def _token_from_header() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        return None
    return token.strip()


def current_api_user():
    """The user named by `Authorization: Token <t>`, or None; 401 if a token is given but bad.

    The token is checked by Flask-Security's own request loader (signature, max age,
    fs_token_uniquifier, active flag): the header is handed over under the name it reads.
    Session cookies are deliberately not consulted, so the API needs no CSRF token.
    """
    if "rw_user" not in g:
        token = _token_from_header()
        user = None
        if token is not None:
            header = current_app.config["SECURITY_TOKEN_AUTHENTICATION_HEADER"].upper().replace("-", "_")
            request.environ[f"HTTP_{header}"] = token
            user = security.login_manager.request_callback(request)
            if user is None:
                raise ApiError(401, "authorization: token is invalid or expired")
        g.rw_user = user
    return g.rw_user


def current_user_id() -> int | None:
    user = current_api_user()
    return user.id if user is not None else None


def operation(summary: str, *, tag: str, auth: str = "none", body_schema=None, query_schema=None,
        responses: dict | None = None):
    """Authenticate as declared and record what the OpenAPI document says of this operation.

    auth: "none", "optional" (a token is used if sent) or "required" (401 without one).
    """
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if auth != "none":
                user = current_api_user()
                if auth == "required" and user is None:
                    raise ApiError(401, "authorization: send 'Authorization: Token <token>'")
            return fn(*args, **kwargs)

        wrapper.rw_doc = {"summary": summary, "tag": tag, "auth": auth, "body": body_schema,
                          "query": query_schema, "responses": responses or {}}
        return wrapper
    return decorate
