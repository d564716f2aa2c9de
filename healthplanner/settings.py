"""healthplanner settings.

The environment is read here and only here. Every value has a safe default except
``DJANGO_SECRET_KEY``, which is required whenever debug is off. A ``.env`` file in the
project folder (written by ``bin/demo`` for local development, never committed) is
read first; real environment variables win over it.
"""
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from healthplanner.exports import SafeCSV, SafeXLSX

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_env_file = BASE_DIR / ".env"
if _env_file.is_file():
    environ.Env.read_env(str(_env_file), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Debug is off, so a secret key is required: "
            "set DJANGO_SECRET_KEY to a long random string (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DJANGO_DEBUG=true for local development."
        )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Translated catalogue names (name_es, name_en): must come before the admin.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "healthplanner",
    "interventions",
    "modeling",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the locale (its 429 speaks the client's language), before any authentication.
    "healthplanner.api.middleware.FailedAuthenticationThrottleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last but Prometheus's, as django-axes asks: turns a locked-out login into its page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "healthplanner.urls"
WSGI_APPLICATION = "healthplanner.wsgi.application"
ASGI_APPLICATION = "healthplanner.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# The embedded default is an SQLite file in the project folder; production and CI use
# PostgreSQL through DATABASE_URL (postgres://user:password@host:port/name).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
_PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = _PROMETHEUS_ENGINES.get(
    DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"]
)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server and the django-q2 worker share the file: wait for locks instead
    # of failing, and take the write lock up front.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASE_IS_POSTGRES = "postgresql" in DATABASES["default"]["ENGINE"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

# --- Cache: shared by every process when REDIS_URL is set ----------------------------
# The API's throttles, the failed-authentication throttle and django-axes count in this
# cache (axes also in the database). With several gunicorn workers or hosts it must be
# shared: set REDIS_URL (redis://host:6379/0) in production. Without it (the demo) each
# process keeps its own local-memory cache, and every count is per process.
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="healthplanner")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                # clear() removes this site's keys only, not the whole Redis database.
                "CLIENT_CLASS": "healthplanner.cache.PrefixClearClient",
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
    # Redis unreachable: the cache reads as empty (and logs it) instead of failing the
    # request; the throttles then let requests through until it is back.
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "healthplanner",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }

