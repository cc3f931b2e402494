"""Which live unit and grid cover a point: where a case or a person registered by hand lies."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.model import SRID


def units_at(session: Session, lon: float, lat: float) -> tuple[str | None, str | None]:
    """Return the finest live jurisdiction and the live grid covering a point (None: none).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Session (scoped: units out of the reader's scope are not seen).
    lon, lat : float
        CGCS2000 degrees.

    Returns
    -------
    tuple of (str or None, str or None)
        The jurisdiction's code (the highest level, a village before its township) and the
        grid's code.
    """
    row = session.execute(
        text(
            "SELECT (SELECT code FROM jurisdictions WHERE ST_Covers(boundary, p) "
            "        AND retired_on IS NULL ORDER BY level DESC LIMIT 1),"
            "       (SELECT code FROM grids WHERE ST_Covers(boundary, p) "
            "        AND retired_on IS NULL LIMIT 1) "
            "FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), :srid) AS p) q"
        ),
        {"lon": lon, "lat": lat, "srid": SRID},
    ).one()
    return row[0], row[1]
