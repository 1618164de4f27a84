"""Settings for the test run: a real PostgreSQL and a real Redis, each with this run's own database.

The environment is completed here, before bot.settings reads it; anything already set wins, so
CI or a developer can point the tests elsewhere. Missing services stop the run (tests/conftest.py).
"""

import os
import tempfile

os.environ.setdefault("LOA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/loa_ci")
os.environ.setdefault("LOA_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
os.environ.setdefault("LOA_BROKER_URL", os.environ["LOA_TEST_REDIS_URL"])
os.environ.setdefault("LOA_DATA_DIR", tempfile.mkdtemp(prefix="loa-test-"))
os.environ.setdefault("LOA_LANGUAGE", "en")

from bot.settings import *  # noqa: E402,F401,F403
