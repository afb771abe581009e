"""The command line: ``python -m pyjit explain|run|reasons|demo``.

    python -m pyjit explain script.py [args...] [--html out.html] [--json out.json]
    python -m pyjit run script.py [args...]
    python -m pyjit reasons [--markdown]

``explain`` runs the script as ``__main__`` (``sys.argv`` and ``sys.path[0]`` as the
script would see them) inside ``pyjit.capture()``, with compiled regions timed and
eager code sampled (report/sampler.py), then prints the report of every function the
capture handled, in every module, and writes the HTML and JSON views if asked.
``run`` runs the script under ``capture()`` and prints one summary line to stderr at
the end.  Both exit with the script's status: ``sys.exit(n)`` gives ``n``; an uncaught
exception prints its traceback (from the script's frames on) and gives 1.

pyjit's own options go before the script, or at the very end as in the usage line
(``--html PATH``, ``--json PATH``, ``--level O2``, ``--backend numpy``); every other
argument after the script is the script's.
"""
from __future__ import annotations

import json
import os
import runpy
import sys
import time
import traceback

USAGE = """usage: python -m pyjit explain [options] script.py [args...] [options]
       python -m pyjit run [options] script.py [args...] [options]
       python -m pyjit reasons [--markdown]
       python -m pyjit demo [--backend numpy|llvm] [--repeat N]

options: --html PATH  --json PATH (explain only)  --level O0|O1|O2  --backend llvm|numpy"""

_VALUED = ("--html", "--json", "--level", "--backend")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return _demo(rest)
    if command == "reasons":
        return _reasons(rest)
    if command in ("explain", "run"):
        parsed = _split(rest, allow_files=command == "explain")
        if isinstance(parsed, str):
            print(f"python -m pyjit {command}: {parsed}\n{USAGE}", file=sys.stderr)
            return 2
        options, script, args = parsed
        return (explain_script if command == "explain" else run_script)(script, args, **options)
    print(f"python -m pyjit: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


def _split(rest: list, allow_files: bool):
    """``(options, script, script_args)`` or an error message."""
    options = {}

    def take(name, value):
        if name in ("--html", "--json") and not allow_files:
            return f"{name} is an option of explain"
        options[name[2:]] = value
        return None

    i = 0
    while i < len(rest) and rest[i].startswith("--"):
        name, _, value = rest[i].partition("=")
        if name not in _VALUED:
            return f"unknown option {name}"
        if not value:
            if i + 1 >= len(rest):
                return f"{name} needs a value"
            value, i = rest[i + 1], i + 1
        err = take(name, value)
        if err:
            return err
        i += 1
    if i >= len(rest):
        return "no script given"
    script, args = rest[i], rest[i + 1:]
    while len(args) >= 2 and args[-2] in _VALUED:   # trailing pyjit options, as in the usage
        err = take(args[-2], args[-1])
        if err:
            return err
        args = args[:-2]
    return options, script, args


# ---- running a script -------------------------------------------------------------------

def _run(script: str, args: list, cap) -> int:
    """Run ``script`` as ``__main__`` inside ``cap``; its exit status."""
    path = os.path.abspath(script)
    saved_argv, saved_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = [script, *args]
    if sys.path:
        sys.path[0] = os.path.dirname(path)
    else:
        sys.path.append(os.path.dirname(path))
    try:
        with cap:
            runpy.run_path(path, run_name="__main__")
        return 0
    except SystemExit as exc:
        return _exit_status(exc.code)
    except KeyboardInterrupt:
        _print_exception(sys.exc_info()[1], path)
        return 130
    except BaseException as exc:  # the script's uncaught exception, as python would print it
        _print_exception(exc, path)
        return 1
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0
        _flush()


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_exception(exc: BaseException, path: str) -> None:
    """The traceback from the script's first frame on (not runpy's or pyjit's)."""
    tb = exc.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != path:
        tb = tb.tb_next
    _flush()
    traceback.print_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: S110 - a closed stream: nothing left to flush
            pass


def _capture(options: dict):
    import pyjit
    return pyjit.capture(**{k: v for k, v in options.items() if k in ("level", "backend")})


def explain_script(script: str, args: list, **options) -> int:
    """``python -m pyjit explain``: run, then print the report (and write HTML/JSON)."""
    from pyjit.runtime.dispatcher import RegionDispatcher
    from .capture import capture_report
    from .explain import Timing
    from .sampler import Sampler

    html, json_path = options.pop("html", None), options.pop("json", None)
    cap = _capture(options)
    sampler = Sampler()
    timing, RegionDispatcher.timing = RegionDispatcher.timing, True
    sampler.start()
    try:
        status = _run(script, args, cap)
    finally:
        sampler.stop()
        RegionDispatcher.timing = timing
    # capture.report() does the same without the sampler's figures
    handled = list(cap._handled.values())
    report = capture_report([a for a, _ in handled], sampler.wall_seconds, [b for _, b in handled],
                            Timing.from_sampler(sampler))
    print(f"\n==== pyjit explain {script} (exit status {status}) ====")
    print(report)
    if html:
        report.to_html(html)
        print(f"HTML report: {html}")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(report.to_dict(), f, indent=1)
        print(f"JSON report: {json_path}")
    _flush()
    return status


def run_script(script: str, args: list, **options) -> int:
    """``python -m pyjit run``: run under the JIT, one summary line on stderr at the end."""
    cap = _capture(options)
    t0 = time.perf_counter()
    status = _run(script, args, cap)
    seconds = time.perf_counter() - t0
    report = cap.report()
    print(f"pyjit: {script} exit {status} in {seconds:.2f} s; {len(report.functions)} functions, "
          f"{report.graph_count} of {len(report.regions)} regions compiled, "
          f"{len(report.graph_breaks)} graph breaks, {report.coverage['bytecode']:.0%} of bytecode "
          f"compiled (python -m pyjit explain for details)", file=sys.stderr)
    return status


# ---- the other commands -----------------------------------------------------------------

def _reasons(rest: list) -> int:
    from .reasons import REASONS, markdown
    if rest == ["--markdown"]:
        sys.stdout.write(markdown())
        return 0
    if rest:
        print(f"python -m pyjit reasons: unknown arguments {rest}", file=sys.stderr)
        return 2
    for r in REASONS.values():
        print(f"{r.code}  {r.title}")
    return 0


def _demo(rest: list) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m pyjit demo")
    parser.add_argument("--backend", default="llvm", choices=["numpy", "llvm"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(rest)
    from .demo import run_demo
    return run_demo(backend=args.backend, repeat=args.repeat)


__all__ = ["main", "explain_script", "run_script"]
