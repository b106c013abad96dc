"""Slack's request signature, checked on the raw bytes before anything is parsed.

Bolt parses the body before it verifies, so a forged request with a broken body or a
non-numeric timestamp used to end in a 500; here every such request is a 4xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from bot.domain.errors import IntakeError
from bot.intake import safe_json
from handlers.slack.shapes import check_shape
from integrations.common.hmac_auth import same

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
# Slack's own window (and Bolt's): older or newer requests are refused.
MAX_SKEW = timedelta(minutes=5)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> str:
    """Check the signature of `body`; the verified timestamp, or IntakeError (400/401)."""
    timestamp = headers.get(TIMESTAMP_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if timestamp is None or signature is None:
        raise IntakeError(
            401, "missing_signature", f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required"
        )
    if not _TIMESTAMP.fullmatch(timestamp):
        raise IntakeError(400, "invalid_timestamp", f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(now.timestamp() - int(timestamp)) > MAX_SKEW.total_seconds():
        raise IntakeError(
            401, "stale_timestamp", f"{TIMESTAMP_HEADER} is more than 5 minutes from now"
        )
    if not _SIGNATURE.fullmatch(signature):
        raise IntakeError(401, "invalid_signature", f"{SIGNATURE_HEADER} must be 'v0=<hex>'")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not same(signature, expected):
        raise IntakeError(401, "invalid_signature", f"{SIGNATURE_HEADER} does not match")
    return timestamp


def _strict(text: str) -> Any:
    """JSON that Bolt can read as it is: refused, not cleaned, since Bolt gets the raw body."""
    document = safe_json.loads(text.encode())
    if not isinstance(document, dict):
        raise IntakeError(400, "invalid_payload", "the payload must be a JSON object")
    if document != json.loads(text):
        raise IntakeError(400, "invalid_payload", "the payload holds NUL or unpaired surrogates")
    check_shape(document)
    return document


def check_body(body: bytes, content_type: str) -> None:
    """Refuse with 400 any body Bolt's parser would choke on (it mirrors Bolt's choice)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(400, "invalid_body", "body is not UTF-8") from None
    if not text:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or text.startswith("{"):
        _strict(text)
        return
    try:
        # Percent-escapes must decode to UTF-8 too; `replace` would hide a broken body.
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except UnicodeDecodeError:
        raise IntakeError(400, "invalid_body", "a form field is not UTF-8") from None
    except ValueError:
        raise IntakeError(400, "invalid_body", "body is not form-encoded") from None
    if any("\x00" in key or "\x00" in value for key, value in fields):
        raise IntakeError(400, "invalid_body", "a form field holds a NUL character")
    if "payload" in text:
        payload = dict(fields).get("payload")
        if payload is not None:
            _strict(payload)
