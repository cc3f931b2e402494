"""``zongzhi`` says click's and typer's own words in Chinese too: help, usage and mistakes.

A clerk in a township office who types ``zongzhi import --help``, or an option wrongly, reads
``用法：`` and ``选项：``, ``[默认：500.0]``, ``错误：没有选项 --x`` — never ``Usage:``,
``Show this message and exit.`` or ``No such option``. The only Latin words left are those of
our own help (command and option names, codes such as ``EPSG:4543`` and ``cgcs2000``, format
names) and what the clerk typed. Help lines fit the terminal with Chinese in them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner, Result

from layers.cli import app
from layers.cli_language import speak_chinese
from tests.conftest import SuiteDatabase
from tests.workflow_data import township, world_for_commands

LATIN_WORD = re.compile(r"[A-Za-z_]+")
FRAMEWORK = (
    "Usage",
    "Options",
    "Arguments",
    "Commands",
    "Show this message",
    "default",
    "required",
    "env var",
    "Error",
    "Try '",
    "No such",
    "Missing",
    "Invalid value",
    "Possible options",
    "Did you mean",
    "Got unexpected",
    "requires an argument",
    "does not take a value",
    "Input should",
    "Aborted",
    "<str>",
    "<int",
    "<float>",
    "<path>",
    "<list",
)
"""Click's, typer's and pydantic's English, none of which a clerk should see."""


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))
TYPERS_OPTIONS = frozenset({"install_completion", "show_completion"})
"""Options typer adds to the root app, with typer's help."""


def _own_words() -> set[str]:
    """Return the Latin words of our own help: names, codes and formats, the program's name."""
    texts = ["zongzhi", "--help"]
    for path, command in COMMANDS:
        texts += [*path, command.help or ""]
        for param in command.params:
            texts += [param.name or "", *param.opts, str(param.envvar or "")]
            if param.name not in TYPERS_OPTIONS:  # their help is typer's English
                texts.append(getattr(param, "help", None) or "")
    return set(LATIN_WORD.findall(" ".join(texts)))


OWN_WORDS = _own_words()


def _run(target: typer.Typer, *args: str, env: dict[str, str], stdin: str = "") -> Result:
    return CliRunner().invoke(target, list(args), input=stdin, env=env, prog_name="zongzhi")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A home of its own (no command here gets as far as a database) and an 80-column terminal."""
    return {"ZONGZHI_HOME": str(tmp_path / "home"), "COLUMNS": "80"}


def _english(output: str, *typed: str) -> list[str]:
    """Return click's words in ``output``, and Latin words neither ours nor typed."""
    phrases = [phrase for phrase in FRAMEWORK if phrase in output]
    return phrases + [w for w in LATIN_WORD.findall(output) if w not in OWN_WORDS | set(typed)]


def test_our_own_words_hold_none_of_clicks() -> None:
    assert OWN_WORDS & {"Usage", "Options", "Show", "default", "required", "Error", "Try"} == set()


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=" ".join)
def test_help_pages_speak_chinese(path: tuple[str, ...], env: dict[str, str]) -> None:
    shown = _run(app, *path, "--help", env=env)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"用法：{' '.join(('zongzhi', *path))} [选项]")
    assert "\n选项：\n" in shown.output and "显示本帮助并退出。" in shown.output
    assert _english(shown.output) == []
    widest = max(cell_len(line) for line in shown.output.splitlines())
    assert widest <= 80, f"zongzhi {' '.join(path)} --help: a line of {widest} cells"


def test_help_shows_typers_notes_in_chinese(env: dict[str, str]) -> None:
    root = _run(app, "--help", env=env).output
    assert "\n命令：\n" in root and "为当前终端安装命令补全。" in root
    assert "用法：zongzhi [选项] 命令 [参数]..." in root
    imported = re.sub(r"\s+", "", _run(app, "import", "--help", env=env).output)
    assert "参数：kind<文本>" in imported and "paths...<路径>" in imported
    assert "--tolerance<数值>点位可超出其所属辖区边界多少米。[默认：500.0]" in imported
    assert "[环境变量：ZONGZHI_WITHIN]" in imported and "[必填]" in imported
    listed = re.sub(r"\s+", "", _run(app, "imports", "--help", env=env).output)
    assert "--limit<整数>列出多少条（最新的在前）。[默认：20；不小于1]" in listed


MISTAKES = [
    (("import", "--x"), "错误：没有选项 --x", ("x",)),
    (
        ("import", "--tolerence", "3"),
        "错误：没有选项 --tolerence，是不是要用 --tolerance？",
        ("tolerence",),
    ),
    (("import",), "错误：缺少参数 kind", ()),
    (("import", "cases"), "错误：缺少参数 paths", ()),
    (("import", "cases", "工单.csv", "--tolerance", "abc"), "--tolerance 的取值无效：应为数字", ()),
    (("imports", "--limit", "0"), "错误：--limit 的取值无效：应不小于 1", ()),
    (("imports", "--limit", "x"), "错误：--limit 的取值无效：应为整数", ("x",)),
    (("impot",), "错误：没有命令 'impot'，是不是要用 import、imports？", ("impot",)),
    (("db", "nosuch"), "错误：没有命令 'nosuch'", ("nosuch",)),
    (("db", "migrate", "head", "extra"), "错误：多余的参数：extra", ("extra",)),
    (("user", "add", "bob"), "错误：缺少选项 --role", ("bob",)),
    (("user", "add", "bob", "--role"), "错误：选项 --role 后面缺少取值", ("bob",)),
    (("import", "--help=3"), "错误：选项 --help 后面不能带取值", ()),
]


