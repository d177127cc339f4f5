"""``autokitteh.google``: Google API clients built from a connection's variables.

A connection is either a user's (``authType`` = ``oauth``: ``oauth_AccessToken``,
``oauth_Expiry``, ``oauth_RefreshToken``) or a GCP service account's (``JSON``: its JSON
key). The client libraries are imported when a client is made: projects list
``google-api-python-client`` (and ``gspread``, ``google-generativeai`` or ``google-genai``
for those clients) in their requirements.txt.
"""

import json
import os
import re
from datetime import UTC, datetime

from pounce.errors import ConnectionInitError, OAuthRefreshError

from . import _oauth
from .connections import check_connection_name, conn_var, import_library, require_vars

_INTEGRATION = "google"


def _build(service: str, version: str, creds, **kwargs):
    discovery = import_library(
        _INTEGRATION, "googleapiclient.discovery", "google-api-python-client"
    )
    return discovery.build(service, version, credentials=creds, **kwargs)


def gmail_client(connection: str, **kwargs):
    """A Gmail API client (``googleapiclient`` Resource) for a Google connection.

    ``kwargs`` go to ``googleapiclient.discovery.build`` (e.g. ``client_options``).

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no credentials.
        OAuthRefreshError: the OAuth token expired and could not be refreshed.
        ImportError: ``google-api-python-client`` or ``google-auth`` is not installed.
    """
    scopes = [
        "https://www.googleapis.com/auth/gmail.modify",
        "https://www.googleapis.com/auth/gmail.settings.basic",
    ]
    return _build("gmail", "v1", google_creds("gmail", connection, scopes), **kwargs)


def google_calendar_client(connection: str, **kwargs):
    """A Google Calendar API client for a Google connection (see ``gmail_client``)."""
    scopes = [
        "https://www.googleapis.com/auth/calendar",
        "https://www.googleapis.com/auth/calendar.events",
    ]
    creds = google_creds("googlecalendar", connection, scopes)
    return _build("calendar", "v3", creds, **kwargs)


def google_drive_client(connection: str, **kwargs):
    """A Google Drive API client for a Google connection (see ``gmail_client``)."""
    scopes = ["https://www.googleapis.com/auth/drive.file"]
    return _build("drive", "v3", google_creds("googledrive", connection, scopes), **kwargs)


def google_forms_client(connection: str, **kwargs):
    """A Google Forms API client for a Google connection (see ``gmail_client``)."""
    scopes = [
        "https://www.googleapis.com/auth/forms.body",
        "https://www.googleapis.com/auth/forms.responses.readonly",
    ]
    return _build("forms", "v1", google_creds("googleforms", connection, scopes), **kwargs)


def google_sheets_client(connection: str, **kwargs):
    """A Google Sheets API client for a Google connection (see ``gmail_client``)."""
    scopes = ["https://www.googleapis.com/auth/spreadsheets"]
    return _build("sheets", "v4", google_creds("googlesheets", connection, scopes), **kwargs)


def youtube_client(connection: str, **kwargs):
    """A YouTube Data API client for a Google connection (see ``gmail_client``)."""
    scopes = ["https://www.googleapis.com/auth/youtube"]
    return _build("youtube", "v3", google_creds("youtube", connection, scopes), **kwargs)


def gspread_client(connection: str, **kwargs):
    """A ``gspread.Client`` for a Google connection; ``kwargs`` go to ``gspread.authorize``.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no credentials.
        OAuthRefreshError: the OAuth token expired and could not be refreshed.
        ImportError: ``gspread`` is not installed.
    """
    scopes = [
        "https://www.googleapis.com/auth/spreadsheets",
        "https://www.googleapis.com/auth/drive.file",
    ]
    creds = google_creds("googlesheets", connection, scopes)
    return import_library(_INTEGRATION, "gspread", "gspread").authorize(creds, **kwargs)


def gemini_client(connection: str, **kwargs):
    """A ``google.generativeai.GenerativeModel`` (as AutoKitteh's) with the connection's
    ``api_key``; ``kwargs`` go to ``GenerativeModel`` (e.g. ``model_name``).

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``api_key``.
        ImportError: ``google-generativeai`` is not installed (``genai_client`` uses its
            successor, ``google-genai``).
    """
    check_connection_name(connection)
    (api_key,) = require_vars(connection, "api_key")
    genai = import_library("google", "google.generativeai", "google-generativeai")
    genai.configure(api_key=api_key)
    return genai.GenerativeModel(**kwargs)


