"""autokitteh.<integration> helpers against fakes of the providers' APIs on 127.0.0.1
(OpenAI, Anthropic, AWS S3, OAuth-session APIs), and their pure logic: OAuth expiry and
refresh, Atlassian client arguments, Microsoft token provider, Slack channel names."""

import os
import sys
from datetime import UTC, datetime, timedelta

import pytest
from autokitteh.errors import ConnectionInitError, EnvVarError, OAuthRefreshError
from fake_provider import Reply

from autokitteh import (
    _oauth,
    airtable,
    anthropic,
    atlassian,
    aws,
    hubspot,
    kubernetes,
    linear,
    microsoft,
    slack,
    zoom,
)

LATER = datetime.now(UTC) + timedelta(hours=1)
EARLIER = datetime.now(UTC) - timedelta(hours=1)


def test_openai_client_calls_the_api_with_the_key(provider, monkeypatch):
    pytest.importorskip("openai")
    from autokitteh import openai

    def models(request):
        assert request.headers["authorization"] == "Bearer sk-test"
        return {
            "object": "list",
            "data": [{"id": "gpt-x", "object": "model", "created": 0, "owned_by": "o"}],
        }

    api = provider({("GET", "/v1/models"): models})
    monkeypatch.setenv("OPENAI_BASE_URL", api.url + "/v1")
    monkeypatch.setenv("ai__api_key", "sk-test")
    assert [m.id for m in openai.openai_client("ai").models.list()] == ["gpt-x"]


