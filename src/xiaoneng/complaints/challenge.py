"""A self-hosted challenge against scripted floods of the public complaint form: proof of work.

Why proof of work rather than a picture, arithmetic or Chinese-character puzzle: it asks nothing of the person
(nothing to read, hear or type — so it works the same for screen-reader users, the elderly and people on a
phone, GB/T 37668), needs no third-party service (government networks often reach none), and costs a script
that wants to send thousands of complaints real CPU time per complaint while costing the server one HMAC and
one SHA-256 to check.

The form carries a challenge signed by the server: ``<issued>.<salt>.<bits>.<signature>``. The signature (HMAC
over SECRET_KEY) binds the challenge to the form's idempotency key, so a solved challenge cannot be reused for
another submission: replaying it can only resend the same submission, which the idempotency key turns into the
first complaint again. The page's script (static/portal/portal.js) looks for a nonce such that
SHA-256("<challenge>:<nonce>") starts with `bits` zero bits (2^bits tries on average; 16 bits take well under
a second on a current phone and start as soon as the page opens). Challenges expire after MAX_AGE.

Without JavaScript (an old phone, a locked-down office browser, a text browser) nothing can be computed, so the
form says it is sent without script (a hidden field inside <noscript>) and the challenge is met by time instead:
the same signed challenge, submitted no sooner than NOJS_MIN_SECONDS after it was issued (`verify_waited`) — a
person filling in a complaint takes far longer, a script posting at once is refused. Waiting costs a script no
CPU, so that path also has its own, much tighter rate limits — per address and for the whole portal
(ratelimit "submit_nojs", "submit_nojs_all") — which a flood exhausts without touching the scripted path.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

MAX_AGE = 2 * 3600  # seconds a form may stay open
DEFAULT_BITS = 16
NOJS_MIN_SECONDS = 8  # the least time between opening the form and sending it without script


def bits() -> int:
    return int(getattr(settings, "XIAONENG_PORTAL_POW_BITS", DEFAULT_BITS))


def _sign(body: str, binding: str) -> str:
    return salted_hmac("xiaoneng.portal.pow", f"{body}|{binding}", algorithm="sha256").hexdigest()[:32]


def issue(binding: str, *, now: float | None = None) -> str:
    """A new challenge bound to `binding` (the form's idempotency key)."""
    issued = int(now if now is not None else time.time())
    body = f"{issued}.{secrets.token_hex(8)}.{bits()}"
    return f"{body}.{_sign(body, binding)}"


def leading_zero_bits(digest: bytes) -> int:
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def solve(challenge: str) -> str:
    """The nonce a browser would find (tests and the load generator use it)."""
    want = int(challenge.split(".")[2])
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < want:
        nonce += 1
    return str(nonce)


def _checked(challenge: str, binding: str, now: float | None) -> tuple[str | None, list[str], float]:
    """(why it is not valid or None, its parts, its age in seconds): signature, difficulty and age."""
    parts = (challenge or "").split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
        return "invalid", parts, 0.0
    body = ".".join(parts[:3])
    if not constant_time_compare(parts[3], _sign(body, binding)):
        return "invalid", parts, 0.0
    if int(parts[2]) < bits():
        return "invalid", parts, 0.0  # issued under an easier setting: not good enough now
    now = now if now is not None else time.time()
    age = now - int(parts[0])
    if age > MAX_AGE or age < -60:
        return "expired", parts, age
    return None, parts, age


def still_valid(challenge: str, binding: str, *, now: float | None = None) -> bool:
    """Whether `challenge` is a live one for `binding` (a form shown again after an error keeps its challenge,
    and with it the time it was first opened)."""
    return _checked(challenge, binding, now)[0] is None


def verify_waited(challenge: str, binding: str, *, now: float | None = None) -> str | None:
    """The no-script path: None when `challenge` for `binding` was issued at least NOJS_MIN_SECONDS ago;
    otherwise why not ("invalid", "expired", "early")."""
    why, _parts, age = _checked(challenge, binding, now)
    if why is not None:
        return why
    return "early" if age < NOJS_MIN_SECONDS else None


def verify(challenge: str, nonce: str, binding: str, *, now: float | None = None) -> str | None:
    """None when `nonce` solves `challenge` issued for `binding`; otherwise why not ("invalid", "expired",
    "unsolved")."""
    why, parts, _age = _checked(challenge, binding, now)
    if why is not None:
        return why
    if not (nonce or "").isdigit() or len(nonce) > 12:
        return "unsolved"
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < int(parts[2]):
        return "unsolved"
    return None
