"""``make pytest`` compiles the hotspot kernel once, beside the workers (tests/warm_numba.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from geo import hotspots
from geo.weights import Neighbours, lattice
from tests.warm_numba import warm

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"


def test_the_warmed_signature_is_the_one_every_gi_star_and_moran_call_uses() -> None:
    assert warm() > 0
    warmed = list(hotspots._simulate_classes.signatures)
    assert len(warmed) == 1
    # other shapes, integer counts, row-standardised weights, islands, Moran's I: the same one
    hotspots.getis_ord_gi_star(np.array([0, 0, 1, 5, 9, 8]), lattice(1, 6), permutations=19)
    hotspots.getis_ord_gi_star(
        np.arange(1, 21), lattice(4, 5), permutations=9, row_standardise=True, seed=7
    )
    islands = lattice(3, 3).sparse.tolil()
    islands[4, :] = 0
    islands[:, 4] = 0
    hotspots.getis_ord_gi_star(
        np.arange(1.0, 10.0), Neighbours(islands.tocsr(), tuple(range(9))), permutations=9
    )
    hotspots.local_moran(np.arange(1.0, 26.0) ** 2, lattice(5, 5), permutations=9)
    assert list(hotspots._simulate_classes.signatures) == warmed


def test_make_pytest_warms_the_kernel_beside_the_workers() -> None:
    recipe = MAKEFILE.read_text(encoding="utf-8").split("\npytest:", 1)[1].split("\n\n", 1)[0]
    warm_line = re.search(r"python -m tests\.warm_numba & warm=\$\$!;", recipe)
    pytest_line = re.search(r"python -m pytest -n 2 .*status=\$\$\?; wait \$\$warm; exit", recipe)
    assert warm_line and pytest_line and warm_line.start() < pytest_line.start()
