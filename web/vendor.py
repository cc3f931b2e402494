"""Re-create ``web/static/vendor/`` from the npm registry (a maintainer's tool, not run by tests).

Run ``python -m web.vendor`` with ``npm`` on the PATH. Each package is fetched with ``npm pack``
into a scratch folder, and only the distribution files the console loads are copied, each
package's licence next to them. ``VENDORED.md`` records name, version, licence and files.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import folium

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"


@dataclass(frozen=True)
class VendoredPackage:
    """One npm package and the files taken from it.

    Parameters
    ----------
    npm_name : str
        The package's name on npm.
    version : str
        The exact version fetched.
    licence : str
        SPDX identifier of the licence.
    folder : str
        Folder under ``web/static/vendor/``.
    files : dict of str to str
        Path inside the package tarball (below ``package/``) to path under ``folder``.
    licence_file : str or None
        The licence file inside the tarball, copied as ``LICENSE`` (or ``licence_text`` when None).
    licence_text : str
        Licence notice written when the tarball ships no licence file.
    note : str
        Remark recorded in ``VENDORED.md``.
    """

    npm_name: str
    version: str
    licence: str
    folder: str
    files: dict[str, str] = field(default_factory=dict)
    licence_file: str | None = "LICENSE"
    licence_text: str = ""
    note: str = ""


VECTORGRID_LICENCE = """Leaflet.VectorGrid, https://github.com/IvanSanchez/Leaflet.VectorGrid
npm package leaflet.vectorgrid 1.3.0, licence field "Beerware" (the tarball ships no licence file).

"THE BEER-WARE LICENSE":
<ivan@sanchezortega.es> wrote this file. As long as you retain this notice you
can do whatever you want with this stuff. If we meet some day, and you think
this stuff is worth it, you can buy me a beer in return.

The bundled build includes pbf, vector-tile and topojson-client (BSD-3-Clause / ISC,
Copyright Mapbox and Mike Bostock).
"""

PMTILES_NOTE = """pmtiles (npm), https://github.com/protomaps/PMTiles, licence field "BSD-3-Clause".
The tarball ships no licence file; the text below is the project's BSD-3-Clause licence as
shipped with protomaps-leaflet by the same copyright holder.

