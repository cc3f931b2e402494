"""The command line loads neither numpy nor psycopg (nor pandas, GDAL's readers …) before it must.

Every ``zongzhi`` command, ``--help`` included, loads the ``serve`` command's module
(:mod:`api.cli`, which masks personal numbers in the access log) and :mod:`layers.china_time`
(which the user commands read the time zone from): numpy came with the first through
:mod:`geo.codes`, psycopg with the second. The ``db`` commands need psycopg and SQLAlchemy
(:mod:`layers.database`) but not numpy, which :mod:`geo.codes` imports for its vectorised ID
validator only; and ``db status`` asks for neither until it found a database that runs. No
command loads pydantic for the options it was not given (typer converted the absent ``--help``
with a pydantic adapter: :class:`layers.cli_language.DeferredCoercion`). Each check runs in a
fresh interpreter, since this process has long loaded them all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from layers import china_time
from layers.china_time import CHINA, import_day
from tests.conftest import SuiteDatabase

ZONGZHI = str(Path(sys.executable).with_name("zongzhi"))
HEAVY = (
    "numpy",
    "pandas",
    "pyogrio",
    "numba",
    "shapely",
    "openpyxl",
    "python_calamine",
    "scipy",
    "geopandas",
    "psycopg",
    "sqlalchemy",
    "sqlalchemy.orm",
    "pydantic",
)
"""Libraries the command line must not load to start or to show its help."""


def _loaded_after(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; return what it printed last (JSON) and the
    heavy libraries then loaded."""
    probe = (
        f"\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code + probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *said, loaded = done.stdout.strip().splitlines()
    return {"said": said, "loaded": json.loads(loaded)}


def test_the_command_line_and_its_help_load_no_heavy_library() -> None:
    assert _loaded_after("import api.cli")["loaded"] == []
    for args in (["--help"], ["import", "cases", "--help"], ["user", "--help"]):
        shown = _loaded_after(
            "import contextlib, io, runpy, sys\n"
            f"sys.argv = [{ZONGZHI!r}, *{args!r}]\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out, "
            "contextlib.suppress(SystemExit):\n"
            f"    runpy.run_path({ZONGZHI!r}, run_name='__main__')\n"
            "print(len(out.getvalue()))"
        )
        assert int(shown["said"][-1]) > 100, args  # the help was shown
        assert shown["loaded"] == [], args


def test_the_db_commands_load_no_numpy(tmp_path: Path) -> None:
    # layers.database takes its scope ranges from geo.codes, whose ID validator needs numpy;
    # db stop, and db status on a cluster that is stopped, need no database library at all
    for args, needed in (
        (["db", "url"], ["psycopg", "sqlalchemy", "sqlalchemy.orm"]),
        (["db", "stop"], []),
        (["db", "status"], []),
    ):
        shown = _loaded_after(
            "import contextlib, io, os, runpy, sys\n"
            f"os.environ['ZONGZHI_HOME'] = {str(tmp_path)!r}\n"
            "os.environ.pop('ZONGZHI_DATABASE_URL', None)\n"
            f"sys.argv = [{ZONGZHI!r}, *{args!r}]\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out, "
            "contextlib.suppress(SystemExit):\n"
            f"    runpy.run_path({ZONGZHI!r}, run_name='__main__')\n"
            "print(out.getvalue().count('否'))"
        )
        assert shown["loaded"] == needed, args
    assert shown["said"][-1] == "1"  # db status: 运行中 否 (no cluster in an empty home)
    probe = _loaded_after(
        "import sys\n"
        "from geo.codes import scope_range, valid_resident_ids\n"
        "print(scope_range('530424000000'), 'numpy' in sys.modules)\n"
        "print(valid_resident_ids(['11010519491231002X', '110105194912310021']).tolist())"
    )
    assert probe["said"] == ["('530424', '530425') False", "[True, False]"]
    assert probe["loaded"] == ["numpy"]


def test_china_time_imports_psycopg_when_today_is_first_read() -> None:
    probe = _loaded_after(
        "import sys\n"
        "from layers import china_time\n"
        "print('psycopg' in sys.modules)\n"
        "from layers.china_time import TODAY\n"
        "print(type(TODAY).__module__, china_time.TODAY is TODAY)"
    )
    assert probe["said"] == ["False", "psycopg.sql True"]
    assert "psycopg" in probe["loaded"]
    assert isinstance(china_time.TODAY, sql.SQL)
    with pytest.raises(AttributeError, match="YESTERDAY"):  # only TODAY is made on use
        _ = china_time.YESTERDAY


def test_today_and_import_day_are_china_s_day(database: SuiteDatabase) -> None:
    with database.owner.connect() as conn:
        raw: Any = conn.connection.driver_connection
        day = import_day(raw)
        # China keeps UTC+8 all year: the transaction's start eight hours on, as a day
        start = raw.execute("SELECT now()").fetchone()[0]
        assert day == (start.astimezone(UTC) + timedelta(hours=8)).date()
        assert day == start.astimezone(CHINA).date()
        same = raw.execute(
            sql.SQL("SELECT {} = {}").format(china_time.TODAY, sql.Literal(day))
        ).fetchone()
        assert same == (True,)
        raw.rollback()


def test_personal_numbers_need_numpy_only_for_a_resident_id() -> None:
    probe = _loaded_after(
        "import sys\n"
        "from geo.personal_numbers import mask_personal_numbers\n"
        "from api.cli import hidden_query_values\n"
        "print(mask_personal_numbers('电话 139/1234/5678，2026-12-05 10:30 来访'))\n"
        "print(hidden_query_values('/api/cases?q=13700001111&limit=20'))\n"
        "print('numpy' in sys.modules)\n"
        "print(mask_personal_numbers('身份证5304 2419 8006 1868 58'))\n"
        "print(mask_personal_numbers('前六位530424，出生19800618，末四位6858'))\n"
        "print(mask_personal_numbers('前六位530424，出生19800618，末四位6859'))\n"
        "print(hidden_query_values('/api/cases/530424198006186858?x=1'))"
    )
    assert probe["said"] == [
        "电话 139****5678，2026-12-05 10:30 来访",
        "/api/cases?q=…&limit=…",
        "False",  # no 18-digit candidate: the ID checks were not needed
        "身份证530424********6858",
        "前六位530424，出生********，末四位6858",
        "前六位530424，出生19800618，末四位6859",  # a wrong check digit: no ID
        "/api/cases/530424********6858?x=…",
    ]
