"""``python -m pyjit demo`` and ``python -m pyjit explain script.py [args...]``."""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyjit")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the bundled example under the JIT")
    demo.add_argument("--backend", default="llvm", choices=["numpy", "llvm"])
    demo.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .report.demo import run_demo
        return run_demo(backend=args.backend, repeat=args.repeat)
    return 2


if __name__ == "__main__":
    sys.exit(main())
