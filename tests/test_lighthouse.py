"""The index page passes the Lighthouse-style check in bench/lighthouse_check.py."""
from bench.lighthouse_check import check


def _fetcher(client):
    def fetch(path, headers):
        r = client.get(path, headers=headers)
        return r.status_code, dict(r.headers), r.data
    return fetch


def test_index_page_passes(client, make_user, make_article):
    author = make_user(roles=("author",))
    for i in range(3):
        make_article(author, title=f"Piece {i}")
    assert check(_fetcher(client), "/") == []


def test_check_catches_cdn_blocking_script_and_unsized_image():
    html = (b'<html><head><link rel="stylesheet" href="https://cdn.example.com/b.css">'
            b'<script src="/static/x.js"></script></head><body><img src="/a.png"></body></html>')

    def fetch(path, headers):
        enc = {"Content-Encoding": "br"} if headers.get("Accept-Encoding") else {}
        if path == "/":
            return 200, enc, html
        return 200, {"Cache-Control": "max-age=60"}, b""
    problems = check(fetch, "/")
    assert any("third-party stylesheet" in p for p in problems)
    assert any("render-blocking script" in p for p in problems)
    assert any("width/height" in p for p in problems)
    assert any("not fingerprinted" in p for p in problems)
