"""The username rule, one place for the HTML register form, the RealWorld API and the CLI.

3-32 characters: letters, digits, `_`, `.` and `-`, with at least one letter or
digit (so `.` and `..` can't become /authors/.. URLs). Uniqueness is
case-insensitive: Flask-Security's register form looks names up that way, the
API checks the same, and a unique index on lower(username) guards the table.
"""
import re
import unicodedata

from flask_security import UsernameUtil

MIN_LENGTH, MAX_LENGTH = 3, 32
_ALLOWED = re.compile(r"[\w.-]+")  # \w is Unicode letters, digits and "_"
_HAS_ALNUM = re.compile(r"[^\W_]")


def username_problem(username: str) -> str | None:
    """Why `username` is not acceptable (a message for the form or API), or None."""
    if not MIN_LENGTH <= len(username) <= MAX_LENGTH:
        return f"Username must be between {MIN_LENGTH} and {MAX_LENGTH} characters"
    if not _ALLOWED.fullmatch(username):
        return "Username can contain only letters, digits, _ . and -"
    if not _HAS_ALNUM.search(username):
        return "Username must contain a letter or a digit"
    return None


class UsernameRule(UsernameUtil):
    """Flask-Security's username hook (normalize + validate) with the site's rule."""

    def normalize(self, username: str) -> str | None:
        return unicodedata.normalize("NFKC", username.strip()) if username else username

    def validate(self, username: str) -> tuple[str | None, str | None]:
        if not username:
            return None, None
        clean = self.normalize(username)
        return username_problem(clean), clean
