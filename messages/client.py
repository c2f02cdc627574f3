"""The Slack Web API client every part of partnerbot talks to Slack through."""

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from config.settings import Settings

WEB_API_TIMEOUT_S = 10
"""Longest a Slack Web API call may take before it counts as failed (and is retried)."""


def make_client(settings: Settings) -> WebClient:
    """A Web API client for ``settings.slack_api_url`` that waits out rate limits (429 with
    Retry-After) as slack-sdk's retry handlers do, besides the default connection retries,
    and gives up on a call after ``WEB_API_TIMEOUT_S``."""
    client = WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=WEB_API_TIMEOUT_S
    )
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client
