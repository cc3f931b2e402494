"""The text of a mapping file as clerks write it, and its errors said in Chinese.

A clerk writes a mapping file (``--mapping``) in Notepad or WPS: saved in GBK, typed with the
Chinese input method on (``“经度” ＝ “东经”``), with Chinese keys bare as TOML allows only ASCII
ones (``经度 = "东经"``, ``[values.状态]``). The file is read as written first; only when that
fails is it read again with that punctuation made ASCII outside its strings and its bare Chinese
keys quoted (:func:`plain_punctuation`, :func:`quoted_keys`). When both fail, the error of the
file as written is said in Chinese, with the line, the column and the line's text
(:func:`syntax_error`).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from importers.reading import ReadError, decode

_OUTSIDE = str.maketrans(
    {"＝": "=", "：": ":", "，": ",", "｛": "{", "｝": "}", "［": "[", "］": "]", "\u3000": " "}
)
"""Full-width punctuation read as ASCII outside a mapping file's strings."""
_CHINESE_QUOTES = "“”‘’"
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")
"""Where :mod:`tomllib` says its error is."""

_WHY = (
    ("Expected '=' after a key", "键后面缺少“=”"),
    ("Invalid initial character for a key part", "键无效：含中文或空格的键须用英文双引号括起"),
    ("Invalid statement", '无法识别：应为 "键" = "值" 或 [values."字段"]'),
    ("Invalid value", "值无效：文本须用英文双引号括起"),
    ("Unterminated string", "引号未闭合"),
    ("Illegal character '\\n'", "引号未闭合（文本不能跨行）"),
    ("Illegal character", "含有不允许的字符（如制表符等控制字符）"),
    ("Cannot overwrite a value", "同一个键写了两次"),
    ("Cannot declare", "同一个表写了两次"),
    ("Expected newline or end of document", "一行只能写一个“键 = 值”"),
    ("Expected ']' at the end of a table", "表名缺少右方括号“]”"),
    ("Expecting ',' delimiter", "缺少逗号“,”"),
    ("Expecting ':' delimiter", "键后面缺少冒号“:”"),
    ("Expecting property name", "键须用英文双引号括起（或最后一项后多了逗号）"),
    ("Expecting value", "缺少值，或值未用英文双引号括起"),
    ("Unterminated string starting", "引号未闭合"),
    ("Extra data", "多余的内容：整个文件应是一个 {…}"),
    ("Invalid control character", "文本中有换行或控制字符"),
)
"""The parsers' messages (their beginnings) in Chinese."""


class MappingTextError(ValueError):
    """A mapping file that cannot be read (the message, in Chinese, says where and why)."""


def mapping_data(path: Path, shown_as: str | None = None) -> object:
    """Return what a mapping file holds: TOML for ``.toml``, JSON otherwise.

    Parameters
    ----------
    path : pathlib.Path
        The file (UTF-8 with or without BOM, GBK or GB18030).
    shown_as : str, optional
        The file's name in messages (default its own: a console upload's is its upload name).

    Returns
    -------
    object
        The parsed document.

    Raises
    ------
    MappingTextError
        If the file cannot be read or parsed, saying where.
    """
    name = shown_as or path.name
    try:
        text = decode(path.read_bytes())[0]
    except OSError as exc:
        raise MappingTextError(f"映射文件 {name} 无法读取：{exc.strerror or exc}") from exc
    except ReadError as exc:
        raise MappingTextError(f"映射文件 {name} 无法读取：{exc}") from exc
    toml = path.suffix.lower() == ".toml"
    try:
        return _parsed(text, toml=toml)
    except ValueError as exc:
        lenient = plain_punctuation(text)
        if toml:
            lenient = quoted_keys(lenient)
        if lenient != text:
            try:
                return _parsed(lenient, toml=toml)
            except ValueError:
                pass
        raise MappingTextError(syntax_error(name, text, exc)) from exc


def _parsed(text: str, *, toml: bool) -> object:
    return tomllib.loads(text) if toml else json.loads(text)


