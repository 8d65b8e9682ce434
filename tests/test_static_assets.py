"""Fingerprinted static URLs, far-future cache headers, gzip/brotli for HTML, JSON, CSS and JS."""
import gzip
import re

import brotli


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_static_urls_carry_a_content_hash_and_get_a_year_of_cache(client):
    urls = _static_urls(client.get("/").get_data(as_text=True))
    assert len(urls) >= 3
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_stale_or_missing_fingerprint_gets_the_short_default(client):
    r = client.get("/static/app.css?v=000000000000")
    assert r.status_code == 200 and "immutable" not in r.headers.get("Cache-Control", "")
    assert "immutable" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_changing_a_file_changes_its_url(app, tmp_path):
    from application import static_assets

    app.static_folder = str(tmp_path)
    (tmp_path / "x.css").write_text("a{}")
    with app.test_request_context():
        first = static_assets.file_version("x.css")
        (tmp_path / "x.css").write_text("b{}")
        import os
        os.utime(tmp_path / "x.css", (1, 1))
        assert static_assets.file_version("x.css") != first
        assert static_assets.file_version("missing.css") is None


def test_css_js_html_json_compressed_with_br_and_gzip(client, make_user, make_article):
    author = make_user(roles=("author",))
    make_article(author, title="Compressed", body="word " * 400)
    urls = _static_urls(client.get("/").get_data(as_text=True))
    css = next(u for u in urls if "bootstrap.min.css" in u)
    js = next(u for u in urls if "app.js" in u)
    for path in ("/", css, js):
        plain = client.get(path).data
        for enc, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            r = client.get(path, headers={"Accept-Encoding": enc})
            assert r.headers.get("Content-Encoding") == enc, (path, enc)
            assert "Accept-Encoding" in r.headers.get("Vary", "")
            assert decode(r.data) == plain and len(r.data) < len(plain)


def test_json_is_compressed(app):
    from flask import jsonify

    app.add_url_rule("/_test_json", "test_json", lambda: jsonify({"items": list(range(400))}))
    client = app.test_client()
    r = client.get("/_test_json", headers={"Accept-Encoding": "br"})
    assert r.is_json and r.headers["Content-Encoding"] == "br"
    assert brotli.decompress(r.data) == client.get("/_test_json").data


def test_compressed_bodies_are_cached_not_recompressed(client):
    from application.extensions import compress

    url = next(u for u in _static_urls(client.get("/").get_data(as_text=True)) if "bootstrap.min.css" in u)
    client.get(url, headers={"Accept-Encoding": "br"})
    entries = len(compress.cache.data)
    again = client.get(url, headers={"Accept-Encoding": "br"})
    assert again.headers["Content-Encoding"] == "br" and len(compress.cache.data) == entries


def test_compression_cache_is_bounded():
    from application.static_assets import CompressedCache

    c = CompressedCache(max_entries=3, max_bytes=10)
    for i in range(5):
        c.set(str(i), b"1234")
    assert len(c.data) <= 2 and c.size <= 10 and c.get("4") == b"1234" and c.get("0") is None
