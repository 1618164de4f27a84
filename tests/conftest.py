"""Fixtures shared by all tests: service checks, personas, channels."""

from __future__ import annotations

import os

import psycopg
import pytest
import redis

from bot.models import Profile, Role, Unit

REDIS_URL = os.environ["LOA_TEST_REDIS_URL"]


def pytest_sessionstart(session):
    problems = []
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({exc})")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis at {REDIS_URL} is not reachable ({exc})")
    if problems:
        pytest.exit("required services missing: " + "; ".join(problems), returncode=3)


@pytest.fixture(scope="session", autouse=True)
def redis_cleaned_after_the_run():
    yield
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    """A test client request in English leaves English active in this thread (LocaleMiddleware does not
    reset it); the next test must start from the default, whatever ran before it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def units(db):
    province = Unit.objects.create(slug="hcm", name="Thành phố Hồ Chí Minh")
    ward = Unit.objects.create(slug="ben-thanh", name="Phường Bến Thành", parent=province)
    other = Unit.objects.create(slug="sai-gon", name="Phường Sài Gòn", parent=province)
    return {"province": province, "ward": ward, "other": other}


def make_user(username: str, role: str, unit: Unit):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password="Mật-khẩu-đủ-dài-1")
    Profile.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def people(units):
    """Personas: Lan writes for the ward, Minh approves at the province, Hùng approves another ward."""
    return {
        "lan": make_user("lan", Role.EDITOR, units["ward"]),
        "minh": make_user("minh", Role.APPROVER, units["province"]),
        "hung": make_user("hung", Role.APPROVER, units["other"]),
        "thu": make_user("thu", Role.STAFF, units["ward"]),
    }


@pytest.fixture
def outbox_channel(units, tmp_path):
    from bot.channel_config import channel_add

    return channel_add(unit=units["ward"], kind="outbox", name="bang-dien-tu", pairs={"path": str(tmp_path / "outbox")})


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's million rounds cost ~0.6 s per persona; tests exercise roles, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    from django.db import connection

    if connection.vendor != "postgresql":
        raise pytest.UsageError(f"the tests need PostgreSQL; LOA_DATABASE_URL points to {connection.vendor}")
