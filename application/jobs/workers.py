"""Entry point for the celery CLI: `celery -A application.jobs.workers.celery_app worker`."""
from application import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
