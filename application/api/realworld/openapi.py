"""GET /api/openapi.json: the OpenAPI document generated from the routes actually registered
(Flask's URL map), their @operation metadata and the marshmallow schemas."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from . import bp, schemas

_PARAM = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
_TYPES = {"int": "integer", "float": "number"}
DESCRIPTIONS = {200: "OK", 201: "Created", 204: "No content", 401: "Unauthorized", 403: "Forbidden",
                404: "Not found", 422: "Validation error"}


def _param_schema(converter: str, args: str) -> dict:
    schema = {"type": _TYPES.get(converter, "string")}
    if converter == "int":  # Werkzeug's int converter: unsigned, with an optional max=
        schema["minimum"] = 0
        bound = re.search(r"max=(\d+)", args)
        if bound:
            schema["maximum"] = int(bound.group(1))
    return schema


def _path_and_params(rule: str) -> tuple[str, list[dict]]:
    params = [{"name": name, "in": "path", "required": True, "schema": _param_schema(conv, args)}
              for conv, args, name in _PARAM.findall(rule)]
    return _PARAM.sub(lambda m: "{" + m.group(3) + "}", rule), params


def _operation(meta: dict, params: list[dict]) -> dict:
    op = {"summary": meta["summary"], "tags": [meta["tag"]], "parameters": list(params), "responses": {}}
    if meta["query"] is not None:
        op["parameters"].append({"in": "query", "schema": meta["query"]})
    if meta["body"] is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["body"]}}}
    if meta["auth"] == "required":
        op["security"] = [{"Token": []}]
    elif meta["auth"] == "optional":
        op["security"] = [{"Token": []}, {}]
    for status, schema in meta["responses"].items():
        response = {"description": DESCRIPTIONS.get(status, "")}
        if schema is not None:
            response["content"] = {"application/json": {"schema": schema}}
        op["responses"][str(status)] = response
    if meta["body"] is not None:  # MAX_CONTENT_LENGTH: any route with a body may answer it
        op["responses"].setdefault("413", {"description": "Request body too large", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/GenericErrorModel"}}}})
    return op


def build_spec(app) -> dict:
    """The document for every route of this blueprint in the app's URL map."""
    spec = APISpec(title="Broadsheet RealWorld (Conduit) API", version="1.0.0", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()], servers=[{"url": "/api"}])
    spec.components.security_scheme("Token", {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "`Token <token>` from POST /users or /users/login (Flask-Security auth token).",
    })
    spec.components.schema("GenericErrorModel", schema=schemas.GenericError)
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        meta = getattr(app.view_functions.get(rule.endpoint), "rw_doc", None)
        if meta is None or not rule.endpoint.startswith(bp.name + "."):
            continue
        path, params = _path_and_params(rule.rule.removeprefix("/api"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(meta, params)
    for path in sorted(paths):
        spec.path(path=path, operations=paths[path])
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_json():
    doc = current_app.extensions.get("realworld_openapi")
    if doc is None:  # built once per process: the URL map does not change after start-up
        doc = current_app.extensions["realworld_openapi"] = build_spec(current_app)
    return jsonify(doc)
