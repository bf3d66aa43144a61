"""Usage errors: one line on stderr with click's hint and exit code 2, for every command.

typer >= 0.29 raises the exceptions of its own copy of click (``typer._click``); these tests
run `formcheck.cli.main` as the console script does and check what the user sees.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from formcheck import cli


@pytest.fixture(autouse=True)
def _restore_signals() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def run_main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["formcheck", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


#: (arguments, a phrase of the one stderr line); every case exits 2.
USAGE_ERRORS = [
    # mistyped options, with click's suggestion
    (["analyze", "v.mp4", "--no-vidoe"], "No such option: --no-vidoe. Did you mean --no-video?"),
    (["landmarks", "v.mp4", "--modle", "m"], "Did you mean --model?"),
    (["batch", "in", "--worker", "2"], "Did you mean --workers?"),
    (["live", "--sorce", "v.mp4"], "Did you mean --source"),
    (["synth", "o.mp4", "--pre", "x"], "No such option: --pre"),
    # a mistyped command
    (["analyse", "v.mp4"], "No such command 'analyse'. Did you mean 'analyze'?"),
    # missing arguments and option values
    (["analyze"], "Missing argument 'video'"),
    (["landmarks"], "Missing argument 'video'"),
    (["batch"], "Missing argument 'input'"),
    (["live", "--source"], "Option '--source' requires an argument"),
    (["synth", "o.mp4", "--size"], "Option '--size' requires an argument"),
    (["analyze", "v.mp4", "-o"], "Option '-o' requires an argument"),
    # values out of range or of the wrong kind
    (["batch", "in", "--workers", "0"], "Invalid value for '--workers' / '-j'"),
    (["live", "--camera", "-1"], "Invalid value for '--camera'"),
    (["live", "--max-seconds", "-5"], "Invalid value for '--max-seconds'"),
    (["synth", "o.mp4", "--jitter", "2"], "Invalid value for '--jitter'"),
    (["synth", "o.mp4", "--fps", "fast"], "Invalid value for '--fps'"),
    (["landmarks", "v.mp4", "extra"], "Got unexpected extra argument(s) (extra)"),
]


@pytest.mark.parametrize(
    ("args", "phrase"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS]
)
def test_usage_error_is_one_line_with_the_hint_and_exit_2(
    args: list[str], phrase: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    code, out, err = run_main(args, monkeypatch, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("formcheck: error: "), err
    assert phrase in err
    command = args[0] if args[0] in {"analyze", "landmarks", "batch", "live", "synth"} else None
    assert err.rstrip().endswith(f"(see formcheck{' ' + command if command else ''} --help)")


def test_bare_formcheck_prints_the_help_and_exits_0(monkeypatch, capsys) -> None:
    code, out, err = run_main([], monkeypatch, capsys)
    assert code == 0
    assert err == ""
    for command in ("analyze", "batch", "landmarks", "live", "synth"):
        assert command in out


def test_help_of_a_command_exits_0(monkeypatch, capsys) -> None:
    code, out, err = run_main(["analyze", "--help"], monkeypatch, capsys)
    assert code == 0 and "--no-video" in out and err == ""


def test_console_script_gives_the_same_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", "x.mp4", "--no-vidoe"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "formcheck: error: No such option: --no-vidoe. Did you mean --no-video? "
        "(see formcheck analyze --help)\n"
    )
