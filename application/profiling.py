"""Profile one request with pyinstrument.

`?profile=1` on any page returns pyinstrument's HTML report instead of the
page, for a logged-in admin only, in every config (ignored for everyone else:
an anonymous report leaks timings and code paths and costs ~1 MB). `flask --app main profile PATH` profiles PATH in-process and
prints the hottest calls.
"""
import click
from flask import Flask, current_app, g, request
from flask_security import current_user
from pyinstrument import Profiler
from werkzeug.datastructures import ImmutableMultiDict


def _allowed() -> bool:
    return current_user.is_authenticated and current_user.has_role("admin")


def _start():
    if "profile" not in request.args:
        return
    # Hide the parameter from the page itself, for everyone: the page is served as without it.
    wanted = request.args.get("profile") == "1"
    request.args = ImmutableMultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "profile"])
    if not wanted or not _allowed():
        return
    g.bs_profiler = Profiler(interval=0.0005, async_mode="disabled")
    g.bs_profiler.start()


def _finish(response):
    profiler = g.pop("bs_profiler", None)
    if profiler is None:
        return response
    profiler.stop()
    return current_app.response_class(profiler.output_html(), mimetype="text/html")


def profile_path(app: Flask, path: str, email: str | None = None, repeat: int = 1) -> tuple[str, list[str]]:
    """Request PATH `repeat` times in-process (the first warms caches); profile the last one."""
    client = app.test_client()
    if email:
        with client.session_transaction() as sess, app.test_request_context():
            from application.extensions import security

            user = security.datastore.find_user(email=email)
            if user is None:
                raise click.ClickException(f"no user {email}")
            sess["_user_id"] = user.fs_uniquifier
            sess["_fresh"] = True
    for _ in range(max(0, repeat - 1)):
        client.get(path)
    profiler = Profiler(interval=0.0001, async_mode="disabled")
    profiler.start()
    response = client.get(path)
    profiler.stop()
    head = [f"{path} -> {response.status_code}", f"Server-Timing: {response.headers.get('Server-Timing', '-')}"]
    return profiler.output_text(unicode=True, color=False, time="percent_of_total"), head


def _debug_toolbar(app: Flask) -> None:
    # Development with DEBUG_TOOLBAR=1 only: never loaded otherwise (not even imported).
    if app.config.get("ENV_NAME") == "development" and not app.testing and app.config.get("DEBUG_TB_ENABLED"):
        from flask_debugtoolbar import DebugToolbarExtension

        DebugToolbarExtension(app)


def init_app(app: Flask) -> None:
    _debug_toolbar(app)
    # After measurement starts (instrumentation moves its hook first), before everything else.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)

    @app.cli.command("profile")
    @click.argument("path")
    @click.option("--as", "email", help="profile as this logged-in user (email)")
    @click.option("--repeat", default=2, show_default=True, help="requests to make; the last one is profiled")
    def profile_command(path, email, repeat):
        """Profile one request to PATH and print the hottest calls."""
        text, head = profile_path(app, path, email, repeat)
        click.echo("\n".join(head))
        click.echo(text)
