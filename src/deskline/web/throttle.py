"""Sign-in throttling: too many failed passwords from one address or for one account
lock that pair out for a while, so passwords cannot be guessed at speed."""

from django.core.cache import cache

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _keys(ip: str, email: str) -> list[str]:
    return [f"login-fail:ip:{ip}", f"login-fail:user:{email.strip().lower()}"]


def is_locked(ip: str, email: str) -> bool:
    return any((cache.get(key) or 0) >= MAX_FAILURES for key in _keys(ip, email))


def record_failure(ip: str, email: str) -> None:
    for key in _keys(ip, email):
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=WINDOW_SECONDS)


def clear(ip: str, email: str) -> None:
    """A successful sign-in clears its account's count only: the address's count caps
    guesses across many accounts, and signing in to one's own between guesses must
    not wipe it (the ip stays a parameter so callers need not know which keys)."""
    cache.delete(_keys(ip, email)[1])
