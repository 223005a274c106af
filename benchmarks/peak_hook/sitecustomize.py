"""Report this Python process's own peak RSS when it exits (benchmarks/measure.py puts it on PYTHONPATH).

Why not ``os.wait4``'s ``ru_maxrss`` in the parent: Linux carries the
parent's peak into the child across fork/exec (the memory map replaced at
exec is the parent's, or a copy of it, and its high-water mark is kept as
the child's ``maxrss``), so a child of a big benchmark process reports the
parent's peak. ``VmHWM`` in ``/proc/self/status`` belongs to this process
image only.

Active only when ``FABORITE_BENCH_PEAK_FILE`` is set; the variable is removed
from the environment at once, so Python processes this one starts do not
report over it. At exit, the file gets the larger of this process's VmHWM and
the peak of the children it waited for (their carried-over part is at most
this process's own peak, which is counted anyway), in KiB.
"""

import os

_PEAK_FILE = os.environ.pop("FABORITE_BENCH_PEAK_FILE", None)


def _chain_next_sitecustomize() -> None:
    """Run the ``sitecustomize`` this one shadows, if the environment has one.

    A few ``stat`` calls first, so that start-up benchmarks pay for no imports
    when there is none (the usual case).
    """
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    if not any(os.path.exists(os.path.join(p or ".", name)) for p in path
               for name in ("sitecustomize.py", "sitecustomize")):
        return
    import importlib.machinery
    import importlib.util

    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


def _vmhwm_kib() -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


if _PEAK_FILE:
    import atexit

    _OWNER = os.getpid()

    def _report_peak() -> None:
        if os.getpid() != _OWNER:  # a forked child that ran atexit: not the measured process
            return
        own = _vmhwm_kib()
        if own is None:  # no /proc (not Linux): report nothing rather than a wrong figure
            return
        import resource

        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with open(_PEAK_FILE, "w") as handle:
            handle.write(str(max(own, children)))

    atexit.register(_report_peak)  # registered first, so it runs after every other atexit handler

_chain_next_sitecustomize()
