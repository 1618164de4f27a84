"""Entry point of `loa`: loads the configuration, then parses and runs one command.

Exit codes: 0 success, 1 refused (bad input, nothing changed), 2 usage or configuration error.
"""

from __future__ import annotations

import os
import sys

import django

from bot.config import ConfigError


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bot.settings")
    django.setup()


def main(argv: list[str] | None = None) -> int:
    try:
        _setup()
    except ConfigError as exc:
        print(f"loa: error: {exc}", file=sys.stderr)
        return 2
    # Imported after setup because the commands import the models (Django must be configured first).
    from django.conf import settings
    from django.utils import translation

    from bot.cli.commands import run_command

    with translation.override(os.environ.get("LOA_LANGUAGE", settings.LANGUAGE_CODE)):
        return run_command(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
