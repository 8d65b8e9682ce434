"""Configuration classes, chosen by the ENV variable (see INTERFACE.md)."""
import math
import os
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = REPO_ROOT / "db_directory" / "broadsheet.sqlite3"

# Values that must never reach stage/production: create_app refuses them there.
DEV_SECRET_KEY = "dev-secret-key-not-for-production"
DEV_PASSWORD_SALT = "dev-password-salt-not-for-production"
DEV_WEBHOOK_SECRET = "dev-webhook-secret-not-for-production"
REQUIRED_SECRETS = ("SECRET_KEY", "SECURITY_PASSWORD_SALT", "WEBHOOK_SECRET")
DEV_SECRETS = {DEV_SECRET_KEY, DEV_PASSWORD_SALT, DEV_WEBHOOK_SECRET}


def redis_db_url(base: str, db: int) -> str:
    """The base Redis URL with its DB number replaced by ``db``."""
    base = base.rstrip("/")
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{db}"


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def engine_options(url: str) -> dict:
    """SQLAlchemy engine options for this database URL: a bounded pool on server databases.

    Budget: web processes x (DB_POOL_SIZE + DB_MAX_OVERFLOW) + workers x the same must stay under
    PostgreSQL's max_connections (100 by default) - see docs/deploy.md.
    """
    options = {"pool_pre_ping": True}
    if not url.startswith("sqlite"):
        options.update(pool_size=_int("DB_POOL_SIZE", 5), max_overflow=_int("DB_MAX_OVERFLOW", 5),
                       pool_timeout=_seconds("DB_POOL_TIMEOUT", 10), pool_recycle=1800)
    return options


def beat_schedule() -> dict:
    """Celery beat entries (tasks by name); each interval is overridable by an env var, in seconds."""
    entries = {
        "reconcile-like-counts": ("beat.reconcile_like_counts", "BEAT_RECONCILE_LIKES_SECONDS", 300),
        "publish-scheduled-articles": ("beat.publish_scheduled_articles", "BEAT_PUBLISH_SCHEDULED_SECONDS", 30),
        "refresh-most-liked": ("beat.refresh_most_liked", "BEAT_MOST_LIKED_SECONDS", 300),
        "daily-digest": ("beat.daily_digest", "BEAT_DAILY_DIGEST_SECONDS", 3600),
        "purge-task-results": ("beat.purge_task_results", "BEAT_PURGE_RESULTS_SECONDS", 3600),
    }
    schedule = {}
    for name, (task, env, default) in entries.items():
        every = _seconds(env, default)
        # expires: runs missed while no worker was up are dropped, not piled up (the next run catches up).
        schedule[name] = {"task": task, "schedule": every, "options": {"expires": every}}
    return schedule


def beat_timing(schedule: dict) -> tuple[float, int]:
    """(beat loop interval, RedBeat lock timeout) in seconds, sized to the shortest job interval.

    The active beat renews its Redis lock every loop; a standby polls for it every loop. After the
    active beat dies the lock lapses within lock_timeout, so the standby sends again within
    lock_timeout + loop < the shortest interval (30 s by default: 15 s + 3 s).
    """
    intervals = [_interval_seconds(e["schedule"]) for e in schedule.values()] or [300.0]
    shortest = min(intervals)
    loop = min(5.0, max(0.5, shortest / 10))
    lock_timeout = _int("BEAT_LOCK_TIMEOUT", 0) or max(2, math.ceil(shortest / 2))
    return loop, lock_timeout


