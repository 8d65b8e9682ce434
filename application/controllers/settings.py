"""Profile settings: display name, bio, avatar URL; and a password change that keeps you logged in."""
from flask import flash, redirect, render_template, url_for
from flask_security import auth_required, current_user, login_user

from application.data import data_access

from .listing import page_blueprint
from .page_forms import PasswordForm, ProfileForm

bp = page_blueprint("settings", __name__)


def _page(profile_form=None, password_form=None, status=200):
    settings = data_access.get_settings(current_user.id)
    profile_form = profile_form or ProfileForm(data=settings)
    return render_template("settings.html", settings=settings, profile_form=profile_form,
                           password_form=password_form or PasswordForm()), status


@bp.get("/settings")
@auth_required()
def show():
    return _page()


@bp.post("/settings")
@auth_required()
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(profile_form=form, status=422)
    data_access.update_settings(current_user.id, display_name=(form.display_name.data or "").strip(),
                                bio=(form.bio.data or "").strip(), image=(form.image.data or "").strip())
    flash("Profile saved.", "success")
    return redirect(url_for("settings.show"))


@bp.post("/settings/password")
@auth_required()
def change_password():
    form = PasswordForm()
    valid = form.validate_on_submit()
    if form.current_password.data and not data_access.check_password(current_user.id, form.current_password.data):
        form.current_password.errors = [*form.current_password.errors, "This is not your current password."]
        valid = False
    if not valid:
        return _page(password_form=form, status=422)
    data_access.change_password(current_user.id, form.new_password.data)
    # The change gave the account a new session id (other sessions end); this one logs in again.
    login_user(current_user._get_current_object())
    flash("Password changed. Other sessions and API tokens have been signed out.", "success")
    return redirect(url_for("settings.show"))


@bp.app_template_global()
def display_name(user_id: int) -> str:
    """For author pages: the name a user chose to show (cached get_display_name)."""
    return data_access.get_display_name(user_id)
