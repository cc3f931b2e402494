"""The ``zongzhi`` command line's own words in Simplified Chinese: help, usage and errors.

Typer (0.26 and later) carries its own copy of click in ``typer._click``, and that copy writes
its words in English with no gettext (``Usage:``, ``Error:``, ``Show this message and exit.``,
``No such option: --x``); typer's ``core`` passes a few through the stdlib's global gettext
domain, which follows the machine's locale (``LANG=C`` on servers). So the catalog is kept here,
in Python, as pairs of an English template and its Chinese, and it is applied where click's
words come out:

* help and usage pass through :class:`ChineseHelpFormatter` (the usage prefix, the section
  headings, the words typer adds to each option: ``[default: …]``, ``[required]``, type names);
* a usage error (unknown option, missing argument, bad value, unknown command) is caught by
  :class:`ChineseGroup` and said again in Chinese; a message the catalog does not know keeps
  click's own rendering, as gettext falls back to the message itself.

The formatter also lays help out by terminal cells (a Chinese character takes two), which
click's counting of characters did not: lines of Chinese ran twice the terminal's width.

Typer converts every parameter's value with a pydantic ``TypeAdapter`` it builds on first use,
even an option not given (``--help`` absent: its value is None, which no adapter converts), so
every command loaded pydantic (some 45-60 ms). The classes here give each parameter a
conversion that is deferred (:class:`DeferredCoercion`): nothing to convert (None) or a value
already of the parameter's plain type (``str``, ``int``, ``float`` without bounds) is taken as
typer's adapter would return it, and any other value is converted by typer's own adapter,
built then.

Nothing here touches the process: no locale, no environment, no gettext domain; the web server
``zongzhi serve`` starts is not affected. :func:`speak_chinese` gives every command and group of
an app (the plugged-in ones too) these classes. What is used of typer's private ``typer._click``
is click's documented API: its ``HelpFormatter`` is extended, its ``Context`` names a type, and
the formatter reaches the commands through click's ``Context.formatter_class`` and
``Command.context_class``. Nothing of typer's or click's is patched; the deferred conversion
is typer's ``RuntimeParam`` extended, set where typer keeps the one it builds on first use (a
parameter's ``_runtime_param``, :func:`defer_coercion`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from rich.cells import cell_len
from typer._click import Context as ClickContext
from typer._click import HelpFormatter
from typer._click import Parameter as ClickParameter
from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import TyperCommand, TyperGroup, _TyperParameter
from typer.models import DefaultPlaceholder

Catalog = tuple[tuple[str, str], ...]
"""English templates (regular expressions matched whole, ``.`` across lines too) and their
Chinese; each is compiled when first matched (``re``'s cache), not as every command starts."""

USAGE = "用法："
TRY_HELP = "查看帮助：{command} {option}"
ERROR = "错误："
ABORTED = "已中止"

HEADINGS = {"Arguments": "参数", "Options": "选项", "Commands": "命令"}
"""Section headings of a help page."""

USAGE_WORDS = {"[OPTIONS]": "[选项]", "COMMAND [ARGS]...": "命令 [参数]..."}
"""Placeholders on the usage line."""

HELP_TEXTS = {
    "Show this message and exit.": "显示本帮助并退出。",
    "Install completion for the current shell.": "为当前终端安装命令补全。",
    "Show completion for the current shell, to copy it or customize the installation.": (
        "显示当前终端的命令补全脚本，供复制或自行安装。"
    ),
}
"""Help of the options typer adds to every app."""

TYPE_NAMES = {
    "str": "文本",
    "int": "整数",
    "int range": "整数",
    "float": "数值",
    "float range": "数值",
    "bool": "是/否",
    "path": "路径",
    "Path": "路径",
    "file": "文件",
    "dir": "文件夹",
    "datetime": "日期时间",
}
"""Type names typer shows after an option or argument (``--tolerance <float>``)."""

PATH_KINDS = {"file": "文件", "dir": "文件夹", "path": "路径"}
"""How typer names a path in its messages."""


def _catalog(*pairs: tuple[str, str]) -> Catalog:
    return pairs


HELP_EXTRAS = _catalog(
    (r"default: \(dynamic\)", "默认：（动态）"),
    (r"default: (?P<value>.*)", "默认：{value}"),
    (r"required", "必填"),
    (r"env var: (?P<value>.+)", "环境变量：{value}"),
    (r"x>=(?P<value>\S+)", "不小于 {value}"),
    (r"x<=(?P<value>\S+)", "不大于 {value}"),
    (r"(?P<low>\S+)<=x<=(?P<high>\S+)", "{low} 至 {high}"),
)
"""What typer adds in brackets after an option's help: ``[default: 20; x>=1]``."""

MESSAGES = _catalog(
    (
        r"No such option: (?P<name>\S+) \(Possible options: (?P<options>.+)\)",
        "没有选项 {name}，是不是要用 {options}？",
    ),
    (r"No such option: (?P<name>\S+)", "没有选项 {name}"),
    (
        r"No such command (?P<value>'.*')\. Did you mean (?P<options>.+)\?",
        "没有命令 {value}，是不是要用 {options}？",
    ),
    (r"No such command (?P<value>'.*')\.", "没有命令 {value}"),
    (r"Missing command\.", "缺少命令"),
    (
        r"Missing argument (?P<name>.+?)\. Choose from:(?P<options>.+)",
        "缺少参数 {name}，可选：{options}",
    ),
    (
        r"Missing option (?P<name>.+?)\. Choose from:(?P<options>.+)",
        "缺少选项 {name}，可选：{options}",
    ),
    (r"Missing argument (?P<name>.+)\.", "缺少参数 {name}"),
    (r"Missing option (?P<name>.+)\.", "缺少选项 {name}"),
    (r"Missing parameter (?P<name>.+)\.", "缺少参数 {name}"),
    (r"Missing parameter: (?P<name>.+)", "缺少参数 {name}"),
    (r"Invalid value for (?P<name>.+?): (?P<detail>.+)", "{name} 的取值无效：{detail}"),
    (r"Invalid value: (?P<detail>.+)", "取值无效：{detail}"),
    (r"Got unexpected extra argument\(s\) \((?P<value>.*)\)", "多余的参数：{value}"),
    (r"Option (?P<name>'.+') requires an argument\.", "选项 {name} 后面缺少取值"),
    (
        r"Option (?P<name>'.+') requires (?P<value>\d+) arguments\.",
        "选项 {name} 后面应有 {value} 个取值",
    ),
    (r"Option (?P<name>'.+') does not take a value\.", "选项 {name} 后面不能带取值"),
    (r"Argument (?P<name>'.+') takes (?P<value>\d+) values\.", "参数 {name} 应有 {value} 个取值"),
    (r"Could not open file (?P<value>'.*'): (?P<detail>.+)", "无法打开文件 {value}：{detail}"),
)
"""Click's and typer's usage errors."""

_A_PATH = r"(?P<kind>file|dir|path) (?P<value>'.*')"
DETAILS = _catalog(
    (r"Input should be a valid integer(?:,.*)?", "应为整数"),
    (r"Input should be a valid number(?:,.*)?", "应为数字"),
    (r"Input should be a valid boolean(?:,.*)?", "应为是或否（如 1 或 0）"),
    (r"Input should be a finite number", "应为有限的数"),
    (r"Input should be greater than or equal to (?P<value>\S+)", "应不小于 {value}"),
    (r"Input should be greater than (?P<value>\S+)", "应大于 {value}"),
    (r"Input should be less than or equal to (?P<value>\S+)", "应不大于 {value}"),
    (r"Input should be less than (?P<value>\S+)", "应小于 {value}"),
    (r"Value error, (?P<detail>.+)", "{detail}"),
    (r"(?P<value>.+) is not one of (?P<options>.+)\.", "{value} 不是可选的值，可选：{options}"),
    (r"Value must be an iterable\.", "应为多个值"),
    (r"Value (?P<value>.+) is not a valid \S+\.", "{value} 不是有效的取值"),
    (_A_PATH + r" does not exist\.", "{kind} {value} 不存在"),
    (_A_PATH + r" is a file\.", "{kind} {value} 是文件，应为文件夹"),
    (_A_PATH + r" is a directory\.", "{kind} {value} 是文件夹，应为文件"),
    (_A_PATH + r" is not readable\.", "{kind} {value} 没有读取权限"),
    (_A_PATH + r" is not writable\.", "{kind} {value} 没有写入权限"),
)
"""Why a value is refused: typer's words and those of pydantic, which converts the values."""


def translate(message: str, catalog: Catalog = MESSAGES) -> str | None:
    """Return the Chinese of one of click's or typer's messages, or None if it is not known.

    Parameters
    ----------
    message : str
        The English message, whole.
    catalog : Catalog
        The templates to match it with (default: the usage errors).

    Returns
    -------
    str or None
        The Chinese; None when no template matches the whole message.

    Examples
    --------
    >>> translate("Missing argument 'kind'.")
    '缺少参数 kind'
    >>> translate("Invalid value for '--limit': Input should be greater than or equal to 1")
    '--limit 的取值无效：应不小于 1'
    >>> translate("No such command 'impot'. Did you mean 'import', 'imports'?")
    "没有命令 'impot'，是不是要用 import、imports？"
    >>> translate("Something new.") is None
    True
    """
    for pattern, chinese in catalog:
        found = re.fullmatch(pattern, message, re.DOTALL)
        if found is not None:
            parts = found.groupdict(default="")
            return chinese.format(**{key: _part(key, value) for key, value in parts.items()})
    return None


def _part(key: str, value: str) -> str:
    """Say one matched part of a message in Chinese, as its name tells."""
    if key == "name":  # '--layer' / '--sheet': option and argument names need no quotes
        return value.replace("'", "")
    if key == "options":  # 'import', 'imports' or (Choose from:) a,\n\tb
        return "、".join(option.strip().strip("'") for option in re.split(r",\s*", value.strip()))
    if key == "detail":
        return translate(value, DETAILS) or value
    if key == "kind":
        return PATH_KINDS[value]
    return value


def help_row(row: tuple[str, str]) -> tuple[str, str]:
    """Return one line of a help page's options, arguments or commands in Chinese.

    Parameters
    ----------
    row : tuple of str
        The option (with typer's type name) and its help (with typer's bracket).

    Returns
    -------
    tuple of str
        Both in Chinese; our own words unchanged.

    Examples
    --------
    >>> help_row(("--limit <int range>", "列出多少条。  [default: 20; x>=1]"))
    ('--limit <整数>', '列出多少条。  [默认：20；不小于 1]')
    >>> help_row(("paths... <list[Path]>", "要导入的文件。  [required]"))
    ('paths... <路径>', '要导入的文件。  [必填]')
    >>> help_row(("--help", "Show this message and exit."))
    ('--help', '显示本帮助并退出。')
    """
    term, text = row
    return re.sub(r"<([^<>]+)>", _type_name, term), _help_text(text)


def _type_name(found: re.Match[str]) -> str:
    name = found[1]
    listed = re.fullmatch(r"list\[(.+)\]", name)
    name = listed[1] if listed else name
    return f"<{TYPE_NAMES.get(name, name)}>"


def _help_text(text: str) -> str:
    found = re.fullmatch(r"(?P<text>.*?)(?P<gap>\s*)\[(?P<extras>[^\[\]]+)\]", text, re.DOTALL)
    if found is not None:
        extras = [translate(extra, HELP_EXTRAS) for extra in found["extras"].split("; ")]
        if all(extras):  # typer's bracket, not one of our own words
            said = HELP_TEXTS.get(found["text"], found["text"])
            return f"{said}{found['gap']}[{'；'.join(str(extra) for extra in extras)}]"
    return HELP_TEXTS.get(text, text)


def usage_words(args: str) -> str:
    """Return the usage line's placeholders in Chinese.

    Parameters
    ----------
    args : str
        What follows the command on the usage line.

    Returns
    -------
    str
        The same, its ``[OPTIONS]`` and ``COMMAND [ARGS]...`` in Chinese.

    Examples
    --------
    >>> usage_words("[OPTIONS] COMMAND [ARGS]...")
    '[选项] 命令 [参数]...'
    """
    for english, chinese in USAGE_WORDS.items():
        args = args.replace(english, chinese)
    return args


def folded(text: str, width: int) -> list[str]:
    """Fold help text into lines of at most ``width`` cells; a Chinese character takes two.

    Click's formatter counts characters, so its lines of Chinese ran twice as wide as the
    terminal. Here a line breaks at a space or between two Chinese characters, never inside
    a word of Latin letters or digits, never before a closing mark (``，。）``) nor after an
    opening one (``（``). Paragraphs are separated by a blank line; the lines within one are
    joined first, as click does.

    Parameters
    ----------
    text : str
        The help text.
    width : int
        The widest line, in terminal cells.

    Returns
    -------
    list of str
        The lines, a blank one between paragraphs.

    Examples
    --------
    >>> folded("坐标系：wgs84、gcj02（高德地图）或 EPSG:NNNN。", 14)
    ['坐标系：', 'wgs84、gcj02', '（高德地图）或', 'EPSG:NNNN。']
    """
    lines: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines += [""] if lines else []
        lines += _filled(paragraph.replace("\n", " "), width)
    return lines


_PIECE = (
    r"[（「『【〈《“‘\[(]*"  # opening marks go with what follows them
    r"(?:[^\s\u2e80-\uffef]+|[\u2e80-\uffef])"  # a Latin word, or one wide character
    r"[，。、；：！？）」』】〉》”’\])]*"  # closing marks go with what precedes them
    r"|\s+"
)
"""What a line of help breaks between (every character belongs to one piece): a pattern
compiled when help is first folded."""


def _filled(paragraph: str, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for piece in re.findall(_PIECE, paragraph):
        if line and cell_len(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
        while cell_len(line.rstrip()) > width:  # a word wider than the whole line is cut
            cut = max(n for n in range(1, len(line) + 1) if cell_len(line[:n]) <= max(width, 2))
            lines.append(line[:cut])
            line = line[cut:].lstrip()
    return [*lines, line.rstrip()]


class ChineseHelpFormatter(HelpFormatter):
    """Click's help formatter writing click's and typer's own words in Chinese.

    It also lays out by terminal cells: help text and the column of options line up and fit
    the terminal with Chinese in them (see :func:`folded`).
    """

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """Write the usage line: ``用法：zongzhi import [选项] {kind} {paths}...``."""
        super().write_usage(prog, usage_words(args), USAGE if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        """Write a section heading (``选项：``)."""
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        """Write a paragraph of help, indented and folded to the width."""
        for line in folded(text, self.width - self.current_indent):
            self._write_line(self.current_indent, line)

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Write the options, arguments or commands, each with its help folded beside it."""
        rows = [help_row(row) for row in rows]
        if not rows:
            return
        column = min(max(cell_len(term) for term, _ in rows), col_max) + col_spacing
        for term, text in rows:
            lines = folded(text, max(self.width - column - 2, 10)) if text else []
            if lines and cell_len(term) <= column - col_spacing:
                first = lines.pop(0)
                term = f"{term}{' ' * (column - cell_len(term))}{first}"
            self._write_line(self.current_indent, term)
            for line in lines:
                self._write_line(self.current_indent + column, line)

    def _write_line(self, indent: int, line: str) -> None:
        self.write(f"{' ' * indent}{line}".rstrip() + "\n")


PLAIN_TYPES = (str, int, float)
"""Types whose values typer's adapter returns unchanged (no parser, no bounds)."""


@dataclass(frozen=True)
class DeferredCoercion(RuntimeParam):
    """Typer's conversion of a parameter's value, its pydantic adapter built only when needed.

    Typer's ``RuntimeParam.coerce`` gives None (a parameter not given) back without converting
    it; a value already of the parameter's plain type (:data:`PLAIN_TYPES`, with no parser of
    its own and no bounds) is what typer's adapter would return, and is returned as it is. Any
    other value is converted by the conversion typer builds (loading pydantic), which then
    replaces this one on the parameter.
    """

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: ClickContext) -> Any:
        info = self.parameter_info
        plain = (
            self.annotation in PLAIN_TYPES
            and type(value) is self.annotation
            and info.parser is None
            and info.min is None
            and info.max is None
        )
        if plain:
            return value
        built = build_runtime_param(param.type_descriptor)
        param._runtime_param = built
        return built.coerce(value, param=param, ctx=ctx)


def defer_coercion(params: Iterable[ClickParameter]) -> None:
    """Give each of typer's parameters not yet converting a :class:`DeferredCoercion`.

    Parameters
    ----------
    params : iterable of click parameters
        A command's parameters (its help option too); others than typer's are left alone.

    Examples
    --------
    >>> app = typer.Typer(add_completion=False)
    >>> @app.command()
    ... def greet(name: str = "世界", times: int = 1) -> None:
    ...     print(f"你好，{name}" * times)
    >>> command = typer.main.get_command(app)
    >>> defer_coercion(command.params)
    >>> command.main(["--name", "网格员"], standalone_mode=False)
    你好，网格员
    >>> [type(param._runtime_param).__name__ for param in command.params]
    ['DeferredCoercion', 'DeferredCoercion']
    >>> command.main(["--times", "2"], standalone_mode=False)  # "2": typer's own conversion
    你好，世界你好，世界
    >>> [type(param._runtime_param).__name__ for param in command.params]
    ['DeferredCoercion', 'AdapterRuntimeParam']
    """
    for param in params:
        if isinstance(param, _TyperParameter) and param._runtime_param is None:
            descriptor = param.type_descriptor
            param._runtime_param = DeferredCoercion(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )


class ChineseContext(typer.Context):
    """A command's context whose help and usage are written by :class:`ChineseHelpFormatter`."""

    formatter_class = ChineseHelpFormatter


class ChineseCommand(TyperCommand):
    """A typer command whose help and usage are in Chinese, its values converted when needed."""

    context_class = ChineseContext

    def get_params(self, ctx: ClickContext) -> list[ClickParameter]:
        """Return the parameters (the help option too), their conversion deferred."""
        params = super().get_params(ctx)
        defer_coercion(params)
        return params


class ChineseGroup(TyperGroup):
    """A typer group whose help and usage, and the usage errors under it, are in Chinese.

    Its own options' values are converted when needed, as :class:`ChineseCommand`'s.
    """

    context_class = ChineseContext

    def get_params(self, ctx: ClickContext) -> list[ClickParameter]:
        """Return the group's own parameters (the help option too), their conversion deferred."""
        params = super().get_params(ctx)
        defer_coercion(params)
        return params

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: ClickContext | None = None,
        **extra: Any,
    ) -> ClickContext:
        """Parse the group's own options, saying a usage error in Chinese."""
        with errors_in_chinese():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: ClickContext) -> Any:
        """Run the command asked for, saying a usage error under it in Chinese."""
        with errors_in_chinese():
            return super().invoke(ctx)


def chinese_error(error: typer.TyperException) -> str | None:
    """Return what click would say of a usage error, in Chinese; None if it is not known.

    Parameters
    ----------
    error : typer.TyperException
        A usage error raised by click or typer (their ``ClickException``).

    Returns
    -------
    str or None
        The usage line and where to find help (when the error knows its command), then
        ``错误：`` and the message; None when the catalog does not know the message.
    """
    message = translate(error.format_message())
    if message is None:
        return None
    lines = []
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(TRY_HELP.format(command=ctx.command_path, option=ctx.help_option_names[0]))
        lines.append("")
    return "\n".join([*lines, ERROR + message])


@contextmanager
def errors_in_chinese() -> Iterator[None]:
    """Say a usage error or an abort raised inside in Chinese, then exit with click's code.

    Yields
    ------
    None
        The block whose errors are said in Chinese.

    Raises
    ------
    typer.Exit
        With the error's exit code (2 for a usage error, 1 for an abort).
    """
    try:
        yield
    except typer.TyperException as error:
        said = chinese_error(error)
        if said is None:
            raise
        typer.echo(said, err=True)
        raise typer.Exit(error.exit_code) from error
    except (typer.Abort, EOFError) as aborted:  # typer.prompt with no more input, for one
        typer.echo(("\n" if isinstance(aborted, EOFError) else "") + ABORTED, err=True)
        raise typer.Exit(1) from aborted


def speak_chinese(app: typer.Typer) -> None:
    """Give every command and group of ``app``, and of the groups under it, the Chinese classes.

    A command or group that chose a class of its own keeps it.

    Parameters
    ----------
    app : typer.Typer
        The root app, its commands and groups registered.
    """
    if isinstance(app.info.cls, DefaultPlaceholder) or app.info.cls is None:
        app.info.cls = ChineseGroup
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):
            command.cls = ChineseCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            speak_chinese(group.typer_instance)
