"""The clock's one error type: a ``ValueError`` whose message is Chinese first, then English."""

from __future__ import annotations


class ClockError(ValueError):
    """Bad input to the clock (unknown unit, naive datetime, pause ending before it starts, …).

    ``str(err)`` is ``"<中文> / <English>"``; ``err.zh`` and ``err.en`` hold the halves.
    """

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


class OpenPauseError(ClockError):
    """A pause has no end yet and no ``now`` was given: the deadline is not known while it lasts."""
