"""Fingerprinted static URLs, far-future cache headers, and compressing each body once.

`url_for('static', filename=...)` gets `?v=<content hash>`: a deploy that
changes a file changes its URL, so browsers can keep files for a year
(`immutable`). Compressed bodies are kept in a small per-process LRU keyed by
a hash of the uncompressed bytes, so a cached page or a stylesheet is
compressed once, not on every request (Flask-Compress's own cache hook).
"""
import hashlib
import os
import threading
from collections import OrderedDict

from flask import Flask, current_app, g, request

from application.extensions import compress

FAR_FUTURE = "public, max-age=31536000, immutable"
_hashes: dict[str, tuple[float, str]] = {}


def file_version(filename: str) -> str | None:
    """A short hash of a static file's content (recomputed when its mtime changes), or None if missing."""
    path = os.path.join(current_app.static_folder, filename)
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    known = _hashes.get(path)
    if known and known[0] == mtime:
        return known[1]
    with open(path, "rb") as f:
        digest = hashlib.blake2b(f.read(), digest_size=6).hexdigest()
    _hashes[path] = (mtime, digest)
    return digest


def _add_version(endpoint, values):
    if endpoint == "static" and "v" not in values and "filename" in values:
        version = file_version(values["filename"])
        if version:
            values["v"] = version


def body_digest(data: bytes) -> str:
    """The compression-cache key of a body (Flask-Compress prefixes it with the algorithm)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class CompressedCache:
    """Bounded LRU of compressed bodies (Flask-Compress cache backend): entries and bytes both capped."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 32 * 1024 * 1024):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.data: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        with self.lock:
            old = self.data.pop(key, None)
            self.size += len(value) - (len(old) if old else 0)
            self.data[key] = value
            while self.data and (len(self.data) > self.max_entries or self.size > self.max_bytes):
                _, dropped = self.data.popitem(last=False)
                self.size -= len(dropped)


def _body_key(_request) -> str:
    return g.get("bs_body_key") or os.urandom(8).hex()


def _prepare_response(response):
    """Far-future headers on fingerprinted files; hash compressible bodies for the compression cache."""
    if request.endpoint == "static":
        if request.args.get("v") and request.args.get("v") == file_version(request.view_args.get("filename", "")):
            response.headers["Cache-Control"] = FAR_FUTURE
        if response.status_code == 200 and response.mimetype in compress.compress_mimetypes_set:
            response.direct_passthrough = False  # read the file so it is compressed (and cached) once
    if (response.mimetype in compress.compress_mimetypes_set and not response.direct_passthrough
            and request.headers.get("Accept-Encoding") and 200 <= response.status_code < 300):
        data = response.get_data()
        if len(data) >= current_app.config.get("COMPRESS_MIN_SIZE", 500):
            g.bs_body_key = body_digest(data)
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    compress.cache = CompressedCache()
    compress.cache_key = _body_key
    # Registered after Flask-Compress, so it runs before it (after_request runs in reverse).
    app.after_request(_prepare_response)
