"""``zongzhi hotspots run`` by hand: the scheduled run's window, said, and a way to only compute.

Trial AT M6: run by hand for a report's figures, the command analysed 90 days while the
scheduled and the demo's run analyse a year, printed neither its window nor the basis of its
classes, and silently became the command pages' current hot spots, with new alerts
(「近 13 周中 13 周」 beside the year's 「近 53 周中 52 周」). It now analyses the scheduled run's
window by default, says its window, its basis and what it replaced, and ``--no-alerts``
computes the same figures leaving the console and the alerts as they were.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from layers import hotspot_runs, hotspots_cli
from layers.china_time import CHINA
from tests.test_hotspot_historic_runs import Served, _cli, served
from tests.workflow_data import COUNTY

__all__ = ["served"]


def test_the_default_window_is_the_scheduled_run_s(served: Served) -> None:  # noqa: F811
    import inspect

    default = inspect.signature(hotspots_cli.run_command).parameters["days"].default.default
    assert default == hotspot_runs.NIGHTLY_DAYS == 365


def test_a_run_by_hand_says_its_window_and_that_it_replaced_the_console(
    served: Served,  # noqa: F811
) -> None:
    done = _cli(served)
    assert done.exit_code == 0, done.output
    today = datetime.now(UTC).astimezone(CHINA).date()
    first = (datetime.now(UTC) - timedelta(days=365)).astimezone(CHINA).date()
    assert f"分析时段：{first.isoformat()} 至 {today.isoformat()}（365 天）" in done.output
    assert "分类依据：按周判定，近 53 周" in done.output
    assert "已成为指挥台和各级指挥调度页面的当前热点" in done.output
    assert "--no-alerts" in done.output
    run_id = int(re.search(r"热点分析 (\d+)", done.output)[1])  # type: ignore[index]
    shown = served.get("analyst", f"/api/hotspots/runs/{run_id}")
    assert shown["run"]["historic"] is False
    start = datetime.fromisoformat(shown["run"]["window_start"])
    end = datetime.fromisoformat(shown["run"]["window_end"])
    assert end - start == timedelta(days=365)


def test_no_alerts_computes_without_touching_the_console_or_the_alerts(
    served: Served,  # noqa: F811
) -> None:
    first = _cli(served)
    assert first.exit_code == 0, first.output
    before = served.console("county", COUNTY)
    alerts_before = served.get("county", f"/api/command/{COUNTY}")["alerts"]
    look = _cli(served, "--no-alerts", "--days", "84")
    assert look.exit_code == 0, look.output
    assert "仅计算：不发风险预警，指挥台仍显示原来的当前热点" in look.output
    assert "新发风险预警" not in look.output
    assert "分析时段：" in look.output and "（84 天）" in look.output
    run_id = int(re.search(r"热点分析 (\d+)", look.output)[1])  # type: ignore[index]
    shown = served.get("analyst", f"/api/hotspots/runs/{run_id}")
    assert shown["run"]["historic"] is True and shown["run"]["status"] == "done"
    assert served.console("county", COUNTY) == before
    after = served.get("county", f"/api/command/{COUNTY}")["alerts"]
    assert [(a["id"], a["run_id"], a["title"]) for a in after] == [
        (a["id"], a["run_id"], a["title"]) for a in alerts_before
    ]
