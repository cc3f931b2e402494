"""The import summary's lines are never broken inside a phrase (trial AV m3).

In a pipe or a log (80 columns), rich wrapped the cases' line of repeats at a space and cut
``200 米`` in two: ``已关联到 30 天内、200`` / ``米内同类…``. Every line of the summary is
printed as one line (``soft_wrap``), as its other lines were.
"""

from __future__ import annotations

from importers.pipeline import ImportOutcome
from importers.rules import Problem
from importers.summary import summarise
from importers.terminal import console
from layers.bulk import UpsertCounts
from layers.case_repeats import repeats_line


def _printed(outcome: ImportOutcome) -> list[str]:
    width = console.width
    console.width = 80
    try:
        with console.capture() as captured:
            summarise(outcome, {})
    finally:
        console.width = width
    return captured.get().splitlines()


def test_the_line_of_repeats_keeps_each_number_with_its_unit() -> None:
    kept = [Problem(row, "办理状态", "办结", "本平台已受理", "kept") for row in range(2, 40)]
    outcome = ImportOutcome(
        kind="cases",
        file_name="12345工单_" + "甘州区" * 8 + ".xlsx",
        sha256="0",
        source_crs="EPSG:4490",
        rows_total=180,
        problems=kept,
        counts=UpsertCounts(inserted=180, updated=0, unchanged=0, repeats=90),
        committed=True,
    )
    lines = _printed(outcome)
    whole = repeats_line(90)
    assert len(whole) > 40  # wider than 80 columns in CJK characters
    assert whole in lines, lines
    assert "38 行的案件保留本平台的办理状态，未按文件更新（见报告）" in lines
    assert not [line for line in lines if line.rstrip().endswith(("200", "30"))]