def _interval_seconds(schedule) -> float:
    if isinstance(schedule, (int, float)):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    return 60.0  # crontab and friends: the finest they can fire is once a minute


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SECURITY_PASSWORD_SALT = os.environ.get("SECURITY_PASSWORD_SALT", DEV_PASSWORD_SALT)
    WEBHOOK_SECRET = os.environ.get("WEBHOOK_SECRET", DEV_WEBHOOK_SECRET)

    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_DB_PATH}")
    # PostgreSQL's planner cost of a random page read for our sessions (db_tuning.py); "" keeps the server's.
    POSTGRES_RANDOM_PAGE_COST = os.environ.get("POSTGRES_RANDOM_PAGE_COST", "1.1")
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (werkzeug ProxyFix).
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    # Each role gets its own DB number so they can be flushed/inspected apart.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or redis_db_url(REDIS_URL, 0)
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or redis_db_url(REDIS_URL, 1)
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or redis_db_url(REDIS_URL, 2)
    SSE_REDIS_URL = os.environ.get("SSE_REDIS_URL") or redis_db_url(REDIS_URL, 3)
    # Connections per Redis client per process (application/redis_clients.py); a burst waits for a
    # free connection instead of opening more. SSE streams each hold one, so theirs follows
    # gunicorn's WORKER_CONNECTIONS.
    REDIS_MAX_CONNECTIONS = _int("REDIS_MAX_CONNECTIONS", 20)
    SSE_MAX_CONNECTIONS = _int("WORKER_CONNECTIONS", 100) + 10
    SSE_CHANNEL = "sse"
    # Separate queues let several deployments (or test runs) share one broker DB.
    CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
    # Beat (celery-redbeat): schedule state and the one-active-beat lock live in Redis, in the
    # broker's DB unless BEAT_REDIS_URL says otherwise, under a prefix per deployment (by default
    # derived from the queue, which already tells deployments sharing a broker apart).
    BEAT_REDIS_URL = os.environ.get("BEAT_REDIS_URL") or None
    BEAT_KEY_PREFIX = os.environ.get("BEAT_KEY_PREFIX") or None

    CACHE_TYPE = "application.data.cache_backend.ResilientRedisCache"
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX") or "bs:dev:"  # per deployment sharing a Redis
    CACHE_DEFAULT_TIMEOUT = 300
    # Short timeouts: a slow or dead Redis must cost milliseconds, not seconds.
    CACHE_OPTIONS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25,
                     "max_connections": REDIS_MAX_CONNECTIONS}
    CACHE_RETRY_AFTER_SECONDS = 5  # how long to skip Redis after an error
    CACHE_MAX_INDEX_PAGES = 50  # deeper index pages are built from data, not cached whole
    # Per web process: an LRU in front of Redis, kept in step by pub/sub (data_access/local_tier.py).
    CACHE_LOCAL_MAX_BYTES = _int("CACHE_LOCAL_MAX_BYTES", 32 * 1024 * 1024)  # 0: off

    ARTICLES_PER_PAGE = 20

    SECURITY_REGISTERABLE = True
    SECURITY_SEND_REGISTER_EMAIL = False
    SECURITY_USERNAME_ENABLE = True
    SECURITY_USERNAME_REQUIRED = True
    SECURITY_PASSWORD_HASH = "argon2"
    SECURITY_TOKEN_AUTHENTICATION_HEADER = "Authentication-Token"
    SECURITY_TOKEN_MAX_AGE = int(timedelta(days=7).total_seconds())
    SECURITY_CHANGEABLE = True  # /change (templates/security/change_password.html)
    SECURITY_SEND_PASSWORD_CHANGE_EMAIL = False  # no mail server is configured
    SECURITY_POST_LOGIN_VIEW = "/"
    SECURITY_POST_REGISTER_VIEW = "/"
    # No DNS here; deliverability checks would reject every address.
    SECURITY_EMAIL_VALIDATOR_ARGS = {"check_deliverability": False}
    # Login, register and logout need a CSRF token too (a cross-origin login must fail);
    # token-authenticated JSON calls carry no cookie, so they need none (docs/security.md).
    SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS = False
    SECURITY_CSRF_PROTECT_MECHANISMS = ["session", "basic"]
    WTF_CSRF_CHECK_DEFAULT = False  # CSRFProtect checks session-authenticated requests only
    WTF_CSRF_TIME_LIMIT = None

    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = [
        "text/html", "text/css", "text/javascript", "application/javascript",
        "application/json", "text/plain", "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Jobs, SSE and webhooks (docs/jobs.md).
    CELERY_BEAT_SCHEDULE = beat_schedule()
    CELERY_RESULT_EXPIRES = int(_seconds("CELERY_RESULT_EXPIRES", 24 * 3600))
    SSE_HEARTBEAT_SECONDS = _seconds("SSE_HEARTBEAT_SECONDS", 15)  # dead streams go within ~2 heartbeats
    SSE_RETRY_MS = 3000  # browsers reconnect after this long
    SSE_MAX_STREAM_SECONDS = _seconds("SSE_MAX_STREAM_SECONDS", 600)  # then the browser reconnects
    SSE_CLIENT_NAME = "broadsheet-sse"  # Redis CLIENT LIST name prefix of SSE connections
    WEBHOOK_MAX_BODY_BYTES = int(os.environ.get("WEBHOOK_MAX_BODY_BYTES") or 64 * 1024)
    WEBHOOK_RETENTION_DAYS = int(os.environ.get("WEBHOOK_RETENTION_DAYS") or 30)
    DIGEST_TOP_N = 5

    # HTTP caching (controllers/http_cache.py): CDN directives for anonymous pages and API GETs
    # (0 = off: browsers and proxies revalidate every time, with a 304 when nothing changed).
    HTTP_CACHE_S_MAXAGE = int(os.environ.get("HTTP_CACHE_S_MAXAGE") or 0)
    HTTP_CACHE_STALE_WHILE_REVALIDATE = int(os.environ.get("HTTP_CACHE_STALE_WHILE_REVALIDATE") or 30)
    # Flask-Security's default {"private": True, ...} renders as "private=True, no-store=True".
    SECURITY_CACHE_CONTROL = {"private": None, "no-store": None}

    @classmethod
    def missing_secrets(cls) -> list[str]:
        """Names of secrets that are unset or still at a dev default."""
        return [n for n in REQUIRED_SECRETS if not getattr(cls, n) or getattr(cls, n) in DEV_SECRETS]


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # Flask-DebugToolbar: development only, and only when asked for (DEBUG_TOOLBAR=1).
    DEBUG_TB_ENABLED = os.environ.get("DEBUG_TOOLBAR") == "1"
    DEBUG_TB_INTERCEPT_REDIRECTS = False
    DEBUG_TB_HOSTS = ("127.0.0.1", "::1")
    SQLALCHEMY_RECORD_QUERIES = True


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    CACHE_TYPE = "NullCache"
    CACHE_KEY_PREFIX = "bs:test:"
    CACHE_LOCAL_MAX_BYTES = 32 * 1024 * 1024  # every test on real Redis runs with the in-process tier
    # Unit tests run tasks inline; tests/test_worker*.py start a real worker instead.
    CELERY_TASK_ALWAYS_EAGER = True
    WTF_CSRF_ENABLED = False
    SECURITY_PASSWORD_HASH = "plaintext"  # fast tests; hashing is covered by its own test
    SECURITY_PASSWORD_SCHEMES = ["argon2", "plaintext"]
    SECURITY_DEPRECATED_PASSWORD_SCHEMES = []


class StageConfig(Config):
    ENV_NAME = "stage"
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX") or "bs:stage:"  # per deployment sharing a Redis


class ProductionConfig(Config):
    ENV_NAME = "production"
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX") or "bs:prod:"  # per deployment sharing a Redis
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "stage": StageConfig,
    "production": ProductionConfig,
}


def config_for_env(name: str | None = None) -> type[Config]:
    """The config class for ENV (default production: safe unless asked otherwise); unknown names are an error."""
    name = (name or os.environ.get("ENV") or "production").lower()
    if name not in CONFIGS:
        raise SystemExit(f"ENV={name!r} is not one of: {', '.join(CONFIGS)}")
    return CONFIGS[name]
