"""The embedded default (`make run`): SQLite under var/, database task queue, demo city."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, env_bool

DEBUG = env_bool("XIAONENG_DEBUG", False)
DEMO_MODE = env_bool("XIAONENG_DEMO_MODE", True)
if not SECRET_KEY:  # noqa: F405
    key_file = VAR_DIR / "secret-key.txt"
    if not key_file.exists():
        import secrets

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        os.chmod(key_file, 0o600)
    SECRET_KEY = key_file.read_text().strip()
