"""The LLVM engine: one MCJIT compiler for the process, one target machine per level.

    >>> addr = compile_ir(str(module), "region_0", level="O1")

Levels map to LLVM's pipelines: O0 → speed level 0 and code generation at
-O0 (fast instruction selection; the fastest compile), O1 → speed level 2 (with
llvmlite's default loop vectorization), O2 → speed level 3 with loop and SLP
vectorization; O1 and O2 generate code at -O3,
and their vectorized loops get software prefetches (prefetch.py).
One MCJIT engine per code-generation level.  Every
module passes LLVM's verifier before it is optimised.

For the disk cache (cache.py), ``compile_ir_to_object`` also returns the
module's object code — position-independent, so that it can be reloaded in
another process (``load_object``) or linked into a shared library.

``llvmlite.binding`` is imported on first use, not with this module: loading
LLVM's shared library costs ~40 ms, which a process that only loads cached
code as a shared library never pays.
"""
from __future__ import annotations

import threading

from . import prefetch

_lock = threading.RLock()
_state: dict = {}

_SPEED = {"O0": 0, "O1": 2, "O2": 3}
# Code generation (instruction selection, register allocation) per level: O0 uses
# LLVM's fast path, which is most of what makes O0 compile fast.
_CODEGEN = {"O0": 0, "O1": 3, "O2": 3}


def _llvm():
    import llvmlite.binding as llvm
    return llvm


def _init():
    if "engine" not in _state:
        llvm = _llvm()
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_default_triple()
        cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
        tm = target.create_target_machine(cpu=cpu, features=features, opt=3, jit=True)
        _state["target"], _state["cpu"] = target, (cpu, features)
        _state["tm"] = tm
        _state["engine"] = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
        _state["keep"] = []
    return _state


def _engine(level: str):
    """The MCJIT engine that generates code for ``level`` (see ``_CODEGEN``)."""
    st = _init()
    opt = _CODEGEN[level]
    if opt == 3:
        return st["engine"]
    key = f"engine{opt}"
    if key not in st:
        cpu, features = st["cpu"]
        tm = st["target"].create_target_machine(cpu=cpu, features=features, opt=opt, jit=True)
        st[key] = _llvm().create_mcjit_compiler(_llvm().parse_assembly(""), tm)
    return st[key]


def _pic_machine():
    """The target machine for cacheable object code: PIC, small code model, so
    that the object links into a shared library and loads at any address."""
    st = _init()
    if "pic" not in st:
        cpu, features = st["cpu"]
        st["pic"] = st["target"].create_target_machine(cpu=cpu, features=features, opt=3,
                                                       reloc="pic", codemodel="default")
    return st["pic"]


def target_data():
    return _init()["tm"].target_data


def triple() -> str:
    return _init()["tm"].triple


def host_cpu() -> str:
    """LLVM's name and feature string of this CPU (part of the disk cache key
    where the OS does not describe the CPU)."""
    cpu, features = _init()["cpu"]
    return f"{cpu} {features}"


def _optimized(text: str, level: str):
    llvm = _llvm()
    st = _init()
    mod = llvm.parse_assembly(text)
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=_SPEED[level])
    if level == "O2":
        pto.loop_vectorization = True
        pto.slp_vectorization = True
    pb = llvm.create_pass_builder(st["tm"], pto)
    pb.getModulePassManager().run(mod, pb)
    if level != "O0":
        mod = prefetch.streams(mod)   # Note [prefetch in vector loops]
    return mod


def compile_ir(text: str, name: str, level: str = "O1") -> int:
    """Verify, optimise and JIT-compile an LLVM IR module; return ``name``'s address."""
    with _lock:
        st = _init()
        mod = _optimized(text, level)
        engine = _engine(level)
        engine.add_module(mod)
        engine.finalize_object()
        st["keep"].append(mod)
        return engine.get_function_address(name)


def compile_ir_to_object(text: str, name: str, level: str = "O1") -> tuple[int, bytes]:
    """Like ``compile_ir``, but through position-independent object code, which
    is returned with ``name``'s address: the code this process runs is the code
    the cache stores."""
    with _lock:
        obj = _pic_machine().emit_object(_optimized(text, level))
        return load_object(obj, name), obj


def load_object(obj: bytes, name: str) -> int:
    """Link object code (from ``compile_ir_to_object``, maybe in another process)
    into the process; return ``name``'s address (0 if it does not define it)."""
    llvm = _llvm()
    with _lock:
        st = _init()
        ref = llvm.ObjectFileRef.from_data(obj)
        st["engine"].add_object_file(ref)
        st["engine"].finalize_object()
        st["keep"].append(ref)
        return st["engine"].get_function_address(name)


def global_address(name: str) -> int:
    """The address of the global variable ``name`` in whichever engine linked
    it (0 if none did): where addresses.bind writes (Note [address globals])."""
    with _lock:
        for key, engine in list(_state.items()):
            if key.startswith("engine"):
                address = engine.get_global_value_address(name)
                if address:
                    return address
        return 0


def optimized_ir(text: str, level: str = "O1") -> str:
    """The module after optimisation, for ``PYJIT_LOG=llvm`` and tests."""
    with _lock:
        return str(_optimized(text, level))
