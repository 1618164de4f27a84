"""WSGI entry point for the back-office."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bot.settings")
application = get_wsgi_application()
