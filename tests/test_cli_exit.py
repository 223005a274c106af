"""A finished process leaves without the interpreter's teardown, and loses nothing by it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def test_exit_code_buffered_output_and_atexit_handlers_survive(tmp_path):
    done = _python("""
        import atexit, sys, tempfile, weakref
        from faborite.cli_exit import exit_now
        folder = tempfile.TemporaryDirectory(dir=".")  # removed by its finalizer at exit
        print(folder.name, file=open("folder.txt", "w"))
        atexit.register(lambda: print("atexit ran"))
        sys.stdout.write("x" * 200_000)  # still in the buffer when exit_now runs
        print()
        exit_now(3)
    """, tmp_path)
    assert done.returncode == 3
    assert done.stdout.splitlines() == ["x" * 200_000, "atexit ran"]
    assert not Path(tmp_path, (tmp_path / "folder.txt").read_text().strip()).exists()


def test_a_message_exits_1_like_sys_exit(tmp_path):
    done = _python("from faborite.cli_exit import exit_now; exit_now('went wrong')", tmp_path)
    assert (done.returncode, done.stderr.strip()) == (1, "went wrong")
    assert _python("from faborite.cli_exit import exit_now; exit_now(None)", tmp_path).returncode == 0


def test_a_thread_still_running_is_waited_for(tmp_path):
    done = _python("""
        import threading, time
        from faborite.cli_exit import exit_now
        def late():
            time.sleep(0.3)
            open("written.txt", "w").write("done")
        threading.Thread(target=late).start()
        exit_now(0)
    """, tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "written.txt").read_text() == "done"


def test_a_closed_pipe_is_not_a_traceback(tmp_path):
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys
        from faborite.cli_exit import exit_now
        sys.stdout.write("line\\n" * 100_000)
        exit_now(0)
    """)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.read(10)
    reader.stdout.close()  # like `faborite plan | head -1`
    reader.wait(timeout=60)
    assert "Traceback" not in reader.stderr.read().decode()


def test_a_closed_stdout_is_no_error(tmp_path):
    done = subprocess.run([sys.executable, "-c", "from faborite.cli_exit import exit_now; exit_now(0)"], cwd=tmp_path,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60,
                          preexec_fn=lambda: __import__("os").close(1))
    assert (done.returncode, done.stderr) == (0, "")


def test_a_profiler_still_writes_its_results(tmp_path):
    # cProfile writes its file when the profiled module returns: the process must exit normally.
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", "out.prof", "-m", "faborite", "--help"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.prof").stat().st_size > 0


def test_main_called_from_python_returns_to_its_caller(tmp_path):
    # Only the command (console_main) leaves the process early; main() returns or raises SystemExit.
    done = _python("""
        import sys
        from faborite.cli import main
        for argv in (["faborite", "--help"], ["faborite", "--no-such-option"]):
            sys.argv = argv
            try:
                main()
                print("returned")
            except SystemExit as exit_:
                print("raised", exit_.code)
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line in ("returned", "raised 1")] == ["returned", "raised 1"]
