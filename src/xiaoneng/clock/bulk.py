"""The vectorised bulk path: many deadlines at once over NumPy arrays (recomputation after a calendar change,
imports, the nightly sweep).

Same rules and same answers as :func:`xiaoneng.clock.deadline` (the tests compare them with Hypothesis), at
whole-second resolution: instants are Unix epoch seconds (int64).

The working-day lookups are gathers into the calendar's precomputed arrays — ``workdays[count_before[d + 1]
+ n - 1]`` is "the n-th working day after day d" — so no per-row Python runs. Pauses are merged per row
(sorted by row and start; pass them in that order to skip a sort) and applied in rounds: round j shifts every
row's count past that row's j-th merged pause, exactly as the scalar loop does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .calendars import DAY_S, EPOCH0_S, N_DAYS, Calendar, CalendarIndex
from .errors import ClockError
from .limits import Unit

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ArrayLike = npt.ArrayLike

OPEN_END: int = int(np.iinfo(np.int64).max)
"""Pass as a pause end for a pause still running; needs ``now`` (it is then taken as ending at ``now``)."""

_WD, _D, _WH, _H = (Unit.WORKDAYS.code, Unit.DAYS.code, Unit.WORK_HOURS.code, Unit.HOURS.code)
_HOUR_S = 3600
_LAST_S = (N_DAYS - 1) * DAY_S  # pause instants are clipped to the calendar's range
_KEY = 1 << 32  # > _LAST_S: row * _KEY + seconds orders (row, seconds) in one int64


def unit_codes(units: ArrayLike) -> IntArray:
    """Unit codes (``wd`` 0, ``d`` 1, ``wh`` 2, ``h`` 3) from an array of codes or of unit strings."""
    arr = np.asarray(units)
    if arr.dtype.kind in "iu":
        codes = arr.astype(np.int64, copy=False)
        bad = (codes < 0) | (codes > 3)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ClockError(
                f"第 {row} 行：未知的单位代码 {codes[row]}", f"row {row}: unknown unit code {codes[row]}"
            )
        return codes
    strings = arr.astype(str)
    codes = np.full(strings.shape, -1, dtype=np.int64)
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
class _Merged:
    """Merged intervals per row in CSR form: row r owns ``a[ptr[r]:ptr[r]+count[r]]`` (sorted, disjoint)."""

    ptr: IntArray
    count: IntArray
    a: IntArray
    b: IntArray


def _merge(rows: IntArray, a: IntArray, b: IntArray, n_rows: int) -> _Merged:
    """Merge half-open intervals, sorted by (row, a), that overlap or touch."""
    if a.size:
        start_key = rows * _KEY + a
        end_key = rows * _KEY + b
        running = np.maximum.accumulate(end_key)
        new = np.empty(a.size, dtype=np.bool_)
        new[0] = True
        new[1:] = start_key[1:] > running[:-1]
        firsts = np.flatnonzero(new)
        merged_rows = rows[firsts]
        merged_a = a[firsts]
        merged_b = np.maximum.reduceat(b, firsts)
    else:
        merged_rows = merged_a = merged_b = np.zeros(0, dtype=np.int64)
    count = np.bincount(merged_rows, minlength=n_rows).astype(np.int64)
    ptr = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(count[:-1], out=ptr[1:])
    return _Merged(ptr, count, merged_a, merged_b)


@dataclass(slots=True)
class _Pauses:
    days: _Merged  # [suspension day, resumption day) day indices
    spans: _Merged  # [start, end) local seconds


def _prepare_pauses(
    ix: CalendarIndex, n_rows: int, index: ArrayLike, starts: ArrayLike, ends: ArrayLike, now: int | None
) -> _Pauses | None:
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
    ps = np.clip(ps + shift, 0, _LAST_S)
    pe = np.clip(pe + shift, 0, _LAST_S)
    keep = pe > ps
    if not keep.all():
        rows, ps, pe = rows[keep], ps[keep], pe[keep]
    if rows.size > 1:
        key = rows * _KEY + ps
        if (np.diff(key) < 0).any():
            order = np.argsort(key, kind="stable")
            rows, ps, pe = rows[order], ps[order], pe[order]
    spans = _merge(rows, ps, pe, n_rows)
    da, db = ps // DAY_S, pe // DAY_S
    whole = db > da
    days = _merge(rows[whole], da[whole], db[whole], n_rows)
    return _Pauses(days, spans)


class _Kernel:
    """Vectorised counterparts of the scalar primitives in :mod:`.engine`, in local seconds."""

    def __init__(self, ix: CalendarIndex) -> None:
        self.count = ix.count_before
        self.workdays = ix.workdays
        self.work = ix.work
        self.day_work = ix.day_work_s
        self.office = ix.office_s
        self.close = ix.close_s

    # working-time measure and its inverse ------------------------------------------------------------

    def measure(self, t: IntArray) -> IntArray:
        k = t // DAY_S
        sod = t - k * DAY_S
        within = np.zeros_like(t)
        for start, end in self.office:
            within += np.clip(sod - start, 0, end - start)
        result: IntArray = self.count[k] * self.day_work + np.where(self.work[k], within, 0)
        return result

    def instant(self, x: IntArray) -> IntArray:
        rank = (x - 1) // self.day_work
        within = x - rank * self.day_work
        sod = np.zeros_like(x)
        done = np.zeros(x.shape, dtype=np.bool_)
        for start, end in self.office:
            here = ~done & (within <= end - start)
            sod = np.where(here, start + within, sod)
            done |= here
            within = within - (end - start)
        result: IntArray = self.workdays[rank] * DAY_S + sod
        return result

    # one limit step for a set of rows -------------------------------------------------------------------

    def step(
        self,
        rows: IntArray,
        amount: IntArray,
        unit: IntArray,
        day: IntArray,
        t: IntArray,
        pauses: _Pauses | None,
    ) -> None:
        """Advance ``day`` (last day) and ``t`` (end instant) of ``rows`` by one limit each, in place."""
        for code in (_WD, _D, _WH, _H):
            sel = np.flatnonzero(unit == code)
            if sel.size == 0:
                continue
            if sel.size == unit.size:
                r, n = rows, amount
            else:
                r, n = rows[sel], amount[sel]
            if code == _WD:
                self._workdays(r, n, day, t, pauses)
            elif code == _D:
                self._days(r, n, day, t, pauses)
            else:
                self._hours(r, n, day, t, pauses, code == _WH)

    def _workdays(self, r: IntArray, n: IntArray, day: IntArray, t: IntArray, pauses: _Pauses | None) -> None:
        count, workdays = self.count, self.workdays
        positive = (n > 0).astype(np.int64)
        first = day[r] + positive  # the first day that can count (0wd: the start day itself)
        rank = count[first] + n - positive
        if pauses is not None:
            self._shift_rank(r, first, rank, pauses.days)
        new_day = workdays[rank]
        day[r] = new_day
        t[r] = (new_day + 1) * DAY_S

    def _shift_rank(self, r: IntArray, first: IntArray, rank: IntArray, merged: _Merged) -> None:
        counts = merged.count[r]
        sub = np.flatnonzero(counts)
        if sub.size == 0:
            return
        count, workdays = self.count, self.workdays
        ptr, c, lo, rk = merged.ptr[r[sub]], counts[sub], first[sub], rank[sub]
        for j in range(int(c.max())):
            live = np.flatnonzero(c > j)
            idx = ptr[live] + j
            a = np.maximum(merged.a[idx], lo[live])
            b = merged.b[idx]
            hit = (b > a) & (workdays[rk[live]] >= a)
            if hit.any():
                h = live[hit]
                rk[h] += count[b[hit]] - count[a[hit]]
        rank[sub] = rk

    def _days(self, r: IntArray, n: IntArray, day: IntArray, t: IntArray, pauses: _Pauses | None) -> None:
        count, workdays = self.count, self.workdays
        start = day[r]
        new_day = start + n
        merged = pauses.days if pauses is not None else None
        sub = np.zeros(0, dtype=np.int64)
        if merged is not None:
            counts = merged.count[r]
            sub = np.flatnonzero(counts)
        if sub.size:
            assert merged is not None
            ptr, c, lo, nd = merged.ptr[r[sub]], counts[sub], start[sub] + 1, new_day[sub]
            for j in range(int(c.max())):
                live = np.flatnonzero(c > j)
                idx = ptr[live] + j
                a = np.maximum(merged.a[idx], lo[live])
                b = merged.b[idx]
                hit = (b > a) & (nd[live] >= a)
                nd[live[hit]] += (b - a)[hit]
            new_day[sub] = nd
        new_day = workdays[
            count[new_day]
        ]  # 民法典 art. 203: a rest day moves the end to the next working day
        if sub.size:
            assert merged is not None
            ptr, c, nd = merged.ptr[r[sub]], counts[sub], new_day[sub]
            for j in range(int(c.max())):
                live = np.flatnonzero(c > j)
                idx = ptr[live] + j
                a, b = merged.a[idx], merged.b[idx]
                inside = (a <= nd[live]) & (nd[live] < b)
                nd[live[inside]] = workdays[count[b[inside]]]
            new_day[sub] = nd
        day[r] = new_day
        t[r] = (new_day + 1) * DAY_S

    def _hours(
        self, r: IntArray, n: IntArray, day: IntArray, t: IntArray, pauses: _Pauses | None, wh: bool
    ) -> None:
        t0 = t[r]
        target = (self.measure(t0) if wh else t0) + n * _HOUR_S
        merged = pauses.spans if pauses is not None else None
        if merged is not None:
            counts = merged.count[r]
            sub = np.flatnonzero(counts)
            if sub.size:
                ptr, c, lo, x = merged.ptr[r[sub]], counts[sub], t0[sub], target[sub]
                for j in range(int(c.max())):
                    live = np.flatnonzero(c > j)
                    idx = ptr[live] + j
                    a = np.maximum(merged.a[idx], lo[live])
                    b = merged.b[idx]
                    xl = x[live]
                    hit = (b > a) & ((self.instant(xl) if wh else xl) > a)
                    if hit.any():
                        a, b = a[hit], b[hit]
                        x[live[hit]] += (self.measure(b) - self.measure(a)) if wh else (b - a)
                target[sub] = x
        end = self.instant(target) if wh else target
        end = np.where(n > 0, end, t0)
        t[r] = end
        day[r] = (end - 1) // DAY_S


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
    - Extensions, flattened the same way (``ext_index``, ``ext_amounts``, ``ext_units``), applied in the
      order given per row.
    - ``office_close``: one bool for all rows or a bool per row.

    Raises :class:`ClockError` (naming the first bad row) for unknown units, negative amounts, starts or
    results outside 2000–2099.
    """
    ix = cal.index
    start_s = np.asarray(starts, dtype=np.int64)
    if start_s.ndim != 1:
        raise ClockError("starts 必须是一维数组", "starts must be a one-dimensional array")
    n_rows = start_s.size
    amount = np.broadcast_to(np.asarray(amounts, dtype=np.int64), (n_rows,))
    unit = np.broadcast_to(unit_codes(units), (n_rows,))
    if n_rows and amount.min() < 0:
        row = int(np.flatnonzero(amount < 0)[0])
        raise ClockError(f"第 {row} 行：时限数量为负", f"row {row}: negative limit amount")
    local = start_s + (ix.offset_s - EPOCH0_S)
    day = local // DAY_S
    bad = (day < 1) | (day >= N_DAYS - 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ClockError(
            f"第 {row} 行：开始时间超出日历支持范围（2000-01-02 至 2099-12-30）",
            f"row {row}: the start is outside the calendar's range (2000-01-02 to 2099-12-30)",
        )
    first_day = day.copy()
    t = local.copy()

    pauses = None
    if pause_index is not None:
        if pause_starts is None or pause_ends is None:
            raise ClockError(
                "暂停需同时给出 pause_starts 与 pause_ends", "pauses need pause_starts and pause_ends"
            )
        now_local = None if now is None else int(now)
        pauses = _prepare_pauses(ix, n_rows, pause_index, pause_starts, pause_ends, now_local)

    kernel = _Kernel(ix)
    rows = np.arange(n_rows, dtype=np.int64)
    last_unit = unit.copy()
    uses_calendar = unit != _H
    try:
        kernel.step(rows, amount, unit, day, t, pauses)
        if ext_index is not None:
            _extensions(
                kernel, n_rows, ext_index, ext_amounts, ext_units, day, t, pauses, last_unit, uses_calendar
            )
        close = np.broadcast_to(np.asarray(office_close, dtype=np.bool_), (n_rows,))
        if close.any():
            at_close = close & (last_unit <= _D)
            t = np.where(at_close, day * DAY_S + kernel.close, t)
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
    kernel: _Kernel,
    n_rows: int,
    index: ArrayLike,
    amounts: ArrayLike | None,
    units: ArrayLike | None,
    day: IntArray,
    t: IntArray,
    pauses: _Pauses | None,
    last_unit: IntArray,
    uses_calendar: BoolArray,
) -> None:
    rows = np.asarray(index, dtype=np.int64)
    if amounts is None or units is None:
        raise ClockError(
            "延期需同时给出 ext_amounts 与 ext_units", "extensions need ext_amounts and ext_units"
        )
    amount = np.asarray(amounts, dtype=np.int64)
    unit = unit_codes(units)
    if not (rows.shape == amount.shape == unit.shape) or rows.size == 0:
        if rows.size == 0 and amount.size == 0 and unit.size == 0:
            return
        raise ClockError("延期数组的长度必须一致", "the extension arrays must have the same length")
    if rows.min() < 0 or rows.max() >= n_rows or amount.min() < 0:
        raise ClockError("延期的行号或数量超出范围", "an extension's row or amount is out of range")
    order = np.argsort(rows, kind="stable")
    rows, amount, unit = rows[order], amount[order], unit[order]
    count = np.bincount(rows, minlength=n_rows)
    ptr = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(count[:-1], out=ptr[1:])
    rank = np.arange(rows.size, dtype=np.int64) - ptr[rows]
    for j in range(int(count.max())):
        sel = np.flatnonzero(rank == j)
        r = rows[sel]
        kernel.step(r, amount[sel], unit[sel], day, t, pauses)
        last_unit[r] = unit[sel]
        uses_calendar[r] |= unit[sel] != _H
