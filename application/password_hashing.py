"""Password hashing off the gevent hub.

An argon2 hash or check costs ~0.1-0.6 s of CPU. Inline in a gevent worker it freezes every other
request on that worker for as long (8 logins held a /hello for 1.1 s). Flask-Security-Too hashes
and verifies only through its passlib CryptContext (`security.pwd_context`: `hash_password`,
`verify_password`, `verify_and_update_password`, register, change and reset all go through it), so
install() wraps that one object: when gevent has patched the process, hash/verify run in gevent's
threadpool (argon2-cffi releases the GIL, so the hub keeps serving); otherwise (tests, Celery
prefork workers, the CLI) they run inline as before.

The pool is small (PASSWORD_HASH_THREADS, default: CPU count) and its threads run at a lower CPU
priority: argon2 runs 4 lanes of its own per hash, so 8 logins at once are 32 busy threads, and at
equal priority the hub thread got 1/33 of the CPU (a /hello took 0.1-1.7 s). Niced
(PASSWORD_HASH_NICE, default 10; 0 turns it off), the hub wins the CPU whenever it has work and
the logins share what is left - so on a saturated machine logins slow down before pages do.
"""
import os
import threading

from flask import Flask

_pool = None
_pool_lock = threading.Lock()
_niced = threading.local()

# CryptContext methods that run the expensive key derivation.
_EXPENSIVE = ("hash", "verify", "verify_and_update", "dummy_verify")


def under_gevent() -> bool:
    """True when gevent has monkey-patched this process (gunicorn's gevent worker does)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


def hash_pool():
    """This process's gevent threadpool for password work (made on first use, i.e. after the fork)."""
    global _pool
    if _pool is None:
        from gevent.threadpool import ThreadPool

        with _pool_lock:
            if _pool is None:
                size = int(os.environ.get("PASSWORD_HASH_THREADS") or os.cpu_count() or 2)
                _pool = ThreadPool(maxsize=max(1, size))
    return _pool


def _forget_pool() -> None:
    global _pool
    _pool = None  # a forked child has none of the parent's threads


os.register_at_fork(after_in_child=_forget_pool)


def _lower_priority() -> None:
    """Nice this OS thread (on Linux `who=0` is the calling thread only; argon2's lane threads
    inherit it). Best effort."""
    if getattr(_niced, "done", False):
        return
    _niced.done = True
    try:
        nice = int(os.environ.get("PASSWORD_HASH_NICE") or 10)
        if nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
    except (AttributeError, OSError):
        pass


def _in_pool_thread(fn, args, kwargs):
    _lower_priority()
    return fn(*args, **kwargs)


def run_off_hub(fn, *args, **kwargs):
    """fn(*args, **kwargs) in the hashing threadpool under gevent (the calling greenlet waits), else inline."""
    if not under_gevent():
        return fn(*args, **kwargs)
    return hash_pool().apply(_in_pool_thread, (fn, args, kwargs))


class OffHubCryptContext:
    """A passlib CryptContext whose expensive calls go through run_off_hub; all else is passed on."""

    def __init__(self, context):
        self.wrapped = context

    def __getattr__(self, name):
        attr = getattr(self.wrapped, name)
        if name in _EXPENSIVE:
            return lambda *args, **kwargs: run_off_hub(attr, *args, **kwargs)
        return attr


def install(app: Flask) -> None:
    """Wrap this app's Flask-Security password context (call after security.init_app)."""
    security = app.extensions["security"]
    if not isinstance(security.pwd_context, OffHubCryptContext):
        security.pwd_context = OffHubCryptContext(security.pwd_context)
