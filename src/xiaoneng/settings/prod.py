"""Production: PostgreSQL + Redis + gunicorn; every value from the environment (docs/deployment.md)."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
XIAONENG_PRODUCTION = True
TRUST_X_FORWARDED_FOR = env_bool("XIAONENG_TRUST_X_FORWARDED_FOR", True)
DEMO_MODE = False
SECURE_SSL_REDIRECT = env_bool("XIAONENG_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
