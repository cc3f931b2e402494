"""走访 figures over months and quarters, per unit (trial AY S2).

Every other visit figure is the current one (走访逾期 on the day a page or export is made), so a
September 月总结 made in December gave December's count, and the visit outcomes were added up
nowhere. :func:`visit_series` gives, per period of the trends page's window and per unit
directly inside the page's unit (its townships, a township's villages):

* the persons on the register at the period's end (put on record by its last day, and not
  left it by then: ``ended_on`` after its last day);
* the visits made in the period, by outcome (见到本人, 电话/视频联系, 人户分离, 失联), in the
  unit they were made in (the person's then: a person who moved since leaves the visits made
  before with the unit that made them, migration 0043);
* the persons overdue at the period's end: their last visit that reached them
  (:data:`layers.visits_due.REACHED`) before the end plus their rule's interval, or their
  first due day when none did (the day put on record plus the interval, a newcomer's within
  days: :func:`layers.visits_due.first_due_sql`), falls before the end (a 社区矫正 ended by
  then is not overdue).

The intervals are today's ``visit_rules`` and each person's current management level: the
history of neither is kept (:data:`RULES_NOTE`). Counts only, in one statement grouped by
period and unit; a reader who may not see the persons one by one reads no count below
``min_count`` (:func:`layers.trends.min_count_for`), and a period's total only where it gives
back no single withheld count (:func:`column_total`).

The answer is kept in a small in-process cache as :func:`layers.trends.series` keeps its
analysis: keyed by the unit, the periods, ``min_count``, the reader's scope and a fingerprint of
what it read (:data:`_FINGERPRINT`: the row versions of the unit's persons, of their visits and
the visits made in the unit, of the visit rules and of the unit's jurisdictions), so a visit
recorded, corrected or deleted, a person put on record, moved, relevelled or ended, a rule
changed or a unit renamed gives another key and the figures are counted anew. Reading the
fingerprint costs one pass over those rows' versions, a fraction of the counting.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from geo.codes import CodeError, division_level, scope_range
from layers import visits_due
from layers.model.persons import VisitOutcome
from layers.shared_results import SharedResults
from layers.trends import CHILD_LABELS, Period, child_key_sql, suppress

OUTCOMES: tuple[tuple[str, str], ...] = (
    (VisitOutcome.MET.value, "见到本人"),
    (VisitOutcome.CONTACTED.value, "电话/视频联系"),
    (VisitOutcome.ABSENT.value, "人户分离"),
    (VisitOutcome.MISSING.value, "失联"),
)
"""The visit outcomes counted, in order, with their short labels."""

FIGURES: tuple[tuple[str, str], ...] = (
    ("persons", "期末在册人数"),
    ("visits", "本期走访次数"),
    *((code, label) for code, label in OUTCOMES),
    ("overdue", "期末走访逾期人数"),
)
"""The figures of each unit and period, with the column labels of the page and workbook."""

RULES_NOTE = (
    "期末走访逾期按现行走访周期规则和人员现在的管理等级计算（其历史未留存）；"
    "只有见到本人、电话/视频联系的走访重新起算周期。"
)
"""Said beside every figure of :func:`visit_series`."""


def period_days(period: Period) -> tuple[date, date]:
    """Return the first day of ``period`` and the day after its last, in the centre's time.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from layers.trends import periods_ending
    >>> p = periods_ending(datetime(2026, 12, 6, tzinfo=UTC), "month", 1)[0]
    >>> period_days(p)
    (datetime.date(2026, 11, 1), datetime.date(2026, 12, 1))
    """
    return period.start.date(), period.end.date()


def column_total(values: Sequence[int], min_count: int) -> int | None:
    """Return the total of a period's units, or None where it would tell a withheld count.

    A count below ``min_count`` (not 0) is withheld; the total is not given when it is small
    itself or when exactly one count of the column is withheld (the total less the others
    would give it back). Several withheld counts are told only as their sum.

    Examples
    --------
    >>> column_total([40, 2, 7], 3), column_total([40, 2, 1, 7], 3), column_total([1, 1], 1)
    (None, 50, 2)
    >>> column_total([0, 0], 3), column_total([1, 1], 3)
    (0, None)
    """
    total = sum(values)
    if min_count <= 1:
        return total
    withheld = sum(1 for n in values if 0 < n < min_count)
    if 0 < total < min_count or withheld == 1:
        return None
    return total


def visit_series(
    session: Session, code: str, periods: tuple[Period, ...], *, min_count: int
) -> dict[str, Any]:
    """Return the 走访 figures of each unit inside ``code`` per period (counts only).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit (already checked to be in scope).
    periods : tuple of Period
        The periods (consecutive).
    min_count : int
        Smallest non-zero count shown (:func:`layers.trends.min_count_for`).

    Returns
    -------
    dict
        ``periods`` (key, label), ``figures`` (key, label: :data:`FIGURES`), ``units_label``,
        ``units`` (code, name, ``figures``: per figure key a list of counts per period, None
        when withheld), ``totals`` (per figure key, per period, None when withheld:
        :func:`column_total`), ``min_count`` and ``note``.

    Notes
    -----
    Read from :data:`SERIES` while the fingerprint of what it reads is unchanged, computed once
    however many reads ask it together (:class:`layers.shared_results.SharedResults`); each
    caller gets a copy of its own.
    """
    key = _cache_key(session, code, periods, min_count)
    kept = SERIES.get(key, lambda: _series(session, code, periods, min_count=min_count))
    return copy.deepcopy(kept)


SERIES: SharedResults[tuple[Any, ...], dict[str, Any]] = SharedResults(maxsize=32)
"""The series counted, by unit, periods, min_count, reader's scope and fingerprint: each once."""

