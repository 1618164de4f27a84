"""The Celery application:  celery -A worker worker -B  (worker plus embedded beat)."""

import gc
import os
import sys

import django
from celery import Celery
from celery.signals import task_prerun, worker_init

from bot.config import ConfigError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bot.settings")
try:
    django.setup()
except ConfigError as exc:
    sys.exit(f"loa: {exc}")

app = Celery("loa")
app.config_from_object("celeryconfig")
app.set_default()

import bot.tasks  # noqa: E402,F401  - registers the tasks with this app
from django.db import close_old_connections  # noqa: E402


@worker_init.connect
def freeze_the_imported_heap(**_):
    """Before the pool forks: move every object imported so far out of the collector's reach.

    Each child shares the parent's pages until it writes to them, and the cyclic collector writes
    to every object it visits; frozen objects are never visited, so the children keep sharing the
    ~100 MB of imported Django, Celery and platform libraries (sum of PSS over the worker's six
    processes: 399 MB without, 290 MB with; docs/performance.md)."""
    gc.collect()
    gc.freeze()


@task_prerun.connect
def check_the_database_connection(**_):
    """The connection is kept between tasks (celeryconfig.CELERY_DB_REUSE_MAX); as before each web
    request, drop it when it broke or outlived CONN_MAX_AGE, and have it health-checked on first use,
    so a connection the server ended (a restart, pg_terminate_backend) costs no task."""
    close_old_connections()
