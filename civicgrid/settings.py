"""Django settings for civicgrid, read from environment variables (see README, "Configuration")."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from civicgrid.core.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
DATA_DIR = Path(env_str("CIVICGRID_DATA_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("CIVICGRID_DEBUG", False)
_DEV_KEY = "civicgrid-insecure-development-key-change-me"  # noqa: S105 - only used when DEBUG/demo
SECRET_KEY = env_str("CIVICGRID_SECRET_KEY", _DEV_KEY)
if SECRET_KEY == _DEV_KEY and not env_bool("CIVICGRID_ALLOW_DEV_KEY", True):
    raise ImproperlyConfigured("CIVICGRID_SECRET_KEY must be set in production.")
ALLOWED_HOSTS = env_list("CIVICGRID_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CIVICGRID_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "civicgrid.core.admin_base.CivicAdminConfig",  # django.contrib.admin, access by permission matrix
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "civicgrid.core",
    "civicgrid.areas",
    "civicgrid.accounts",
    "civicgrid.cases",
    "civicgrid.notifications",
    "civicgrid.open311",
    "civicgrid.webhooks",
    "civicgrid.stats",
    "civicgrid.mediation",
]

MIDDLEWARE = [
    "civicgrid.core.proxy.TrustedProxyMiddleware",  # first: everything after sees the real client
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "civicgrid.accounts.middleware.IdleSessionMiddleware",
    "civicgrid.core.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "civicgrid.accounts.middleware.LoginRequiredMiddleware",
    "civicgrid.accounts.middleware.PasswordExpiryMiddleware",
    "civicgrid.accounts.middleware.OTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# The reverse proxy's address (nginx): its X-Forwarded-For/-Proto are trusted (core/proxy.py).
CIVICGRID_TRUSTED_PROXY = env_str("CIVICGRID_TRUSTED_PROXY", "")

ROOT_URLCONF = "civicgrid.urls"
WSGI_APPLICATION = "civicgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "civicgrid.accounts.context_processors.navigation",
                "civicgrid.notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'civicgrid.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CIVICGRID_DB_CONN_MAX_AGE", 60))
except ValueError as exc:  # unknown scheme, malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL={DATABASE_URL!r} is not a valid database URL: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
    _db.setdefault("TEST", {})["NAME"] = env_str("CIVICGRID_TEST_SQLITE", "") or None
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and 等保 2.0 hardening ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_MIN_LENGTH = env_int("CIVICGRID_PASSWORD_MIN_LENGTH", 8, min_value=8, max_value=128)
PASSWORD_HISTORY = env_int("CIVICGRID_PASSWORD_HISTORY", 5, min_value=0, max_value=24)
PASSWORD_MAX_AGE_DAYS = env_int("CIVICGRID_PASSWORD_MAX_AGE_DAYS", 90, min_value=0)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "civicgrid.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "civicgrid.accounts.passwords.HistoryValidator"},
]

AXES_FAILURE_LIMIT = env_int("CIVICGRID_LOCKOUT_FAILURES", 5, min_value=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("CIVICGRID_LOCKOUT_MINUTES", 30, min_value=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "civicgrid.accounts.views.locked_out"
AXES_VERBOSE = False
# The lock lasts AXES_COOLOFF_TIME from the locking failure; attempts during the lock are
# refused (and audited) without extending it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Lockout is per account (等保: lock the account after N failures, whatever the source address),
# so rotating addresses or user agents does not bypass it; axes warns only about IP rate limits.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

SESSION_IDLE_MINUTES = env_int("CIVICGRID_SESSION_IDLE_MINUTES", 30, min_value=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# the age restarts with activity (an idle timeout), at most once a minute (accounts.middleware)
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("CIVICGRID_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
OTP_TOTP_ISSUER = env_str("CIVICGRID_OTP_ISSUER", "civicgrid")

# --- I18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CIVICGRID_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (npm packages are served from node_modules, never from a CDN) -----------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
NODE_MODULES = Path(env_str("CIVICGRID_NODE_MODULES", str(PROJECT_DIR / "node_modules")))
STATICFILES_DIRS = [BASE_DIR / "static"]
for _prefix, _sub in (("vendor/leaflet", "leaflet/dist"), ("vendor/htmx", "htmx.org/dist"),
                      ("vendor/echarts", "echarts/dist")):
    if (NODE_MODULES / _sub).is_dir():
        STATICFILES_DIRS.append((_prefix, NODE_MODULES / _sub))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the finders: no collectstatic step needed
warnings.filterwarnings("ignore", message="No directory at")  # STATIC_ROOT unused (finders)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# Map: no tiles unless configured (天地图 or a local GIS server); grids are drawn as vectors.
MAP_TILE_URL = env_str("CIVICGRID_MAP_TILE_URL", "-")
MAP_TILE_URL = "" if MAP_TILE_URL == "-" else MAP_TILE_URL
MAP_TILE_ATTRIBUTION = env_str("CIVICGRID_MAP_TILE_ATTRIBUTION", "-")
MAP_TILE_ATTRIBUTION = "" if MAP_TILE_ATTRIBUTION == "-" else MAP_TILE_ATTRIBUTION

# --- Geometry -----------------------------------------------------------------------------
GRID_OVERLAP_TOLERANCE_M2 = env_int("CIVICGRID_GRID_OVERLAP_TOLERANCE_M2", 25, min_value=0)

# --- Cases ---------------------------------------------------------------------------------
CASE_REOPEN_WINDOW_DAYS = env_int("CIVICGRID_CASE_REOPEN_WINDOW_DAYS", 7, min_value=0)
CASE_DUPLICATE_DAYS = env_int("CIVICGRID_CASE_DUPLICATE_DAYS", 30, min_value=1)
CASE_UNSATISFIED_AT_MOST = env_int("CIVICGRID_CASE_UNSATISFIED_AT_MOST", 2, min_value=1, max_value=4)
CASE_PHOTO_MAX_BYTES = env_int("CIVICGRID_CASE_PHOTO_MAX_MB", 10, min_value=1) * 1024 * 1024
CASE_PHOTO_MAX_COUNT = env_int("CIVICGRID_CASE_PHOTO_MAX_COUNT", 9, min_value=1)
# Request bodies: form/JSON data up to 2.5 MB; uploads above 2.5 MB spool to temp files; a
# multipart case report or result may carry all its photos. Larger bodies answer 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Deadlines, tick and notifications (docs/adr/0005) -------------------------------------
# `civicgrid tick`: hours past a missed deadline before the system escalates an unregistered or
# undispatched case one level up, or issues a 督办 on overdue handling (0 switches it off).
CASE_ESCALATE_OVERDUE_HOURS = env_int("CIVICGRID_ESCALATE_OVERDUE_HOURS", 24, min_value=0)
CASE_SUPERVISE_OVERDUE_HOURS = env_int("CIVICGRID_SUPERVISE_OVERDUE_HOURS", 24, min_value=0)
# Outbound senders by dotted path ("-": channel off). The default only writes to the log.
NOTIFY_SMS_BACKEND = env_str("CIVICGRID_SMS_BACKEND", "civicgrid.notifications.senders.LoggingSender")
NOTIFY_SMS_BACKEND = "" if NOTIFY_SMS_BACKEND == "-" else NOTIFY_SMS_BACKEND
NOTIFY_WECOM_BACKEND = env_str("CIVICGRID_WECOM_BACKEND", "-")
NOTIFY_WECOM_BACKEND = "" if NOTIFY_WECOM_BACKEND == "-" else NOTIFY_WECOM_BACKEND
# Try each message once right after the action's commit (errors are recorded, never raised);
# otherwise only the `civicgrid tick` worker sends.
NOTIFY_SEND_AFTER_COMMIT = env_bool("CIVICGRID_NOTIFY_SEND_AFTER_COMMIT", False)
NOTIFY_MAX_ATTEMPTS = env_int("CIVICGRID_NOTIFY_MAX_ATTEMPTS", 6, min_value=1)
NOTIFY_RETRY_BASE_SECONDS = env_int("CIVICGRID_NOTIFY_RETRY_BASE_SECONDS", 60, min_value=1)

# --- dispute mediation (civicgrid.mediation): working days per stage, screening period ------
MEDIATION_DEADLINES = {
    "accept": env_int("CIVICGRID_MEDIATION_ACCEPT_DAYS", 3, min_value=0),
    "mediate": env_int("CIVICGRID_MEDIATION_MEDIATE_DAYS", 22, min_value=1),
    "decide": env_int("CIVICGRID_MEDIATION_DECIDE_DAYS", 3, min_value=0),
    "follow_up": env_int("CIVICGRID_MEDIATION_FOLLOW_UP_DAYS", 10, min_value=1),
}
MEDIATION_SCREENING_MONTHS = env_int("CIVICGRID_SCREENING_MONTHS", 1, min_value=1, max_value=12)
# personal data at rest (core/personal.py): the encryption and lookup-hash key; empty = SECRET_KEY
PERSONAL_DATA_KEY = env_str("CIVICGRID_PERSONAL_DATA_KEY", "")

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "civicgrid.accounts.tokens.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "civicgrid.core.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "civicgrid.core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "civicgrid.core.api_limits.LimitedJSONParser",
        "civicgrid.core.api_limits.LimitedFormParser",
        "civicgrid.core.api_limits.LimitedMultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["civicgrid.core.api_limits.RateThrottle"],
    "UNAUTHENTICATED_USER": None,
}
# Requests per user (token or session) and per client address without login; "-" = no limit.
# Counted in fixed windows in the cache below (per process with the default local-memory
# cache; CIVICGRID_CACHE=db shares the counts through the database: run createcachetable).
API_THROTTLE_RATES = {
    "user": env_str("CIVICGRID_API_RATE_USER", "60000/min"),
    "anon": env_str("CIVICGRID_API_RATE_ANON", "600/min"),
}
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "civicgrid_cache"}
        if env_choice("CIVICGRID_CACHE", "locmem", ("locmem", "db")) == "db"
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "civicgrid"}
    ),
}
# Outbound webhooks (docs/webhooks.md): POST timeout, retries with exponential backoff.
WEBHOOK_TIMEOUT_SECONDS = env_int("CIVICGRID_WEBHOOK_TIMEOUT_SECONDS", 5, min_value=1, max_value=60)
WEBHOOK_MAX_ATTEMPTS = env_int("CIVICGRID_WEBHOOK_MAX_ATTEMPTS", 8, min_value=1)
WEBHOOK_RETRY_BASE_SECONDS = env_int("CIVICGRID_WEBHOOK_RETRY_BASE_SECONDS", 30, min_value=1)
# how long a worker's claim on a delivery lasts without renewal (a crashed worker's deliveries
# are taken over after it); must exceed one POST with its redirects (3 × the timeout)
WEBHOOK_LEASE_SECONDS = env_int("CIVICGRID_WEBHOOK_LEASE_SECONDS", 120, min_value=10)
# the worker reads new case timeline entries (at most BATCH a pass); an id not committed yet
# is read again on each pass until it appears or is GAP_SECONDS old (rolled back)
WEBHOOK_BATCH = env_int("CIVICGRID_WEBHOOK_BATCH", 500, min_value=1)
WEBHOOK_GAP_SECONDS = env_int("CIVICGRID_WEBHOOK_GAP_SECONDS", 600, min_value=1)

SPECTACULAR_SETTINGS = {
    "TITLE": "civicgrid API",
    "DESCRIPTION": "市域社会治理 / 网格化管理 平台接口 (civicgrid)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "civicgrid.core.api.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "civicgrid.cases.models.State",
        "AssignmentStateEnum": "civicgrid.cases.models.AssignmentState",
        "DisputeStateEnum": "civicgrid.mediation.models.State",
        "DisputeLevelEnum": "civicgrid.mediation.models.Level",
        "PartyKindEnum": "civicgrid.mediation.models.PartyKind",
    },
}

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env_choice("CIVICGRID_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"axes": {"level": "WARNING"}},
}
