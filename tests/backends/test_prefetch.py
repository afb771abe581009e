"""Software prefetch in vectorized loops (backends/llvm/prefetch.py, Note
[prefetch in vector loops]): where the prefetches go, that the module still
verifies, and which levels get them.  A prefetch cannot change a result, so
correctness is the whole differential suite, which runs with them."""
from __future__ import annotations

import re

import llvmlite.binding as llvm
import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import engine, prefetch

from test_bounded_sums import int_sum

# a loop the vectorizer has already split into a vector body and a scalar remainder,
# with a quoted label (ending the vector body) and a scalar load in the remainder
MODULE = """
define i64 @f(ptr %a, i64 %n) {
entry:
  br label %vector.body

vector.body:                                      ; preds = %vector.body, %entry
  %i = phi i64 [ 0, %entry ], [ %i.next, %vector.body ]
  %s = phi <4 x i64> [ zeroinitializer, %entry ], [ %s.next, %vector.body ]
  %p = getelementptr i64, ptr %a, i64 %i
  %v = load <4 x i64>, ptr %p, align 8
  %s.next = add <4 x i64> %v, %s
  %i.next = add i64 %i, 4
  %done = icmp uge i64 %i.next, %n
  br i1 %done, label %"tail block", label %vector.body

"tail block":                                     ; preds = %vector.body
  %q = getelementptr i64, ptr %a, i64 %i.next
  %x = load i64, ptr %q, align 8
  %w = load <2 x i64>, ptr %q, align 8
  %r = call i64 @llvm.vector.reduce.add.v4i64(<4 x i64> %s.next)
  %t = add i64 %r, %x
  ret i64 %t
}

declare i64 @llvm.vector.reduce.add.v4i64(<4 x i64>)
"""


def _prefetched(text: str) -> list[str]:
    """The pointers prefetched, with the distance, in order."""
    return re.findall(r"getelementptr i8, ptr (%[-\w.$]+), i64 (\d+)\n"
                      r"  call void @llvm\.prefetch\.p0", text)


def test_one_prefetch_after_each_vector_load_of_a_vector_body():
    text = prefetch.insert(MODULE)
    assert _prefetched(text) == [("%p", str(prefetch.DISTANCE))]
    # right after the load it follows; nothing in the block after the quoted label
    assert re.search(r"load <4 x i64>, ptr %p, align 8\n  %pyjit\.prefetch\.1 = ", text)
    assert text.count("declare void @llvm.prefetch.p0") == 1
    mod = llvm.parse_assembly(text)
    mod.verify()


def test_a_module_without_vector_loops_is_left_alone():
    scalar = MODULE.replace("vector.body", "loop")
    assert prefetch.insert(scalar) is None
    mod = llvm.parse_assembly(scalar)
    assert prefetch.streams(mod) is mod


def scaled(a, out):
    for i in range(a.shape[0]):
        out[i] = 2.5 * a[i] + 1.0


@pytest.mark.parametrize("fn,args", [(int_sum, (np.arange(100),)),
                                     (scaled, (np.arange(100.0), np.zeros(100)))])
@pytest.mark.parametrize("level", ["O0", "O1", "O2"])
def test_vectorized_loops_prefetch_at_o1_and_o2(fn, args, level):
    jf = pyjit.jit(fn, backend="llvm", level=level)
    expected = fn(*[a.copy() for a in args])
    assert jf(*args) == expected
    (region,) = jf.__pyjit__.regions
    (spec,) = region.dispatcher.cache.values()
    optimized = engine.optimized_ir(spec.entry.ir, level)
    found = _prefetched(optimized)
    if level == "O0":
        assert not found
    else:
        assert found, "no prefetch in the vectorized loop"
        assert {d for _, d in found} == {str(prefetch.DISTANCE)}
