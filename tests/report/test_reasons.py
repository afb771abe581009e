"""The break-reason registry: complete records, every code used is registered,
every fallback names one, and docs/reasons.md is current.

The source scan works on the AST of every file under pyjit/, runtime/ and
backends/ (plus the C sources and the docs, for codes in text):

* any ``PJdddd`` in a string, comment or document must be registered;
* a call that builds a reason (``Unsupported``, ``unsupported`` and every function
  that passes its own ``code`` parameter on to one, found to a fixpoint) must
  name a registered code as a literal or forward its own ``code`` parameter;
* a fallback that logs under the ``errors`` topic must start its message with a
  registered code.
"""
import ast
import os
import re
import subprocess
import sys

import pytest

from pyjit.report.reasons import REASONS, Unsupported, markdown

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_DIRS = ("pyjit", "runtime", "backends")
CODE = re.compile(r"\bPJ\d{4}\b")
BUILDERS = {"Unsupported", "unsupported"}


def _files(exts):
    for d in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(ROOT, d)):
            for n in names:
                if n.endswith(exts):
                    yield os.path.join(dirpath, n)


def _trees():
    for path in _files((".py",)):
        with open(path, encoding="utf-8") as f:
            yield path, ast.parse(f.read(), path)


def _callee(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


def _first_arg(call: ast.Call):
    if call.args:
        return call.args[0]
    for kw in call.keywords:
        if kw.arg == "code":
            return kw.value
    return None


def _builds_reasons(path: str) -> bool:
    """The frontend's files, and any file that imports the registry: where reasons are
    built (the IR verifier's own ``fail`` is another function of the same name)."""
    if os.sep + os.path.join("pyjit", "frontend") + os.sep in path:
        return True
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return "reasons import" in text


def _reason_calls():
    """(path, line, call, params in scope) for every call of a reason builder; the
    builders are found to a fixpoint: a function whose parameter ``code`` reaches a
    builder's first argument is a builder too."""
    trees = list(_trees())
    builders = set(BUILDERS)
    while True:
        found, new = [], set()

        def visit(node, path, scope, fname):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.Lambda)):
                    params = {a.arg for a in child.args.args + child.args.kwonlyargs}
                    name = child.name if isinstance(child, ast.FunctionDef) else fname
                    visit(child, path, scope | params, name)
                    continue
                if isinstance(child, ast.Call) and _callee(child) in builders:
                    found.append((path, child.lineno, child, scope))
                    arg = _first_arg(child)
                    if isinstance(arg, ast.Name) and arg.id in scope and fname:
                        new.add(fname)
                visit(child, path, scope, fname)

        for path, tree in trees:
            if _builds_reasons(path):
                visit(tree, path, frozenset(), None)
        if new <= builders:
            return found, builders
        builders |= new


def test_every_reason_is_a_complete_record():
    assert list(REASONS) == sorted(REASONS)
    for code, r in REASONS.items():
        assert re.fullmatch(r"PJ\d{4}", code) and r.code == code
        assert r.title and r.title[0].isupper() and not r.title.endswith(".")
        assert len(r.explanation) > 40, code
        assert r.hints and all(h.strip() for h in r.hints), code
    titles = [r.title for r in REASONS.values()]
    assert len(set(titles)) == len(titles)


def test_an_unregistered_code_cannot_be_built():
    with pytest.raises(KeyError):
        Unsupported("PJ9999")


def test_every_code_named_in_the_source_tree_is_registered():
    unknown = []
    paths = list(_files((".py", ".c", ".h", ".md"))) + [os.path.join(ROOT, "README.md")]
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                unknown += [f"{path}:{n}: {c}" for c in CODE.findall(line) if c not in REASONS]
    assert unknown == []


def test_every_reason_builder_names_a_registered_code():
    calls, builders = _reason_calls()
    assert {"fail", "_fail", "_unsupported", "unsupported_here"} <= builders  # the scan sees the wrappers
    bad = []
    for path, line, call, params in calls:
        arg = _first_arg(call)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            if arg.value not in REASONS:
                bad.append(f"{path}:{line}: unregistered {arg.value}")
        elif not (isinstance(arg, ast.Name) and arg.id in params):
            bad.append(f"{path}:{line}: {_callee(call)}(...) does not name a code")
    assert len(calls) > 50 and bad == []


def test_every_logged_fallback_names_a_code():
    """``log("errors", ...)``: pyjit fell back to CPython after an internal error."""
    bad, seen = [], 0
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _callee(node) == "log" and len(node.args) >= 2 \
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value == "errors":
                seen += 1
                msg = node.args[1]
                text = msg.value if isinstance(msg, ast.Constant) else ""
                code = text.split(" ", 1)[0]
                if code not in REASONS:
                    bad.append(f"{path}:{node.lineno}: {text[:40]!r}")
    assert seen >= 3 and bad == []


def test_docs_reasons_md_is_current():
    with open(os.path.join(ROOT, "docs", "reasons.md"), encoding="utf-8") as f:
        checked_in = f.read()
    assert checked_in == markdown(), \
        "docs/reasons.md is stale: run `python -m pyjit reasons --markdown > docs/reasons.md`"


def test_the_cli_prints_the_same_markdown():
    out = subprocess.run([sys.executable, "-m", "pyjit", "reasons", "--markdown"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out == markdown()
    assert all(f"## {code}: " in out for code in REASONS)
