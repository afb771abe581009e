"""The LLVM engine: one MCJIT compiler for the process, one target machine per level.

    >>> addr = compile_ir(str(module), "region_0", level="O1")

Levels map to LLVM's pipelines: O0 → speed level 0 (fastest compile), O1 →
speed level 2, O2 → speed level 3 with loop and SLP vectorization.  Every
module passes LLVM's verifier before it is optimised.
"""
from __future__ import annotations

import threading

import llvmlite.binding as llvm

_lock = threading.Lock()
_state: dict = {}

_SPEED = {"O0": 0, "O1": 2, "O2": 3}


def _init():
    if "engine" not in _state:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_default_triple()
        tm = target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                          features=llvm.get_host_cpu_features().flatten(),
                                          opt=3, jit=True)
        _state["tm"] = tm
        _state["engine"] = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
        _state["keep"] = []
    return _state


def target_data():
    return _init()["tm"].target_data


def triple() -> str:
    return _init()["tm"].triple


def compile_ir(text: str, name: str, level: str = "O1") -> int:
    """Verify, optimise and JIT-compile an LLVM IR module; return ``name``'s address."""
    with _lock:
        st = _init()
        mod = llvm.parse_assembly(text)
        mod.verify()
        speed = _SPEED[level]
        pto = llvm.create_pipeline_tuning_options(speed_level=speed)
        if level == "O2":
            pto.loop_vectorization = True
            pto.slp_vectorization = True
        pb = llvm.create_pass_builder(st["tm"], pto)
        pb.getModulePassManager().run(mod, pb)
        st["engine"].add_module(mod)
        st["engine"].finalize_object()
        st["keep"].append(mod)
        return st["engine"].get_function_address(name)


def optimized_ir(text: str, level: str = "O1") -> str:
    """The module after optimisation, for ``PYJIT_LOG=llvm`` and tests."""
    with _lock:
        st = _init()
        mod = llvm.parse_assembly(text)
        mod.verify()
        pto = llvm.create_pipeline_tuning_options(speed_level=_SPEED[level])
        pb = llvm.create_pass_builder(st["tm"], pto)
        pb.getModulePassManager().run(mod, pb)
        return str(mod)
