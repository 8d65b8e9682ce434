"""GET /api/tasks/<id>: the state and result of a Celery task."""
from celery.result import AsyncResult
from flask import jsonify

from . import bp


@bp.get("/tasks/<task_id>")
def task_status(task_id: str):
    result = AsyncResult(task_id)
    payload = {"state": result.state, "result": None}
    if result.successful():
        payload["result"] = result.result
    elif result.failed():
        payload["result"] = str(result.result)
    return jsonify(payload)
