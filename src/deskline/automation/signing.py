"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", sent as
`X-Deskline-Signature: t=<unix seconds>,v1=<hex digest>`. Receivers recompute it and
refuse old timestamps, so a captured delivery cannot be replayed later."""

import hashlib
import hmac

HEADER = "X-Deskline-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)
