"""Serving the sandbox over real HTTP: a threaded stdlib server, in-process (tests) or standalone.

The stdlib server is used rather than a WSGI server because Zalo sends `access_token` and
`secret_key` as headers with underscores, which WSGI folds into dashes (and some servers drop).
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from channels.sandbox.app import Sandbox
from channels.sandbox.core import Request, parse_body

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 504: "Gateway Timeout"}


def _handler_for(sandbox: Sandbox):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; with Nagle on, a keep-alive client's delayed ACK held
        # each answer ~40 ms (bench/fanout.py: ~150 calls/s on loopback, ~750/s with TCP_NODELAY).
        disable_nagle_algorithm = True

        def _serve(self):
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            form, files = parse_body(headers, body)
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            response = sandbox.dispatch(Request(self.command, url.path, query, headers, body, form, files))
            self.send_response(response.status, REASONS.get(response.status))
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format, *args):  # noqa: A002 - tokens are in paths; never log them
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a fault may hold a request for long; stopping must not wait for it

    def handle_error(self, request, client_address):
        # A client that gave up (its timeout, a killed worker) is part of the game, not an error.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, TimeoutError)):
            super().handle_error(request, client_address)


class SandboxServer:
    """`with SandboxServer() as server: server.url` — the sandbox on a free loopback port."""

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1", port: int = 0):
        self.sandbox = sandbox or Sandbox()
        self.httpd = _Server((host, port), _handler_for(self.sandbox))
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "SandboxServer":
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="sandbox", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
