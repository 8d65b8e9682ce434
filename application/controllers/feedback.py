"""The feedback form: validated, stored, thanked."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_security import current_user

from application.data import data_access

from .forms import FeedbackForm

bp = Blueprint("feedback", __name__)


@bp.route("/feedback", methods=["GET", "POST"])
def feedback():
    form = FeedbackForm()
    if current_user.is_authenticated and not form.is_submitted():
        form.email.data = current_user.email
        form.name.data = current_user.username
    if form.validate_on_submit():
        data_access.create_feedback(
            form.name.data.strip(), form.email.data.strip(), form.message.data.strip(),
            current_user.id if current_user.is_authenticated else None,
        )
        flash("Thank you: your feedback was received.", "success")
        return redirect(url_for("feedback.feedback"))
    return render_template("feedback.html", form=form), 200 if not form.errors else 422