_FINGERPRINT = (
    "WITH pp AS (SELECT id, ctid, xmin FROM persons WHERE area_code >= :lo AND area_code < :hi)"
    " SELECT current_setting('zongzhi.scope_lo', true) AS scope_lo,"
    " current_setting('zongzhi.scope_hi', true) AS scope_hi,"
    " (SELECT count(*) FROM pp) AS persons,"
    " (SELECT coalesce(sum(hashtextextended(ctid::text || xmin::text, 0)), 0) FROM pp) AS ph,"
    " v.n AS visits, v.h AS vh,"
    " (SELECT coalesce(sum(hashtextextended(concat_ws('|', category, management_level,"
    "  interval_days), 0)), 0) FROM visit_rules) AS rules,"
    " (SELECT coalesce(sum(hashtextextended(concat_ws('|', code, xmin::text, ctid::text), 0)), 0)"
    "  FROM jurisdictions WHERE code >= :lo AND code < :hi) AS labels"
    " FROM (SELECT count(*) AS n,"
    "  coalesce(sum(hashtextextended(pv.ctid::text || pv.xmin::text, 0)), 0) AS h"
    "  FROM person_visits pv WHERE (pv.area_code >= :lo AND pv.area_code < :hi)"
    "  OR pv.person_id IN (SELECT id FROM pp)) v"
)
"""What the cache key of :func:`visit_series` reads: the reader's scope, and the versions (``ctid``
and ``xmin``: any insert, update or delete changes them) of the unit's persons, of the visits
made in the unit or of its persons wherever made, and of the unit's jurisdictions (their names
label the rows), and the visit rules."""


def _cache_key(
    session: Session, code: str, periods: tuple[Period, ...], min_count: int
) -> tuple[Any, ...]:
    lo, hi = scope_range(code)
    read = session.execute(text(_FINGERPRINT), {"lo": lo, "hi": hi}).one()
    spans = tuple(period_days(p) for p in periods)
    return (code, spans, tuple(p.key for p in periods), min_count, *(str(v) for v in read))


def _series(
    session: Session, code: str, periods: tuple[Period, ...], *, min_count: int
) -> dict[str, Any]:
    rows = _series_rows(session, code, periods)
    keys = [key for key, _ in FIGURES]
    exact: dict[str, dict[str, list[int]]] = {}
    for row in rows:
        unit = exact.setdefault(row.unit, {key: [0] * len(periods) for key in keys})
        for key in keys:
            unit[key][int(row.i) - 1] = int(getattr(row, key))
    names: dict[str, str] = dict(
        session.execute(
            text("SELECT code, name FROM jurisdictions WHERE code = ANY(:codes)"),
            {"codes": list(exact)},
        ).all()
    )
    level = _level(code)
    units = [
        {
            "code": unit,
            "name": (names.get(unit, unit) + ("（本级）" if unit == code and level < 5 else "")),
            "figures": {key: [suppress(n, min_count) for n in figures[key]] for key in keys},
        }
        for unit, figures in sorted(exact.items(), key=lambda item: (item[0] == code, item[0]))
    ]
    totals = {
        key: [
            column_total([figures[key][t] for figures in exact.values()], min_count)
            for t in range(len(periods))
        ]
        for key in keys
    }
    return {
        "periods": [{"key": p.key, "label": p.label} for p in periods],
        "figures": [{"key": key, "label": label} for key, label in FIGURES],
        "units_label": _units_label(code),
        "units": units,
        "totals": totals,
        "min_count": min_count,
        "note": RULES_NOTE,
    }


