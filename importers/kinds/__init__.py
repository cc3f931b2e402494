"""What each kind of file becomes: its fields, rules, natural key and database rows.

One module per kind of file (:mod:`importers.kinds.units`, :mod:`~importers.kinds.workers`,
:mod:`~importers.kinds.video`, :mod:`~importers.kinds.cases`, :mod:`~importers.kinds.persons`),
what they share in :mod:`importers.kinds.base`, and here the registry of them all.
"""

from importers.kinds.base import Context, Kind, Part
from importers.kinds.cases import CASES
from importers.kinds.persons import PERSONS, VISITS
from importers.kinds.units import GRIDS, JURISDICTIONS
from importers.kinds.video import VIDEO
from importers.kinds.workers import WORKERS

__all__ = ["KINDS", "Context", "Kind", "Part"]

KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (JURISDICTIONS, GRIDS, WORKERS, VIDEO, CASES, PERSONS, VISITS)
}
"""Every kind the importer knows, by name."""