def plain_punctuation(text: str) -> str:
    """Return ``text`` with Chinese quotes and full-width punctuation made ASCII outside strings.

    ``“ ” ‘ ’`` become ``"``: a string opened by one of them closes at the next of them (or
    at ``"``). ``＝ ： ， ｛ ｝ ［ ］`` and the ideographic space become ASCII outside strings;
    inside, what a header says is kept as written. Comments are kept as written.

    Parameters
    ----------
    text : str
        A mapping file's text.

    Returns
    -------
    str
        The text with ASCII punctuation.

    Examples
    --------
    >>> plain_punctuation("“经度”＝“东经（度）”")
    '"经度"="东经（度）"'
    >>> plain_punctuation('{“状态”：“处理中，待办”， "a": "b：c"}')
    '{"状态":"处理中，待办", "a": "b：c"}'
    """
    out: list[str] = []
    closing = ""
    escaped = comment = False
    for char in text:
        if comment:
            comment = char != "\n"
            out.append(char)
        elif not closing:
            if char in _CHINESE_QUOTES or char in "\"'":
                closing = _CHINESE_QUOTES if char in _CHINESE_QUOTES else char
                out.append('"' if char in _CHINESE_QUOTES else char)
            else:
                comment = char == "#"
                out.append(char.translate(_OUTSIDE))
        elif escaped:
            escaped = False
            out.append(char)
        elif closing == '"' and char == "\\":
            escaped = True
            out.append(char)
        elif char in closing or (closing == _CHINESE_QUOTES and char == '"'):
            closing = ""
            out.append('"' if char in _CHINESE_QUOTES else char)
        else:
            out.append(char)
    return "".join(out)


_BARE_KEY = re.compile(r"^(\s*)([^\s\"'=\[#][^=\"'#]*?)(\s*=)")
_TABLE = re.compile(r"^(\s*\[)([^\]\"']+)(\]\s*(?:#.*)?)$")


def quoted_keys(text: str) -> str:
    r"""Return TOML ``text`` with its bare keys that TOML does not allow (Chinese …) quoted.

    Parameters
    ----------
    text : str
        A TOML mapping file's text.

    Returns
    -------
    str
        The text, ``经度 = "东经"`` written ``"经度" = "东经"`` and ``[values.状态]``
        written ``[values."状态"]``; ASCII bare keys as they are.

    Examples
    --------
    >>> print(quoted_keys('经度 = "东经"\nlat = "北纬"\n[values.状态]\n已办 = "resolved"'))
    "经度" = "东经"
    lat = "北纬"
    [values."状态"]
    "已办" = "resolved"
    """

    def key(part: str) -> str:
        part = part.strip()
        return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'

    lines = []
    for line in text.splitlines():
        if table := _TABLE.match(line):
            parts = ".".join(key(p) for p in table[2].split("."))
            line = f"{table[1]}{parts}{table[3]}"
        elif bare := _BARE_KEY.match(line):
            line = f"{bare[1]}{key(bare[2])}{bare[3]}{line[bare.end() :]}"
        lines.append(line)
    return "\n".join(lines)


def syntax_error(name: str, text: str, exc: ValueError) -> str:
    """Say in Chinese where and why a mapping file does not parse.

    Parameters
    ----------
    name : str
        The file's name as the clerk knows it.
    text : str
        Its text.
    exc : ValueError
        The parser's error (:class:`json.JSONDecodeError` or :class:`tomllib.TOMLDecodeError`).

    Returns
    -------
    str
        ``映射文件 N 第 L 行第 C 列：why。该行为：…``, and how strings are written.

    Examples
    --------
    >>> try:
    ...     json.loads('{"经度": 东经}')
    ... except ValueError as exc:
    ...     said = syntax_error("列名.json", '{"经度": 东经}', exc)
    >>> said.split("。")[:2]
    ['映射文件 列名.json 第 1 行第 8 列：缺少值，或值未用英文双引号括起', '该行为：{"经度": 东经}']
    """
    if isinstance(exc, json.JSONDecodeError):
        message, line, column = exc.msg, exc.lineno, exc.colno
        example = '{"经度": "东经", "纬度": "北纬"}'
    else:
        message = str(exc)
        where = _TOML_AT.search(message)
        line = int(where[1]) if where and where[1] else len(text.splitlines()) or 1
        column = int(where[2]) if where and where[2] else 1
        message = message[: where.start()] if where else message
        example = '"经度" = "东经"'
    why = next((said for english, said in _WHY if message.startswith(english)), None)
    lines = text.splitlines()
    written = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    said = f"映射文件 {name} 第 {line} 行第 {column} 列：{why or f'格式有误（{message}）'}"
    shown = f"。该行为：{written[:80]}" if written else ""
    return f"{said}{shown}。文本请用英文双引号括起，例如 {example}"
