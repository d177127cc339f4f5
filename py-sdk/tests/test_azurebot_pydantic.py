"""autokitteh.azurebot against a fake of the identity platform and Bot Framework on
127.0.0.1; autokitteh.pydantic's connection checks (pydantic-ai itself is optional)."""

import urllib.parse

import pytest
from autokitteh.errors import AuthenticationError, ConnectionInitError

from autokitteh import azurebot
from autokitteh import pydantic as ak_pydantic


@pytest.fixture
def bot_env(monkeypatch):
    monkeypatch.setenv("bot__app_id", "app-1")
    monkeypatch.setenv("bot__app_password", "pw-1")
    monkeypatch.setenv("bot__tenant_id", "tenant-1")


def test_sends_an_activity_with_a_fresh_token(provider, monkeypatch, bot_env):
    def token(request):
        form = dict(urllib.parse.parse_qsl(request.body.decode()))
        assert form["client_id"] == "app-1" and form["client_secret"] == "pw-1"
        assert form["grant_type"] == "client_credentials"
        return {"access_token": "tok-1"}

    def post(request):
        assert request.headers["authorization"] == "Bearer tok-1"
        assert request.json() == {"type": "message", "text": "hi"}
        return {"id": "act-1"}

    api = provider(
        {
            ("POST", "/tenant-1/oauth2/v2.0/token"): token,
            ("POST", "/svc/v3/conversations/c-1/activities"): post,
        }
    )
    monkeypatch.setattr(azurebot.AzureBotClient, "login_url", api.url)
    client = azurebot.azurebot_client("bot")
    sent = client.send_conversation_activity(
        {"type": "message", "text": "hi"}, "c-1", service_url=api.url + "/svc/"
    )
    assert sent == {"id": "act-1"}


def test_a_refused_token_is_an_authentication_error(provider, monkeypatch, bot_env):
    from fake_provider import Reply

    api = provider(
        {("POST", "/tenant-1/oauth2/v2.0/token"): lambda r: Reply(401, {"error": "bad"})}
    )
    monkeypatch.setattr(azurebot.AzureBotClient, "login_url", api.url)
    with pytest.raises(AuthenticationError):
        azurebot.azurebot_client("bot").send_conversation_activity({}, None, api.url + "/")


def test_azurebot_needs_the_connection_vars(monkeypatch):
    monkeypatch.delenv("nobot__app_id", raising=False)
    with pytest.raises(ConnectionInitError):
        azurebot.azurebot_client("nobot")
    with pytest.raises(ValueError):
        azurebot.azurebot_client("bad name")


@pytest.mark.parametrize(
    "make",
    [
        ak_pydantic.pydantic_gateway_provider,
        ak_pydantic.openai_pydantic_ai_provider,
        ak_pydantic.anthropic_pydantic_ai_provider,
    ],
)
def test_pydantic_providers_need_the_api_key(make, monkeypatch):
    monkeypatch.delenv("ai__api_key", raising=False)
    with pytest.raises(ConnectionInitError):
        make("ai")
    monkeypatch.setenv("ai__api_key", "k")
    try:
        import pydantic_ai  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match='needs the "pydantic-ai" package'):
            make("ai")
