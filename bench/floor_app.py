"""The floors: a tiny Flask app served by gunicorn with the product's settings.

/hello is bare Flask; /floor/index returns the bytes of the cached index page
straight from Redis (one GET): the physical limit of a Redis-backed cached
page. Not part of the product.
"""
import os

import redis
from flask import Flask, Response

FLOOR_KEY = os.environ.get("BENCH_FLOOR_KEY", "bench:floor:index")

app = Flask(__name__)
_client = redis.Redis.from_url(os.environ.get("BENCH_FLOOR_REDIS_URL", "redis://127.0.0.1:6379/5"))


@app.get("/hello")
def hello():
    return "World", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/floor/index")
def index_from_redis():
    return Response(_client.get(FLOOR_KEY) or b"", mimetype="text/html")