# --- Sign-in: admin login lockout (django-axes) ---------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
# username is locked out from that address for AXES_COOLOFF_MINUTES (429, in Spanish).
# Attempts are kept in the database (shared by every process, listed in the admin under
# "Axes"). Unlock: `manage.py axes_reset_username USERNAME` (docs/security.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "healthplanner.security.client_address"
AXES_LOCKOUT_CALLABLE = "healthplanner.security.lockout_response"
AXES_COOLOFF_MESSAGE = _(
    "Too many failed sign-in attempts: this account is locked for a while from your address. "
    "Try again later, or ask an administrator to unlock it."
)
AXES_PERMALOCK_MESSAGE = AXES_COOLOFF_MESSAGE
# How many reverse proxies stand in front of gunicorn and append to X-Forwarded-For (0: the
# client's address is the connection's). The API's throttles and the lockout read the client
# address this way; a client cannot choose its own address by sending the header.
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language: Spanish by default, English on request -------------------------------
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="es")
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="America/Lima")
# Indicators' and intervention types' names and descriptions are stored in both languages
# (django-modeltranslation: name_es, name_en); Spanish is the default and the fallback.
MODELTRANSLATION_DEFAULT_LANGUAGE = "es"
MODELTRANSLATION_LANGUAGES = ("es", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("es", "en")
USE_I18N = True
# Peru's number formats over Django's es locale (a space between thousands, a decimal
# comma); healthplanner/formatting.py groups the numbers meant for reading.
FORMAT_MODULE_PATH = ["healthplanner.formats"]
USE_TZ = True

# --- Files ----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
# Trained model files live under MEDIA_ROOT/models; the path is absolute by construction.
MEDIA_ROOT = Path(env.str("HEALTHPLANNER_MEDIA_ROOT", default=str(BASE_DIR / "media"))).resolve()
MODEL_FILES_ROOT = MEDIA_ROOT / "models"

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS proxy, gunicorn (gunicorn.conf.py: forwarded_allow_ips) sets the scheme from
# X-Forwarded-Proto only for the proxy's address; SECURE_PROXY_SSL_HEADER is not set, so Django
# never believes that header from just anyone (gunicorn passes the header on from any client,
# so Django reading it would undo forwarded_allow_ips).
# Probes ask over plain HTTP on the host: no redirect to HTTPS for them (they carry no secret).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Content-Security-Policy (django-csp): scripts, styles, images, fonts and data only from this
# site. The admin, the browsable API, Swagger UI (the split view: its start-up script is a file)
# and Redoc (drf-spectacular-sidecar's files, templates/drf_spectacular/redoc.html without web
# fonts) work under it. Styles allow 'unsafe-inline' (Redoc and Swagger UI set inline styles;
# an inline style cannot run code); scripts do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "healthplanner.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reading needs view_<model>, writing add/change/delete (healthplanner/api/permissions.py).
    "DEFAULT_PERMISSION_CLASSES": ["healthplanner.api.permissions.ViewModelPermissions"],
    "DEFAULT_SCHEMA_CLASS": "healthplanner.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "healthplanner.api.renderers.CSVRenderer",
    ],
    # An unknown or empty ?format= is a 406 in the API's error shape (DRF: 404 / ignored).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "healthplanner.api.negotiation.ContentNegotiation",
    # Bodies are JSON (a form cannot say null, a list or a number apart from text); only the
    # file upload of /api/v1/imports/ is multipart (its view says so).
    "DEFAULT_PARSER_CLASSES": ["healthplanner.api.parsers.LimitedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "healthplanner.api.pagination.Pagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "EXCEPTION_HANDLER": "healthplanner.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "healthplanner.api.throttling.AnonThrottle",
        "healthplanner.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
        # Failed authentications (a wrong or unknown token) per client address: past it,
        # every API request from that address gets a 429 until the window ends.
        "auth_failure": env.str("API_THROTTLE_AUTH_FAILURES", default="30/minute"),
    },
    "NUM_PROXIES": NUM_PROXIES,
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=1000)
# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token expires after
# API_TOKEN_TTL_DAYS; an expired one's row is kept API_TOKEN_PURGE_AFTER_DAYS (its key is
# told "expired"), then purged daily (healthplanner/tokens.py issues, revokes and purges).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
API_TOKEN_PURGE_AFTER_DAYS = env.int("API_TOKEN_PURGE_AFTER_DAYS", default=30)
if API_TOKEN_TTL_DAYS < 1 or API_TOKEN_PURGE_AFTER_DAYS < 0:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1 day and API_TOKEN_PURGE_AFTER_DAYS 0 or more.")
REST_KNOX = {"TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS), "AUTH_HEADER_PREFIX": "Token", "AUTO_REFRESH": False}
# page_size=all (a whole list as one CSV or XLSX) holds at most this many rows; beyond, a 400.
API_EXPORT_MAX_ROWS = env.int("API_EXPORT_MAX_ROWS", default=100000)
SPECTACULAR_SETTINGS = {
    "ENUM_NAME_OVERRIDES": {"PlanStatusEnum": "modeling.models.PlanStatus"},
    "TITLE": "healthplanner API",
    "DESCRIPTION": "Communities, indicators, interventions, model scores and plans.",
    "VERSION": "1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from our own static files: the docs work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Admin export ---------------------------------------------------------------------
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Every cell through healthplanner.exports.safe_cell (formulas kept text, control characters
# replaced); the library's own escaping only drops one leading "=".
EXPORT_FORMATS = [SafeCSV, SafeXLSX]
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

# --- Background tasks (django-q2) -----------------------------------------------------
# timeout < retry, or a long training would be started a second time while running.
# Imports (docs/importing.md, "Limits"): what one file may hold, checked while it is read,
# the time one import may take, and the size above which an upload is read by the worker.
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=2_000_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=1_000)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=12_000_000)
IMPORT_TIME_BUDGET_SECONDS = env.int("IMPORT_TIME_BUDGET_SECONDS", default=900)
IMPORT_WORKER_THRESHOLD_BYTES = env.int("IMPORT_WORKER_THRESHOLD_BYTES", default=2 * 1024 * 1024)

Q_CLUSTER = {
    "name": "healthplanner",
    "label": _("Task queue"),  # the django-q2 section of the admin
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=1),
    "timeout": env.int("Q_TIMEOUT", default=1800),
    "retry": env.int("Q_RETRY", default=2100),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=2),
    "recycle": 50,
    "save_limit": 500,
    "catch_up": False,
    "sync": env.bool("Q_SYNC", default=False),
    "poll": 1,
}

# A running TaskRun writes a heartbeat every TASK_HEARTBEAT_SECONDS; one whose heartbeat is
# older than TASK_HEARTBEAT_TIMEOUT is reclaimed (queued again while it has attempts left, else
# marked failed) by modeling's scheduled ``reclaim_stale_runs`` and at every worker start. It
# must be shorter than Q_RETRY, or the broker would hand the task to a new worker first.
TASK_HEARTBEAT_SECONDS = env.int("TASK_HEARTBEAT_SECONDS", default=30)
TASK_HEARTBEAT_TIMEOUT = env.int("TASK_HEARTBEAT_TIMEOUT", default=300)
if not TASK_HEARTBEAT_SECONDS < TASK_HEARTBEAT_TIMEOUT < Q_CLUSTER["retry"]:
    raise ImproperlyConfigured(
        f"TASK_HEARTBEAT_TIMEOUT ({TASK_HEARTBEAT_TIMEOUT} s) must be longer than TASK_HEARTBEAT_SECONDS "
        f"({TASK_HEARTBEAT_SECONDS} s) and shorter than Q_RETRY ({Q_CLUSTER['retry']} s)."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Metrics (Prometheus) -------------------------------------------------------------
# django-prometheus serves /metrics; healthplanner/metrics.py adds our own. For gunicorn
# with several workers and for the django-q2 cluster, set PROMETHEUS_MULTIPROC_DIR (one
# empty folder per process group) before start-up: prometheus_client then adds up the
# samples of every process, and `manage.py serve_metrics` exports the workers'.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# /metrics (web) and serve_metrics (worker) answer only `Authorization: Bearer <METRICS_TOKEN>`
# (prometheus/prometheus.yml: authorization.credentials_file); unset, they serve nothing (403).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR is {PROMETHEUS_MULTIPROC_DIR!r}, which is not a folder: "
        "create it (empty) before starting the processes, or unset the variable."
    )
