"""``layers.video`` imports on its own, before any other layer module.

``layers.catalog`` imports ``layers.video`` (the camera view in SQL), and ``layers.video`` used
to import ``layers.cases``, which leads back to ``layers.catalog``: ``pytest --doctest-modules
layers/video.py`` alone failed on the circular import, while the full suite, importing them in
another order, did not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_layers_video_imports_first_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import layers.video, layers.catalog; print(layers.video.NEAREST)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"
