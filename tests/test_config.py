"""Configuration from the environment: working defaults, and one clear sentence for a wrong setting."""

import os
import stat

import pytest
from cryptography.fernet import Fernet

from bot.config import ConfigError, load
from tests.processes import embedded_env, loa


def test_defaults_put_everything_in_the_data_dir(tmp_path):
    cfg = load({"LOA_DATA_DIR": str(tmp_path / "var")})
    assert cfg.database_url == f"sqlite:///{tmp_path / 'var' / 'loa.sqlite3'}"
    assert cfg.broker_url == f"sqla+sqlite:///{tmp_path / 'var' / 'broker.sqlite3'}"
    assert cfg.uses_sqlite and cfg.tick_seconds == 0.5


def test_generated_keys_are_private_and_stable(tmp_path):
    first = load({"LOA_DATA_DIR": str(tmp_path)})
    second = load({"LOA_DATA_DIR": str(tmp_path)})
    assert first.encryption_keys == second.encryption_keys and first.secret_key == second.secret_key
    for name in ("encryption.key", "secret.key"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600


def test_several_encryption_keys_allow_rotation(tmp_path):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert load({"LOA_DATA_DIR": str(tmp_path), "LOA_ENCRYPTION_KEY": f"{new},{old}"}).encryption_keys == (new, old)


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("LOA_DATABASE_URL", "mysql://root@localhost/loa", "LOA_DATABASE_URL"),
        ("LOA_BROKER_URL", "kafka://localhost", "LOA_BROKER_URL"),
        ("LOA_ENCRYPTION_KEY", "not-a-key", "LOA_ENCRYPTION_KEY"),
        ("LOA_SECRET_KEY", "short", "LOA_SECRET_KEY"),
        ("LOA_TICK_SECONDS", "soon", "LOA_TICK_SECONDS"),
        ("LOA_TICK_SECONDS", "0", "LOA_TICK_SECONDS"),
        ("LOA_MAX_ATTEMPTS", "2.5", "LOA_MAX_ATTEMPTS"),
        ("LOA_DEBUG", "maybe", "LOA_DEBUG"),
        ("LOA_DAYS_OFF", "2027-02-05,mùng 6 Tết", "LOA_DAYS_OFF"),
    ],
)
def test_a_wrong_setting_is_named_in_one_sentence(tmp_path, name, value, expected):
    with pytest.raises(ConfigError) as excinfo:
        load({"LOA_DATA_DIR": str(tmp_path), name: value})
    message = str(excinfo.value)
    assert message.startswith(expected) and "\n" not in message


def test_an_unusable_data_dir_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="^LOA_DATA_DIR"):
        load({"LOA_DATA_DIR": str(blocker / "var")})


def test_the_cli_fails_at_start_with_the_setting_named(tmp_path):
    result = loa("migrate", env=embedded_env(tmp_path, LOA_DATABASE_URL="mysql://x/y"), check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("loa: error: LOA_DATABASE_URL must start with")
    assert "Traceback" not in result.stderr
