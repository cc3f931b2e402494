"""How big the demo is: the scale of 华宁县's own report, optionally scaled to another county."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

#: The default county: 华宁县, 玉溪市, 云南省.
DEFAULT_COUNTY = "530424"
#: Townships of the default county; other counties scale by their township count.
DEFAULT_TOWNSHIPS = 5
#: Seed of the generator when none is given.
DEFAULT_SEED = 20260101
#: Password of every demo login (MLPS level-3 style: 8+ characters, 4 classes).
DEMO_PASSWORD = "Demo@2026"
#: Source of the demo's townships (their real names and codes): how a centre's demo county is
#: found (:func:`importers.demo.cli.county_to_load`) without loading the generator.
REAL_NAME_DERIVED_SOURCE = (
    "name and code: stats.gov.cn division list; boundary: zongzhi demo, derived inside the county"
)


@dataclass(frozen=True)
class DemoScale:
    """Sizes of the demo county.

    The defaults are the figures of 华宁县's report: 77 villages and communities, 695 grids,
    1,274 grid workers, 4,525 special-population records, about 1,400 disputes a year.

    Attributes
    ----------
    villages, grids, workers, persons : int
        Counts of villages/communities, grids, dispatchable staff, special-population records.
    disputes_per_year, hazards_per_year, opinions_per_year : int
        Yearly numbers of disputes, safety hazards and public-opinion cases.
    cameras : int
        Public-security video points.
    years : int
        Length of the case history.
    """

    villages: int = 77
    grids: int = 695
    workers: int = 1274
    persons: int = 4525
    disputes_per_year: int = 1400
    hazards_per_year: int = 420
    opinions_per_year: int = 300
    cameras: int = 320
    years: int = 2

    def scaled(self, factor: float) -> DemoScale:
        """Return every count (but ``years``) multiplied by ``factor``, at least 1.

        Parameters
        ----------
        factor : float
            Multiplier (> 0).

        Returns
        -------
        DemoScale
            The scaled sizes.

        Raises
        ------
        ValueError
            If ``factor`` is not positive.

        Examples
        --------
        >>> DemoScale().scaled(0.1).grids
        70
        """
        if not factor > 0:
            raise ValueError(f"scale factor must be positive, got {factor}")
        values = {
            f.name: max(1, round(getattr(self, f.name) * factor))
            for f in fields(self)
            if f.name != "years"
        }
        return replace(self, **values)


def scale_for(townships: int, factor: float | None = None) -> DemoScale:
    """Return the demo scale for a county with ``townships`` townships.

    With no ``factor``, the 华宁县 figures are scaled by ``townships / 5`` (a county with 23
    townships gets 4.6 times as many villages, grids, people and cases). Villages are never
    fewer than townships, grids never fewer than villages.

    Parameters
    ----------
    townships : int
        Number of townships of the county.
    factor : float, optional
        Explicit multiplier of the 华宁县 figures.

    Returns
    -------
    DemoScale
        The sizes.

    Examples
    --------
    >>> scale_for(5).villages, scale_for(23).villages, scale_for(23, 0.1).villages
    (77, 354, 23)
    """
    base = DemoScale().scaled(townships / DEFAULT_TOWNSHIPS if factor is None else factor)
    villages = max(base.villages, townships)
    return replace(base, villages=villages, grids=max(base.grids, villages))