def _series_rows(session: Session, code: str, periods: tuple[Period, ...]) -> Sequence[Row[Any]]:
    """Return the counts of :func:`visit_series`, a row per period number ``i`` and unit.

    Each person is read once, not once per period. The periods at whose ends they are on the
    register are the numbers ``i0`` to ``i1``, found by bisecting the periods' ends
    (``width_bucket``), and those at whose ends they are overdue are ranges of numbers too, one
    per stretch with the same last visit that reached them (before the first, then from each to
    the next, in one pass over their visits in order). Each range is +1 at its first period and
    -1 after its last; the counts are their running sums per unit.
    """
    lo, hi = scope_range(code)
    starts = [period_days(p)[0] for p in periods]
    ends = [period_days(p)[1] for p in periods]
    reached = ", ".join(f"'{c}'" for c in visits_due.REACHED)
    outcome_counts = ", ".join(
        f"count(*) FILTER (WHERE pv.outcome = '{c}') AS {c}" for c, _ in OUTCOMES
    )

    def ended_by(day: str) -> str:  # the number of periods ended by that day
        return f"width_bucket({day}, CAST(:ends AS date[]))"

    since_due = "coalesce(first_due, DATE '-infinity')"  # an unknown day: due at once

    return session.execute(
        text(
            "WITH t AS (SELECT i, s, e FROM unnest(CAST(:starts AS date[]),"
            "  CAST(:ends AS date[])) WITH ORDINALITY AS x(s, e, i)),"
            # on the register at the ends of periods i0 to i1 (put on record before the end,
            # an unknown day: always; not left by then); overdue at none after ic (the 矫正
            # ended before the end) nor where the end is not past their last visit + k
            " p AS (SELECT p.id, p.unit, r.interval_days AS k,"
            f"  {visits_due.first_due_sql('p', 'r')} AS first_due,"
            f"  coalesce({ended_by('p.on_record_since')} + 1, 1) AS i0,"
            f"  coalesce({ended_by('p.ended_on')}, :n) AS i1,"
            f"  coalesce({ended_by(visits_due.CORRECTION_END)}, :n) AS ic"
            "  FROM (SELECT id, category, management_level, attributes, on_record_since,"
            f"   ended_on, {child_key_sql(code)} AS unit FROM persons"
            "   WHERE area_code >= :lo AND area_code < :hi) p"
            "  JOIN visit_rules r ON r.category = p.category"
            "   AND r.management_level = p.management_level),"
            # each visit that reached a person, wherever it was made, with the next (NULL:
            # none before the last end); a person never reached: one row without a day
            " v AS (SELECT p.id, pv.visited_on AS day,"
            "  lead(pv.visited_on) OVER w AS next, row_number() OVER w AS nth"
            "  FROM persons p LEFT JOIN person_visits pv ON pv.person_id = p.id"
            f"   AND pv.outcome IN ({reached}) AND pv.visited_on < :last"
            "  WHERE p.area_code >= :lo AND p.area_code < :hi"
            "  WINDOW w AS (PARTITION BY p.id ORDER BY pv.visited_on)),"
            # ranges a to z of periods: on the register (dp), overdue (dov) before the first
            # visit (from the first due day) and from each visit to the next
            " seg AS (SELECT unit, i0 AS a, i1 AS z, 1 AS dp, 0 AS dov FROM p"
            "  UNION ALL SELECT unit,"
            f"  greatest(i0, {ended_by(since_due)} + 1),"
            f"  least(coalesce({ended_by('day')}, :n), i1, ic), 0, 1"
            "  FROM v JOIN p USING (id) WHERE nth = 1"
            f"  UNION ALL SELECT unit, greatest(i0, {ended_by('day + k')} + 1),"
            f"  least(coalesce({ended_by('next')}, :n), i1, ic), 0, 1"
            "  FROM v JOIN p USING (id) WHERE day IS NOT NULL),"
            " d AS (SELECT unit, x.i, sum(x.dp) AS dp, sum(x.dov) AS dov FROM seg,"
            "  LATERAL (VALUES (a, dp, dov), (z + 1, -dp, -dov)) AS x(i, dp, dov)"
            "  WHERE a <= z GROUP BY 1, 2),"
            # a row where someone is on the register at the period's end
            " reg AS (SELECT i, unit, persons, overdue FROM (SELECT t.i, u.unit,"
            "  sum(d.dp) OVER w AS persons, sum(d.dov) OVER w AS overdue"
            "  FROM (SELECT DISTINCT unit FROM d) u CROSS JOIN t"
            "  LEFT JOIN d ON d.unit = u.unit AND d.i = t.i"
            "  WINDOW w AS (PARTITION BY u.unit ORDER BY t.i)) r WHERE persons > 0),"
            # a visit counts in the unit it was made in, wherever its person lives now: the
            # unit a person left keeps the work it did, the one they moved to is not given it;
            # counted per period (by bisection) and area code first, then per unit
            f" vis AS (SELECT i, {child_key_sql(code)} AS unit, sum(visits) AS visits, "
            + ", ".join(f"sum({c}) AS {c}" for c, _ in OUTCOMES)
            + " FROM (SELECT width_bucket(pv.visited_on, CAST(:starts AS date[])) AS i,"
            f"  pv.area_code, count(*) AS visits, {outcome_counts} FROM person_visits pv"
            "  WHERE pv.area_code >= :lo AND pv.area_code < :hi"
            "  AND pv.visited_on >= :first AND pv.visited_on < :last GROUP BY 1, 2) a"
            "  GROUP BY 1, 2)"
            " SELECT i, unit, coalesce(reg.persons, 0) AS persons,"
            " coalesce(reg.overdue, 0) AS overdue, coalesce(vis.visits, 0) AS visits, "
            + ", ".join(f"coalesce(vis.{c}, 0) AS {c}" for c, _ in OUTCOMES)
            + " FROM reg FULL JOIN vis USING (i, unit)"
        ),
        {
            "starts": starts,
            "ends": ends,
            "n": len(periods),
            "lo": lo,
            "hi": hi,
            "unit": code,
            "first": starts[0],
            "last": ends[-1],
        },
    ).all()


