"""Mail settings from the environment, read when used (see docs/configuration.md)."""

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from deskline.conf import ConfigurationError, env_int, env_list, env_str


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    ssl: bool  # TLS from the first byte (smtps://)
    starttls: bool
    timeout: float = 30.0


def smtp_configured() -> bool:
    """Whether DESKLINE_SMTP_URL is set at all (smtp_settings() is None exactly when not)."""
    return bool(env_str("DESKLINE_SMTP_URL").strip())


def smtp_settings() -> SmtpSettings | None:
    """DESKLINE_SMTP_URL (smtp://user:pass@host:port, smtps://…, ?starttls); None when unset."""
    url = env_str("DESKLINE_SMTP_URL").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ConfigurationError(
            f"DESKLINE_SMTP_URL must look like smtp://user:pass@host:port, got {url!r}"
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    ssl = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if ssl else 25)
    except ValueError:
        raise ConfigurationError(f"DESKLINE_SMTP_URL has a bad port: {url!r}") from None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        ssl=ssl,
        starttls="starttls" in query and query["starttls"] != ["0"],
        timeout=float(query.get("timeout", ["30"])[0]),
    )


def auto_mail_limit_per_address() -> int:
    """Automatic mails (acknowledgements, trigger and rule mail) one address may get per window."""
    return env_int("DESKLINE_MAIL_AUTO_LIMIT_ADDRESS", 3, minimum=0)


def auto_mail_limit_per_ticket() -> int:
    # Three: the acknowledgement and two trigger mails (say "assigned", then "solved")
    # in the first hour of a quick ticket; a loop still stops after three.
    return env_int("DESKLINE_MAIL_AUTO_LIMIT_TICKET", 3, minimum=0)


def auto_mail_window_minutes() -> int:
    return env_int("DESKLINE_MAIL_AUTO_WINDOW_MINUTES", 60, minimum=1)


def send_attempts() -> int:
    return env_int("DESKLINE_MAIL_SEND_ATTEMPTS", 6, minimum=1)


def default_from() -> str:
    """From of mail that is about no desk (notifications): DESKLINE_MAIL_FROM, else the
    first desk address there is, else noreply at the host of DESKLINE_BASE_URL."""
    configured = env_str("DESKLINE_MAIL_FROM").strip()
    if configured:
        return configured
    from django.conf import settings

    from deskline.mail.models import DeskAddress

    first = DeskAddress.objects.order_by("-primary", "id").values_list("email", flat=True).first()
    if first:
        return first
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"noreply@{host}"


def trusted_authserv_ids() -> frozenset[str]:
    """DESKLINE_MAIL_AUTHSERV_ID: the authserv-ids (comma-separated, any case) of our own
    boundary mail servers, whose Authentication-Results are believed; empty: off."""
    return frozenset(item.lower() for item in env_list("DESKLINE_MAIL_AUTHSERV_ID", []))
