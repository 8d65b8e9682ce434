"""Builds the app: `gunicorn main:app`, `flask --app main ...`."""
from application import create_app

app = create_app()
