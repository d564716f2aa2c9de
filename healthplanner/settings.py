"""healthplanner settings.

The environment is read here and only here. Every value has a safe default except
``DJANGO_SECRET_KEY``, which is required whenever debug is off. A ``.env`` file in the
project folder (written by ``bin/demo`` for local development, never committed) is
read first; real environment variables win over it.
"""
from pathlib import Path

import environ
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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "simple_history",
    "import_export",
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
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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
# never believes that header from just anyone.

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
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
    "DEFAULT_PARSER_CLASSES": [
        "healthplanner.api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
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
    },
}
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=1000)
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
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR is {PROMETHEUS_MULTIPROC_DIR!r}, which is not a folder: "
        "create it (empty) before starting the processes, or unset the variable."
    )
