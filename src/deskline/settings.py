"""Deskline settings, driven by environment variables (see docs/configuration.md).

The embedded default needs no other service: SQLite under DESKLINE_DATA_DIR, an
in-process cache and the database task backend. DATABASE_URL and REDIS_URL move the
same code to PostgreSQL and Redis.
"""

import ipaddress
import secrets
from pathlib import Path

import dj_database_url

from deskline.conf import ConfigurationError, env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("DESKLINE_DATA_DIR", "./deskline-data")


def _make_data_folder(folder: Path) -> None:
    # A data dir that cannot be made (read-only, under a file) is the admin's setting to
    # fix, named as such, not a traceback from the first mkdir that trips on it.
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"DESKLINE_DATA_DIR {DATA_DIR} cannot be used: {exc.strerror or exc}"
        ) from None


def _secret_key() -> str:
    configured = env_str("DESKLINE_SECRET_KEY")
    if configured:
        return configured
    # The embedded default keeps a generated key beside its data so sessions and
    # signed links survive restarts without any setup.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    _make_data_folder(DATA_DIR)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
# Keys retired by a rotation: sessions and signed links made with them stay valid (a
# session is re-signed under the new key at its next request) until they are removed.
SECRET_KEY_FALLBACKS = env_list("DESKLINE_SECRET_KEY_FALLBACKS", [])
DEBUG = env_bool("DESKLINE_DEBUG", False)
ALLOWED_HOSTS = env_list("DESKLINE_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DESKLINE_CSRF_TRUSTED_ORIGINS", [])
BASE_URL = env_str("DESKLINE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Notification mail and other mail outside the mail app's queue: DESKLINE_SMTP_URL too
# (deskline.mail.backend; no URL, no mail). From: DESKLINE_MAIL_FROM (mail/config.py).
EMAIL_BACKEND = "deskline.mail.backend.SmtpUrlBackend"
DEFAULT_FROM_EMAIL = ""

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "deskline.core",
    "deskline.accounts",
    "deskline.desks",
    "deskline.tickets",
    "deskline.scheduler",
    "deskline.automation",
    "deskline.notifications",
    "deskline.routing",
    "deskline.sla",
    "deskline.mail",
    "deskline.kb",
    "deskline.search",
    "deskline.triage",
    "deskline.api",
    "deskline.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "deskline.api.middleware.EnglishApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "deskline.web.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "deskline.urls"
WSGI_APPLICATION = "deskline.wsgi.application"
ASGI_APPLICATION = "deskline.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
    except ValueError:
        DATABASES = {"default": {"ENGINE": ""}}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        # Only PostgreSQL is supported besides the built-in SQLite; anything else failed
        # later with a traceback from deep inside Django.
        raise ConfigurationError(
            "DATABASE_URL must be a postgres://user:password@host:port/name URL"
            " (leave it unset for SQLite in DESKLINE_DATA_DIR)"
        )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # JIT compiling pays off for long reports, not for page-sized queries: a filtered
    # list page's cost estimate can pass jit_above_cost, and compiling then adds ~50 ms
    # to a query that runs in ~8 ms (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
else:
    DATABASES = {
        "default": {
            "ENGINE": "deskline.core.sqlite",
            "NAME": str(DATA_DIR / "deskline.sqlite3"),
            # Reopening the file and running the PRAGMAs below for every request cost
            # more than a whole small request (bench/load.py, floor phase).
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait on
                # the busy timeout instead of failing with "database is locked" when a
                # read transaction tries to upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": env_int("DESKLINE_SQLITE_TIMEOUT", 20, minimum=1),
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA cache_size=-32000;"
                    "PRAGMA mmap_size=268435456;"
                    # A backstop: the worker checkpoints every second, off the
                    # writers' path (core/sqlite/checkpoint.py).
                    "PRAGMA wal_autocheckpoint=10000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Channels layer, task queue -----------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    # redis-py would say so only at the first use, from deep inside a traceback.
    raise ConfigurationError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("DESKLINE_CACHE_PREFIX", "deskline"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 defaults to a 5 s socket timeout, which kills the layer's
            # blocking receive (channels_redis#422); the server-side timeout bounds it.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
        }
    }
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS.append("django_rq")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # django-tasks' database backend, its task row written in plain SQL (core/tasks_db.py).
    TASKS = {
        "default": {"BACKEND": "deskline.core.tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }

# --- Auth -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DESKLINE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Languages ------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ar", "العربية"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("DESKLINE_TIME_ZONE", "UTC")

# --- Files ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
_make_data_folder(STATIC_ROOT)
# Serving from the finders means `deskline serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
ATTACHMENT_ROOT = env_path("DESKLINE_ATTACHMENT_DIR", str(DATA_DIR / "attachments"))
ATTACHMENT_MAX_BYTES = env_int("DESKLINE_ATTACHMENT_MAX_MB", 25, minimum=1) * 1024 * 1024
ATTACHMENT_BLOCKED_EXTENSIONS = env_list(
    "DESKLINE_ATTACHMENT_BLOCKED_EXTENSIONS",
    ["exe", "com", "bat", "cmd", "scr", "pif", "msi", "vbs", "js", "jse", "wsf", "ps1", "jar"],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- API ------------------------------------------------------------------------
# Requests per minute per token or signed-in user; 0 turns it off.
API_RATE_LIMIT = env_int("DESKLINE_API_RATE_LIMIT", 1200, minimum=0)
# Requests per minute per client address from readers without an account (help center
# pages, search, suggestions, the public API), pages and API together; 0 turns it off.
PUBLIC_RATE_LIMIT = env_int("DESKLINE_PUBLIC_RATE_LIMIT", 300, minimum=0)
# Reverse proxies whose X-Forwarded-For names the client (addresses or networks):
# behind one, every reader would otherwise share the proxy's address and its budget.
TRUSTED_PROXIES = env_list("DESKLINE_TRUSTED_PROXIES", [])
try:
    for _proxy in TRUSTED_PROXIES:
        ipaddress.ip_network(_proxy, strict=False)
except ValueError as _error:
    raise ConfigurationError(f"DESKLINE_TRUSTED_PROXIES: {_error}") from None
# Alerts per minute on the inbound webhook endpoint, per hook and per client address.
INBOUND_HOOK_RATE_LIMIT = env_int("DESKLINE_INBOUND_HOOK_RATE_LIMIT", 120, minimum=0)
# Other apps' work on a ticket change (SLA clocks, routing, triggers, search indexing)
# runs in the background worker; true runs it in the request right after the commit.
TICKET_HOOKS_INLINE = env_bool("DESKLINE_TICKET_HOOKS_INLINE", False)
API_PAGE_MAX = 100

# --- Serving --------------------------------------------------------------------
WEB_WORKERS = env_int("DESKLINE_WEB_WORKERS", 2, minimum=1)
WEB_THREADS = env_int("DESKLINE_WEB_THREADS", 1, minimum=1)
RUN_WORKER_IN_SERVE = env_bool("DESKLINE_SERVE_WORKER", True)
# Where pages open their WebSocket: a full URL behind a proxy (wss://host), else the same
# host on WS_PORT (set by `deskline serve` for its ASGI process); neither = no live updates.
WS_URL = env_str("DESKLINE_WS_URL", "").rstrip("/")
WS_PORT = env_int("DESKLINE_WS_PORT", 0, minimum=0)
# An open socket re-reads its session with each event it passes on, and on a quiet
# socket this often, so one whose user signed out or was deactivated closes by itself.
WS_SESSION_CHECK_SECONDS = env_int("DESKLINE_WS_SESSION_CHECK_SECONDS", 60, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DESKLINE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
