"""Marshmallow schemas: request bodies and query strings are validated with them,
and the OpenAPI document (openapi.py) is generated from them and the response schemas."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from application.extensions import security
from application.usernames import username_problem

MAX_LIMIT = 100
TEXT = validate.Length(max=100_000)


class Text(fields.String):
    """A string without NUL characters (PostgreSQL cannot store them: a 422, not a 500)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in value:
            raise ValidationError("must not contain NUL characters")
        return value


class Lenient(Schema):
    class Meta:
        unknown = EXCLUDE  # front ends send extra keys (e.g. a whole user object); ignore them


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("can't be blank")


class AccountFields(Lenient):
    """Email/username/password rules are Flask-Security's, the same as the pages' forms."""

    @validates("email")
    def _email(self, value: str, **_) -> None:
        try:
            security._mail_util.validate(value)
        except ValueError as exc:
            raise ValidationError(str(exc) or "is invalid") from exc

    @validates("username")
    def _username(self, value: str, **_) -> None:
        msg = username_problem(value)  # the site's rule (application/usernames.py), unnormalised
        if msg:
            raise ValidationError(msg)

    @validates("password")
    def _password(self, value: str, **_) -> None:
        msgs, _normalized = security._password_util.validate(value, True)
        if msgs:
            raise ValidationError([str(m) for m in msgs])


class LoginUser(Lenient):
    email = Text(required=True, validate=validate.Length(min=1, max=255))
    password = Text(required=True, validate=validate.Length(min=1, max=1000))


class NewUser(AccountFields):
    username = Text(required=True)
    email = Text(required=True)
    password = Text(required=True)


class UpdateUser(AccountFields):
    email = Text()
    username = Text()
    password = Text()
    bio = Text(allow_none=True, validate=validate.Length(max=5000))
    image = Text(allow_none=True, validate=validate.Length(max=500))


class NewArticle(Lenient):
    title = Text(required=True, validate=[validate.Length(min=1, max=200), _not_blank])
    description = Text(required=True, validate=[validate.Length(min=1, max=500), _not_blank])
    body = Text(required=True, validate=[TEXT, _not_blank])
    tagList = fields.List(Text(validate=[validate.Length(min=1, max=64), _not_blank]),
                          validate=validate.Length(max=20))


class UpdateArticle(Lenient):
    title = Text(validate=[validate.Length(min=1, max=200), _not_blank])
    description = Text(validate=[validate.Length(min=1, max=500), _not_blank])
    body = Text(validate=[TEXT, _not_blank])
    tagList = fields.List(Text(validate=[validate.Length(min=1, max=64), _not_blank]),
                          validate=validate.Length(max=20), metadata={"description": "extension: replaces the tags"})


class NewComment(Lenient):
    body = Text(required=True, validate=[validate.Length(min=1, max=20_000), _not_blank])


def envelope(name: str, inner: type[Schema]) -> type[Schema]:
    """{"<name>": <inner>}: the spec wraps every body in one key."""
    return Schema.from_dict({name: fields.Nested(inner, required=True)}, name=f"{inner.__name__}Request")


LoginRequest = envelope("user", LoginUser)
NewUserRequest = envelope("user", NewUser)
UpdateUserRequest = envelope("user", UpdateUser)
NewArticleRequest = envelope("article", NewArticle)
UpdateArticleRequest = envelope("article", UpdateArticle)
NewCommentRequest = envelope("comment", NewComment)


class Pagination(Schema):
    class Meta:
        unknown = EXCLUDE  # tracking and cache-busting parameters are ignored, not a 422

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_LIMIT))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class ArticleFilters(Pagination):
    tag = Text(validate=validate.Length(max=64))
    author = Text(validate=validate.Length(max=255))
    favorited = Text(validate=validate.Length(max=255))


# -- responses (documentation only: handlers build these dicts directly, for speed) --
class Profile(Schema):
    username = fields.String(required=True)
    bio = fields.String(required=True)
    image = fields.String(required=True)
    following = fields.Boolean(required=True)


class User(Schema):
    email = fields.String(required=True)
    token = fields.String(required=True)
    username = fields.String(required=True)
    bio = fields.String(required=True)
    image = fields.String(required=True)


class ArticleListItem(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    tagList = fields.List(fields.String(), required=True)
    createdAt = fields.DateTime(required=True)
    updatedAt = fields.DateTime(required=True)
    favorited = fields.Boolean(required=True)
    favoritesCount = fields.Integer(required=True)
    author = fields.Nested(Profile, required=True)


class Article(ArticleListItem):
    body = fields.String(required=True)


class Comment(Schema):
    id = fields.Integer(required=True)
    createdAt = fields.DateTime(required=True)
    updatedAt = fields.DateTime(required=True)
    body = fields.String(required=True)
    author = fields.Nested(Profile, required=True)


class ErrorBody(Schema):
    body = fields.List(fields.String(), required=True)


class GenericError(Schema):
    errors = fields.Nested(ErrorBody, required=True)


UserResponse = Schema.from_dict({"user": fields.Nested(User, required=True)}, name="UserResponse")
ProfileResponse = Schema.from_dict({"profile": fields.Nested(Profile, required=True)}, name="ProfileResponse")
SingleArticleResponse = Schema.from_dict({"article": fields.Nested(Article, required=True)},
                                         name="SingleArticleResponse")
MultipleArticlesResponse = Schema.from_dict({
    "articles": fields.List(fields.Nested(ArticleListItem), required=True),
    "articlesCount": fields.Integer(required=True),
}, name="MultipleArticlesResponse")
SingleCommentResponse = Schema.from_dict({"comment": fields.Nested(Comment, required=True)},
                                         name="SingleCommentResponse")
MultipleCommentsResponse = Schema.from_dict({"comments": fields.List(fields.Nested(Comment), required=True)},
                                            name="MultipleCommentsResponse")
TagsResponse = Schema.from_dict({"tags": fields.List(fields.String(), required=True)}, name="TagsResponse")
