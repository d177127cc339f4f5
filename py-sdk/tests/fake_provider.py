"""A fake of a provider's API for the integration tests: a real HTTP server on 127.0.0.1."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=dict)
    content_type: str = "application/json"


class FakeProvider:
    """Answers each request with ``routes[(method, path)](request)`` (a ``Reply``, or a
    JSON-ready value for a 200), 404 for an unknown route, 500 when the route raises (kept
    in ``errors``); records every request."""

    def __init__(self, routes):
        self.routes = routes
        self.requests: list[Request] = []
        self.errors: list[Exception] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("content-length") or 0)
                url = urlsplit(self.path)
                request = Request(
                    self.command,
                    url.path,
                    url.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                fake.requests.append(request)
                route = fake.routes.get((self.command, url.path))
                try:
                    reply = route(request) if route else Reply(404, {"error": "no route"})
                except Exception as err:  # A failed check in a route: the test sees it.
                    fake.errors.append(err)
                    reply = Reply(500, {"error": repr(err)})
                if not isinstance(reply, Reply):
                    reply = Reply(200, reply)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body)
                data = data.encode() if isinstance(data, str) else data
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
