"""A database built once per test run and copied by each of the run's processes that needs it.

Each test process (each xdist worker) has a cluster of its own (``tests/conftest.py``), and a
database is copied (``CREATE DATABASE … TEMPLATE``) only within a cluster. So the first
process to ask builds the template in its own cluster and lends that cluster to the run's
other processes: they copy the template into a database of their own there, over loopback,
as they would in their own cluster (the served demo county's 43 MB: about 0.2 s, where loading
and analysing it again took a worker about 5 s). Every process, the builder too, works on a
copy of its own; no one connects to the template once it is built, so what one process
writes no other sees.

The builder keeps its cluster until the processes that borrowed it have finished with their
copies: each borrower holds a shared lock on the template's ``.users`` file while it uses its
copy (released by :meth:`Borrowed.release`, or by the system when the process ends), and the
builder's :func:`return_lent_clusters` (from ``pytest_sessionfinish``, after its own tests
and before its cluster is removed) takes the lock exclusively. The files live in the run's
temporary folder, the one xdist's workers share.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest

from layers.database import DatabaseUrls
from layers.embedded import APP_ROLE, OWNER_ROLE, ClusterInfo, EmbeddedCluster
from tests.demo_runs import run_folder


def copy_database(info: ClusterInfo, name: str, template: str) -> DatabaseUrls:
    """Create (anew) the database ``name`` as a copy of ``template`` in the cluster of ``info``.

    Parameters
    ----------
    info : ClusterInfo
        The cluster's connection facts.
    name : str
        The new database (dropped first if it exists).
    template : str
        The database copied; no session may be connected to it.

    Returns
    -------
    DatabaseUrls
        The owner's and the app role's URLs of ``name`` (psycopg driver).
    """
    server = info.url(OWNER_ROLE).rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        conn.execute(f"GRANT CONNECT ON DATABASE {name} TO {APP_ROLE}")
    driver = "postgresql+psycopg"
    return DatabaseUrls(
        info.url(OWNER_ROLE, driver).rsplit("/", 1)[0] + "/" + name,
        info.url(APP_ROLE, driver).rsplit("/", 1)[0] + "/" + name,
    )


@dataclass
class Borrowed:
    """A copy of a run's template, and the hold on the cluster it lies in.

    Attributes
    ----------
    urls : DatabaseUrls
        The copy's URLs.
    made : Any
        What the template's ``build`` returned (read back from the run's folder by borrowers).
    """

    urls: DatabaseUrls
    made: Any
    _hold: IO[str] | None = field(default=None, repr=False)

    def release(self) -> None:
        """Say this process is done with its copy: the cluster's owner may remove it now."""
        if self._hold is not None:
            self._hold.close()  # closing the file releases its lock
            self._hold = None


@dataclass
class _Lent:
    """A template this process built, whose cluster others may be using."""

    lock: Path
    facts: Path
    users: Path


_LENT: list[_Lent] = []


def copy_of_run_template(
    tmp_path_factory: pytest.TempPathFactory,
    info: ClusterInfo,
    template: str,
    copy: str,
    build: Callable[[DatabaseUrls], Any],
    make_template: Callable[[str], DatabaseUrls],
) -> Borrowed:
    """Return a copy, named ``copy``, of the run's database ``template``, built if need be.

    Parameters
    ----------
    tmp_path_factory : pytest.TempPathFactory
        The session's factory (its base folder, or under xdist its parent, holds the facts).
    info : ClusterInfo
        This process's cluster: where the template is built if no process has yet.
    template : str
        Name of the template database (also names the files in the run's folder).
    copy : str
        Name of this process's copy (in the cluster that holds the template).
    build : callable
        Fills the new database ``template`` (given its URLs) and returns something picklable
        (a report) that every copy's user is given; it must leave no session connected.
    make_template : callable
        Creates the empty database ``template`` in this process's cluster; returns its URLs.

    Returns
    -------
    Borrowed
        The copy's URLs and what ``build`` returned; call :meth:`Borrowed.release` when done.
    """
    folder = run_folder(tmp_path_factory)
    lock, facts, users = (folder / f"{template}.{kind}" for kind in ("lock", "json", "users"))
    made_file = folder / f"{template}.pickle"
    with open(lock, "w", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a second process waits for the first one's template
        if facts.exists():  # another process's template, its cluster still up
            root = Path(json.loads(facts.read_text(encoding="utf-8"))["root"])
            hold = open(users, "a", encoding="utf-8")  # held until released
            try:
                fcntl.flock(hold, fcntl.LOCK_SH)  # under the lock: its owner cannot leave now
                urls = copy_database(EmbeddedCluster(root).info(), copy, template)
                return Borrowed(urls, pickle.loads(made_file.read_bytes()), hold)
            except BaseException:
                hold.close()
                raise
        made = build(make_template(template))
        made_file.write_bytes(pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
        facts.write_text(json.dumps({"root": str(info.root), "pid": os.getpid()}), "utf-8")
        _LENT.append(_Lent(lock, facts, users))
        return Borrowed(copy_database(info, copy, template), made)


def lends_its_cluster() -> bool:
    """Whether this process built a template that other processes may be copying or using."""
    return bool(_LENT)


def return_lent_clusters() -> None:
    """Take back the templates this process lent: no new copy, and wait for the borrowers.

    Called before this process removes its cluster; returns once every process that copied
    one of its templates has released its copy (or ended).
    """
    while _LENT:
        lent = _LENT.pop()
        with open(lent.lock, "w", encoding="utf-8") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            lent.facts.unlink(missing_ok=True)  # a later process builds one of its own
        with open(lent.users, "a", encoding="utf-8") as users:
            fcntl.flock(users, fcntl.LOCK_EX)  # each borrower's shared lock released
