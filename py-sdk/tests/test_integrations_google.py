"""autokitteh.google against a fake of Google's APIs (and its token endpoint) on 127.0.0.1:
service-account keys and users' OAuth tokens, expiry and the refresh hook, google_id."""

import json
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from autokitteh.errors import ConnectionInitError, OAuthRefreshError

from autokitteh import _oauth, google

pytest.importorskip("googleapiclient")
pytest.importorskip("google.oauth2.service_account")

SHEET_ID = "1a2b3c4d5e6f7g8h9i0jKLMNOP"


def go_time(when: datetime) -> str:
    """A time as Go's time.Time prints it, the way AutoKitteh stores oauth_Expiry."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.123456789 +0000 UTC")


def bearer(request) -> str:
    return request.headers.get("authorization", "")


@pytest.fixture(autouse=True)
def no_google_client_secret(monkeypatch):
    monkeypatch.delenv("GOOGLE_CLIENT_SECRET", raising=False)


@pytest.fixture(scope="module")
def rsa_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key, pem


def test_service_account_key_gets_a_token_and_calls_sheets(provider, monkeypatch, rsa_key):
    import jwt

    key, pem = rsa_key

    def token(request):
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        claims = jwt.decode(
            form["assertion"], key.public_key(), algorithms=["RS256"], options={"verify_aud": False}
        )
        assert claims["aud"] == "https://oauth2.googleapis.com/token"
        assert claims["iss"] == "robot@project.iam.gserviceaccount.com"
        assert claims["scope"] == "https://www.googleapis.com/auth/spreadsheets"
        return {"access_token": "ya29.service", "expires_in": 3600, "token_type": "Bearer"}

    def sheet(request):
        assert bearer(request) == "Bearer ya29.service"
        return {"spreadsheetId": SHEET_ID, "properties": {"title": "Budget"}}

    api = provider(
        {
            ("POST", "/token"): token,
            ("GET", f"/v4/spreadsheets/{SHEET_ID}"): sheet,
        }
    )
    key_json = {
        "type": "service_account",
        "project_id": "project",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "robot@project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": api.url + "/token",
    }
    monkeypatch.delenv("sa__authType", raising=False)
    monkeypatch.setenv("sa__JSON", json.dumps(key_json))
    sheets = google.google_sheets_client("sa", client_options={"api_endpoint": api.url})
    got = sheets.spreadsheets().get(spreadsheetId=SHEET_ID).execute()
    assert got["properties"]["title"] == "Budget"


def test_a_users_oauth_token_calls_gmail_and_youtube(provider, monkeypatch):
    def profile(request):
        assert bearer(request) == "Bearer ya29.user"
        return {"emailAddress": "me@example.com"}

    def channels(request):
        assert bearer(request) == "Bearer ya29.user"
        return {"items": [{"id": "UC1"}]}

    api = provider(
        {
            ("GET", "/gmail/v1/users/me/profile"): profile,
            ("GET", "/youtube/v3/channels"): channels,
        }
    )
    monkeypatch.setenv("me__authType", "oauth")
    monkeypatch.setenv("me__oauth_AccessToken", "ya29.user")
    monkeypatch.setenv("me__oauth_Expiry", go_time(datetime.now(UTC) + timedelta(hours=1)))
    options = {"client_options": {"api_endpoint": api.url}}
    gmail = google.gmail_client("me", **options)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == "me@example.com"
    youtube = google.youtube_client("me", **options)
    assert youtube.channels().list(part="id", mine=True).execute()["items"][0]["id"] == "UC1"


def test_an_expired_token_without_refresh_is_an_oauth_refresh_error(
    monkeypatch, daemon_refuses_refresh
):
    monkeypatch.setenv("old__authType", "oauth")
    monkeypatch.setenv("old__oauth_AccessToken", "ya29.old")
    monkeypatch.setenv("old__oauth_Expiry", go_time(datetime.now(UTC) - timedelta(minutes=1)))
    with pytest.raises(OAuthRefreshError, match="'old'.*refresh not available"):
        google.google_calendar_client("old")


def test_an_expired_token_is_refreshed_through_the_hook(provider, monkeypatch):
    fresh_expiry = datetime.now(UTC) + timedelta(hours=1)
    asked = []

    def refresh(integration, connection):
        asked.append((integration, connection))
        return "ya29.fresh", fresh_expiry

    def files(request):
        assert bearer(request) == "Bearer ya29.fresh"
        return {"files": [{"id": "f1", "name": "a.txt"}]}

    # Drive's service path (/drive/v3) is part of its endpoint, which the fake replaces.
    api = provider({("GET", "/files"): files})
    monkeypatch.setattr(_oauth, "_refresh_oauth", refresh)
    monkeypatch.setenv("dr__authType", "oauth")
    monkeypatch.setenv("dr__oauth_AccessToken", "ya29.stale")
    monkeypatch.setenv("dr__oauth_Expiry", go_time(datetime.now(UTC) - timedelta(hours=2)))
    drive = google.google_drive_client("dr", client_options={"api_endpoint": api.url})
    assert drive.files().list().execute()["files"][0]["name"] == "a.txt"
    assert asked == [("googledrive", "dr")]
    # Clients made later in the session start from the fresh token.
    assert os.environ["dr__oauth_AccessToken"] == "ya29.fresh"
    assert _oauth.parse_expiry(os.environ["dr__oauth_Expiry"]) == fresh_expiry.replace(
        microsecond=0
    )


def test_an_oauth_connection_without_a_token_is_not_initialized(monkeypatch):
    monkeypatch.setenv("half__authType", "oauth")
    monkeypatch.delenv("half__oauth_AccessToken", raising=False)
    with pytest.raises(ConnectionInitError, match="'half' not initialized: no oauth_AccessToken"):
        google.google_forms_client("half")


def test_a_service_account_key_that_is_not_json_is_named_without_its_content(monkeypatch):
    monkeypatch.delenv("bad__authType", raising=False)
    monkeypatch.setenv("bad__JSON", "{secret-material")
    with pytest.raises(ValueError, match="'bad': JSON is not a service account") as caught:
        google.google_sheets_client("bad")
    assert "secret-material" not in str(caught.value)


def test_gspread_client_sends_the_token(provider, monkeypatch):
    gspread = pytest.importorskip("gspread")
    api = provider({("GET", "/whoami"): lambda request: {"auth": bearer(request)}})
    monkeypatch.setenv("gs__authType", "oauth")
    monkeypatch.setenv("gs__oauth_AccessToken", "ya29.sheets")
    monkeypatch.delenv("gs__oauth_Expiry", raising=False)
    client = google.gspread_client("gs")
    assert isinstance(client, gspread.Client)
    assert client.http_client.session.get(api.url + "/whoami").json() == {
        "auth": "Bearer ya29.sheets"
    }


def test_genai_client_calls_gemini_with_the_api_key(provider, monkeypatch):
    pytest.importorskip("google.genai")

    def generate(request):
        assert request.headers["x-goog-api-key"] == "AIza-key"
        assert request.json()["contents"][0]["parts"][0]["text"] == "hi"
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": "hello"}]}}]}

    api = provider({("POST", "/v1beta/models/gemini-2.0-flash:generateContent"): generate})
    monkeypatch.setenv("gem__api_key", "AIza-key")
    client = google.genai_client("gem", http_options={"base_url": api.url})
    reply = client.models.generate_content(model="gemini-2.0-flash", contents="hi")
    assert reply.text == "hello"


@pytest.mark.parametrize(
    ("url", "want"),
    [
        (f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0", SHEET_ID),
        (f"https://docs.google.com/forms/d/e/{SHEET_ID}/viewform", SHEET_ID),
        (SHEET_ID, SHEET_ID),
    ],
)
def test_google_id(url, want):
    assert google.google_id(url) == want


def test_google_id_without_an_id():
    with pytest.raises(ValueError, match="Invalid Google ID"):
        google.google_id("https://docs.google.com/spreadsheets/")
