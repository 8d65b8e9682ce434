"""A Lighthouse-style check of a page that runs here (no browser, no network).

Checks what Lighthouse's performance audits would flag on our pages:
no render-blocking third-party (CDN) resources, scripts deferred, images
with explicit width/height, text compressed (br/gzip), static assets
fingerprinted with long-lived cache headers and themselves compressed.
Usage: python -m bench.lighthouse_check URL   (exit 1 and a list of problems if any)
"""
import sys
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

YEAR = 365 * 24 * 3600


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.styles, self.scripts, self.images, self.in_head = [], [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.styles.append(a)
        elif tag == "script" and a.get("src"):
            self.scripts.append(dict(a, in_head=self.in_head))
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def _external(url: str) -> bool:
    return bool(urlparse(url).netloc) or url.startswith("//")


def check(fetch, path: str = "/") -> list[str]:
    """Problems found on `path`; fetch(path, headers) -> (status, headers dict, body bytes)."""
    problems = []
    status, headers, body = fetch(path, {"Accept-Encoding": "br, gzip"})
    if status != 200:
        return [f"{path}: status {status}"]
    if headers.get("Content-Encoding") not in ("br", "gzip"):
        problems.append(f"{path}: HTML not compressed")
    _, _, plain = fetch(path, {})
    page = _Assets()
    page.feed(plain.decode("utf-8", "replace"))
    for s in page.styles:
        if _external(s.get("href", "")):
            problems.append(f"render-blocking third-party stylesheet {s.get('href')}")
    for s in page.scripts:
        if _external(s["src"]):
            problems.append(f"third-party script {s['src']}")
        if s["in_head"] and "defer" not in s and "async" not in s:
            problems.append(f"render-blocking script {s['src']}")
    for img in page.images:
        if not (img.get("width") and img.get("height")):
            problems.append(f"image without width/height: {img.get('src')}")
    for url in [s.get("href", "") for s in page.styles] + [s["src"] for s in page.scripts]:
        problems += _check_asset(fetch, url)
    return problems


def _check_asset(fetch, url: str) -> list[str]:
    if _external(url):
        return []
    if "v=" not in urlparse(url).query:
        return [f"{url}: URL not fingerprinted"]
    status, headers, body = fetch(url, {"Accept-Encoding": "br, gzip"})
    problems = [] if status == 200 else [f"{url}: status {status}"]
    cache_control = headers.get("Cache-Control", "")
    max_age = [int(p.split("=")[1]) for p in cache_control.replace(" ", "").split(",") if p.startswith("max-age=")]
    if not max_age or max_age[0] < YEAR:
        problems.append(f"{url}: cache lifetime too short ({cache_control or 'none'})")
    # Like Lighthouse, ignore tiny files: compressing under ~1 KB saves nothing measurable.
    if headers.get("Content-Encoding") not in ("br", "gzip") and len(body) >= 1024:
        problems.append(f"{url}: not compressed")
    return problems


def http_fetcher(base: str):
    def fetch(path, headers):
        req = urllib.request.Request(urljoin(base, path), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()
    return fetch


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.lighthouse_check URL", file=sys.stderr)
        return 2
    parsed = urlparse(argv[1])
    problems = check(http_fetcher(f"{parsed.scheme}://{parsed.netloc}"), parsed.path or "/")
    for p in problems:
        print("FAIL", p)
    print("ok: no problems found" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
