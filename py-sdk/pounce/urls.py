"""URLs handed to the session through its environment."""

import os


def get_webhook_url(trigger: str) -> str:
    """The public URL of a webhook trigger of this project (env ``<trigger>__webhook_url``)."""
    url = os.getenv(f"{trigger}__webhook_url")
    if not url:
        raise ValueError(f"Webhook URL not found for trigger {trigger!r}")
    return url


def get_store_public_url() -> str:
    """The public URL of the project's published store values (env ``store_public_url``)."""
    url = os.getenv("store_public_url")
    if not url:
        raise ValueError("Store public URL not found")
    return url
