"""The sandbox's plumbing over real HTTP: routing, body parsing, headers, faults, control surface."""

import pytest
import requests

from channels.sandbox.app import Sandbox
from channels.sandbox.client import SandboxClient
from channels.sandbox.core import Platform, json_response
from channels.sandbox.server import SandboxServer


class Echo(Platform):
    name = "echo"
    prefixes = ("echo", "echo-auth")

    def handle(self, request):
        verdict = self.faults.before("k")
        if verdict == "rate_limit":
            return json_response({"error": "slow down"}, status=429)
        with self.lock:
            self.requests.append(request.log_entry())
        files = {k: [f.filename, f.content_type, f.content.decode()] for k, f in request.files.items()}
        return json_response({"prefix": request.prefix, "path": request.path, "params": request.params(),
                              "files": files, "token": request.headers.get("access_token")})

    def configure(self, data):
        return data

    def state(self):
        return {"count": len(self.requests)}


@pytest.fixture
def server():
    with SandboxServer(Sandbox([Echo], hold_seconds=0.5)) as srv:
        yield srv


def test_routes_by_prefix_and_parses_query_form_json_and_multipart(server):
    r = requests.post(f"{server.url}/echo/v3.0/oa/x?data=%7B%7D", data={"a": "ả"}, files={"file": ("c.png", b"PNG", "image/png")},
                      headers={"access_token": "tok_1"}, timeout=5).json()
    assert r["prefix"] == "echo" and r["path"] == "/v3.0/oa/x"
    assert r["params"] == {"data": "{}", "a": "ả"} and r["files"] == {"file": ["c.png", "image/png", "PNG"]}
    assert r["token"] == "tok_1", "headers with underscores must reach the fake"
    r = requests.post(f"{server.url}/echo-auth/v4", json={"x": 1}, timeout=5).json()
    assert r["prefix"] == "echo-auth" and r["params"] == {"x": 1}


def test_control_surface_faults_and_state(server):
    client = SandboxClient(server.url)
    assert client.info()["platforms"] == ["echo"]
    client.fault("k", rate_limit=1)
    assert requests.get(f"{server.url}/echo/a", timeout=5).status_code == 429
    assert requests.get(f"{server.url}/echo/a", timeout=5).status_code == 200
    assert client.state("echo") == {"count": 1}
    assert client.requests("echo")[0]["path"] == "/a"
    client.reset()
    assert client.requests("echo") == []


def test_unknown_prefix_and_control_call_are_404(server):
    assert requests.get(f"{server.url}/nowhere/x", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/_sandbox/echo/unknown", timeout=5).status_code == 404
