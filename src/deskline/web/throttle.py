"""Sign-in throttling: too many failed passwords from one address or for one account
lock that pair out for a while, so passwords cannot be guessed at speed.

The failures are rows (accounts.SignInFailure), so every web process and worker of an
install counts the same ones, whatever the cache backend."""

from datetime import timedelta

from django.utils import timezone

from deskline.accounts.models import SignInFailure

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def _keys(ip: str, email: str) -> list[str]:
    return [f"ip:{ip}"[:300], f"user:{email.strip().lower()}"[:300]]


def _window_start() -> "timezone.datetime":
    return timezone.now() - timedelta(seconds=WINDOW_SECONDS)


def is_locked(ip: str, email: str) -> bool:
    since = _window_start()
    return any(
        SignInFailure.objects.filter(key=key, at__gte=since).count() >= MAX_FAILURES
        for key in _keys(ip, email)
    )


def record_failure(ip: str, email: str) -> None:
    # Failures older than the window no longer count: forget them as new ones come.
    SignInFailure.objects.filter(at__lt=_window_start()).delete()
    SignInFailure.objects.bulk_create([SignInFailure(key=key) for key in _keys(ip, email)])


def clear(ip: str, email: str) -> None:
    """A successful sign-in clears its account's count only: the address's count caps
    guesses across many accounts, and signing in to one's own between guesses must
    not wipe it (the ip stays a parameter so callers need not know which keys)."""
    SignInFailure.objects.filter(key=_keys(ip, email)[1]).delete()
