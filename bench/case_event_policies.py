"""Benchmark: reads of ``case_events`` as the app role under 0043's and 0044's read policies.

0013's ``with_its_case`` probed each event's case before the policy of the scope was tested,
so a township's read of its own events looked every one's case up; 0044 tests the row's own
unit first (:mod:`layers.migrations.versions` 0044). For a county and a township of the
database of ``ZONGZHI_HOME`` (a ``zongzhi demo --scale 2``, migrated to 0044), each reader runs
under EXPLAIN (ANALYZE, BUFFERS) as ``zongzhi_app``, alternating 0043's form (0044 downgraded in
a transaction rolled back) and 0044's, and the medians of the execution times, the shared
buffers hit and the case probes are printed.

Run: ``ZONGZHI_HOME=/tmp/pol_home .venv/bin/python -m bench.case_event_policies``.
"""

from __future__ import annotations

import importlib.util
import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, text

from geo.codes import scope_range
from layers.brief_cases import RESOLVED_AS_OF
from layers.brief_holders import _MOVES
from layers.database import apply_scope, make_engine, resolve_urls
from layers.migrate import MIGRATIONS
from layers.settings import Settings

RUNS = 7
"""Runs of each reader under each form (alternating); medians are printed."""

READERS = {
    # the case page's 办理记录 (layers.cases.events)
    "case history": "SELECT * FROM case_events WHERE case_id = :case ORDER BY id",
    # a unit's log in its range, as the 督办/上报 lists and the command figures filter it
    "unit's events": (
        "SELECT e.action, count(*) FROM case_events e"
        " WHERE e.area_code >= :lo AND e.area_code < :hi GROUP BY e.action"
    ),
    # every event the scope reads (the trends and briefs read case_events through joins)
    "all readable": "SELECT count(*) FROM case_events",
    # the brief's 办结率 as of a day: each case's latest event then (layers.brief_cases)
    "brief resolved": RESOLVED_AS_OF,
    # the brief's holders: each open case's latest move (layers.brief_holders)
    "brief moves": _MOVES.text,
}


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location(
        "migration_0044", next((MIGRATIONS / "versions").glob("0044_*.py"))
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _explain(
    conn: Connection, code: str, sql: str, params: dict[str, Any]
) -> tuple[float, int, int]:
    """Execution ms, shared buffers hit and case probes of ``sql`` read as ``code``'s app role."""
    apply_scope(conn, code, set_role=True)
    plan = conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"), params).scalar()
    conn.execute(text("RESET ROLE"))
    top = plan[0]
    nodes, probes = [top["Plan"]], 0
    while nodes:
        node = nodes.pop()
        if node.get("Relation Name") == "cases" and node.get("Parent Relationship") == "SubPlan":
            probes += int(node["Actual Loops"])
        nodes.extend(node.get("Plans", []))
    return float(top["Execution Time"]), int(top["Plan"].get("Shared Hit Blocks", 0)), probes


def _params(conn: Connection, code: str) -> dict[str, Any]:
    lo, hi = scope_range(code)
    now = datetime.now(UTC)
    busiest = conn.scalar(
        text(
            "SELECT case_id FROM case_events WHERE area_code >= :lo AND area_code < :hi"
            " GROUP BY case_id ORDER BY count(*) DESC, case_id LIMIT 1"
        ),
        {"lo": lo, "hi": hi},
    )
    open_cases = list(
        conn.scalars(
            text(
                "SELECT id FROM cases WHERE area_code >= :lo AND area_code < :hi"
                " AND state NOT IN ('archived', 'visited', 'evaluated', 'resolved')"
            ),
            {"lo": lo, "hi": hi},
        )
    )
    return {
        "case": busiest,
        "lo": lo,
        "hi": hi,
        "as_of": now,
        "start": now - timedelta(days=365),
        "end": now,
        "ids": open_cases,
        "moves": ["register", "import", "dispatch", "escalate", "hand_down", "rehomed"],
    }


def main() -> None:
    """Print, for each unit and reader, the medians under 0043's and 0044's policies."""
    engine = make_engine(resolve_urls(Settings.from_env()).owner, pool_size=1)
    module = _migration()
    with engine.connect() as conn:
        county = conn.scalar(text("SELECT code FROM jurisdictions WHERE level = 3 LIMIT 1"))
        township = conn.scalar(
            text(
                "SELECT rpad(left(area_code, 9), 12, '0') FROM case_events"
                " GROUP BY 1 ORDER BY count(*) DESC OFFSET 1 LIMIT 1"
            )
        )
        conn.rollback()
        for code in (county, township):
            params = _params(conn, code)
            conn.rollback()
            rows = conn.scalar(
                text("SELECT count(*) FROM case_events WHERE area_code >= :lo AND area_code < :hi"),
                params,
            )
            conn.rollback()
            print(f"{code}: {rows} events in its range, {len(params['ids'])} open cases")
            for name, sql in READERS.items():
                figures: dict[str, list[tuple[float, int, int]]] = {"0043": [], "0044": []}
                for _ in range(RUNS):
                    for form in ("0043", "0044"):
                        trans = conn.begin()
                        try:
                            if form == "0043":
                                with Operations.context(MigrationContext.configure(conn)):
                                    module.downgrade()
                            figures[form].append(_explain(conn, code, sql, params))
                        finally:
                            trans.rollback()
                said = []
                for form, runs in figures.items():
                    ms = statistics.median(r[0] for r in runs)
                    hit = statistics.median(r[1] for r in runs)
                    probes = statistics.median(r[2] for r in runs)
                    said.append(f"{form} {ms:.2f} ms, {hit:.0f} buffers, {probes:.0f} probes")
                print(f"  {name}: " + "; ".join(said))
    engine.dispose()


if __name__ == "__main__":
    main()
