"""How files name the workers a grid or a person is in the care of: 工号 or names, a few a cell."""

import pandas as pd

BRACKETED_NOTE = r"[（(【\[]\s*([^）)】\]]*?)\s*[）)】\]]"
"""A bracketed note (``（网格员）``, ``【缓刑】``), its words captured."""
NAME_LIST = r"[、,，;；/／\s]+"
"""Between the names (or 工号) of several responsible workers in one cell."""
SPACED_MOBILE = r"(?<!\d)(1\d{2})[ \u3000-]*(\d{4})[ \u3000-]*(\d{4})(?!\d)"
"""A mobile number written in groups (``139 1234 5678``, ``139-1234-5678``): one number."""


def worker_names(text: pd.Series) -> pd.Series:
    r"""Return the 工号 or names of a cell of workers, joined by U+001F (``None`` for none).

    Several are separated as :data:`NAME_LIST` says; a bracketed note after a name
    (:data:`BRACKETED_NOTE`, ``吴云琳（网格员）``) is left out, and a mobile number written in
    groups (:data:`SPACED_MOBILE`) is one number.

    Examples
    --------
    >>> names = worker_names(pd.Series(["吴云琳（网格员）、派出所王警官", "（空）", None]))
    >>> names[0].split("\x1f"), names.isna().tolist()
    (['吴云琳', '派出所王警官'], [False, True, True])
    >>> worker_names(pd.Series(["139 1234 5678、王芳"]))[0].split("\x1f")
    ['13912345678', '王芳']
    """
    joined = text.str.replace(SPACED_MOBILE, r"\1\2\3", regex=True)
    bare = joined.str.replace(BRACKETED_NOTE, " ", regex=True)
    listed = bare.str.replace(NAME_LIST, "\x1f", regex=True).str.strip("\x1f")
    return listed.where(listed.notna() & (listed != ""), None).astype(object)


PADDED_NAME = (
    r"(?:^|(?<=[、,，;；/／]))\s*"  # where a name starts
    r"([^\s、,，;；/／])\s+([^\s、,，;；/／（(])"  # a character, spaces, a character
    r"\s*(?=$|[、,，;；/／（(])"  # where the name ends (a note may follow)
)
"""A two-character name padded to the width of three (``王　芳``): one name, not two."""
