"""Garbage collection in the command line's own process: its libraries imported, then frozen.

A command that imports pandas, SQLAlchemy, pyproj … creates some 250,000 objects, most of which
live until the process ends, and the stdlib's cyclic collector sweeps them while they are being
imported (three full collections) and again at each full collection the command's work
triggers. In a process that *is* the command line (the ``zongzhi`` script, or
``python -m layers.cli`` as the console runs an import: :func:`layers.cli.main` calls
:func:`claim_process`), a command imports its libraries inside :func:`frozen_imports`: the
collector is off while they load, then :func:`gc.freeze` moves every object alive out of its
reach. Reference counting still frees a frozen object when its last reference goes; only a
cycle among them is never collected, which a process that ends with its command can afford
(its peak memory is the same).

In any other process (a test worker running the app through typer's ``CliRunner``, the web
server) this would keep whatever the process then holds out of collection for the rest of its
life: there :func:`frozen_imports` only imports.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_claimed = False


def claim_process() -> None:
    """Declare this process the command line's own: it ends when its command does."""
    global _claimed
    _claimed = True


@contextmanager
def frozen_imports() -> Iterator[None]:
    """Import a command's libraries inside: in the command line's own process, frozen after.

    The collector is disabled while the block runs (if it was enabled), then every object
    alive is frozen (:func:`gc.freeze`) and the collector enabled again, even if an import
    failed. Outside the command line's own process (:func:`claim_process`) the block just runs.

    Yields
    ------
    None
        The block runs once.

    Examples
    --------
    >>> import gc
    >>> with frozen_imports():  # not the command line's own process: nothing is frozen
    ...     import json
    >>> gc.get_freeze_count(), gc.isenabled()
    (0, True)
    """
    if not _claimed:
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
