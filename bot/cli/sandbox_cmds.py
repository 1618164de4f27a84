"""`loa sandbox` (the fake platforms alone) and `loa demo` (all of Loa against them, seeded)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext as _

from bot import demo
from bot.cli import run_cmd
from channels.sandbox.server import SandboxServer

DEMO_FLAG = "LOA_DEMO_CHILD"


def register(sub) -> None:
    p = sub.add_parser("sandbox", help="serve the fake Zalo, Facebook and Telegram APIs")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.set_defaults(handler=cmd_sandbox)
    p = sub.add_parser("demo", help="the whole of Loa against the sandbox, with seeded units, channels and posts")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--sandbox-port", type=int, default=8081)
    p.add_argument("--concurrency", type=int, default=None)
    p.add_argument("--keep", action="store_true", help="keep the previous demo's data instead of starting afresh")
    p.set_defaults(handler=cmd_demo)


def cmd_sandbox(args) -> int:
    server = SandboxServer(host=args.host, port=args.port)
    print(_("Sandbox serving %(platforms)s at %(url)s (control: %(url)s/_sandbox/; Ctrl-C stops it)") % {
        "platforms": ", ".join(sorted(server.sandbox.platforms)), "url": server.url}, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: stopped.set())
    signal.signal(signal.SIGTERM, lambda *a: stopped.set())
    server.start()
    stopped.wait()
    server.stop()
    return 0


def cmd_demo(args) -> int:
    if os.environ.get(DEMO_FLAG) != "1":
        return _restart_on_demo_data(args)
    call_command("migrate", interactive=False, verbosity=0)
    server = SandboxServer(host=args.host, port=args.sandbox_port).start()
    settings.SANDBOX_URL = server.url  # the back-office served in this process shows /sandbox/
    try:
        seeded = demo.seed(server.url, server.sandbox)
        print(demo.welcome(seeded, f"http://{args.host}:{args.port}/", server.url), flush=True)
        return run_cmd.cmd_run(args)
    finally:
        server.stop()


def _restart_on_demo_data(args) -> int:
    """The demo runs on embedded defaults in its own data folder, never on a real installation's data."""
    demo_dir = Path(settings.LOA.data_dir) / "demo"
    if demo_dir.exists() and not args.keep:
        shutil.rmtree(demo_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("LOA_DATABASE_URL", "LOA_BROKER_URL", "LOA_REDIS_URL")}
    env.update(LOA_DATA_DIR=str(demo_dir), **{DEMO_FLAG: "1"})
    argv = [sys.executable, "-m", "bot.cli.main", "demo", "--host", args.host, "--port", str(args.port),
            "--sandbox-port", str(args.sandbox_port), "--keep"]
    os.execve(sys.executable, argv, env)
    return 0  # not reached
