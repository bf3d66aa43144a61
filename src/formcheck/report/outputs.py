"""Write a set of output files into a folder all at once, or not at all.

`staged_outputs` gives a temporary folder beside the destination; files written there are
moved into the destination (``os.replace``, atomic per file on one filesystem) only when the
``with`` block ends without error. On an error the temporary folder is removed and the
destination is left as it was. Names listed in ``owned`` that this run did not write are
removed from the destination, so a re-run never leaves a stale output of an earlier run
(e.g. the old annotated.mp4 after a re-run with ``--no-video``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_outputs(outdir: str | Path, owned: Iterable[str] = ()) -> Iterator[Path]:
    """Yield a temporary folder next to ``outdir``; on success move its files into ``outdir``
    and remove the ``owned`` names it did not write."""
    outdir = Path(outdir)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    if outdir.exists() and not outdir.is_dir():
        from ..errors import InputError

        raise InputError(f"{outdir}: exists and is not a folder, expected an output folder")
    stage = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".tmp", dir=outdir.parent))
    try:
        yield stage
        outdir.mkdir(exist_ok=True)
        umask = os.umask(0)
        os.umask(umask)
        written = sorted(stage.iterdir())
        for item in written:
            os.chmod(item, 0o666 & ~umask)  # mkstemp/mkdtemp make owner-only files
            os.replace(item, outdir / item.name)
        for name in set(owned) - {item.name for item in written}:
            (outdir / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