def genai_client(connection: str, **kwargs):
    """A ``google.genai.Client`` (the ``google-genai`` package) with the connection's
    ``api_key``; ``kwargs`` go to the client (e.g. ``http_options``). A Pounce addition.

    Raises:
        ValueError: the connection name is invalid.
        ConnectionInitError: the connection has no ``api_key``.
        ImportError: ``google-genai`` is not installed.
    """
    check_connection_name(connection)
    (api_key,) = require_vars(connection, "api_key")
    genai = import_library("google", "google.genai", "google-genai")
    return genai.Client(api_key=api_key, **kwargs)


def google_creds(integration: str, connection: str, scopes: list[str], **kwargs):
    """Credentials for a Google API client: the user's OAuth token when ``authType`` is
    ``oauth``, else the service account's ``JSON`` key (``kwargs`` go to
    ``service_account.Credentials.from_service_account_info``).

    Raises:
        ValueError: the connection name is invalid, or ``JSON`` is not JSON.
        ConnectionInitError: the connection has no credentials.
        OAuthRefreshError: the OAuth token expired and could not be refreshed.
        ImportError: ``google-auth`` is not installed.
    """
    check_connection_name(connection)
    if conn_var(connection, "authType") == "oauth":
        return _google_creds_oauth2(integration, connection, scopes)
    json_key = conn_var(connection, "JSON")
    if not json_key:
        raise ConnectionInitError(connection, "JSON (service account key) or OAuth token")
    try:
        info = json.loads(json_key)
    except json.JSONDecodeError as err:
        # The error's position only: the key itself is a secret.
        raise ValueError(
            f"connection {connection!r}: JSON is not a service account's JSON key ({err})"
        ) from None
    service_account = import_library(_INTEGRATION, "google.oauth2.service_account", "google-auth")
    return service_account.Credentials.from_service_account_info(info, scopes=scopes, **kwargs)


def _google_creds_oauth2(integration: str, connection: str, scopes: list[str]):
    (token,) = require_vars(connection, "oauth_AccessToken")
    expiry_text = conn_var(connection, "oauth_Expiry")
    # google-auth compares naive UTC datetimes.
    expiry = _oauth.parse_expiry(expiry_text).replace(tzinfo=None) if expiry_text else None
    credentials = import_library(_INTEGRATION, "google.oauth2.credentials", "google-auth")
    exceptions = import_library(_INTEGRATION, "google.auth.exceptions", "google-auth")
    transport = import_library(_INTEGRATION, "google.auth.transport.requests", "google-auth")

    client_secret = os.getenv("GOOGLE_CLIENT_SECRET", "")
    if client_secret:
        # The session holds the app's secret: google-auth refreshes the token itself.
        info = {
            "token": token,
            "refresh_token": conn_var(connection, "oauth_RefreshToken"),
            "client_id": os.getenv("GOOGLE_CLIENT_ID", ""),
            "client_secret": client_secret,
            "scopes": scopes,
        }
        if expiry:
            info["expiry"] = expiry.isoformat()
        creds = credentials.Credentials.from_authorized_user_info(info)
    else:
        creds = credentials.Credentials(token=token, expiry=expiry, scopes=scopes)
        creds.refresh_handler = _google_refresh_handler(integration, connection)
    try:
        if creds.expired:
            creds.refresh(transport.Request())
    except exceptions.RefreshError as err:
        raise OAuthRefreshError(connection, err) from err
    return creds


def _google_refresh_handler(integration: str, connection: str):
    def refresh(request, scopes) -> tuple[str, datetime]:
        token, expiry = _oauth.refresh_into_env(
            integration, connection, "oauth_AccessToken", "oauth_Expiry"
        )
        return token, expiry.astimezone(UTC).replace(tzinfo=None)

    return refresh


def google_id(url: str) -> str:
    """The ID of a Google Doc/Form/Sheet from its URL (an ID gives itself back).

    Example: ``https://docs.google.com/spreadsheets/d/1a2b…/edit`` → ``1a2b…``.

    Raises:
        ValueError: no ID in ``url``.
    """
    match = re.match(r"(.*/d/(e/)?)?([\w-]{20,})", url)
    if not match:
        raise ValueError(f'Invalid Google ID in "{url}"')
    return match.group(3)
