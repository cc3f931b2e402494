"""Benchmark: an XLSX table sheet of 1,000 and 4,000 rows of 28 columns, and the ratio of times.

Every export (月总结, 导出逾期名单, 导出统计表, …) writes its tables with
:func:`layers.workbooks.table_sheet`. It rescanned the sheet after each row, so 4 times the
rows took about 16 times as long (2,400 rows: 15 s, trial BC S1); linear, the ratio is about 4.

Run: ``.venv/bin/python -m bench.workbooks``.
"""

from __future__ import annotations

import io
import time

from openpyxl import Workbook

from layers.workbooks import Percent, table_sheet

COLUMNS = 28
"""As wide as the trend report's 重复反映 sheet."""


def rows(n: int) -> list[list[object]]:
    """``n`` rows of Chinese text, numbers and shares, ``COLUMNS`` wide."""
    return [
        [f"华溪镇第{i}网格", i, Percent((i % 100) / 100), *(f"事项{j}" for j in range(COLUMNS - 3))]
        for i in range(n)
    ]


def best_of(runs: int, n: int, *, save: bool) -> float:
    """The best of ``runs`` times to write (and, with ``save``, also save) a sheet of ``n`` rows."""
    data = rows(n)
    header = [f"列{j}" for j in range(COLUMNS)]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        book = Workbook()
        table_sheet(book, "表", header, data)
        if save:
            book.save(io.BytesIO())
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    best_of(1, 100, save=True)  # warm-up (imports)
    for save in (False, True):
        small, large = best_of(3, 1_000, save=save), best_of(3, 4_000, save=save)
        what = "table_sheet + save" if save else "table_sheet"
        print(
            f"{what}: 1,000 x {COLUMNS} {small:.3f} s, 4,000 x {COLUMNS} {large:.3f} s, "
            f"ratio {large / small:.1f} (linear: about 4)"
        )


if __name__ == "__main__":
    main()
