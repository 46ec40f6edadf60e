"""Small helpers for messages that come from framework-free code."""

from django.utils.translation import get_language


def clock_message(exc) -> str:
    """A ClockError in the reader's language (the engine keeps both halves: exc.zh, exc.en)."""
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if zh is None or en is None:
        return str(exc)
    return en if (get_language() or "").startswith("en") else zh
