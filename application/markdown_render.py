"""Markdown to safe HTML: rendered once when an article is cached, never trusted raw."""
import markdown
import nh3

_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"pre", "code", "hr", "table", "thead", "tbody", "tr", "th", "td", "img"}
_ALLOWED_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "img": {"src", "alt", "title", "width", "height"}}


def render_markdown(text: str) -> str:
    """HTML for a Markdown body with scripts, handlers and unsafe URLs removed."""
    html = markdown.markdown(text or "", extensions=["fenced_code", "tables"])
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