def _level(code: str) -> int:
    try:
        return division_level(code)
    except CodeError:
        return 5


def _units_label(code: str) -> str:
    return CHILD_LABELS.get(_level(code), "")


def overdue_at_end(
    session: Session, code: str, children: Sequence[str], day: date, *, min_count: int
) -> dict[str, int | None]:
    """Return the persons overdue at the end of ``day`` of ``code`` and of each child.

    The 月总结 of a past month gives these instead of the current figure (trial AY S2): as
    :func:`visit_series` counts them at a period's end, on the register that day, their last
    visit that reached them by then plus their rule's interval (or, none did, their first due
    day: :data:`layers.visits_due.FIRST_DUE`) before the next day. A child's count below
    ``min_count`` is None, and the unit's total where it would give back a single one of those
    (:func:`column_total`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session scoped to the reader.
    code : str
        The unit.
    children : sequence of str
        The codes of its children in the brief: units (12 digits) or grids.
    day : datetime.date
        The last day counted (a month's last day).
    min_count : int
        Smallest non-zero count shown (:func:`layers.trends.min_count_for`).

    Returns
    -------
    dict
        Per code (``code`` and each child), the persons overdue, None when withheld.
    """
    lo, hi = scope_range(code)
    reached = ", ".join(f"'{c}'" for c in visits_due.REACHED)
    rows = session.execute(
        text(
            "SELECT p.area_code, p.grid_code, count(*) AS n"
            " FROM persons p JOIN visit_rules r ON r.category = p.category"
            "  AND r.management_level = p.management_level"
            " LEFT JOIN LATERAL (SELECT pv.visited_on AS last FROM person_visits pv"
            f"  WHERE pv.person_id = p.id AND pv.outcome IN ({reached})"
            "  AND pv.visited_on < :e ORDER BY pv.visited_on DESC LIMIT 1) lv ON true"
            " WHERE p.area_code >= :lo AND p.area_code < :hi"
            " AND coalesce(p.on_record_since < :e, true)"
            " AND (p.ended_on IS NULL OR p.ended_on >= :e)"
            " AND coalesce(lv.last + r.interval_days, "
            f"{visits_due.FIRST_DUE}, DATE '-infinity')"
            f" < :e AND NOT coalesce({visits_due.CORRECTION_END} < :e, false)"
            " GROUP BY 1, 2"
        ),
        {"lo": lo, "hi": hi, "e": day + timedelta(days=1)},
    ).all()
    counts: dict[str, int] = {}
    for child in children:
        if len(child) > 12:  # a grid
            counts[child] = sum(int(r.n) for r in rows if r.grid_code == child)
        else:
            c_lo, c_hi = scope_range(child)
            counts[child] = sum(int(r.n) for r in rows if c_lo <= r.area_code < c_hi)
    out: dict[str, int | None] = {c: suppress(n, min_count) for c, n in counts.items()}
    total = sum(int(r.n) for r in rows)
    rest = total - sum(counts.values())  # persons of the unit in no child listed
    out[code] = column_total([*counts.values(), rest], min_count)
    return out
