"""Configuration from the environment, validated once, failing with one sentence naming the setting.

Imported by the Django settings, the Celery config and the CLI; it imports neither Django nor Celery.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

log = logging.getLogger("loa.config")

SQLITE_SCHEMES = {"sqlite"}
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
BROKER_SCHEMES = {"redis", "rediss", "sqla+sqlite", "amqp", "pyamqp", "memory"}


class ConfigError(Exception):
    """A setting is wrong. The message is one sentence that names it."""


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    broker_url: str
    redis_url: str
    secret_key: str
    encryption_keys: tuple[str, ...]
    tick_seconds: float
    sending_timeout: float
    max_attempts: int
    retry_base_seconds: float
    claim_batch: int
    debug: bool
    allowed_hosts: tuple[str, ...]
    days_off: tuple[str, ...] = ()
    working_days: tuple[str, ...] = ()

    @property
    def uses_sqlite(self) -> bool:
        return urlsplit(self.database_url).scheme in SQLITE_SCHEMES


def _env(environ, name: str, default: str = "") -> str:
    return environ.get(name, "").strip() or default


def _number(environ, name: str, default: float, minimum: float, kind=float):
    raw = _env(environ, name)
    if not raw:
        return kind(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}.")
    return value


def _bool(environ, name: str) -> bool:
    raw = _env(environ, name, "0").lower()
    if raw not in {"0", "1", "true", "false", "yes", "no", "on", "off"}:
        raise ConfigError(f"{name} must be 1 or 0, got {raw!r}.")
    return raw in {"1", "true", "yes", "on"}


def _data_dir(environ) -> Path:
    path = Path(_env(environ, "LOA_DATA_DIR", "./var")).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"LOA_DATA_DIR {str(path)!r} cannot be created: {exc.strerror}.") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"LOA_DATA_DIR {str(path)!r} is not writable.")
    return path


def _database_url(environ, data_dir: Path) -> str:
    url = _env(environ, "LOA_DATABASE_URL", f"sqlite:///{data_dir / 'loa.sqlite3'}")
    scheme = urlsplit(url).scheme
    if scheme not in SQLITE_SCHEMES | POSTGRES_SCHEMES:
        raise ConfigError(
            f"LOA_DATABASE_URL must start with sqlite:/// or postgresql://, got scheme {scheme or 'none'!r}."
        )
    return url


def _broker_url(environ, data_dir: Path) -> str:
    url = _env(environ, "LOA_BROKER_URL", f"sqla+sqlite:///{data_dir / 'broker.sqlite3'}")
    scheme = urlsplit(url).scheme
    if scheme not in BROKER_SCHEMES:
        raise ConfigError(
            f"LOA_BROKER_URL must start with redis://, amqp:// or sqla+sqlite:///, got scheme {scheme or 'none'!r}."
        )
    return url


def _redis_url(environ, broker_url: str) -> str:
    """Redis for shared rate limits: LOA_REDIS_URL, else the broker when it is Redis, else none (database)."""
    url = _env(environ, "LOA_REDIS_URL")
    if url and urlsplit(url).scheme not in {"redis", "rediss"}:
        raise ConfigError(f"LOA_REDIS_URL must start with redis://, got {urlsplit(url).scheme or 'none'!r}.")
    if not url and urlsplit(broker_url).scheme in {"redis", "rediss"}:
        url = broker_url
    return url


def _key_from_file(data_dir: Path, name: str, env_name: str, generate) -> str:
    """Read a generated key from the data dir, creating it (mode 0600) with a warning on first run."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    value = generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    log.warning("%s is not set: generated one into %s. Back it up; set %s in production.", env_name, path, env_name)
    return value


def _encryption_keys(environ, data_dir: Path) -> tuple[str, ...]:
    raw = _env(environ, "LOA_ENCRYPTION_KEY")
    if not raw:
        raw = _key_from_file(data_dir, "encryption.key", "LOA_ENCRYPTION_KEY", lambda: Fernet.generate_key().decode())
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(
                "LOA_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes), "
                "or several separated by commas, newest first."
            ) from None
    return keys


def _secret_key(environ, data_dir: Path) -> str:
    raw = _env(environ, "LOA_SECRET_KEY")
    if not raw:
        raw = _key_from_file(data_dir, "secret.key", "LOA_SECRET_KEY", lambda: secrets.token_urlsafe(50))
    if len(raw) < 32:
        raise ConfigError("LOA_SECRET_KEY must be at least 32 characters long.")
    return raw


def _dates(environ, name: str) -> tuple[str, ...]:
    """Comma-separated ISO dates (decreed days off, make-up working Saturdays)."""
    values = tuple(v.strip() for v in _env(environ, name).split(",") if v.strip())
    for value in values:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{name} must list dates as YYYY-MM-DD separated by commas, got {value!r}.") from None
    return values


def load(environ=None) -> Config:
    environ = os.environ if environ is None else environ
    data_dir = _data_dir(environ)
    broker_url = _broker_url(environ, data_dir)
    return Config(
        data_dir=data_dir,
        database_url=_database_url(environ, data_dir),
        broker_url=broker_url,
        redis_url=_redis_url(environ, broker_url),
        secret_key=_secret_key(environ, data_dir),
        encryption_keys=_encryption_keys(environ, data_dir),
        # A due post waits up to one tick: at 1 s the p99 from due to the platform cannot go under 1 s
        # (bench/schedule_lag.py: 1.11 s at 1.0, 0.59 s at 0.5); a tick costs one indexed query.
        tick_seconds=_number(environ, "LOA_TICK_SECONDS", 0.5, 0.05),
        sending_timeout=_number(environ, "LOA_SENDING_TIMEOUT", 300.0, 1.0),
        max_attempts=_number(environ, "LOA_MAX_ATTEMPTS", 5, 1, int),
        retry_base_seconds=_number(environ, "LOA_RETRY_BASE_SECONDS", 30.0, 0.0),
        claim_batch=_number(environ, "LOA_CLAIM_BATCH", 200, 1, int),
        debug=_bool(environ, "LOA_DEBUG"),
        allowed_hosts=tuple(
            h.strip() for h in _env(environ, "LOA_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()
        ),
        days_off=_dates(environ, "LOA_DAYS_OFF"),
        working_days=_dates(environ, "LOA_WORKING_DAYS"),
    )
