"""Bad input stopped at the edge, for pages, forms and the API alike.

- Every string a request carries (path values, query string, form fields, JSON
  bodies, keys included) is checked once, before any view or extension hook:
  a NUL byte or a lone surrogate is a 4xx in the usual error shape. SQLite would
  store them, PostgreSQL refuses NUL, and UTF-8 cannot encode a lone surrogate:
  either way the database driver raised a 500 deep inside a view.
- The `int` URL converter is bounded to what an INTEGER column holds (2^31-1 on
  PostgreSQL), so an id no row can have is a 404, not an overflow in the driver.
"""
import json
import re

from flask import Flask, request
from werkzeug.exceptions import BadRequest, NotFound, UnprocessableEntity
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER; every id column is one
_BAD = re.compile("[\x00\ud800-\udfff]")
MAX_JSON_DEPTH = 64


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's int converter, never above the database's integer range (a max= can only lower it).

    The bound is in the regex too: a value that fails only in to_python would make Werkzeug answer
    405 for a route whose other methods share the path, instead of 404.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - Werkzeug's names
        bound = getattr(map, "bs_int_max", DB_INT_MAX)
        max = bound if max is None or max > bound else max  # noqa: A001
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if not signed and not fixed_digits:
            self.regex = digits_up_to(max)


def digits_up_to(bound: int) -> str:
    """A regex for the decimal numbers 0..bound (leading zeros allowed)."""
    text = str(bound)
    alternatives = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):  # the bound's first i digits, then a smaller digit, then any
        low, rest = (1 if i == 0 and len(text) > 1 else 0), len(text) - i - 1
        if int(digit) - 1 >= low:
            alternatives.append(f"{text[:i]}[{low}-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    alternatives.append(text)
    return "0*(?:" + "|".join(alternatives) + ")"


def _problem(value: str) -> str | None:
    found = _BAD.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain NUL characters"
    return "must be valid Unicode text (no lone surrogates)"


def clean(*values: str) -> bool:
    """Whether none of these strings is one check_request() would reject (for paths that answer before it)."""
    return not any(_BAD.search(v) for v in values)


def _walk_json(data):
    """(field, message) for the first bad string in a parsed JSON body, keys included, or None.

    The field is named as the RealWorld handlers name it: the dotted path inside the envelope
    ({"article": {"title": ...}} -> "title").
    """
    stack = [((), data)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_JSON_DEPTH:
            return _field(path), f"nests deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(value, str):
            problem = _problem(value)
            if problem:
                return _field(path), problem
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _problem(key)
                if problem:
                    return _field(path + (_printable(key),)), f"(a key) {problem}"
                stack.append((path + (key,), item))
        elif isinstance(value, list):
            stack.extend((path + (str(i),), item) for i, item in enumerate(value))
    return None


def _printable(name: str) -> str:
    return _BAD.sub("\ufffd", name)


def _field(path: tuple) -> str:
    return ".".join(path[1:]) if len(path) > 1 else (path[0] if path else "body")


def _json_body() -> tuple[object, bool]:
    """(the parsed JSON body, whether there was one that parsed): invalid JSON is the view's 400."""
    data = request.get_data(cache=True)
    if not data.strip():
        return None, False
    try:
        return json.loads(data), True
    except RecursionError:  # the json module's own limit; Flask only catches ValueError
        raise UnprocessableEntity("body: JSON nests too deeply") from None
    except ValueError:
        return None, False


def check_request() -> None:
    """Reject a request carrying a string the database cannot (or must not) store."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _problem(value):
            raise NotFound(f"{name}: no such resource")  # no slug or username holds one
    for source in (request.args, request.form):
        for key, values in source.lists():
            for value in [key, *values]:
                problem = _problem(value)
                if problem:
                    raise _Rejected(_printable(key), problem)
    if request.is_json:
        body, parsed = _json_body()
        if parsed and not isinstance(body, dict) and not request.path.startswith("/api/"):
            # The forms (Flask-Security's, the pages') build a MultiDict from a JSON body, which raises
            # on null, a scalar or a list of non-pairs. The API checks the shape itself (422).
            raise BadRequest("body: must be a JSON object")
        bad = _walk_json(body) if parsed else None
        if bad:
            raise _Rejected(*bad)


class _Rejected(UnprocessableEntity):
    """A 422 whose description names the field: {"errors": {"body": ["title: must not ..."]}} in JSON."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")


def init_app(app: Flask) -> None:
    """Bound the int converter (before any route is added) and check every request first."""
    app.url_map.bs_int_max = app.config.get("URL_INT_MAX", DB_INT_MAX)
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)

