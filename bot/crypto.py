"""Channel secrets at rest: Fernet with the key(s) from LOA_ENCRYPTION_KEY, newest first (rotation)."""

import json

from cryptography.fernet import InvalidToken, MultiFernet, Fernet
from django.conf import settings


class SecretsUnreadable(Exception):
    pass


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in settings.LOA.encryption_keys])


def encrypt_json(values: dict) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()


def decrypt_json(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise SecretsUnreadable(
            "the channel's secrets cannot be decrypted with LOA_ENCRYPTION_KEY (was the key changed?)"
        ) from None
