"""Rate limits for the public side (portal and Open311): fixed windows counted in Django's cache.

The cache is Redis in production and a file cache shared by the web processes in the embedded default (see
settings.base.CACHES); tests use local memory. Keys never hold the client's address in clear: it is identity
data (SPEC §2, whistleblower protection), so the key carries an HMAC of it that changes with SECRET_KEY.

Limits are `name -> (count, seconds)`; `XIAONENG_RATE_LIMITS` in the environment overrides any of them
("submit=10/3600,track=20/600"). Exceeding a limit answers 429 with Retry-After.
"""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils.crypto import salted_hmac

from xiaoneng.core.middleware import client_ip

DEFAULTS: dict[str, tuple[int, int]] = {
    "submit": (10, 3600),  # complaints per address per hour
    # Complaints sent without script (no proof of work, challenge.verify_waited): per address, and for the whole
    # portal — a flood on that path uses up its own allowance only.
    "submit_nojs": (3, 3600),
    "submit_nojs_all": (60, 3600),
    "track": (30, 600),  # lookups (tracking number + query code) per address per 10 minutes
    "rate": (10, 3600),  # ratings per address per hour
    # Wrong proofs (query code or phone) given for one government-service case number, from any address: past
    # it, that case cannot be looked up until the hour ends — guessing from many addresses gets nowhere.
    "case_proof_fail": (10, 3600),
    "wall": (120, 60),  # 回音壁 pages and searches per address per minute
    "units": (120, 60),  # unit search-as-you-type per address per minute
    "open311_get": (300, 60),  # Open311 reads per address per minute
    "open311_post": (6000, 60),  # Open311 submissions per client system (api key) per minute
}


def _parse(spec: str) -> dict[str, tuple[int, int]]:
    out = {}
    for part in spec.split(","):
        name, _eq, value = part.strip().partition("=")
        count, _slash, seconds = value.partition("/")
        if name and count.isdigit() and seconds.isdigit():
            out[name] = (int(count), int(seconds))
    return out


def limits() -> dict[str, tuple[int, int]]:
    configured = dict(DEFAULTS)
    configured.update(getattr(settings, "XIAONENG_RATE_LIMITS", {}))
    configured.update(_parse(os.environ.get("XIAONENG_RATE_LIMITS", "")))
    return configured


def _key(name: str, who: str, window: int) -> str:
    digest = salted_hmac("xiaoneng.ratelimit", who, algorithm="sha256").hexdigest()[:32]
    return f"xn:rl:{name}:{digest}:{window}"


def hit(name: str, who: str) -> int | None:
    """Count one request of `who` (an address or a client system) against limit `name`. Returns None when it
    is allowed, else the seconds until the window ends (for Retry-After)."""
    count, seconds = limits()[name]
    now = time.time()
    window = int(now // seconds)
    key = _key(name, who, window)
    cache = caches[getattr(settings, "XIAONENG_RATE_LIMIT_CACHE", "default")]
    if isinstance(cache, RedisCache):
        used = _count_in_redis(cache, key, seconds + 5)
    else:
        cache.add(key, 0, timeout=seconds + 5)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 5)
            used = 1
    if used > count:
        return max(1, int((window + 1) * seconds - now))
    return None


def _count_in_redis(cache: RedisCache, key: str, timeout: int) -> int:
    """One more in `key`, in one round trip (INCR and EXPIRE pipelined; the key names its window, so renewing its
    expiry on each hit only keeps it a little longer). Django's add + incr would take three round trips and
    build two clients: this runs on every public submission."""
    client = cache.__dict__.get("_xn_ratelimit_client")
    if client is None:  # one client per cache object (Django makes one per call); the pool is shared
        client = cache.__dict__["_xn_ratelimit_client"] = cache._cache.get_client(key, write=True)
    pipe = client.pipeline(transaction=False)
    full = cache.make_and_validate_key(key)
    pipe.incr(full)
    pipe.expire(full, timeout)
    used, _renewed = pipe.execute()
    return int(used)


def blocked(name: str, who: str) -> int | None:
    """Whether `who` has used up limit `name` in this window, without counting a request (for limits that count
    failures only): None, or the seconds until the window ends."""
    count, seconds = limits()[name]
    now = time.time()
    window = int(now // seconds)
    cache = caches[getattr(settings, "XIAONENG_RATE_LIMIT_CACHE", "default")]
    used = cache.get(_key(name, who, window)) or 0
    if int(used) >= count:
        return max(1, int((window + 1) * seconds - now))
    return None


def hit_request(name: str, request) -> int | None:
    """`hit` for the request's client address."""
    return hit(name, client_ip(request) or "unknown")
