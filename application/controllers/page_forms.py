"""WTForms forms of the page-parity views: search, comments, profile settings, password, deletion."""
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import PasswordField, SearchField, StringField, TextAreaField
from wtforms.validators import URL, EqualTo, InputRequired, Length, Optional, ValidationError

from application.data.data_access.search import MAX_QUERY_LENGTH


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: nothing changes, and links to results must work

    q = SearchField("Search articles", validators=[
        Optional(), Length(max=MAX_QUERY_LENGTH, message=f"Searches are at most {MAX_QUERY_LENGTH} characters.")])


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment", validators=[
        InputRequired("Write something first."), Length(max=5000, message="Comments are at most 5000 characters.")])

    def validate_body(self, field):
        if not field.data.strip():
            raise ValidationError("Write something first.")


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[Optional(), Length(max=64)])
    bio = TextAreaField("Bio", validators=[Optional(), Length(max=2000)])
    image = StringField("Avatar URL", validators=[
        Optional(), Length(max=500), URL(require_tld=False, message="Give a full http(s) URL of an image.")])

    def validate_image(self, field):
        if field.data and not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError("Give a full http(s) URL of an image.")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired()])
    new_password = PasswordField("New password", validators=[InputRequired()])
    confirm_password = PasswordField("Repeat the new password", validators=[
        InputRequired(), EqualTo("new_password", message="The two new passwords differ.")])

    def validate_new_password(self, field):
        least = current_app.config.get("SECURITY_PASSWORD_LENGTH_MIN", 8)
        if len(field.data) < least:
            raise ValidationError(f"Use at least {least} characters.")
        if len(field.data) > 128:
            raise ValidationError("Use at most 128 characters.")


class ConfirmForm(FlaskForm):
    """An empty form: its CSRF token is the confirmation that the POST came from our page."""
