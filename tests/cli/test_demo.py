"""`loa demo` on the embedded defaults: starts the sandbox, the back-office, a worker and the beat,
publishes its seeded posts to every sandbox platform within a minute, and stops cleanly on Ctrl-C."""

import signal
import subprocess
import sys

import pytest
import requests

from tests.cli.test_run import fetch, free_port, processes_using
from tests.processes import ROOT, embedded_env, wait_until

pytestmark = [pytest.mark.slow]


def received(sandbox_url: str) -> dict[str, int]:
    """How many posts each fake platform holds."""
    try:
        tg = requests.get(f"{sandbox_url}/_sandbox/telegram/state", timeout=2).json()
        fb = requests.get(f"{sandbox_url}/_sandbox/facebook/state", timeout=2).json()
        zl = requests.get(f"{sandbox_url}/_sandbox/zalo/state", timeout=2).json()
    except requests.RequestException:
        return {}
    return {
        "telegram": sum(len(c["messages"]) for c in tg["chats"].values() if c.get("type") == "channel"),
        "facebook": sum(len(p["posts"]) for p in fb["pages"].values()),
        "zalo": sum(len(o["broadcasts"]) for o in zl["oas"].values()),
    }


def test_loa_demo_publishes_to_every_platform_within_a_minute_and_stops_cleanly(tmp_path):
    data = tmp_path / "var"
    env = embedded_env(data)
    port, sandbox_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    log = open(tmp_path / "demo.log", "wb")
    demo = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "demo", "--port", str(port), "--sandbox-port", str(sandbox_port)],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert "Tên đăng nhập" in wait_until(lambda: fetch(f"http://127.0.0.1:{port}/admin/login/"),
                                             timeout=60, what="the back-office")
        counts = wait_until(lambda: (c := received(sandbox_url)) and min(c.values()) >= 3 and c,
                            timeout=75, what="three posts on every platform")
        assert counts == {"telegram": 3, "facebook": 3, "zalo": 3}
        assert len(list((data / "demo" / "outbox").glob("*.json"))) == 3
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(60)
        log.close()
    assert code == 0, (tmp_path / "demo.log").read_text()[-3000:]
    assert processes_using(data / "demo") == []


def test_loa_sandbox_serves_the_three_fakes_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    sandbox = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "sandbox", "--port", str(port)],
                               env=embedded_env(tmp_path / "var"), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        info = wait_until(lambda: fetch(f"http://127.0.0.1:{port}/_sandbox/"), timeout=30, what="the sandbox")
        assert all(name in info for name in ("telegram", "facebook", "zalo"))
        refused = requests.post(f"http://127.0.0.1:{port}/telegram/bot1:bad/getMe", timeout=5)
        assert refused.status_code == 401 and refused.json() == {
            "ok": False, "error_code": 401, "description": "Unauthorized"}
    finally:
        sandbox.send_signal(signal.SIGINT)
        assert sandbox.wait(30) == 0
