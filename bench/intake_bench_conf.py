"""Settings of bench/intake_bench.py only: the product's development settings (database and directories from
the environment the bench sets) with the bench's URLconf (intake_bench_urls: one extra bare JSON view).
Nothing here is part of the product."""

import os

from xiaoneng.settings.dev import *  # noqa: F403

ROOT_URLCONF = "intake_bench_urls"
DEBUG = False
if os.environ.get("BENCH_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["BENCH_REDIS_URL"],
        }
    }
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
