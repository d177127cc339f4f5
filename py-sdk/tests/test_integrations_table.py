"""Every ``autokitteh.<integration>`` helper: an invalid connection name is a ValueError,
missing credentials a ConnectionInitError naming the connection and what it lacks, and a
missing client library an ImportError naming the package to add to requirements.txt."""

import os
import sys

import pytest
from autokitteh.errors import ConnectionInitError

from autokitteh import (
    airtable,
    anthropic,
    asana,
    atlassian,
    auth0,
    aws,
    discord,
    github,
    google,
    height,
    hubspot,
    kubernetes,
    linear,
    microsoft,
    notion,
    openai,
    pipedrive,
    reddit,
    redis,
    salesforce,
    slack,
    telegram,
    twilio,
    zoom,
)

OAUTH_USER = {"authType": "oauth", "oauth_AccessToken": "ya29.t"}
SERVICE_ACCOUNT = {"JSON": '{"type": "service_account"}'}

# (helper, credentials that satisfy it, module to block, package named in the ImportError,
#  a variable the ConnectionInitError names)
HELPERS = [
    (
        google.gmail_client,
        OAUTH_USER,
        "googleapiclient.discovery",
        "google-api-python-client",
        "JSON",
    ),
    (
        google.google_calendar_client,
        OAUTH_USER,
        "googleapiclient.discovery",
        "google-api-python-client",
        "JSON",
    ),
    (
        google.google_drive_client,
        OAUTH_USER,
        "googleapiclient.discovery",
        "google-api-python-client",
        "JSON",
    ),
    (
        google.google_forms_client,
        OAUTH_USER,
        "googleapiclient.discovery",
        "google-api-python-client",
        "JSON",
    ),
    (
        google.google_sheets_client,
        SERVICE_ACCOUNT,
        "google.oauth2.service_account",
        "google-auth",
        "JSON",
    ),
    (
        google.youtube_client,
        OAUTH_USER,
        "googleapiclient.discovery",
        "google-api-python-client",
        "JSON",
    ),
    (google.gspread_client, OAUTH_USER, "gspread", "gspread", "JSON"),
    (
        google.gemini_client,
        {"api_key": "k"},
        "google.generativeai",
        "google-generativeai",
        "api_key",
    ),
    (google.genai_client, {"api_key": "k"}, "google.genai", "google-genai", "api_key"),
    (
        atlassian.jira_client,
        {"Token": "t", "BaseURL": "https://x.example"},
        "atlassian",
        "atlassian-python-api",
        "Token",
    ),
    (
        atlassian.atlassian_jira_client,
        {"Token": "t", "BaseURL": "https://x.example"},
        "atlassian",
        "atlassian-python-api",
        "Token",
    ),
    (
        atlassian.confluence_client,
        {"Token": "t", "BaseURL": "https://x.example"},
        "atlassian",
        "atlassian-python-api",
        "Token",
    ),
    (openai.openai_client, {"api_key": "k"}, "openai", "openai", "api_key"),
    (anthropic.anthropic_client, {"api_key": "k"}, "anthropic", "anthropic", "api_key"),
    (twilio.twilio_client, {"Username": "u", "Password": "p"}, "twilio.rest", "twilio", "Username"),
    (
        lambda c: aws.boto3_client(c, "s3"),
        {"AccessKeyID": "a", "SecretKey": "s"},
        "boto3",
        "boto3",
        "AccessKeyID",
    ),
    (asana.asana_client, {"pat": "p"}, "asana", "asana", "pat"),
    (
        auth0.auth0_client,
        {"oauth_AccessToken": "t", "auth0_domain": "d"},
        "auth0.management",
        "auth0-python",
        "auth0_domain",
    ),
    (discord.discord_client, {"BotToken": "b"}, "discord", "discord.py", "BotToken"),
    (
        hubspot.hubspot_client,
        {"oauth_AccessToken": "t"},
        "hubspot",
        "hubspot-api-client",
        "oauth_AccessToken",
    ),
    (
        linear.linear_client,
        {"oauth_access_token": "t"},
        "requests",
        "requests",
        "oauth_access_token",
    ),
    (zoom.zoom_client, {"oauth_access_token": "t"}, "requests", "requests", "oauth_access_token"),
    (
        height.height_client,
        {"oauth_access_token": "t"},
        "requests",
        "requests",
        "oauth_access_token",
    ),
    (
        notion.notion_client,
        {"internal_integration_secret": "s"},
        "notion_client",
        "notion-client",
        "internal_integration_secret",
    ),
    (
        pipedrive.pipedrive_client,
        {"api_key": "k", "company_domain": "d"},
        "pipedrive.client",
        "pipedrive-python-lib",
        "company_domain",
    ),
    (
        reddit.reddit_client,
        {"client_id": "i", "client_secret": "s", "user_agent": "u"},
        "praw",
        "praw",
        "client_secret",
    ),
    (telegram.telegram_client, {"BotToken": "b"}, "telegram", "python-telegram-bot", "BotToken"),
    (airtable.airtable_client, {"pat": "p"}, "pyairtable", "pyairtable", "pat"),
    (
        salesforce.salesforce_client,
        {"oauth_access_token": "t", "instance_url": "https://x.example"},
        "simple_salesforce",
        "simple-salesforce",
        "instance_url",
    ),
    (
        microsoft.teams_client,
        {"auth_type": "daemonApp", "private_client_id": "i", "private_client_secret": "s"},
        "azure.identity",
        "azure-identity",
        "auth_type",
    ),
    (kubernetes.kubernetes_client, {"configFile": "{}"}, "kubernetes", "kubernetes", "configFile"),
    (redis.redis_client, {"url": "redis://127.0.0.1:1"}, "redis", "redis", "url"),
    (
        slack.slack_client,
        {"oauth_access_token": "xoxb"},
        "slack_sdk",
        "slack_sdk",
        "oauth_access_token",
    ),
    (github.github_client, {"pat": "p"}, "github", "PyGithub", "bare"),
]
IDS = [f"{h.__module__.rsplit('.', 1)[-1]}.{h.__name__}" for h, *_ in HELPERS]


