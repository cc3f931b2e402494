"""The command's advice in the words of the 数据导入 page (``/imports``).

``zongzhi import`` speaks to a clerk at a command line: ``加 --partial``, ``请加 --crs gcj02
重新导入``, ``可加 --within 530424101000 --complete 重新导入予以注销``. The console runs the
very same command (``api/import_runner.py``), so its output says the same; a clerk who never saw
a command line cannot tell that ``--partial`` is the box 有退回的行时仍导入其余有效行 on the page.
:func:`for_console` rewrites the output's plain text before it becomes HTML, by one table,
:data:`CONSOLE_WORDS`: each row a phrase the importers really print (``importers/``,
``layers/``) and the page's control that does the same, named by its label
(勾选“有退回的行时仍导入其余有效行”, 将坐标系选为“GCJ-02（高德、腾讯地图）”,
勾选“文件是本辖区的全部”, 上传“列对照文件”…). Rows are tried in order, the longer phrases first,
and every row is a plain regular expression: no parsing of the messages.

The page's ``--within CODE`` is its 导入范围 (the account's jurisdiction unless a unit under it
is chosen, :mod:`layers.import_areas`): ``（--within）`` after a scope refusal is dropped, and
``加 --within CODE --complete`` is choosing the unit as 导入范围 and the box 文件是本辖区的全部.
The page has no ``--set`` but its 网格员 box 本文件的网格员都记为在岗 (``--set 状态=在岗``):
any other advice of ``--set`` becomes a column of the file that gives every row the same
value. A projected coordinate system (``EPSG:NNNN``) is the list's 投影坐标 with its number
typed beside it.

It lives in ``layers`` because both sides use it: the API on the command's output it shows, and
the command itself on the rules of the reject report it writes for the page
(:func:`importers.private_report.write_private_report` when ``ZONGZHI_IMPORT_PAGE=1``), which
the clerk downloads from the page.

The text may carry the colour codes of the command's output (ANSI: rich colours numbers such
as the division code): the rows' fixed words are never coloured, and a code taken from the
message (a run of non-blank characters) keeps its colour.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

PARTIAL: Final = "勾选“有退回的行时仍导入其余有效行”"
COMPLETE: Final = "“文件是本辖区的全部”"
AGAIN: Final = "勾选“确认重新导入旧文件”"
HISTORY: Final = "勾选“历史记录”"
DRY_RUN: Final = "勾选“试运行”"
MAPPING_FILE: Final = "列对照文件"
ON_DUTY: Final = "本文件的网格员都记为在岗"
"""The 网格员 box of the page that gives ``--set 状态=在岗`` (trial AV M3)."""

PAGE_KINDS: Final[dict[str, str]] = {
    "grids": "网格",
    "workers": "网格员",
    "cases": "事件（案件）",
    "video": "视频点位",
    "persons": "特殊人群",
    "visits": "走访记录",
    "jurisdictions": "辖区",
}
"""The kinds of ``zongzhi import`` as the page's 数据类型 list names them, in its order: the API
offers them (``api/routers/imports.py``), a template for the page says which to choose
(:func:`importers.template.how_to_import`: 选择“事件（案件）”, not the kind's 案件)."""

CRS_LABELS: Final[dict[str, str]] = {
    "cgcs2000": "CGCS2000（国家2000坐标系）",
    "wgs84": "WGS84（GPS）",
    "gcj02": "GCJ-02（高德、腾讯地图）",
    "bd09": "BD-09（百度地图）",
}
"""The page's coordinate systems by the value the command takes (``--crs gcj02``)."""

Replacement = str | Callable[[re.Match[str]], str]
_C: Final = r"(?:\x1b\[[0-9;]*m)*"
"""The colour codes rich may put around a word of the command's output."""

CONSOLE_WORDS: Final[tuple[tuple[str, Replacement], ...]] = (
    # --complete, with --within (the page's 导入范围, trial AR S1) and --again
    (r"加 --within \S+ --complete ?", f"在“导入范围”中选择该辖区并勾选{COMPLETE}"),
    (r"加 --complete --again ?", f"勾选{COMPLETE}和“确认重新导入旧文件”"),
    (r"未按 --complete ?", f"未按{COMPLETE}"),
    (r"按 --complete ?", f"勾选{COMPLETE}"),
    (r"不要加 --complete", f"不要勾选{COMPLETE}"),
    (r"（--complete）", f"（勾选了{COMPLETE}）"),
    (r" ?--complete ?", COMPLETE),
    # --within: the page imports within the account's jurisdiction, always
    (r"（--within）", ""),
    # --partial, --again, --history, --dry-run: a box of the form each
    (r"加 --partial ?", PARTIAL),
    (r"加 --again ?", AGAIN),
    (r"加 --history ?", HISTORY),
    (r"加 --dry-run ?", DRY_RUN),
    # --mapping: the page's 列对照文件
    (r"映射文件（--mapping）", f"{MAPPING_FILE}（与文件一并上传）"),
    (r"用 --mapping 指定", f"上传“{MAPPING_FILE}”指定"),
    (r"映射文件", MAPPING_FILE),
    # --crs: the page's 坐标系
    (r"各加其 --crs 分别导入", "各选其坐标系分别导入"),
    *(
        (rf"(?:加|改用|用) --crs {value}\b ?", f"将坐标系选为“{label}”")
        for value, label in CRS_LABELS.items()
    ),
    (r" ?--crs gcj02\b", f"坐标系“{CRS_LABELS['gcj02']}”"),
    (r" ?--crs bd09\b", f"坐标系“{CRS_LABELS['bd09']}”"),
    (r" ?--crs cgcs2000\b", f"坐标系“{CRS_LABELS['cgcs2000']}”"),
    (r"(?:加|用) --crs EPSG:(\S+?) ?(?=重新导入)", r"将坐标系选为“投影坐标”、编号填 \1 后"),
    (r"用 --crs 指定坐标系", "指定坐标系"),
    (r" ?--crs (EPSG:)", r"坐标系 \1"),
    (r" ?--crs ?", "坐标系"),
    # --set 状态=在岗: the 网格员 box (trial AV M3), its words coloured or not; any other
    # --set: the page has none, a column of the same value does it
    (rf"整个文件加 --set {_C}状态{_C}={_C}在岗{_C}", f"勾选“{ON_DUTY}”"),
    (rf"整个文件统一取值（--set）：{_C}状态{_C} = {_C}在岗{_C}", f"勾选了“{ON_DUTY}”"),
    (rf"取 --set 的值 {_C}在岗{_C}", f"按勾选的“{ON_DUTY}”取在岗"),
    (r"可用 --set ([^=\s]+)=(\S+) 之类给出", r"可加一列“\1”，每行都填“\2”之类"),
    (r"用 --set 给出，如 --set ([^=\s]+)=…", r"可加一列“\1”，每行都填同一个值"),
)
"""The command's words → the page's, tried in order (longer phrases first)."""

PAGE_ADVICE: Final[tuple[tuple[str, Replacement], ...]] = (
    # who imports the units (trial AD: a county clerk, a dispatcher, cannot)
    (
        r"（请先导入辖区）",
        "（请先导入辖区，即村、社区的编码和边界：由指挥中心值班员或管理员在本页导入）",
    ),
)
"""What the page adds to the command's words: who on the console does what the advice asks."""

_COMPILED: Final = tuple(
    (re.compile(pattern), to) for pattern, to in (*CONSOLE_WORDS, *PAGE_ADVICE)
)


def for_console(text: str) -> str:
    """Return the command's output with its command-line advice in the page's words.

    Parameters
    ----------
    text : str
        What ``zongzhi import`` printed (its colour codes may be in it).

    Returns
    -------
    str
        The same text, each phrase of :data:`CONSOLE_WORDS`, then of :data:`PAGE_ADVICE`,
        replaced in order.

    Examples
    --------
    >>> for_console("未导入任何数据：请按报告修改后重新导入，或加 --partial 只导入有效行")
    '未导入任何数据：请按报告修改后重新导入，或勾选“有退回的行时仍导入其余有效行”只导入有效行'
    >>> for_console("请加 --crs gcj02 重新导入")
    '请将坐标系选为“GCJ-02（高德、腾讯地图）”重新导入'
    >>> said = for_console("辖区 620702101201 不在数据库中（请先导入辖区）")
    >>> said.endswith("由指挥中心值班员或管理员在本页导入）")
    True
    """
    for pattern, to in _COMPILED:
        text = pattern.sub(to, text)
    return text
