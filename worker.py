"""The Celery application:  celery -A worker worker -B  (worker plus embedded beat)."""

import os
import sys

import django
from celery import Celery

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
