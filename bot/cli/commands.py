"""The parser of `loa` and the dispatch of its commands to their modules."""

from __future__ import annotations

import argparse
import sys

from django.db import DatabaseError

from bot.cli import channel_cmds, delivery_cmds, feedback_cmds, org_cmds, post_cmds, queue_cmds, run_cmd, sandbox_cmds, series_cmds, slogan_cmds
from bot.errors import Invalid

MODULES = (org_cmds, channel_cmds, post_cmds, delivery_cmds, feedback_cmds, slogan_cmds, series_cmds, queue_cmds, run_cmd, sandbox_cmds)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, not the usage block: scripts read stderr.
        self.exit(2, f"loa: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="loa", description="Loa: multi-channel publishing for administrative-reform communication.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in MODULES:
        module.register(sub)
    return parser


def run_command(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.handler(args) or 0
    except Invalid as exc:
        print(f"loa: error: {exc.message}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"loa: error: the database refused the operation ({first_line}); run `loa migrate`?", file=sys.stderr)
        return 1
