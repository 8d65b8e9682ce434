"""GET /stream: Server-Sent Events through flask-sse (registered with url_prefix=/stream)."""
from flask_sse import sse as bp  # noqa: F401  (the blueprint instance, named bp like the others)