@pytest.mark.parametrize(
    ("args", "said", "typed"), MISTAKES, ids=[" ".join(args) for args, _, _ in MISTAKES]
)
def test_mistakes_are_said_in_chinese(
    args: tuple[str, ...], said: str, typed: tuple[str, ...], env: dict[str, str]
) -> None:
    result = _run(app, *args, env=env)
    assert result.exit_code == 2, result.output  # click's code for a usage error
    assert said in result.output
    assert _english(result.output, *typed) == []
    if result.output.startswith("用法："):  # the usage of the command the mistake is in
        usage, where = result.output.splitlines()[:2]
        command = where.removeprefix("查看帮助：").removesuffix(" --help")
        assert command.startswith("zongzhi") and usage.startswith(f"用法：{command} [选项]")


def test_unknown_coordinate_system_is_refused_in_chinese(env: dict[str, str]) -> None:
    refused = _run(app, "import", "cases", "工单.csv", "--crs", "foo", env=env)
    assert refused.exit_code == 2
    assert refused.output.startswith("错误：--crs foo 不是可用的坐标系：可用 wgs84、cgcs2000")
    assert _english(refused.output, "foo") == []


def test_a_group_without_its_command_shows_its_help(env: dict[str, str]) -> None:
    for group in ("user", "db", "hotspots"):
        shown = _run(app, group, env=env)
        assert shown.exit_code == 2  # click's: the command was missing
        assert shown.output.startswith(f"用法：zongzhi {group} [选项] 命令 [参数]...")
        assert "\n命令：\n" in shown.output and _english(shown.output) == []
    assert _run(app, env=env).output.startswith("用法：zongzhi [选项] 命令 [参数]...")


def test_a_prompt_left_without_an_answer_aborts_in_chinese(
    database: SuiteDatabase, tmp_path: Path
) -> None:
    """``user add`` asks the password once the database has no objection (a scope on record)."""
    args = ("user", "add", "zhcli_abort", "--role", "analyst", "--scope", township())
    with world_for_commands(database, tmp_path / "home", COLUMNS="80") as env:
        aborted = _run(app, *args, env=env, stdin="")  # the prompt meets the end of input
    assert aborted.exit_code == 1
    assert aborted.output.rstrip().endswith("已中止") and "Aborted" not in aborted.output


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"


def _spare_app() -> typer.Typer:
    """An app with parameter types zongzhi has no command for yet: choices, paths, bounds."""
    spare = typer.Typer(rich_markup_mode=None)

    @spare.command("paint")
    def paint(
        colour: Annotated[Colour, typer.Argument(help="颜色。")],
        source: Annotated[Path, typer.Option("--source", exists=True, help="来源。")] = Path("."),
        count: Annotated[int, typer.Option("--count", max=3, help="份数。")] = 1,
        ratio: Annotated[float, typer.Option("--ratio", min=0.0, max=1.0, help="比例。")] = 0.5,
    ) -> None:
        """涂色。"""

    @spare.command("other")
    def other() -> None:
        """别的。"""

    speak_chinese(spare)
    return spare


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("paint",), "错误：缺少参数 colour，可选：red、green"),
        (("paint", "purple"), "错误：colour 的取值无效：'purple' 不是可选的值，可选：red、green"),
        (
            ("paint", "red", "--source", "/无此目录"),
            "错误：--source 的取值无效：路径 '/无此目录' 不存在",
        ),
        (("paint", "red", "--count", "9"), "错误：--count 的取值无效：应不大于 3"),
        (("paint", "red", "--ratio", "-1"), "错误：--ratio 的取值无效：应不小于 0"),
    ],
    ids=["missing choice", "bad choice", "missing path", "above max", "below min"],
)
def test_the_catalog_meets_typers_own_messages(args: tuple[str, ...], said: str) -> None:
    # the templates are matched against what the installed typer and pydantic really say
    result = _run(_spare_app(), *args, env={"COLUMNS": "80"})
    assert result.exit_code == 2 and said in result.output, result.output
    assert [phrase for phrase in FRAMEWORK if phrase in result.output] == []


def test_spare_apps_help_notes_ranges_in_chinese() -> None:
    shown = re.sub(r"\s+", "", _run(_spare_app(), "paint", "--help", env={}).output)
    assert "--count<整数>份数。[默认：1；不大于3]" in shown
    assert "--ratio<数值>比例。[默认：0.5；0.0至1.0]" in shown
    assert "colour<red|green>颜色。[必填]" in shown


def test_other_typer_apps_in_the_process_keep_their_words() -> None:
    # nothing process-wide is changed (no locale, environment or gettext domain): only the
    # commands given the Chinese classes speak Chinese; the web server is no command at all
    plain = typer.Typer(rich_markup_mode=None)

    @plain.command("one")
    def one() -> None:
        """One."""

    @plain.command("two")
    def two() -> None:
        """Two."""

    shown = _run(plain, "--help", env={}).output
    assert shown.startswith("Usage:") and "Show this message and exit." in shown
    assert "Error: No such option: --x" in _run(plain, "one", "--x", env={}).output