def test_anthropic_client_calls_the_api_with_the_key(provider, monkeypatch):
    pytest.importorskip("anthropic")

    def messages(request):
        assert request.headers["x-api-key"] == "sk-ant-test"
        assert request.json()["messages"] == [{"role": "user", "content": "hi"}]
        return {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [{"type": "text", "text": "hello"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }

    api = provider({("POST", "/v1/messages"): messages})
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("cl__api_key", "sk-ant-test")
    client = anthropic.anthropic_client("cl")
    reply = client.messages.create(
        model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.content[0].text == "hello"


def test_boto3_client_signs_with_the_connections_keys_and_region(provider, monkeypatch):
    pytest.importorskip("boto3")

    def buckets(request):
        auth = request.headers["authorization"]
        assert "Credential=AKIDTEST/" in auth and "/eu-west-1/s3/aws4_request" in auth
        assert request.headers["x-amz-security-token"] == "session-token"
        return Reply(
            200,
            b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult'
            b' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>1</ID></Owner>'
            b"<Buckets><Bucket><Name>b1</Name><CreationDate>2024-01-01T00:00:00.000Z"
            b"</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>",
            "application/xml",
        )

    api = provider({("GET", "/"): buckets})
    for name, value in {
        "AccessKeyID": "AKIDTEST",
        "SecretKey": "secret",
        "Token": "session-token",
        "Region": "eu-west-1",
    }.items():
        monkeypatch.setenv(f"aws__{name}", value)
    s3 = aws.boto3_client("aws", "s3", endpoint_url=api.url)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["b1"]


def test_boto3_client_needs_a_service():
    with pytest.raises(ValueError, match="AWS service name is required"):
        aws.boto3_client("aws", "")


def test_oauth_session_sends_the_token(provider, monkeypatch):
    api = provider({("POST", "/graphql"): lambda r: {"data": {"auth": r.headers["authorization"]}}})
    monkeypatch.setenv("lin__oauth_access_token", "lin_token")
    monkeypatch.delenv("lin__oauth_expiry", raising=False)
    session = linear.linear_client("lin")
    answer = session.post(api.url + "/graphql", json={"query": "{ viewer { id } }"}).json()
    assert answer == {"data": {"auth": "Bearer lin_token"}}


def test_oauth_session_refreshes_once_on_401(provider, monkeypatch):
    def me(request):
        if request.headers["authorization"] != "Bearer fresh":
            return Reply(401, {"code": 124, "message": "Invalid access token."})
        return {"id": "u1"}

    api = provider({("GET", "/v2/users/me"): me})
    monkeypatch.setattr(_oauth, "_refresh_oauth", lambda i, c: ("fresh", LATER))
    monkeypatch.setenv("zm__oauth_access_token", "revoked")
    monkeypatch.setenv("zm__oauth_refresh_token", "refresh")
    monkeypatch.delenv("zm__oauth_expiry", raising=False)
    response = zoom.zoom_client("zm").get(api.url + "/v2/users/me")
    assert response.status_code == 200 and response.json() == {"id": "u1"}
    assert [r.headers["authorization"] for r in api.requests] == ["Bearer revoked", "Bearer fresh"]
    assert os.environ["zm__oauth_access_token"] == "fresh"

    # Still refused after the refresh: the 401 is the answer, not another round.
    monkeypatch.setattr(_oauth, "_refresh_oauth", lambda i, c: ("also-bad", LATER))
    monkeypatch.setenv("zm__oauth_access_token", "revoked")
    api.requests.clear()
    assert zoom.zoom_client("zm").get(api.url + "/v2/users/me").status_code == 401
    assert len(api.requests) == 2


def test_oauth_session_without_refresh_token_returns_the_401(provider, monkeypatch):
    api = provider({("GET", "/x"): lambda r: Reply(401, {})})
    monkeypatch.setenv("nr__oauth_access_token", "t")
    monkeypatch.delenv("nr__oauth_refresh_token", raising=False)
    monkeypatch.delenv("nr__oauth_expiry", raising=False)
    assert zoom.zoom_client("nr").get(api.url + "/x").status_code == 401


def test_an_expired_oauth_session_token_is_refreshed_or_refused(
    monkeypatch, daemon_refuses_refresh
):
    monkeypatch.setenv("ex__oauth_access_token", "stale")
    monkeypatch.setenv("ex__oauth_expiry", EARLIER.isoformat())
    with pytest.raises(OAuthRefreshError, match="'ex'.*linear token refresh not available"):
        linear.linear_client("ex")
    monkeypatch.setattr(_oauth, "_refresh_oauth", lambda i, c: ("fresh", LATER))
    assert linear.linear_client("ex").headers["Authorization"] == "Bearer fresh"


def test_hubspot_refreshes_an_expired_token_before_making_the_client(
    monkeypatch, daemon_refuses_refresh
):
    monkeypatch.setenv("hs__oauth_AccessToken", "stale")
    monkeypatch.setenv("hs__oauth_Expiry", "2024-06-20 19:18:17 -0700 PDT")
    with pytest.raises(OAuthRefreshError, match="hubspot token refresh not available"):
        hubspot.hubspot_client("hs")


def test_airtable_with_only_a_refresh_token_asks_the_hook(monkeypatch):
    asked = []
    monkeypatch.setattr(
        _oauth, "_refresh_oauth", lambda i, c: asked.append((i, c)) or ("fresh", LATER)
    )
    monkeypatch.delenv("at__pat", raising=False)
    monkeypatch.delenv("at__oauth_access_token", raising=False)
    monkeypatch.setenv("at__oauth_refresh_token", "refresh")
    monkeypatch.setitem(sys.modules, "pyairtable", None)
    with pytest.raises(ImportError, match="pyairtable"):
        airtable.airtable_client("at")
    assert asked == [("airtable", "at")]
    assert os.environ["at__oauth_access_token"] == "fresh"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2024-06-20 19:18:17.123456789 -0700 PDT", datetime(2024, 6, 21, 2, 18, 17, tzinfo=UTC)),
        ("2024-06-20 19:18:17 +0000 UTC m=+0.1", datetime(2024, 6, 20, 19, 18, 17, tzinfo=UTC)),
        ("2024-06-20T19:18:17Z", datetime(2024, 6, 20, 19, 18, 17, tzinfo=UTC)),
        ("2024-06-20T19:18:17.5+02:00", datetime(2024, 6, 20, 17, 18, 17, tzinfo=UTC)),
        ("2024-06-20T19:18:17", datetime(2024, 6, 20, 19, 18, 17, tzinfo=UTC)),
    ],
)
def test_parse_expiry(text, want):
    assert _oauth.parse_expiry(text) == want


def test_needs_refresh():
    assert _oauth.needs_refresh(EARLIER)
    assert _oauth.needs_refresh(datetime.now(UTC) + timedelta(minutes=2))
    assert not _oauth.needs_refresh(LATER)
    assert not _oauth.needs_refresh(None)


def test_atlassian_client_args(monkeypatch):
    for name in list(os.environ):
        if name.startswith("at_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("at_cloud__BaseURL", "https://me.atlassian.net")
    monkeypatch.setenv("at_cloud__Token", "api-token")
    monkeypatch.setenv("at_cloud__Email", "me@example.com")
    assert atlassian.client_args("at_cloud", "jira") == {
        "url": "https://me.atlassian.net",
        "username": "me@example.com",
        "password": "api-token",
        "cloud": True,
    }
    monkeypatch.setenv("at_dc__BaseURL", "https://jira.example.com")
    monkeypatch.setenv("at_dc__Token", "pat")
    assert atlassian.client_args("at_dc", "jira") == {
        "url": "https://jira.example.com",
        "token": "pat",
    }
    assert atlassian.get_base_url("at_dc") == "https://jira.example.com"
    assert atlassian.get_base_url("at_none") is None

    monkeypatch.setenv("at_oauth__oauth_AccessToken", "access")
    monkeypatch.setenv("at_oauth__oauth_TokenType", "Bearer")
    monkeypatch.setenv("at_oauth__oauth_Expiry", LATER.isoformat())
    monkeypatch.setenv("at_oauth__AccessID", "cloud-1")
    monkeypatch.setenv("at_oauth__AccessURL", "https://me.atlassian.net")
    monkeypatch.delenv("CONFLUENCE_CLIENT_ID", raising=False)
    with pytest.raises(EnvVarError, match="CONFLUENCE_CLIENT_ID"):
        atlassian.client_args("at_oauth", "confluence")
    monkeypatch.setenv("CONFLUENCE_CLIENT_ID", "client")
    assert atlassian.client_args("at_oauth", "confluence") == {
        "url": "https://api.atlassian.com/ex/confluence/cloud-1",
        "oauth2": {
            "client_id": "client",
            "token": {"access_token": "access", "token_type": "Bearer"},
        },
    }
    assert atlassian.get_base_url("at_oauth") == "https://me.atlassian.net"
    monkeypatch.delenv("at_oauth__AccessID")
    with pytest.raises(ConnectionInitError, match="no AccessID"):
        atlassian.client_args("at_oauth", "jira")


def test_microsoft_auth_types(monkeypatch, daemon_refuses_refresh):
    monkeypatch.setenv("ms__auth_type", "bogus")
    with pytest.raises(ValueError, match="invalid auth type 'bogus'"):
        microsoft.teams_client("ms")
    monkeypatch.setenv("ms__auth_type", "daemonApp")
    with pytest.raises(ValueError, match="not using OAuth"):
        microsoft.OAuthTokenProvider("ms")
    monkeypatch.setenv("ms__auth_type", "oauthDefault")
    monkeypatch.delenv("ms__oauth_access_token", raising=False)
    with pytest.raises(ConnectionInitError, match="no oauth_access_token"):
        microsoft.OAuthTokenProvider("ms")
    monkeypatch.setenv("ms__oauth_access_token", "stale")
    monkeypatch.setenv("ms__oauth_expiry", EARLIER.isoformat())
    with pytest.raises(OAuthRefreshError, match="microsoft token refresh not available"):
        microsoft.OAuthTokenProvider("ms").get_token("https://graph.microsoft.com/.default")


def test_kubernetes_config_must_be_json(monkeypatch):
    monkeypatch.setenv("k8s__configFile", "apiVersion: v1")
    with pytest.raises(ConnectionInitError, match="no valid configFile"):
        kubernetes.kubernetes_client("k8s")


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("Hello World!", "hello-world"),
        ("  'Quoted' \"name\" ", "quoted-name"),
        ("a__b--c  d", "a-b-c-d"),
        ("Incident #42: DB down", "incident-42-db-down"),
        ("x" * 60, "x" * 50),
        ("-leading and trailing-", "leading-and-trailing"),
        ("", ""),
        ("-", ""),
    ],
)
def test_normalize_channel_name(name, want):
    assert slack.normalize_channel_name(name) == want
