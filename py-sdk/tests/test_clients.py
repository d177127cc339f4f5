"""autokitteh.slack / autokitteh.github: clients built from connection vars, against fakes
of Slack's and GitHub's APIs on 127.0.0.1."""

import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from autokitteh import errors
from autokitteh.github import github_client
from autokitteh.slack import slack_client

HAS_PYGITHUB = importlib.util.find_spec("github") is not None
HAS_SLACK_SDK = importlib.util.find_spec("slack_sdk") is not None
HAS_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None


class FakeApi:
    """A loopback HTTP server answering from a dict of (method, path) -> (status, body)."""

    def __init__(self, routes):
        self.routes = routes
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append((self.command, self.path, dict(self.headers), body))
                route = fake.routes.get((self.command, self.path.split("?")[0]))
                status, payload = route(self.headers, body) if route else (404, {"message": "nf"})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    made = []

    def make(routes):
        api = FakeApi(routes)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


def test_connection_names_are_checked():
    with pytest.raises(ValueError, match="invalid connection name"):
        slack_client("no-dashes")
    with pytest.raises(ValueError, match="invalid connection name"):
        github_client("")


def test_missing_packages_give_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "slack_sdk", None)
    monkeypatch.setitem(sys.modules, "github", None)
    monkeypatch.setenv("s__private_bot_token", "xoxb-1")
    monkeypatch.setenv("g__pat", "ghp_1")
    with pytest.raises(ImportError, match='needs the "slack_sdk" package'):
        slack_client("s")
    with pytest.raises(ImportError, match='needs the "PyGithub" package'):
        github_client("g")


@pytest.mark.skipif(not HAS_PYGITHUB, reason="PyGithub is not installed")
def test_github_pat_client_talks_to_the_configured_api(fake, monkeypatch):
    def user(headers, body):
        if headers.get("Authorization") != "token ghp_secret":
            return 401, {"message": "Bad credentials"}
        return 200, {"login": "octocat", "id": 1}

    api = fake({("GET", "/user"): user})
    monkeypatch.setenv("POUNCE_GITHUB_API_URL", api.url)
    monkeypatch.setenv("gh__pat", "ghp_secret")
    client = github_client("gh")
    assert client.get_user().login == "octocat"


@pytest.mark.skipif(not HAS_PYGITHUB, reason="PyGithub is not installed")
def test_github_without_credentials_is_not_initialized(monkeypatch):
    for name in ("pat", "app_id", "install_id", "private_key"):
        monkeypatch.delenv(f"bare__{name}", raising=False)
    with pytest.raises(errors.ConnectionInitError, match="bare"):
        github_client("bare")


@pytest.mark.skipif(
    not (HAS_PYGITHUB and HAS_CRYPTOGRAPHY), reason="PyGithub (with cryptography) is not installed"
)
def test_github_app_client_uses_installation_tokens(fake, monkeypatch):
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()

    def access_tokens(headers, body):
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        claims = jwt.decode(token, key.public_key(), algorithms=["RS256"])
        assert claims["iss"] == "1001"
        return 201, {"token": "ghs_installation", "expires_at": "2099-01-01T00:00:00Z"}

    def repo(headers, body):
        if headers.get("Authorization") != "token ghs_installation":
            return 401, {"message": "Bad credentials"}
        return 200, {"id": 7, "name": "r", "full_name": "o/r"}

    api = fake(
        {
            ("POST", "/app/installations/42/access_tokens"): access_tokens,
            ("GET", "/repos/o/r"): repo,
        }
    )
    monkeypatch.setenv("POUNCE_GITHUB_API_URL", api.url)
    monkeypatch.delenv("app__pat", raising=False)
    monkeypatch.setenv("app__app_id", "1001")
    monkeypatch.setenv("app__install_id", "42")
    monkeypatch.setenv("app__private_key", pem)
    assert github_client("app").get_repo("o/r").full_name == "o/r"


@pytest.mark.skipif(not HAS_SLACK_SDK, reason="slack_sdk is not installed")
def test_slack_client_checks_its_token_with_auth_test(fake, monkeypatch):
    def auth_test(headers, body):
        if headers.get("Authorization") != "Bearer xoxb-good":
            return 200, {"ok": False, "error": "invalid_auth"}
        return 200, {"ok": True, "user": "bot", "team": "T"}

    api = fake({("POST", "/api/auth.test"): auth_test})
    monkeypatch.setenv("POUNCE_SLACK_API_URL", api.url + "/api/")
    monkeypatch.delenv("s__oauth_access_token", raising=False)
    monkeypatch.setenv("s__private_bot_token", "xoxb-good")
    assert slack_client("s").auth_test()["user"] == "bot"
    monkeypatch.delenv("s__private_bot_token")
    with pytest.raises(errors.ConnectionInitError):
        slack_client("s")
