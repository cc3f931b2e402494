"""The schema revisions ``zongzhi import`` checks are read without loading Alembic.

An import child checks that the database is at the code's revision before it imports
(:func:`importers.cli.migrated_engine`): :func:`layers.migrate.current_revision` reads the
version table and :func:`layers.migrate.head_revision` the migration files, without Alembic,
mako and pygments (about 0.15 s of CPU per child), and both agree with Alembic's own answers.
"""

from __future__ import annotations

import json
import subprocess
import sys

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from layers import migrate
from layers.database import make_engine
from layers.embedded import OWNER_ROLE
from tests.conftest import SuiteDatabase

CHILD = """
import json, sys
from layers import migrate
from layers.database import make_engine
answers = []
for url in sys.argv[1:]:
    engine = make_engine(url, pool_size=1)
    try:
        answers.append(migrate.current_revision(engine))
    finally:
        engine.dispose()
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"alembic", "mako", "pygments"})
print(json.dumps({"current": answers, "head": migrate.head_revision(), "loaded": loaded}))
"""


def _alembic_current(url: str) -> str | None:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_revisions_are_read_without_alembic_and_agree_with_it(database: SuiteDatabase) -> None:
    unmigrated = (
        database.cluster.info().url(OWNER_ROLE, "postgresql+psycopg").rsplit("/", 1)[0]
        + "/postgres"
    )
    urls = [database.urls.owner, unmigrated]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *urls], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child["loaded"] == []  # no Alembic, mako or pygments in the child
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert child["head"] == head == migrate.head_revision()
    assert child["current"] == [_alembic_current(url) for url in urls] == [head, None]
