"""Compile :mod:`geo.hotspots`' numba kernel into its on-disk cache before the test workers need it.

``_simulate_classes`` is ``cache=True``: the first process that calls it compiles it (about 11 s
of CPU) and writes ``geo/__pycache__``, and later processes load it from there. On a fresh clone
the two ``pytest -n 2`` workers each reached it before the other had written it, so each compiled
it (test_hotspots' and test_hotspot_runs' first tests took 14 s each in the CI run at bf81087).
``make pytest`` runs this module beside pytest, while the workers start and collect: by the time
either worker reaches a hotspot test the kernel is on disk, compiled once.

Run as ``python -m tests.warm_numba``.
"""

from __future__ import annotations


def warm() -> int:
    """Run one small Gi* with permutations, so that numba compiles and caches its kernel.

    The kernel's arguments are cast to fixed dtypes before the call
    (:func:`geo.hotspots._conditional_draws`), so this one signature is the one every caller
    uses. Its libraries are imported here, so that the suite's doctest collection of this
    module loads none of them.

    Returns
    -------
    int
        The number of classes drawn (a check that the draws ran).
    """
    import numpy as np

    from geo.hotspots import getis_ord_gi_star
    from geo.weights import lattice

    result = getis_ord_gi_star(np.arange(1.0, 10.0), lattice(3, 3), permutations=9)
    return result.n_classes


if __name__ == "__main__":
    warm()
