"""Settings shared by every environment. Environment-specific files import * from here.

Everything a deployment may change is read from the environment (XIAONENG_*), so production needs no edited
file: see docs/deployment.md.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[3]  # the repository (or install) root
VAR_DIR = Path(os.environ.get("XIAONENG_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


SECRET_KEY = os.environ.get("XIAONENG_SECRET_KEY", "")
DEBUG = env_bool("XIAONENG_DEBUG")
XIAONENG_PRODUCTION = False  # prod.py: True, and the production system checks apply
# Demo mode: the demo city's seeded accounts keep their printed passwords (no forced change on first login).
DEMO_MODE = env_bool("XIAONENG_DEMO_MODE")
ALLOWED_HOSTS = env_list("XIAONENG_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "xiaoneng.core",
    "xiaoneng.org",
    "xiaoneng.supervision",
    "xiaoneng.complaints",
    "xiaoneng.eservice",
    "xiaoneng.accountability",
    "xiaoneng.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xiaoneng.core.middleware.SessionTimeoutMiddleware",
    "xiaoneng.core.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xiaoneng.urls"
WSGI_APPLICATION = "xiaoneng.wsgi.application"

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
                "xiaoneng.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("XIAONENG_DATABASE_URL", f"sqlite:///{VAR_DIR / 'xiaoneng.sqlite3'}"),
        conn_max_age=int(os.environ.get("XIAONENG_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web, worker and scheduler processes of `make run` share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xiaoneng.core.passwords.CharacterClassValidator"},
]
# SM3-based PBKDF2 is not in Django; PBKDF2-SHA256 stays the default hasher (MLPS asks for a strong one-way
# function; the certified SM-series module goes behind the crypto adapter in deployments that need it).

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout (MLPS 2.0 L3: 登录失败处理): 5 failures lock the account for 30 minutes. Unknown users and wrong
# passwords get the same answer.
AXES_FAILURE_LIMIT = int(os.environ.get("XIAONENG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("XIAONENG_LOGIN_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # an account, and an address spraying many accounts
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# Sessions: idle timeout (sliding) and absolute timeout, both enforced by SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = int(os.environ.get("XIAONENG_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("XIAONENG_SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(__file__).resolve().parents[1] / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "xiaoneng.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xiaoneng 效能 API",
    "DESCRIPTION": "机关效能建设平台 API. Every list and object is limited to the caller's data scope; "
    "out-of-scope objects answer 404. State changes go through one action endpoint per transition; "
    "a refused transition answers 409 with the reason (Chinese and English).",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package: no CDN (government intranets have none).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name with another app's get a name of their own.
    "ENUM_NAME_OVERRIDES": {
        "SourceEnum": "xiaoneng.supervision.models.Source",
        "CaseSourceEnum": "xiaoneng.accountability.models.Source",
    },
}

# Background work (django.tasks API): the database backend by default, RQ on Redis when XIAONENG_REDIS_URL is set.
REDIS_URL = os.environ.get("XIAONENG_REDIS_URL", "")
TASK_BACKEND = os.environ.get("XIAONENG_TASK_BACKEND", "rq" if REDIS_URL else "database")
if TASK_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The cache holds the public side's rate-limit counters (complaints/ratelimit.py): Redis when there is one, else
# a file cache under var/ that every web process of the embedded default shares (local memory would give each
# gunicorn worker its own counters).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Keys for SM4 personal-data encryption and HMAC-SM3 (audit chain, blind indexes). Never in this file in
# production: prod.py refuses the development provider (system check xiaoneng.E001).
XIAONENG_KEY_PROVIDER = {
    "class": os.environ.get("XIAONENG_KEY_PROVIDER", "xiaoneng.core.crypto.DevKeyProvider"),
    "path": os.environ.get("XIAONENG_KEY_FILE", str(VAR_DIR / "dev-keys.json")),
}

# The audit trail is kept at least six calendar months (网络安全法 art. 21); default one year.
AUDIT_RETENTION_DAYS = max(183, int(os.environ.get("XIAONENG_AUDIT_RETENTION_DAYS", "366")))

# Notifications: channel adapters. Console backends where a real gateway cannot be reached.
EMAIL_BACKEND = os.environ.get("XIAONENG_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("XIAONENG_FROM_EMAIL", "xiaoneng@localhost")
NOTIFY_CHANNELS = {
    "sms": os.environ.get("XIAONENG_SMS_BACKEND", "xiaoneng.core.notify.ConsoleChannel"),
    "dingtalk": os.environ.get("XIAONENG_DINGTALK_BACKEND", "xiaoneng.core.notify.ConsoleChannel"),
    "wecom": os.environ.get("XIAONENG_WECOM_BACKEND", "xiaoneng.core.notify.ConsoleChannel"),
}
NOTIFY_OPTIONS = {
    "dingtalk": {
        k: v
        for k, v in {
            "url": os.environ.get("XIAONENG_DINGTALK_URL", ""),
            "secret": os.environ.get("XIAONENG_DINGTALK_SECRET", ""),
        }.items()
        if v
    },
    "wecom": {k: v for k, v in {"url": os.environ.get("XIAONENG_WECOM_URL", "")}.items() if v},
}

# The demo city's year of routine supervised work (items); tests load the demo without it.
DEMO_ROUTINE_ITEMS = int(os.environ.get("XIAONENG_DEMO_ROUTINE_ITEMS", "3000"))
DEMO_COMPLAINTS = int(os.environ.get("XIAONENG_DEMO_COMPLAINTS", "600"))  # the demo city's year of 效能投诉

# The deadline sweep's parallel walks on PostgreSQL (each a thread with its own connection; the items are shared
# through SKIP LOCKED): two overlap the client's work with the database's on a 2-core server.
SWEEP_WORKERS = int(os.environ.get("XIAONENG_SWEEP_WORKERS", "2"))

# The scheduler's periodic jobs: name -> (task path, interval seconds).
SCHEDULE = {
    "heartbeat": ("xiaoneng.core.tasks.heartbeat", 30),
    "sweep_deadlines": ("xiaoneng.core.tasks.sweep_deadlines", 60),
    "supervision_missed": ("xiaoneng.supervision.tasks.check_signing_and_reports", 300),
    "eservice_sweep": ("xiaoneng.eservice.tasks.sweep_cases", 60),
    # The public intake queue: whatever the per-submission task left waiting, and failed rows once more.
    "complaints_intake": ("xiaoneng.complaints.tasks.register_intake_catch_up", 30),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("XIAONENG_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
