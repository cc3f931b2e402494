r"""The console's static files under content versions, kept by browsers for a year.

At start-up :func:`static_manifest` reads every file under ``web/static`` once and gives it a
version: the first 12 hex digits of the SHA-256 of the bytes served. Pages name a file by its
versioned URL (:meth:`AssetManifest.url`, the templates' ``asset()``:
``/static/console/common.js?v=3f2a…``), which :class:`VersionedStaticFiles` answers with
``Cache-Control: public, max-age=31536000, immutable``: the browser keeps the file without
asking again, since a changed file comes under a new URL. Any other URL of ``/static`` (no
version, or a version the file no longer has) is answered ``no-cache``: the browser asks each
time and gets ``304`` while the file is unchanged, never a stale copy kept by guesswork.

A stylesheet's ``url(...)`` of another static file (Leaflet's images, Font Awesome's fonts) is
rewritten to that file's versioned URL; the stylesheet is served as rewritten, and its version
is that of the rewritten text, so a changed font gives its stylesheet a new URL too. References
to files that are not there (Font Awesome's ``.ttf`` fallbacks) are left as they are.

Examples
--------
>>> rewrite_css("a{background:url(images/x.png)}", "leaflet/leaflet.css",
...             lambda path: "/static/" + path + "?v=1" if path.endswith(".png") else None)
'a{background:url("/static/leaflet/images/x.png?v=1")}'
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"
VERSION_LENGTH = 12
LONG_CACHE = "public, max-age=31536000, immutable"
"""Cache-Control of a versioned URL: a year, never asked again (the URL changes with the bytes)."""
SHORT_CACHE = "no-cache"
"""Cache-Control of an unversioned URL: kept, but asked again (``304``) before each use."""

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
_OUTSIDE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


class UnknownAsset(KeyError):
    """A page names a static file that does not exist (a typo would otherwise be a 404)."""


def content_version(body: bytes) -> str:
    """Return the version of a file's bytes: the first 12 hex digits of their SHA-256.

    Parameters
    ----------
    body : bytes
        The bytes served.

    Returns
    -------
    str
        The version.

    Examples
    --------
    >>> content_version(b"L.version")
    '37df1b88e6c8'
    """
    return hashlib.sha256(body).hexdigest()[:VERSION_LENGTH]


def rewrite_css(text: str, path: str, versioned: Callable[[str], str | None]) -> str:
    """Point a stylesheet's ``url(...)`` of other static files at their versioned URLs.

    Parameters
    ----------
    text : str
        The stylesheet.
    path : str
        Its path under the static folder (``leaflet/leaflet.css``): relative references are
        resolved from its folder.
    versioned : callable
        Path under the static folder -> its versioned URL, or None when no such file exists
        (the reference is then left as it is).

    Returns
    -------
    str
        The stylesheet with each such reference quoted and versioned; ``data:``, outside and
        ``#`` references unchanged.
    """
    folder = posixpath.dirname(path)

    def replace(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if _OUTSIDE.match(ref):
            return match.group(0)
        target, hash_mark, fragment = ref.partition("#")
        target = target.split("?", 1)[0]
        if target.startswith("/"):
            if not target.startswith(STATIC_URL + "/"):
                return match.group(0)
            resolved = target.removeprefix(STATIC_URL + "/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        url = versioned(resolved)
        if url is None:
            return match.group(0)
        return f'url("{url}{hash_mark}{fragment}")'

    return _CSS_URL.sub(replace, text)


@dataclass(frozen=True)
class Asset:
    """One static file as served.

    Attributes
    ----------
    path : str
        Its path under the static folder, with ``/`` (``console/common.js``).
    version : str
        :func:`content_version` of the bytes served.
    body : bytes or None
        The bytes served when they differ from the file's (a rewritten stylesheet).
    """

    path: str
    version: str
    body: bytes | None = None


@dataclass(frozen=True)
class AssetManifest:
    """The versions of the static files, read once.

    Attributes
    ----------
    prefix : str
        The URL the folder is served under (``/static``).
    assets : Mapping of str to Asset
        Each file by its path under the folder.
    """

    prefix: str
    assets: Mapping[str, Asset]

    def url(self, path: str) -> str:
        """Return the versioned URL of the file at ``path`` under the static folder.

        Parameters
        ----------
        path : str
            ``console/common.js``, ``vendor/leaflet/leaflet.css`` (a leading ``/`` is ignored).

        Returns
        -------
        str
            ``/static/console/common.js?v=<version>``.

        Raises
        ------
        UnknownAsset
            No such file.
        """
        key = path.lstrip("/")
        asset = self.assets.get(key)
        if asset is None:
            raise UnknownAsset(f"no static file {key!r} under {self.prefix}")
        return f"{self.prefix}/{key}?v={asset.version}"

    def versioned(self, url: str) -> str:
        """Return ``url`` with its version when it names a static file, else unchanged.

        Parameters
        ----------
        url : str
            A URL such as ``/static/vendor/leaflet/leaflet.js`` (what folium links).

        Returns
        -------
        str
            The versioned URL, or ``url`` itself (another origin, already versioned, unknown).
        """
        head = self.prefix + "/"
        if not url.startswith(head) or "?" in url:
            return url
        key = url.removeprefix(head)
        return self.url(key) if key in self.assets else url


def scan(directory: Path, prefix: str = STATIC_URL) -> AssetManifest:
    """Read every file under ``directory`` and version it (stylesheets rewritten first).

    Parameters
    ----------
    directory : Path
        The static folder.
    prefix : str
        The URL it is served under.

    Returns
    -------
    AssetManifest
        The versions.
    """
    files = {
        p.relative_to(directory).as_posix(): p
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }
    assets: dict[str, Asset] = {}
    visiting: set[str] = set()

    def asset(path: str) -> Asset:
        if path in assets:
            return assets[path]
        raw = files[path].read_bytes()
        if not path.endswith(".css") or path in visiting:
            assets[path] = Asset(path, content_version(raw))
            return assets[path]
        visiting.add(path)  # a stylesheet naming itself (or a cycle) keeps its own bytes
        text = rewrite_css(raw.decode("utf-8"), path, versioned)
        visiting.discard(path)
        body = text.encode("utf-8")
        assets[path] = Asset(path, content_version(body), None if body == raw else body)
        return assets[path]

    def versioned(path: str) -> str | None:
        if path not in files or path in visiting:
            return None
        return f"{prefix}/{path}?v={asset(path).version}"

    for path in files:
        asset(path)
    return AssetManifest(prefix, dict(sorted(assets.items())))


@cache
def static_manifest() -> AssetManifest:
    """Return the versions of ``web/static``, read on the first call (the console's start-up).

    Returns
    -------
    AssetManifest
        The versions, for the process's life: a changed file is served under its new version
        once the platform restarts.
    """
    return scan(STATIC_DIR, STATIC_URL)


def asset_url(path: str) -> str:
    """Return the versioned URL of a static file (the templates' ``asset()``).

    Parameters
    ----------
    path : str
        Path under ``web/static`` (``console/common.js``).

    Returns
    -------
    str
        ``/static/console/common.js?v=<version>``.

    Raises
    ------
    UnknownAsset
        No such file.

    Examples
    --------
    >>> asset_url("vendor/leaflet/leaflet.js").startswith("/static/vendor/leaflet/leaflet.js?v=")
    True
    """
    return static_manifest().url(path)


def _version_asked(scope: Scope) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("v")
    return values[-1] if values else None


class VersionedStaticFiles(StaticFiles):
    """``StaticFiles`` answering versioned URLs for a year and others ``no-cache``.

    Parameters
    ----------
    directory : Path
        The static folder.
    manifest : AssetManifest
        Its versions (:func:`scan` of the same folder).
    """

    def __init__(self, *, directory: Path, manifest: AssetManifest) -> None:
        super().__init__(directory=directory)
        self.manifest = manifest

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Serve the file (a rewritten stylesheet from memory) with its caching header.

        Parameters
        ----------
        path : str
            The requested path under the folder (as ``StaticFiles.get_path`` gives it).
        scope : starlette.types.Scope
            The request.

        Returns
        -------
        starlette.responses.Response
            The file, ``304``, or the error ``StaticFiles`` gives.
        """
        asset = self.manifest.assets.get(Path(path).as_posix())
        if asset is not None and asset.body is not None and scope["method"] in ("GET", "HEAD"):
            response = self._from_memory(asset, scope)
        else:
            response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            current = asset is not None and _version_asked(scope) == asset.version
            response.headers["Cache-Control"] = LONG_CACHE if current else SHORT_CACHE
        return response

    def _from_memory(self, asset: Asset, scope: Scope) -> Response:
        assert asset.body is not None
        headers = {"ETag": f'"{asset.version}"'}
        response = Response(asset.body, media_type="text/css", headers=headers)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response
