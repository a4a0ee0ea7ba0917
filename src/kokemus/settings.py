"""Django settings for kokemus, read from the environment (see README, "Configuration")."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from kokemus.env import envbool, envint, envlist, envstr, secret_key_from_file

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(envstr("KOKEMUS_HOME", str(Path.cwd())))
VAR_DIR = Path(envstr("KOKEMUS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
# Tests run under pytest; they use fast password hashing and unmanifested static files.
TESTING = envbool("KOKEMUS_TESTING", "pytest" in sys.modules)
SECRET_KEY = secret_key_from_file(VAR_DIR)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "kokemus.web",
    "kokemus.accounts",
    "kokemus.journeys",
    "kokemus.surveys",
    "kokemus.responses",
    "kokemus.analytics",
    "kokemus.comments",
    "kokemus.goals",
    "kokemus.improvement",
    "kokemus.reports",
    "kokemus.onboarding",
    "kokemus.kiosk",
    "kokemus.api",
    "kokemus.imports",
    "kokemus.invitations",
    "kokemus.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kokemus.privacy.dbfaults.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kokemus.dbrouting.ReplicaMiddleware",
    "kokemus.web.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kokemus.web.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
    "kokemus.privacy.twofactor.TwoFactorMiddleware",
]

ROOT_URLCONF = "kokemus.urls"
WSGI_APPLICATION = "kokemus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kokemus.web.context_processors.navigation",
                "kokemus.dbrouting.data_as_of",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite under var/ by default (WAL mode and a busy timeout are set on connect, see
# kokemus.web.apps); PostgreSQL with DATABASE_URL=postgres://user@host:5432/name.
_default_sqlite = f"sqlite:///{VAR_DIR / 'kokemus.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", _default_sqlite),
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": envint("SQLITE_BUSY_TIMEOUT", 20),
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": envstr("KOKEMUS_SQLITE_TEST_NAME", "") or None}
# PostgreSQL: Django's backend with a health check that needs no round trip
# (kokemus.db.postgresql).
PG_ENGINE = "kokemus.db.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = PG_ENGINE
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The ingestion statement is a prepared statement on PostgreSQL (kokemus.db.postgresql);
# false behind a pooler in transaction mode that does not track prepared statements.
KOKEMUS_PG_PREPARED_STATEMENTS = envbool("KOKEMUS_PG_PREPARED_STATEMENTS", True)
# The public form's concurrent submissions share one statement (kokemus.responses.groupcommit)
KOKEMUS_PG_GROUP_COMMIT = envbool("KOKEMUS_PG_GROUP_COMMIT", True)

# Optional streaming read replica for dashboard/report reads (docs/scaling.md).
_replica_url = envstr("DATABASE_REPLICA_URL", "")
if _replica_url:
    DATABASES["replica"] = dj_database_url.parse(
        _replica_url, conn_max_age=envint("CONN_MAX_AGE", 60), conn_health_checks=True)
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = PG_ENGINE
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = envint(
        "DATABASE_REPLICA_CONNECT_TIMEOUT", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kokemus.dbrouting.ReplicaRouter"]
KOKEMUS_REPLICA_MAX_LAG = envint("KOKEMUS_REPLICA_MAX_LAG", 30)
KOKEMUS_REPLICA_NOTICE_LAG = envint("KOKEMUS_REPLICA_NOTICE_LAG", 2)
KOKEMUS_REPLICA_LAG_CACHE_SECONDS = envint("KOKEMUS_REPLICA_LAG_CACHE_SECONDS", 5)
# PostgreSQL: months of raw responses/answers kept (whole monthly partitions are dropped
# by the worker; rollups stay). Empty or 0 = keep everything.
KOKEMUS_RAW_RETENTION_MONTHS = envint("KOKEMUS_RAW_RETENTION_MONTHS", 0) or None

# --- Cache ----------------------------------------------------------------------------
# Shared by every worker process (rate limits, sessions of the API): the database by
# default, Redis with CACHE_URL=redis://127.0.0.1:6379/0.
CACHE_URL = envstr("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "kokemus_cache"}}

# --- Accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
# Login throttling (django-axes): 5 failures for one e-mail address from one IP address
# lock that pair for 15 minutes; a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated);
# empty: the TCP peer is the client (see kokemus.web.clientip).
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", [])
AXES_CLIENT_IP_CALLABLE = "kokemus.web.clientip.client_ip"
INVITATION_MAX_AGE_DAYS = envint("INVITATION_MAX_AGE_DAYS", 7)
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 60 * 60 * 24)

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Europe/Helsinki")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kokemus_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "kokemus <noreply@localhost>")

# --- Background tasks -------------------------------------------------------------------
# django-tasks with its database backend: no broker is needed; `kokemus worker` runs them.
TASKS = {
    "default": {
        "BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
)
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# Outgoing webhooks refuse private and loopback targets unless this is on (tests, labs).
KOKEMUS_WEBHOOK_ALLOW_PRIVATE = envbool("KOKEMUS_WEBHOOK_ALLOW_PRIVATE", False)
SMS_BACKEND = envstr("SMS_BACKEND", "kokemus.invitations.sms.ConsoleSMSBackend")
SMS_HTTP_URL = envstr("SMS_HTTP_URL", "")
SMS_HTTP_API_KEY = envstr("SMS_HTTP_API_KEY", "")
SMS_SENDER = envstr("SMS_SENDER", "kokemus")
SMS_HTTP_TIMEOUT = envint("SMS_HTTP_TIMEOUT", 10)

# Public response page: submissions per IP address and collection point per window.
KOKEMUS_RESPOND_RATE_LIMIT = envint("KOKEMUS_RESPOND_RATE_LIMIT", 30)
KOKEMUS_RESPOND_RATE_WINDOW = envint("KOKEMUS_RESPOND_RATE_WINDOW", 600)
# REST API limits per token.
KOKEMUS_API_REQUESTS_PER_MINUTE = envint("KOKEMUS_API_REQUESTS_PER_MINUTE", 600)
KOKEMUS_API_BATCH_ITEMS_PER_SECOND = envint("KOKEMUS_API_BATCH_ITEMS_PER_SECOND", 100)
KOKEMUS_API_BATCH_BURST = envint("KOKEMUS_API_BATCH_BURST", 1000)
# Self-service sign-up of new organisations (/signup/).
KOKEMUS_ALLOW_SIGNUP = envbool("KOKEMUS_ALLOW_SIGNUP", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}
