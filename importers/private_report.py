"""A special-population file's reject report: identifying values masked, only its owner reads it.

A report of ``persons`` or ``visits`` rows names each rejected row by its number, as every report
does, but never copies what identifies the person: resident IDs are masked where the rules
report them (:data:`importers.rules.SENSITIVE_FIELDS`), and here the name, the address, the
visit's note and the free-text attributes (罪名, 诊断, 监护人 …, :func:`free_text_headers`) keep
only their first character (``欧******``). Dates, levels, categories and codes stay as written:
they say what to correct and identify no one. The file is created readable and writable by its
owner only (mode 0600), wherever ``--report`` puts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

import pandas as pd
from annotated_types import MaxLen
from pydantic import AliasChoices

from importers.kinds import KINDS
from importers.report import write_report
from importers.rules import Problem
from layers.cases import mask_name
from layers.person_attributes import MODELS

PERSONAL_KINDS = frozenset({"persons", "visits"})
"""Kinds whose rows are about special-population persons."""

IDENTIFYING_FIELDS = ("name", "address", "note")
"""Fields of those kinds whose values identify a person (the resident ID is masked already)."""


@cache
def free_text_headers() -> frozenset[str]:
    """Return the headers of the category attributes that are free text (罪名, 诊断, 监护人 …).

    Returns
    -------
    frozenset of str
        Every Chinese header a text attribute of any category is read from.

    Examples
    --------
    >>> {"罪名", "诊断", "监护人"} <= free_text_headers(), "矫正起止日期" in free_text_headers()
    (True, False)
    """
    headers: set[str] = set()
    for model in MODELS.values():
        for info in model.model_fields.values():
            alias = info.validation_alias
            if isinstance(alias, AliasChoices) and any(
                isinstance(m, MaxLen) for m in info.metadata
            ):
                headers.update(str(choice) for choice in alias.choices)
    return frozenset(headers)


def identifying_headers(kind: str, columns: Mapping[str, str]) -> frozenset[str]:
    """Return the columns of a file of ``kind`` whose values a report masks.

    Parameters
    ----------
    kind : str
        The import's kind.
    columns : mapping of str to str
        Field → the file's header for it (:attr:`importers.pipeline.ImportOutcome.columns`);
        a field the file did not name is taken by the kind's usual header.

    Returns
    -------
    frozenset of str
        Empty for a kind not about persons.
    """
    if kind not in PERSONAL_KINDS:
        return frozenset()
    fields = [f for f in IDENTIFYING_FIELDS if f in KINDS[kind].fields]
    named = {columns.get(f, KINDS[kind].header(f)) for f in fields}
    return frozenset(named) | free_text_headers()


def write_private_report(
    path: Path,
    kind: str,
    columns: Mapping[str, str],
    problems: Sequence[Problem],
    rows: pd.DataFrame | None = None,
) -> Path:
    """Write the reject report (:func:`importers.report.write_report`) as this module says.

    Parameters
    ----------
    path : pathlib.Path
        Where to write.
    kind : str
        The import's kind: only ``persons`` and ``visits`` reports are masked and private.
    columns : mapping of str to str
        Field → the file's header for it.
    problems : sequence of Problem
        From the checks.
    rows : pandas.DataFrame, optional
        The rejected rows (never given for a file with resident IDs).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    masked = identifying_headers(kind, columns)
    if not masked:
        return write_report(path, problems, rows)
    shown = [replace(p, value=mask_name(p.value)) if p.column in masked else p for p in problems]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)  # an earlier report may have been written with the usual mode
    return write_report(path, shown, rows)
