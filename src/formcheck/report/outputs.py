"""Write a set of output files into a folder all at once, or not at all.

`staged_outputs` gives a temporary folder beside the destination; files written there are
moved into the destination (``os.replace``, atomic per file on one filesystem) only when the
``with`` block ends without error. On an error (or Ctrl-C, SIGTERM, SIGHUP: the CLI turns them
into ``KeyboardInterrupt``) the temporary folder is removed and the destination is left as it
was. Names listed in ``owned`` that this run did not write are removed from the destination, so
a re-run never leaves a stale output of an earlier run (e.g. the old annotated.mp4 after a re-run
with ``--no-video``).

A run killed outright (SIGKILL, power loss) cannot clean up: its staging folder is named
``.<OUTDIR>.<host>-<pid>.<random>.tmp`` and the next run into the same OUTDIR removes it once
that process is gone. `check_outdir` refuses an unusable OUTDIR before any work starts.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

#: Owner of a staging folder, in its name: ``.<name>.<host>-<pid>.<random>.tmp``.
_OWNER = re.compile(r"^\.(?P<name>.*)\.(?P<host>[^.]*)-(?P<pid>\d+)\.[^.]+\.tmp$")


def _host() -> str:
    """This machine's name as used in staging folder names (no dots, no dashes)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def stale_stages(outdir: Path) -> list[Path]:
    """Staging folders beside ``outdir`` left by runs that were killed: this machine's whose
    process is gone, and those of earlier formcheck versions (no owner in the name)."""
    old = re.compile(rf"^\.{re.escape(outdir.name)}\.[^.]+\.tmp$")
    stale = []
    for path in outdir.parent.glob(f".{glob.escape(outdir.name)}.*.tmp"):
        owner = _OWNER.match(path.name)
        if not path.is_dir():
            continue
        if owner is None:
            if old.match(path.name):  # an earlier version's .<name>.<random>.tmp
                stale.append(path)
        elif owner["name"] != outdir.name:
            continue  # a sibling folder's, e.g. OUTDIR.v2's
        elif owner["host"] == _host() and not _alive(int(owner["pid"])):
            stale.append(path)
    return stale


def check_writable(folder: str | Path, target: str | Path | None = None) -> None:
    """Raise `InputError` naming ``target`` (default ``folder``) unless new files can be made in
    ``folder``, or in its nearest existing ancestor when it does not exist yet. Tried, not
    guessed (permissions, read-only mounts and root's rights all show); creates nothing."""
    folder = Path(folder)
    target = folder if target is None else Path(target)
    base = folder
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise InputError(
            f"{target}: cannot write, {base} is a file, expected a folder to write the output in"
        )
    try:
        Path(tempfile.mkdtemp(prefix=".formcheck-probe-", dir=base)).rmdir()
    except OSError as exc:
        raise InputError(
            f"{target}: cannot write in {base} ({exc.strerror or exc}), "
            "expected a writable output folder"
        ) from None


def check_outdir(outdir: str | Path) -> None:
    """Raise `InputError` unless the output folder ``outdir`` can be written: it is a folder or
    can be made, and both it and the folder its staging folder goes in accept new files."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"{outdir}: exists and is not a folder, expected an output folder")
    if outdir.is_dir():
        check_writable(outdir)
    check_writable(outdir.parent, outdir)


@contextmanager
def staged_outputs(outdir: str | Path, owned: Iterable[str] = ()) -> Iterator[Path]:
    """Yield a temporary folder next to ``outdir``; on success move its files into ``outdir``
    and remove the ``owned`` names it did not write."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"{outdir}: exists and is not a folder, expected an output folder")
    prefix = f".{outdir.name}.{_host()}-{os.getpid()}."
    stage: Path | None = None
    try:
        try:
            outdir.parent.mkdir(parents=True, exist_ok=True)
            for stale in stale_stages(outdir):
                shutil.rmtree(stale, ignore_errors=True)
            stage = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=outdir.parent))
        except OSError as exc:
            raise InputError(f"{outdir}: cannot write ({exc.strerror or exc})") from None
        yield stage
        try:
            outdir.mkdir(exist_ok=True)
            umask = os.umask(0)
            os.umask(umask)
            written = sorted(stage.iterdir())
            for item in written:
                os.chmod(item, 0o666 & ~umask)  # mkstemp/mkdtemp make owner-only files
                os.replace(item, outdir / item.name)
            for name in set(owned) - {item.name for item in written}:
                (outdir / name).unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(f"{outdir}: cannot write ({exc.strerror or exc})") from None
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        else:  # interrupted (SIGTERM, Ctrl-C) inside mkdtemp: the folder may exist unnamed
            for orphan in outdir.parent.glob(f"{glob.escape(prefix)}*.tmp"):
                shutil.rmtree(orphan, ignore_errors=True)
