"""The text encoding of a Shapefile's attributes, and reading them in it.

GDAL reads a Shapefile's attributes in the encoding its ``.cpg`` file names, else the one its DBF
language byte names, else ISO-8859-1. Chinese Shapefiles break this in two common ways:

* sent without their ``.cpg`` (and with no language byte), their GBK names come out as mojibake;
* a long Chinese field name is cut at the DBF's 10 bytes in the middle of a character, and the
  whole file then fails to read (QGIS writes UTF-8 Shapefiles, where four characters are already
  12 bytes).

So :func:`attribute_encoding` settles the encoding (declared, or told from the DBF's bytes), the
file is read byte for byte (as ISO-8859-1, which maps every byte to one character) and
:func:`recode` decodes the names and the text values in the real encoding, dropping the cut
character at the end of a field name.
"""

from __future__ import annotations

import codecs
import glob
import zipfile
from pathlib import Path

import pandas as pd

BYTES = "ISO-8859-1"
"""The encoding GDAL is told, so that every byte of the DBF comes through as one character."""

_SAMPLE = 1 << 20
"""Bytes of a DBF (header, field names and the first records) its encoding is told from."""

_LANGUAGE_BYTE = 29
"""Offset of the DBF header's language driver ID (0: none declared)."""

_CHINESE_LANGUAGE_IDS = frozenset({0x4D, 0x7A})
"""Language driver IDs of code page 936 (GBK), which GB18030 decodes."""


def _dbf_start(path: Path, member: str | None) -> tuple[bytes, bytes | None] | None:
    """Return the start of a Shapefile's DBF and its ``.cpg`` text (``None`` without one)."""
    suffix = path.suffix.lower()
    if suffix == ".shp":
        siblings = {p.name.lower(): p for p in path.parent.glob(f"{glob.escape(path.stem)}.*")}
        dbf = siblings.get(f"{path.stem.lower()}.dbf")
        if dbf is None:
            return None
        cpg = siblings.get(f"{path.stem.lower()}.cpg")
        with dbf.open("rb") as file:
            return file.read(_SAMPLE), None if cpg is None else cpg.read_bytes()
    if suffix == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = {n.lower(): n for n in archive.namelist()}
            if member is not None:
                dbfs = [member.lower()[:-4] + ".dbf"] if member.lower().endswith(".shp") else []
                dbfs = [n for n in dbfs if n in names]
            else:
                dbfs = [n for n in names if n.endswith(".dbf")]
            if len(dbfs) != 1:
                return None
            cpg_name = names.get(dbfs[0][:-4] + ".cpg")
            with archive.open(names[dbfs[0]]) as file:
                sample = file.read(_SAMPLE)
            return sample, None if cpg_name is None else archive.read(cpg_name)
    return None


def codec_of_cpg(text: bytes) -> str | None:
    r"""Return the Python codec a ``.cpg`` file names, or ``None`` if it names none known.

    Parameters
    ----------
    text : bytes
        The ``.cpg`` file: ``UTF-8``, ``GBK``, ``936``, ``ANSI 936``, ``65001`` …

    Returns
    -------
    str or None
        The codec name (``gb18030`` for GBK and its subsets).

    Examples
    --------
    >>> codec_of_cpg(b"GBK"), codec_of_cpg(b"ANSI 936\r\n"), codec_of_cpg(b"65001")
    ('gb18030', 'gb18030', 'utf-8')
    >>> codec_of_cpg(b"1252"), codec_of_cpg(b"nonsense")
    ('cp1252', None)
    """
    name = text.decode("ascii", errors="ignore").strip().upper().removeprefix("ANSI").strip()
    if name.isdigit():
        name = "utf-8" if name == "65001" else f"cp{name}"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gbk", "gb2312", "cp936") else codec


def _texts(sample: bytes) -> list[bytes]:
    """Return the DBF's field names and its records (text: numbers and dates are text too)."""
    header_size = int.from_bytes(sample[8:10], "little")
    names = [
        sample[at : at + 11].split(b"\0", 1)[0]
        for at in range(32, min(header_size, len(sample)) - 31, 32)
    ]
    return [*names, sample[header_size:]]


def _decodes(texts: list[bytes], codec: str) -> bool:
    try:
        for text in texts:  # a name cut at 10 bytes may end inside a character
            codecs.getincrementaldecoder(codec)().decode(text, final=False)
    except UnicodeDecodeError:
        return False
    return True


def attribute_encoding(path: Path, member: str | None = None) -> str | None:
    """Return the codec of a Shapefile's attributes when it has non-ASCII text.

    The ``.cpg`` file's, else the DBF language byte's when it is code page 936, else (neither
    declared) told from the first megabyte of the DBF: UTF-8, else GB18030.

    Parameters
    ----------
    path : pathlib.Path
        A ``.shp`` file (its ``.dbf`` beside it) or a zipped Shapefile.
    member : str, optional
        In a zip, the ``.shp`` read (default: the zip's only ``.dbf``).

    Returns
    -------
    str or None
        A Python codec name; ``None`` when the attributes are ASCII only, when the file is not a
        Shapefile, or when it declares an encoding GDAL knows better (another language byte)
        or names one Python does not know, or is in neither UTF-8 nor GB18030: then GDAL
        reads it as it would.
    """
    found = _dbf_start(path, member)
    if found is None or len(found[0]) < 32:
        return None
    sample, cpg = found
    texts = _texts(sample)
    if all(text.isascii() for text in texts):
        return None
    if cpg is not None:
        return codec_of_cpg(cpg)
    language = sample[_LANGUAGE_BYTE]
    if language in _CHINESE_LANGUAGE_IDS:
        return "gb18030"
    if language != 0:
        return None
    return next((codec for codec in ("utf-8", "gb18030") if _decodes(texts, codec)), None)


def recode(frame: pd.DataFrame, codec: str) -> pd.DataFrame:
    """Decode the names and text values of a frame read as :data:`BYTES` in ``codec``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Attributes read by GDAL as ISO-8859-1 (one character per byte).
    codec : str
        Their real encoding.

    Returns
    -------
    pandas.DataFrame
        The same frame with names and strings decoded; a character cut at the end of a field
        name is dropped, undecodable bytes in values become U+FFFD.

    Examples
    --------
    >>> raw = "所属社区编码".encode("gb18030")[:10].decode(BYTES)
    >>> recode(pd.DataFrame({raw: ["宁州街道".encode("gb18030").decode(BYTES)]}), "gb18030")
        所属社区编
    0  宁州街道
    """

    def name(text: object) -> object:
        if not isinstance(text, str):
            return text
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        return decoder.decode(text.encode(BYTES), final=False)

    def value(text: object) -> object:
        if not isinstance(text, str):
            return text
        return text.encode(BYTES).decode(codec, errors="replace")

    recoded = frame.rename(columns=name)
    for column in recoded.columns:
        if pd.api.types.is_object_dtype(recoded[column]) or pd.api.types.is_string_dtype(
            recoded[column]
        ):
            recoded[column] = recoded[column].map(value)
    return recoded
