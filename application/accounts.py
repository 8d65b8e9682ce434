"""Flask-Security-Too wiring: the user datastore and the default role on register."""
from flask import Flask
from flask_security import SQLAlchemyUserDatastore, user_registered

from application import password_hashing
from application.extensions import db, security

from .data.models import Role, User


def init_app(app: Flask) -> None:
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(app, datastore)
    password_hashing.install(app)  # argon2 off the gevent hub
    user_registered.connect(_give_reader_role, app)


def _give_reader_role(sender, user, **extra):
    datastore = sender.extensions["security"].datastore
    role = datastore.find_or_create_role(name="reader")
    datastore.add_role_to_user(user, role)
    datastore.commit()
