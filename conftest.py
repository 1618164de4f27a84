"""Test environment: a real PostgreSQL and a real Redis, each test run with its own database numbers.

Set before Django's settings load. Missing services stop the run with a clear message: CI must
fail loudly rather than skip.
"""

import os
import tempfile

os.environ.setdefault("LOA_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/loa_ci")
os.environ.setdefault("LOA_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
os.environ.setdefault("LOA_BROKER_URL", os.environ["LOA_TEST_REDIS_URL"])
os.environ.setdefault("LOA_DATA_DIR", tempfile.mkdtemp(prefix="loa-test-"))
os.environ.setdefault("LOA_LANGUAGE", "en")