"""

PACKAGES: tuple[VendoredPackage, ...] = (
    VendoredPackage(
        "leaflet",
        "1.9.4",
        "BSD-2-Clause",
        "leaflet",
        {
            "dist/leaflet.js": "leaflet.js",
            "dist/leaflet.css": "leaflet.css",
            "dist/images/layers.png": "images/layers.png",
            "dist/images/layers-2x.png": "images/layers-2x.png",
            "dist/images/marker-icon.png": "images/marker-icon.png",
            "dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
            "dist/images/marker-shadow.png": "images/marker-shadow.png",
        },
    ),
    VendoredPackage(
        "leaflet.markercluster",
        "1.5.3",
        "MIT",
        "leaflet.markercluster",
        {
            "dist/leaflet.markercluster.js": "leaflet.markercluster.js",
            "dist/MarkerCluster.css": "MarkerCluster.css",
            "dist/MarkerCluster.Default.css": "MarkerCluster.Default.css",
        },
        licence_file="MIT-LICENCE.txt",
    ),
    VendoredPackage(
        "leaflet.heat",
        "0.2.0",
        "BSD-2-Clause",
        "leaflet.heat",
        {},
        note=(
            "npm leaflet.heat 0.2.0 (2015) lacks the weights fix (Leaflet.heat PR #78); "
            "leaflet-heat.js is the patched build that folium ships "
            "(folium/templates/leaflet_heat.min.js of the installed folium), the licence is "
            "the npm package's."
        ),
    ),
    VendoredPackage(
        "jquery",
        "3.7.1",
        "MIT",
        "jquery",
        {"dist/jquery.min.js": "jquery.min.js"},
        licence_file="LICENSE.txt",
    ),
    VendoredPackage(
        "bootstrap",
        "5.3.8",
        "MIT",
        "bootstrap",
        {"dist/css/bootstrap.min.css": "css/bootstrap.min.css"},
        note=(
            "The stylesheet only (the console's): nothing uses Bootstrap's scripts, which "
            "folium.Map lists but web/folium_offline.py does not load."
        ),
    ),
    VendoredPackage(
        "bootstrap",
        "3.4.1",
        "MIT",
        "bootstrap-glyphicons",
        {
            "dist/fonts/glyphicons-halflings-regular.woff2": (
                "fonts/glyphicons-halflings-regular.woff2"
            ),
            "dist/fonts/glyphicons-halflings-regular.woff": (
                "fonts/glyphicons-halflings-regular.woff"
            ),
        },
        note=(
            "Only the Glyphicons Halflings font (folium's default marker icon prefix); "
            "css/glyphicons.css is extracted from dist/css/bootstrap.css (the @font-face and the "
            ".glyphicon rules), woff2/woff sources only."
        ),
    ),
    VendoredPackage(
        "@fortawesome/fontawesome-free",
        "6.7.2",
        "CC-BY-4.0 AND OFL-1.1 AND MIT",
        "fontawesome-free",
        {
            "css/all.min.css": "css/all.min.css",
            "webfonts/fa-solid-900.woff2": "webfonts/fa-solid-900.woff2",
            "webfonts/fa-regular-400.woff2": "webfonts/fa-regular-400.woff2",
            "webfonts/fa-brands-400.woff2": "webfonts/fa-brands-400.woff2",
            "webfonts/fa-v4compatibility.woff2": "webfonts/fa-v4compatibility.woff2",
        },
        licence_file="LICENSE.txt",
        note="woff2 only (the .ttf fallbacks named in all.min.css are not needed by Chromium).",
    ),
    VendoredPackage(
        "leaflet.awesome-markers",
        "2.0.5",
        "ISC",
        "leaflet.awesome-markers",
        {
            "dist/leaflet.awesome-markers.min.js": "leaflet.awesome-markers.min.js",
            "dist/leaflet.awesome-markers.css": "leaflet.awesome-markers.css",
            "dist/images/markers-soft.png": "images/markers-soft.png",
            "dist/images/markers-soft@2x.png": "images/markers-soft@2x.png",
            "dist/images/markers-shadow.png": "images/markers-shadow.png",
            "dist/images/markers-shadow@2x.png": "images/markers-shadow@2x.png",
        },
        note=(
            "leaflet.awesome.rotate.css (folium's fa-rotate-N classes, 0-359) is generated by "
            "web/vendor.py."
        ),
    ),
    VendoredPackage(
        "leaflet.fullscreen",
        "3.0.2",
        "MIT",
        "leaflet.fullscreen",
        {
            "Control.FullScreen.js": "Control.FullScreen.js",
            "Control.FullScreen.css": "Control.FullScreen.css",
            "icon-fullscreen.svg": "icon-fullscreen.svg",
        },
        note="3.x: the API folium 0.20's Fullscreen plugin calls (L.control.fullscreen).",
    ),
    VendoredPackage(
        "leaflet.vectorgrid",
        "1.3.0",
        "Beerware",
        "leaflet.vectorgrid",
        {"dist/Leaflet.VectorGrid.bundled.min.js": "Leaflet.VectorGrid.bundled.min.js"},
        licence_file=None,
        licence_text=VECTORGRID_LICENCE,
    ),
    VendoredPackage(
        "pmtiles",
        "4.5.0",
        "BSD-3-Clause",
        "pmtiles",
        {"dist/pmtiles.js": "pmtiles.js"},
        licence_file=None,
        note="Global `pmtiles` (pmtiles.leafletRasterLayer for raster PMTiles basemaps).",
    ),
    VendoredPackage(
        "protomaps-leaflet",
        "5.1.0",
        "BSD-3-Clause",
        "protomaps-leaflet",
        {"dist/protomaps-leaflet.js": "protomaps-leaflet.js"},
        note="Global `protomapsL` (vector PMTiles basemaps).",
    ),
)


def npm_pack(spec: str, into: Path) -> Path:
    """Fetch one package tarball with ``npm pack`` and unpack it.

    Parameters
    ----------
    spec : str
        ``name@version``.
    into : Path
        Scratch folder.

    Returns
    -------
    Path
        The unpacked ``package/`` folder.
    """
    output = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = into / output.stdout.strip().splitlines()[-1]
    target = into / tarball.name.removesuffix(".tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def glyphicons_css(bootstrap3_css: str) -> str:
    """Extract the Glyphicons ``@font-face`` and ``.glyphicon`` rules from Bootstrap 3's CSS.

    Parameters
    ----------
    bootstrap3_css : str
        The text of Bootstrap 3's ``dist/css/bootstrap.css``.

    Returns
    -------
    str
        A stylesheet with woff2/woff font sources only.

    Examples
    --------
    >>> css = '@font-face { font-family: "Glyphicons Halflings"; src: url(x.eot); }'
    >>> css += ' .glyphicon-plus:before { content: "+"; } .btn { color: red; }'
    >>> print(glyphicons_css(css))  # doctest: +ELLIPSIS
    @font-face {
      font-family: "Glyphicons Halflings";
      src: url("../fonts/glyphicons-halflings-regular.woff2") format("woff2"), ...
    }
    .glyphicon-plus:before { content: "+"; }
    """
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", bootstrap3_css)
    kept = [
        f"{selector.strip()} {{{body}}}"
        for selector, body in rules
        if selector.strip().startswith(".glyphicon")
    ]
    font_face = (
        "@font-face {\n"
        '  font-family: "Glyphicons Halflings";\n'
        '  src: url("../fonts/glyphicons-halflings-regular.woff2") format("woff2"), '
        'url("../fonts/glyphicons-halflings-regular.woff") format("woff");\n'
        "}"
    )
    return "\n".join([font_face, *kept])


def rotate_css() -> str:
    """Return the ``fa-rotate-N`` classes folium's ``Icon(angle=N)`` relies on.

    Returns
    -------
    str
        One rule per whole degree 0-359.

    Examples
    --------
    >>> rotate_css().splitlines()[90]
    '.fa-rotate-90{transform:rotate(90deg)}'
    """
    return "\n".join(f".fa-rotate-{deg}{{transform:rotate({deg}deg)}}" for deg in range(360))


def write_vendored_md(target: Path) -> None:
    """Write ``VENDORED.md``: one section per package with its files.

    Parameters
    ----------
    target : Path
        The vendor folder.
    """
    lines = [
        "# Vendored front-end assets",
        "",
        "Served by the platform itself (no CDN). Re-create with `python -m web.vendor`",
        "(needs `npm`); do not edit by hand. Each folder keeps its package's licence as `LICENSE`.",
        "",
        "| folder | npm package | version | licence |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{p.folder}/` | `{p.npm_name}` | {p.version} | {p.licence} |" for p in PACKAGES]
    lines.append("")
    for package in PACKAGES:
        lines += [f"## {package.folder}/ — {package.npm_name} {package.version}", ""]
        if package.note:
            lines += [package.note, ""]
        files = sorted(
            p.relative_to(target / package.folder).as_posix()
            for p in (target / package.folder).rglob("*")
            if p.is_file()
        )
        lines += [f"- `{name}`" for name in files]
        lines.append("")
    (target / "VENDORED.md").write_text("\n".join(lines), encoding="utf-8")


def build(target: Path, scratch: Path) -> None:
    """Re-create the vendor folder from npm.

    Parameters
    ----------
    target : Path
        The vendor folder; emptied first.
    scratch : Path
        Scratch folder for tarballs.

    Raises
    ------
    FileNotFoundError
        If a listed file is missing from its package.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    unpacked: dict[str, Path] = {}
    for package in PACKAGES:
        spec = f"{package.npm_name}@{package.version}"
        source = unpacked[spec] = npm_pack(spec, scratch)
        folder = target / package.folder
        folder.mkdir(parents=True, exist_ok=True)
        for inside, outside in package.files.items():
            (folder / outside).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / inside, folder / outside)
        if package.licence_file is not None:
            shutil.copyfile(source / package.licence_file, folder / "LICENSE")
        elif package.licence_text:
            (folder / "LICENSE").write_text(package.licence_text, encoding="utf-8")
    protomaps_licence = (unpacked["protomaps-leaflet@5.1.0"] / "LICENSE").read_text("utf-8")
    (target / "pmtiles" / "LICENSE").write_text(PMTILES_NOTE + protomaps_licence, "utf-8")
    folium_heat = Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js"
    shutil.copyfile(folium_heat, target / "leaflet.heat" / "leaflet-heat.js")
    bootstrap3 = (unpacked["bootstrap@3.4.1"] / "dist/css/bootstrap.css").read_text("utf-8")
    css_dir = target / "bootstrap-glyphicons" / "css"
    css_dir.mkdir(parents=True, exist_ok=True)
    (css_dir / "glyphicons.css").write_text(glyphicons_css(bootstrap3), encoding="utf-8")
    (target / "leaflet.awesome-markers" / "leaflet.awesome.rotate.css").write_text(
        rotate_css(), encoding="utf-8"
    )
    write_vendored_md(target)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: ``python -m web.vendor [--target DIR]``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zz-npm-") as scratch:
        build(args.target, Path(scratch))


if __name__ == "__main__":
    main()
