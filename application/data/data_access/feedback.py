"""Reader feedback: stored, never cached."""
from application.extensions import db

from ..models import Feedback


def create_feedback(name: str, email: str, message: str, user_id: int | None = None) -> int:
    """Store one feedback message; returns its id."""
    item = Feedback(name=name, email=email, message=message, user_id=user_id)
    db.session.add(item)
    db.session.commit()
    return item.id
