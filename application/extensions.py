"""Extensions, created unbound: create_app() binds them. No app imports here."""
from flask_caching import Cache
from flask_compress import Compress
from flask_security import Security
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from application.usernames import UsernameRule


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
cache = Cache()
security = Security(username_util_cls=UsernameRule)  # the site's username rule everywhere
compress = Compress()
csrf = CSRFProtect()
