"""`formcheck.report.outputs`: all-or-nothing output folders, stale staging folders, unusable OUTDIRs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.errors import InputError
from formcheck.report.outputs import _host, check_outdir, check_writable, staged_outputs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_staging_folders_of_dead_runs_are_removed_others_kept(tmp_path: Path) -> None:
    dead = tmp_path / f".out.{_host()}-{_dead_pid()}.abc123.tmp"
    old_format = tmp_path / ".out.k2j4h5_x.tmp"  # formcheck before the owner was in the name
    running = tmp_path / f".out.{_host()}-{os.getpid()}.zzz.tmp"
    other_host = tmp_path / f".out.elsewhere-{_dead_pid()}.abc.tmp"
    sibling = tmp_path / f".out.v2.{_host()}-{_dead_pid()}.abc.tmp"  # OUTDIR out.v2's
    for d in (dead, old_format, running, other_host, sibling):
        d.mkdir()
        (d / "report.json").write_text("{}")
    with staged_outputs(tmp_path / "out") as stage:
        (stage / "report.json").write_text("{}")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["out", running.name, other_host.name, sibling.name])


def test_staging_folder_is_removed_on_interrupt(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), staged_outputs(tmp_path / "out") as stage:
        (stage / "report.json").write_text("{}")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_outdir_that_is_a_file_or_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report").write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder"):
        check_outdir(tmp_path / "report")
    with pytest.raises(InputError, match="is a file, expected a folder"):
        check_outdir(tmp_path / "report" / "out")
    check_outdir(tmp_path / "new" / "deeper" / "out")  # missing folders are made later
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # nothing created


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_folder_without_write_permission_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(InputError, match="cannot write in"):
            check_outdir(locked / "out")
    finally:
        locked.chmod(0o700)


def test_folder_the_system_refuses_is_refused_even_for_root() -> None:
    with pytest.raises(InputError, match="cannot write in /sys"):
        check_writable(Path("/sys/formcheck-out"))
