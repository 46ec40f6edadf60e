"""The vectorised bulk path: many deadlines at once over NumPy arrays (recomputation after a calendar change,
imports, the nightly sweep).

Same rules and same answers as :func:`xiaoneng.clock.deadline` (the tests compare them with Hypothesis), at
whole-second resolution: instants are Unix epoch seconds (int64).

How: the working-day lookups are gathers into the calendar's precomputed arrays — ``workdays[count_before[d
+ 1] + n - 1]`` is "the n-th working day after day d" — so no Python runs per row. Every row is first
computed as if it had no pause; the rows that have pauses are then recomputed. Their pauses are merged
(per row, sorted by start) and laid out in *rounds*: round j holds each row's j-th merged pause, and one
vectorised pass per round shifts the count of every row past that pause — the scalar loop, done for all rows
at once. Rounds are few (as many as the most pauses one row has).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .calendars import DAY_S, EPOCH0_S, N_DAYS, Calendar, CalendarIndex
from .errors import ClockError
from .limits import Unit

IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]
ArrayLike = npt.ArrayLike

OPEN_END: int = int(np.iinfo(np.int64).max)
"""Pass as a pause end for a pause still running; needs ``now`` (it is then taken as ending at ``now``)."""

_WD, _D, _WH, _H = (Unit.WORKDAYS.code, Unit.DAYS.code, Unit.WORK_HOURS.code, Unit.HOURS.code)
_HOUR_S = 3600
_LAST_S = (N_DAYS - 1) * DAY_S  # pause instants are clipped to the calendar's range
_KEY = 1 << 32  # > _LAST_S, so row * _KEY + seconds orders (row, seconds) in one int64


def unit_codes(units: ArrayLike) -> CodeArray:
    """Unit codes (``wd`` 0, ``d`` 1, ``wh`` 2, ``h`` 3) from an array of codes or of unit strings."""
    arr = np.asarray(units)
    if arr.dtype.kind in "iu":
        bad = (arr < 0) | (arr > 3)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ClockError(
                f"第 {row} 行：未知的单位代码 {arr[row]}", f"row {row}: unknown unit code {arr[row]}"
            )
        return arr.astype(np.int8)
    strings = arr.astype(str)
    codes = np.full(strings.shape, -1, dtype=np.int8)
    for unit in Unit:
        codes[strings == unit.value] = unit.code
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise ClockError(
            f"第 {row} 行：未知的时限单位 {strings[row]!r}（可用 wd、d、wh、h）",
            f"row {row}: unknown limit unit {strings[row]!r} (use wd, d, wh, h)",
        )
    return codes


@dataclass(slots=True)
class _Rounds:
    """Merged pauses laid out by round: ``rows[j]``, ``a[j]``, ``b[j]`` are each row's j-th half-open
    interval ``[a, b)`` (sorted, disjoint; rows with fewer pauses are absent from the later rounds)."""

    rows: list[IntArray]
    a: list[IntArray]
    b: list[IntArray]

    @classmethod
    def merge(cls, rows: IntArray, a: IntArray, b: IntArray) -> _Rounds:
        """Merge intervals sorted by (row, a) that overlap or touch, as the scalar path does."""
        if a.size == 0:
            return cls([], [], [])
        same_row = rows[1:] == rows[:-1]
        if (same_row & (a[1:] <= b[:-1])).any():  # some overlap: merge
            running = np.maximum.accumulate(rows * _KEY + b)
            new = np.empty(a.size, dtype=np.bool_)
            new[0] = True
            np.greater(rows[1:] * _KEY + a[1:], running[:-1], out=new[1:])
            firsts = np.flatnonzero(new)
            lasts = np.empty_like(firsts)
            lasts[:-1] = firsts[1:] - 1
            lasts[-1] = a.size - 1
            rows, a = rows[firsts], a[firsts]
            b = running[lasts] - rows * _KEY
        return cls.layout(rows, a, b)

    @classmethod
    def layout(cls, rows: IntArray, a: IntArray, b: IntArray) -> _Rounds:
        """Split disjoint intervals sorted by (row, a) into rounds."""
        out = cls([], [], [])
        if a.size == 0:
            return out
        run_start = np.empty(rows.size, dtype=np.bool_)
        run_start[0] = True
        np.not_equal(rows[1:], rows[:-1], out=run_start[1:])
        firsts = np.flatnonzero(run_start)  # each row's first interval
        counts = np.diff(firsts, append=rows.size)  # intervals per row
        j = 0
        while firsts.size:
            sel = firsts + j if j else firsts
            out.rows.append(rows[sel])
            out.a.append(a[sel])
            out.b.append(b[sel])
            j += 1
            more = np.flatnonzero(counts > j)
            if more.size < firsts.size:
                firsts, counts = firsts[more], counts[more]
        return out


@dataclass(slots=True)
class _Pauses:
    days: _Rounds  # [suspension day, resumption day) as day indices
    spans: _Rounds  # [start, end) in local seconds


def _prepare_pauses(
    ix: CalendarIndex,
    n_rows: int,
    index: ArrayLike,
    starts: ArrayLike | None,
    ends: ArrayLike | None,
    now: int | None,
    need_days: BoolArray,
    need_spans: BoolArray,
) -> _Pauses | None:
    if starts is None or ends is None:
        raise ClockError(
            "暂停需同时给出 pause_starts 与 pause_ends", "pauses need pause_starts and pause_ends"
        )
    rows = np.asarray(index, dtype=np.int64)
    ps = np.asarray(starts, dtype=np.int64)
    pe = np.asarray(ends, dtype=np.int64)
    if not (rows.shape == ps.shape == pe.shape) or rows.ndim != 1:
        raise ClockError("暂停数组的长度必须一致", "the pause arrays must have the same length")
    if rows.size == 0:
        return None
    if rows.min() < 0 or rows.max() >= n_rows:
        raise ClockError("暂停的行号超出范围", "a pause's row index is out of range")
    is_open = pe == OPEN_END
    if is_open.any():
        if now is None:
            raise ClockError("有尚未结束的暂停，需提供 now", "some pauses are still open: pass now=")
        pe = np.where(is_open, np.maximum(now, ps), pe)
    backwards = pe < ps
    if backwards.any():
        i = int(np.flatnonzero(backwards)[0])
        raise ClockError(f"第 {i} 个暂停结束早于开始", f"pause {i} ends before it starts")
    shift = ix.offset_s - EPOCH0_S
    ps = ps + shift
    pe = pe + shift
    if ps.min() < 0 or pe.max() > _LAST_S:
        np.clip(ps, 0, _LAST_S, out=ps)
        np.clip(pe, 0, _LAST_S, out=pe)
    if rows.size > 1:
        same_row = rows[1:] == rows[:-1]
        if (rows[1:] < rows[:-1]).any() or (same_row & (ps[1:] < ps[:-1])).any():
            order = np.argsort(rows * _KEY + ps, kind="stable")
            rows, ps, pe = rows[order], ps[order], pe[order]
    sel = np.flatnonzero((pe > ps) & need_spans[rows])
    spans = _Rounds.merge(rows[sel], ps[sel], pe[sel])
    da, db = ps // DAY_S, pe // DAY_S
    sel = np.flatnonzero((db > da) & need_days[rows])
    days = _Rounds.merge(rows[sel], da[sel], db[sel])
    return _Pauses(days, spans)


class _Bulk:
    """Row-indexed state (``day`` = last day so far, ``t`` = end instant so far, local seconds) and the
    vectorised counterparts of the scalar primitives in :mod:`.engine`."""

    def __init__(self, ix: CalendarIndex, day: IntArray, t: IntArray, pauses: _Pauses | None) -> None:
        self.count = ix.count_before
        self.workdays = ix.workdays
        self.work = ix.work
        self.day_work = ix.day_work_s
        self.office = ix.office_s
        self.day = day
        self.t = t
        self.pauses = pauses
        self.scratch = np.empty(day.size, dtype=np.int64)  # per-row count being shifted
        self.lower = np.empty(day.size, dtype=np.int64)  # per-row clip: first countable day / start instant

    # working-time measure and its inverse ----------------------------------------------------------------

    def measure(self, t: IntArray) -> IntArray:
        """Working seconds from 2000-01-01 local up to ``t``."""
        k = t // DAY_S
        sod = t - k * DAY_S
        within = np.zeros_like(t)
        for start, end in self.office:
            within += np.minimum(np.maximum(sod - start, 0), end - start)
        result: IntArray = self.count[k] * self.day_work + np.where(self.work[k], within, 0)
        return result

    def instant(self, x: IntArray) -> IntArray:
        """The earliest instant at which :meth:`measure` reaches ``x`` (> 0)."""
        rank = (x - 1) // self.day_work
        within = x - rank * self.day_work
        sod = np.empty_like(x)
        left = np.ones(x.shape, dtype=np.bool_)
        for start, end in self.office:
            here = left & (within <= end - start)
            sod[here] = start + within[here]
            left &= ~here
            within = within - (end - start)
        result: IntArray = self.workdays[rank] * DAY_S + sod
        return result

    # one limit for a set of rows ---------------------------------------------------------------------------

    def step(self, rows: IntArray | None, amount: IntArray, unit: CodeArray) -> None:
        """Advance ``rows`` (None: all rows) by one limit each (``amount``, ``unit`` per row of ``rows``)."""
        # For the pause rounds, which are laid out by row: each row's unit (-1: not in this step) and amount.
        rounds_units: tuple[list[CodeArray], list[CodeArray]] = ([], [])
        amount_by_row = amount
        if self.pauses is not None:
            current = unit
            if rows is not None:
                current = np.full(self.day.size, -1, dtype=np.int8)
                current[rows] = unit
                amount_by_row = np.zeros(self.day.size, dtype=np.int64)
                amount_by_row[rows] = amount
            rounds_units = (
                [current[r] for r in self.pauses.days.rows],
                [current[r] for r in self.pauses.spans.rows],
            )
        for code in (_WD, _D, _WH, _H):
            sel = np.flatnonzero(unit == code)
            if sel.size == 0:
                continue
            whole = sel.size == unit.size
            r = (
                (np.arange(unit.size, dtype=np.int64) if rows is None else rows)
                if whole
                else (sel if rows is None else rows[sel])
            )
            n = amount if whole else amount[sel]
            paused_rows = None
            if self.pauses is not None:
                rounds = self.pauses.days if code <= _D else self.pauses.spans
                units_by_round = rounds_units[0] if code <= _D else rounds_units[1]
                if rounds.rows:
                    mine = units_by_round[0] == code
                    if mine.any():
                        paused_rows = rounds.rows[0][mine]
            if code == _WD:
                self._workdays(r, n, paused_rows, amount_by_row, rounds_units[0])
            elif code == _D:
                self._days(r, n, paused_rows, amount_by_row, rounds_units[0])
            else:
                self._hours(r, n, paused_rows, amount_by_row, rounds_units[1], code == _WH)

    def _rounds(
        self, rounds: _Rounds, units: list[CodeArray], code: int
    ) -> list[tuple[IntArray, IntArray, IntArray]]:
        out = []
        for j, rows in enumerate(rounds.rows):
            mine = np.flatnonzero(units[j] == code)
            if mine.size == rows.size:
                out.append((rows, rounds.a[j], rounds.b[j]))
            elif mine.size:
                out.append((rows[mine], rounds.a[j][mine], rounds.b[j][mine]))
        return out

    def _workdays(
        self, r: IntArray, n: IntArray, rp: IntArray | None, amount_by_row: IntArray, units: list[CodeArray]
    ) -> None:
        count, workdays = self.count, self.workdays
        positive = n > 0
        rank = count[self.day[r] + positive]  # 0wd: the first working day on or after the start day
        rank += n
        rank -= positive
        new_day = workdays[rank]
        paused_day = None
        if rp is not None and self.pauses is not None:
            n_p = amount_by_row[rp]
            pos_p = (n_p > 0).astype(np.int64)
            first = self.day[rp] + pos_p  # the first day that can count (0wd: the start day itself)
            self.lower[rp] = first
            self.scratch[rp] = count[first] + n_p - pos_p
            for rows, a, b in self._rounds(self.pauses.days, units, _WD):
                a = np.maximum(a, self.lower[rows])
                rank = self.scratch[rows]
                hit = (b > a) & (workdays[rank] >= a)
                self.scratch[rows] = rank + (count[b] - count[a]) * hit
            paused_day = workdays[self.scratch[rp]]
        self._set_days(r, new_day, rp, paused_day)

    def _set_days(
        self, r: IntArray, new_day: IntArray, rp: IntArray | None, paused_day: IntArray | None
    ) -> None:
        self.day[r] = new_day
        new_day += 1
        new_day *= DAY_S
        self.t[r] = new_day
        if rp is not None and paused_day is not None:
            self.day[rp] = paused_day
            self.t[rp] = (paused_day + 1) * DAY_S

    def _days(
        self, r: IntArray, n: IntArray, rp: IntArray | None, amount_by_row: IntArray, units: list[CodeArray]
    ) -> None:
        count, workdays = self.count, self.workdays
        # 民法典 art. 203: a rest day moves the end to the next working day
        new_day = workdays[count[self.day[r] + n]]
        paused_day = None
        if rp is not None and self.pauses is not None:
            mine = self._rounds(self.pauses.days, units, _D)
            start = self.day[rp]
            self.lower[rp] = start + 1
            self.scratch[rp] = start + amount_by_row[rp]
            for rows, a, b in mine:
                a = np.maximum(a, self.lower[rows])
                x = self.scratch[rows]
                hit = (b > a) & (x >= a)
                self.scratch[rows] = x + (b - a) * hit
            self.scratch[rp] = workdays[count[self.scratch[rp]]]
            for rows, a, b in mine:  # a paused day is no last day either: move past the pause
                x = self.scratch[rows]
                inside = (a <= x) & (x < b)
                self.scratch[rows] = np.where(inside, workdays[count[b]], x)
            paused_day = self.scratch[rp]
        self._set_days(r, new_day, rp, paused_day)

    def _hours(
        self,
        r: IntArray,
        n: IntArray,
        rp: IntArray | None,
        amount_by_row: IntArray,
        units: list[CodeArray],
        wh: bool,
    ) -> None:
        t0 = self.t[r]
        if wh:
            end = np.where(n > 0, self.instant(self.measure(t0) + n * _HOUR_S), t0)
        else:
            end = t0 + n * _HOUR_S
        if rp is not None and self.pauses is not None:
            n_p = amount_by_row[rp]
            t0_p = self.t[rp]
            self.lower[rp] = t0_p
            self.scratch[rp] = (self.measure(t0_p) if wh else t0_p) + n_p * _HOUR_S
            for rows, a, b in self._rounds(self.pauses.spans, units, _WH if wh else _H):
                a = np.maximum(a, self.lower[rows])
                x = self.scratch[rows]
                hit = (b > a) & ((self.instant(x) if wh else x) > a)
                gain = (self.measure(b) - self.measure(np.minimum(a, b))) if wh else (b - a)
                self.scratch[rows] = x + gain * hit
            x_p = self.scratch[rp]
            end_p = np.where(n_p > 0, self.instant(x_p) if wh else x_p, t0_p)
            self.t[r] = end
            self.t[rp] = end_p
        else:
            self.t[r] = end
        self.day[r] = (self.t[r] - 1) // DAY_S


def bulk_deadlines(
    cal: Calendar,
    starts: ArrayLike,
    amounts: ArrayLike,
    units: ArrayLike,
    *,
    pause_index: ArrayLike | None = None,
    pause_starts: ArrayLike | None = None,
    pause_ends: ArrayLike | None = None,
    now: int | None = None,
    office_close: bool | ArrayLike = False,
    ext_index: ArrayLike | None = None,
    ext_amounts: ArrayLike | None = None,
    ext_units: ArrayLike | None = None,
) -> tuple[IntArray, BoolArray]:
    """Deadlines for many rows: ``(deadline epoch seconds int64, provisional bool)`` per row.

    - ``starts``: epoch seconds (int64); ``amounts``: whole units ≥ 0; ``units``: codes (``Unit.code``:
      ``wd`` 0, ``d`` 1, ``wh`` 2, ``h`` 3) or strings.
    - Pauses, flattened: ``pause_index[i]`` is the row of the pause ``[pause_starts[i], pause_ends[i])``
      (epoch seconds). A running pause has end :data:`OPEN_END` and needs ``now`` (epoch seconds): it is
      counted as ending at ``now``. Sorted by (row, start) is fastest; any order is accepted.
    - Extensions (延期), flattened the same way (``ext_index``, ``ext_amounts``, ``ext_units``), applied in
      the order given per row.
    - ``office_close``: one bool for all rows or a bool per row.

    Raises :class:`ClockError` (naming the first bad row) for unknown units, negative amounts, starts or
    results outside 2000–2099.
    """
    ix = cal.index
    start_s = np.asarray(starts, dtype=np.int64)
    if start_s.ndim != 1:
        raise ClockError("starts 必须是一维数组", "starts must be a one-dimensional array")
    n_rows = start_s.size
    amount = np.ascontiguousarray(np.broadcast_to(np.asarray(amounts, dtype=np.int64), (n_rows,)))
    unit = np.ascontiguousarray(np.broadcast_to(unit_codes(units), (n_rows,)))
    if n_rows and amount.min() < 0:
        row = int(np.flatnonzero(amount < 0)[0])
        raise ClockError(f"第 {row} 行：时限数量为负", f"row {row}: negative limit amount")
    t = start_s + (ix.offset_s - EPOCH0_S)
    day = t // DAY_S
    bad = (day < 1) | (day >= N_DAYS - 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ClockError(
            f"第 {row} 行：开始时间超出日历支持范围（2000-01-02 至 2099-12-30）",
            f"row {row}: the start is outside the calendar's range (2000-01-02 to 2099-12-30)",
        )
    first_day = day.copy()

    extensions = _extensions(n_rows, ext_index, ext_amounts, ext_units)
    last_unit = unit.copy()
    uses_calendar = unit != _H
    needs_days = unit <= _D
    needs_spans = ~needs_days
    for ext_rows, _, ext_unit in extensions:
        last_unit[ext_rows] = ext_unit
        uses_calendar[ext_rows] |= ext_unit != _H
        needs_days[ext_rows] |= ext_unit <= _D
        needs_spans[ext_rows] |= ext_unit > _D

    pauses = None
    if pause_index is not None:
        pauses = _prepare_pauses(
            ix, n_rows, pause_index, pause_starts, pause_ends, now, needs_days, needs_spans
        )
    state = _Bulk(ix, day, t, pauses)
    try:
        state.step(None, amount, unit)
        for ext_rows, ext_amount, ext_unit in extensions:
            state.step(ext_rows, ext_amount, ext_unit)
        t = state.t
        close = np.asarray(office_close, dtype=np.bool_)
        if close.any():
            at_close = np.broadcast_to(close, (n_rows,)) & (last_unit <= _D)
            t = np.where(at_close, day * DAY_S + ix.close_s, t)
        unknown = ix.unknown_before
        span_end = np.maximum(day, first_day) + 1
        provisional: BoolArray = uses_calendar & (unknown[span_end] - unknown[first_day] > 0)
    except IndexError:
        raise ClockError(
            "有期限超出日历支持范围（至 2099-12-31）",
            "a deadline falls past the calendar's range (2099-12-31)",
        ) from None
    result: IntArray = t - (ix.offset_s - EPOCH0_S)
    return result, provisional


def _extensions(
    n_rows: int, index: ArrayLike | None, amounts: ArrayLike | None, units: ArrayLike | None
) -> list[tuple[IntArray, IntArray, CodeArray]]:
    """Extensions as rounds: (rows, amounts, units) of each row's j-th extension, for j = 0, 1, …."""
    if index is None:
        return []
    if amounts is None or units is None:
        raise ClockError(
            "延期需同时给出 ext_amounts 与 ext_units", "extensions need ext_amounts and ext_units"
        )
    rows = np.asarray(index, dtype=np.int64)
    amount = np.asarray(amounts, dtype=np.int64)
    unit = unit_codes(units) if np.asarray(units).size else np.zeros(0, dtype=np.int8)
    if not (rows.shape == amount.shape == unit.shape) or rows.ndim != 1:
        raise ClockError("延期数组的长度必须一致", "the extension arrays must have the same length")
    if rows.size == 0:
        return []
    if rows.min() < 0 or rows.max() >= n_rows or amount.min() < 0:
        raise ClockError("延期的行号或数量超出范围", "an extension's row or amount is out of range")
    order = np.argsort(rows, kind="stable")
    rows, amount, unit = rows[order], amount[order], unit[order]
    count = np.bincount(rows, minlength=n_rows)
    ptr = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(count[:-1], out=ptr[1:])
    rank = np.arange(rows.size, dtype=np.int64) - ptr[rows]
    out = []
    for j in range(int(count.max())):
        sel = np.flatnonzero(rank == j)
        out.append((rows[sel], amount[sel], unit[sel]))
    return out
