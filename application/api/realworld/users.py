"""Users, the current user and profiles (follow/unfollow)."""
from flask import jsonify

from application.data import data_access
from application.extensions import security

from . import bp, schemas
from .common import ApiError, body, current_api_user, current_user_id, operation
from .present import absolute_url, profile


def _user(account: dict) -> dict:
    return {"user": {"email": account["email"], "token": account["token"], "username": account["username"],
                     "bio": account["bio"] or "", "image": absolute_url(account["image"] or "")}}


def _conflict(exc: data_access.AccountConflict) -> ApiError:
    return ApiError(422, *[f"{field}: has already been taken" for field in exc.fields])


def _taken_by_another(own_id: int | None, **identity) -> bool:
    user = security.datastore.find_user(case_insensitive=True, **identity)
    return user is not None and user.id != own_id


def _case_conflicts(email: str | None, username: str | None, own_id: int | None = None) -> list[str]:
    """Fields another account holds, usernames compared whatever their case (as on the register page)."""
    if not username or not _taken_by_another(own_id, username=username):
        return []  # other conflicts are data_access's to find (AccountConflict)
    return (["email"] if email and _taken_by_another(own_id, email=email) else []) + ["username"]


@bp.post("/users/login")
@operation("Existing user login", tag="User and Authentication", body_schema=schemas.LoginRequest,
     responses={200: schemas.UserResponse, 401: None, 422: schemas.GenericError})
def login():
    data = body(schemas.LoginRequest)
    account = data_access.authenticate(data["email"], data["password"])
    if account is None:
        raise ApiError(401, "email or password: is invalid")
    return jsonify(_user(account))


@bp.post("/users")
@operation("Register a new user", tag="User and Authentication", body_schema=schemas.NewUserRequest,
     responses={201: schemas.UserResponse, 422: schemas.GenericError})
def register():
    data = body(schemas.NewUserRequest)
    if conflict := _case_conflicts(data["email"], data["username"]):
        raise _conflict(data_access.AccountConflict(conflict))
    try:
        account = data_access.register_account(data["email"], data["username"], data["password"])
    except data_access.AccountConflict as exc:
        raise _conflict(exc) from None
    return jsonify(_user(account)), 201


@bp.get("/user")
@operation("Get current user", tag="User and Authentication", auth="required",
     responses={200: schemas.UserResponse, 401: None})
def get_user():
    return jsonify(_user(data_access.get_account(current_user_id())))


@bp.put("/user")
@operation("Update current user", tag="User and Authentication", auth="required", body_schema=schemas.UpdateUserRequest,
     responses={200: schemas.UserResponse, 401: None, 422: schemas.GenericError})
def update_user():
    data = body(schemas.UpdateUserRequest)
    if not data:
        raise ApiError(422, "user: at least one of email, username, password, bio, image is required")
    if conflict := _case_conflicts(data.get("email"), data.get("username"), own_id=current_user_id()):
        raise _conflict(data_access.AccountConflict(conflict))
    try:
        account = data_access.update_account(current_user_id(), **data)
    except data_access.AccountConflict as exc:
        raise _conflict(exc) from None
    return jsonify(_user(account))


def _author_or_404(username: str) -> dict:
    author = data_access.get_author(username)
    if author is None:
        raise ApiError(404, f"username: no profile named {username!r}")
    return author


@bp.get("/profiles/<username>")
@operation("Get a profile", tag="Profile", auth="optional",
     responses={200: schemas.ProfileResponse, 401: None, 404: schemas.GenericError})
def get_profile(username: str):
    return jsonify(profile_answer(username, current_user_id()))


def profile_answer(username: str, user_id: int | None) -> dict:
    """GET /profiles/<username> for this caller (ApiError 404 if there is none); also the fast path's."""
    author = _author_or_404(username)
    return {"profile": profile(author, data_access.is_following(user_id, author["id"]))}


@bp.post("/profiles/<username>/follow")
@operation("Follow a user", tag="Profile", auth="required",
     responses={200: schemas.ProfileResponse, 401: None, 404: schemas.GenericError, 422: schemas.GenericError})
def follow(username: str):
    author = _author_or_404(username)
    if author["id"] == current_api_user().id:
        raise ApiError(422, "username: you cannot follow yourself")
    data_access.follow_user(current_user_id(), author["id"])
    return jsonify({"profile": profile(author, True)})


@bp.delete("/profiles/<username>/follow")
@operation("Unfollow a user", tag="Profile", auth="required",
     responses={200: schemas.ProfileResponse, 401: None, 404: schemas.GenericError})
def unfollow(username: str):
    author = _author_or_404(username)
    data_access.unfollow_user(current_user_id(), author["id"])
    return jsonify({"profile": profile(author, False)})
