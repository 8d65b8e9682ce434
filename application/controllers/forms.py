"""WTForms forms: validation lives here, not in if-chains in the views."""
from datetime import datetime, timezone

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    description = StringField("Summary", validators=[Optional(), Length(max=500)])
    body = TextAreaField("Body (Markdown)", validators=[InputRequired(), Length(max=100_000)])
    tags = StringField("Tags (comma separated)", validators=[Optional(), Length(max=500)])
    status = SelectField(
        "Status", choices=[("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Published")]
    )
    publish_at = DateTimeLocalField(
        "Publish at (UTC)", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )

    def validate(self, extra_validators=None) -> bool:
        # Cross-field rule; an inline validator would be skipped by Optional() when empty.
        valid = super().validate(extra_validators)
        if self.status.data == "scheduled" and not self.publish_at.errors:
            when = self.publish_at.data
            if when is None:
                self.publish_at.errors = [*self.publish_at.errors, "A scheduled article needs a publish time."]
            elif when <= datetime.now(timezone.utc).replace(tzinfo=None):
                self.publish_at.errors = [*self.publish_at.errors, "The publish time must be in the future."]
            valid = valid and not self.publish_at.errors
        return valid

    def tag_list(self) -> list[str]:
        return [t.strip() for t in (self.tags.data or "").split(",") if t.strip()]


class FeedbackForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=100)])
    email = EmailField("Email", validators=[InputRequired(), Email(check_deliverability=False), Length(max=255)])
    message = TextAreaField("Message", validators=[InputRequired(), Length(min=5, max=5000)])