@pytest.fixture
def bare_env(monkeypatch):
    """No variables of the connections these tests use."""
    for name in list(os.environ):
        if name.startswith(("conn__", "bare__")):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(("helper", "creds", "module", "package", "missing"), HELPERS, ids=IDS)
def test_without_credentials_the_connection_is_not_initialized(
    bare_env, helper, creds, module, package, missing
):
    if helper is github.github_client:
        pytest.importorskip("github")
    if helper is slack.slack_client:
        pytest.importorskip("slack_sdk")
    with pytest.raises(ConnectionInitError, match="'bare' not initialized") as caught:
        helper("bare")
    if helper is not github.github_client:
        assert missing in str(caught.value)


@pytest.mark.parametrize(("helper", "creds", "module", "package", "missing"), HELPERS, ids=IDS)
def test_without_the_library_the_error_names_the_package(
    bare_env, helper, creds, module, package, missing
):
    for name, value in creds.items():
        bare_env.setenv(f"conn__{name}", value)
    # Blocking the module itself, not only its package: an imported submodule would be found.
    bare_env.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=f'needs the "{package}" package: add {package} to'):
        helper("conn")


@pytest.mark.parametrize(("helper", "creds", "module", "package", "missing"), HELPERS, ids=IDS)
def test_connection_names_are_checked(helper, creds, module, package, missing):
    with pytest.raises(ValueError, match="invalid connection name"):
        helper("no-dashes")


def test_missing_variables_are_all_named(bare_env):
    with pytest.raises(ConnectionInitError) as caught:
        pipedrive.pipedrive_client("bare")
    assert str(caught.value) == (
        "AutoKitteh connection 'bare' not initialized: no api_key and company_domain"
    )
    with pytest.raises(ConnectionInitError, match="no internal_integration_secret or oauth_"):
        notion.notion_client("bare")
    with pytest.raises(ConnectionInitError, match="no BotToken"):
        discord.bot_token("bare")


def test_errors_keep_autokittehs_one_argument_form():
    assert str(ConnectionInitError("c")) == "AutoKitteh connection 'c' not initialized"
