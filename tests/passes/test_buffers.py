"""Buffer-reuse planning (pyjit/passes/buffers.py) on regions built from real
functions, with every figure computed by hand in the test."""
import numpy as np
import pytest

from pyjit.config import Options
from pyjit.frontend.analyze import analyze
from pyjit.ir.infer import infer
from pyjit.ir.types import Array, typeof
from pyjit.passes.buffers import Bytes, Size, plan
from pyjit.report.shapes import Sym

N = 10**6          # elements of a 1-d operand
F8 = 8 * N         # bytes of one float64 temporary of N elements


def typed_region(fn, *args, region=0):
    """The typed graph of ``fn``'s region for arguments ``args`` (by live-in name)."""
    analysis = analyze(fn, Options())
    graph = analysis.regions[region].graph
    names = fn.__code__.co_varnames
    values = dict(zip(names, args))
    types = [typeof(li.static) if li.is_static else typeof(values[li.name])
             for li in graph.inputs]
    typed = infer(graph, types)
    assert not hasattr(typed, "code"), typed
    return typed


def shapes_of(typed, **shapes):
    return [shapes.get(li.name) for li in typed.inputs]


def arrays(typed, op):
    """The array results of every ``op`` node, in graph order."""
    return [n.out for n in typed.nodes() if n.op == op and isinstance(n.out.type, Array)]


def check_invariants(p):
    """Occupants of one buffer never overlap in time, and each fits its buffer."""
    for b in p.buffers:
        spans = sorted(p.live[r] for r in b.occupants)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert end < start, (b, spans)
        for r in b.occupants:
            assert p.sizes[r] is None or p.sizes[r].fits_in(b.size)
        if b.reason:
            assert len(b.occupants) == 1


def chain(a, b, c):
    return (((a * b) + c) * 2).sum()


def test_chain_of_temporaries_reuses_the_first_buffer():
    # t1 = a*b, t2 = t1+c, t3 = t2*2, then a scalar sum.  Positions (block ^1):
    # t1 defined at p and last read by the add at p+1; t2 from p+1 to the mul at
    # p+3; t3 from p+3 to the sum at p+4.  t2 overlaps t1 (the add reads t1 while
    # writing t2), t3 starts after t1 died: t3 takes t1's buffer.
    # Without reuse: 3 temporaries x 8e6 B = 24e6 B; with reuse: 2 buffers = 16e6 B.
    typed = typed_region(chain, np.ones(3), np.ones(3), np.ones(3))
    p = plan(typed, shapes_of(typed, a=(N,), b=(N,), c=(N,)))
    t1, t3 = arrays(typed, "mul")
    [t2] = arrays(typed, "add")
    assert p.peak_bytes_without_reuse == 3 * F8 == 24_000_000
    assert p.peak_bytes_with_reuse == 2 * F8 == 16_000_000
    assert p.max_live_bytes == 2 * F8
    assert p.assignment[t3] is p.assignment[t1]
    assert p.assignment[t2] is not p.assignment[t1]
    check_invariants(p)


def named(a, b, c):
    t1 = a * b
    t2 = t1 + c
    t3 = t2 * 2
    return t3.sum()


def named_read_again(a, b, c):
    t1 = a * b
    t2 = t1 + c
    t3 = t2 * 2
    return t3.sum() + t1[0]


def test_named_locals_stay_live_while_the_code_after_may_read_them():
    # The same arithmetic, but t1, t2, t3 are locals.  An exit stores the locals
    # the code after it may read (Note [dead locals at exits], frontend/decode.py):
    # t1 is dead once `t2 = t1 + c` has run, so t3 takes its buffer.  Read again
    # at the end, t1 is stored by every exit up to there: no reuse.
    typed = typed_region(named, np.ones(3), np.ones(3), np.ones(3))
    p = plan(typed, shapes_of(typed, a=(N,), b=(N,), c=(N,)))
    t1, t3 = arrays(typed, "mul")
    assert p.assignment[t3] is p.assignment[t1]
    assert p.peak_bytes_with_reuse == 2 * F8 and len(p.buffers) == 2
    check_invariants(p)
    typed = typed_region(named_read_again, np.ones(3), np.ones(3), np.ones(3))
    p = plan(typed, shapes_of(typed, a=(N,), b=(N,), c=(N,)))
    assert p.peak_bytes_without_reuse == p.peak_bytes_with_reuse == 3 * F8
    assert len(p.buffers) == 3
    check_invariants(p)


def through_a_view(a):
    return ((((a * 2.0).T + 1.0) * 3.0) - 4.0).sum()


def test_a_view_extends_its_source_and_takes_no_buffer():
    # (1000, 1000) float64: 8e6 B each.  t1 = a*2 is read only through the view
    # v = t1.T, which the add reads: t1 lives until the add, so t2 = v+1 must not
    # take t1's buffer (it would, if the view were ignored: t1's last direct use
    # is the .T).  t3 = t2*3 starts after t1 died: t1's buffer.  t4 = t3-4
    # starts after t2 died: t2's buffer.  4 arrays, 2 buffers: 32e6 B vs 16e6 B.
    typed = typed_region(through_a_view, np.ones((2, 2)))
    p = plan(typed, shapes_of(typed, a=(1000, 1000)))
    t1, t3 = arrays(typed, "mul")
    [t2] = arrays(typed, "add")
    [t4] = arrays(typed, "sub")
    [view] = arrays(typed, "attr.T")
    assert view not in p.assignment and p.aliases[view] == {t1}
    assert p.assignment[t2] is not p.assignment[t1]
    assert p.assignment[t3] is p.assignment[t1]
    assert p.assignment[t4] is p.assignment[t2]
    assert p.peak_bytes_without_reuse == 4 * 8_000_000
    assert p.peak_bytes_with_reuse == 2 * 8_000_000
    check_invariants(p)


def returned(a):
    return ((a * 2.0) + 1.0) * 3.0


def test_a_live_out_gets_a_buffer_of_its_own():
    # t1 dies at the add, so t3 could take its buffer, but t3 is returned: handed
    # to CPython, it is never shared.  3 buffers; t1 and t2 overlap anyway.
    typed = typed_region(returned, np.ones(3))
    p = plan(typed, shapes_of(typed, a=(N,)))
    t1, t3 = arrays(typed, "mul")
    assert p.assignment[t3].reason == "live-out"
    assert p.assignment[t3] is not p.assignment[t1]
    assert p.peak_bytes_with_reuse == p.peak_bytes_without_reuse == 3 * F8
    check_invariants(p)


def updated(a):
    return (((a * 2.0) + 1.0) * 3.0).sum() + np.sum(a)


def inplace(a):
    t = a * 2.0
    t += 1.0
    u = np.sqrt(a)
    return u.sum() + t.sum()


def test_mutated_arrays_are_not_shared_and_inplace_results_alias():
    typed = typed_region(inplace, np.ones(3))
    p = plan(typed, shapes_of(typed, a=(N,)))
    [t] = arrays(typed, "mul")
    [t_after] = arrays(typed, "iadd")
    assert t_after not in p.assignment and p.aliases[t_after] == {t}
    assert p.assignment[t].reason == "mutated"
    check_invariants(p)


def loop_temporaries(a, n):
    s = 0.0
    for i in range(n):
        s += (((a * 2.0) + 1.0) * 3.0).sum()
    return s


def test_temporaries_inside_a_loop_are_reused_within_an_iteration():
    # Per iteration: t1 = a*2 (dies at the add), t2 = t1+1 (dies at the mul),
    # t3 = t2*3 (dies at the sum).  None is read in the next iteration, so as in
    # straight-line code t3 takes t1's buffer: 3 x 800 B without reuse, 2 x 800 with.
    typed = typed_region(loop_temporaries, np.ones(3), 5)
    p = plan(typed, shapes_of(typed, a=(100,)))
    t1, t3 = arrays(typed, "mul")
    assert p.assignment[t3] is p.assignment[t1]
    assert (p.peak_bytes_without_reuse, p.peak_bytes_with_reuse) == (2400, 1600)
    check_invariants(p)


def loop_invariant_operand(a, n):
    s = 0.0
    b = a * 2.0
    for i in range(n):
        s += (((b + 1.0) * 3.0) - 4.0).sum()
    return s


def test_a_value_used_in_a_loop_is_live_over_the_whole_loop():
    # b is defined before the loop and read in every iteration: the back edge keeps
    # it live over the loop, so the loop's temporaries never take its buffer.
    # t1 = b+1, t2 = t1*3, t3 = t2-4: t3 takes t1's buffer.
    typed = typed_region(loop_invariant_operand, np.ones(3), 5)
    p = plan(typed, shapes_of(typed, a=(100,)))
    b, t2 = arrays(typed, "mul")
    [t1] = arrays(typed, "add")
    [t3] = arrays(typed, "sub")
    assert p.live[b][0] < p.live[t1][0] and p.live[b][1] > p.live[t3][1]
    assert p.assignment[t3] is p.assignment[t1]
    assert p.assignment[b] not in (p.assignment[t1], p.assignment[t2])
    assert p.peak_bytes_with_reuse == 3 * 800
    check_invariants(p)


def loop_carried(a, n):
    s = 0.0
    for i in range(n):
        x = a * 2.0
        s += x.sum()
    return s


def carried_on(a, n):
    s = 0.0
    x = a * 1.0
    for i in range(n):
        y = x * 2.0
        s += x.sum()   # the previous iteration's value, read after y is made
        x = y
    return s


def test_a_value_still_live_from_the_previous_iteration_counts_twice():
    # y of one iteration is x of the next, read after the next y is made: old
    # and new exist at once.  In loop_carried, x is dead at the resume exit of
    # `x = a * 2.0` (written before it is read again), so it is not carried.
    typed = typed_region(carried_on, np.ones(3), 5)
    p = plan(typed, shapes_of(typed, a=(100,)))
    _, y = arrays(typed, "mul")
    assert p.assignment[y].reason == "loop-carried"
    assert p.max_live_bytes == 2400   # a * 1.0, and y of two iterations
    typed = typed_region(loop_carried, np.ones(3), 5)
    p = plan(typed, shapes_of(typed, a=(100,)))
    [x] = arrays(typed, "mul")
    assert p.assignment[x].reason != "loop-carried"
    assert p.peak_bytes_with_reuse == p.max_live_bytes == 800


def test_symbolic_sizes_share_only_equal_monomials():
    # No shapes: a is (a.0,), every temporary 8*a.0 bytes; the plan is the same
    # as with concrete shapes and its figures are polynomials in a.0.
    typed = typed_region(loop_temporaries, np.ones(3), 5)
    p = plan(typed)
    t1, t3 = arrays(typed, "mul")
    assert p.sizes[t1] == Size(8, (Sym("a.0"),))
    assert p.assignment[t3] is p.assignment[t1]
    assert isinstance(p.peak_bytes_with_reuse, Bytes)
    assert str(p.peak_bytes_with_reuse) == "16*a.0"
    assert p.peak_bytes_with_reuse.evaluate({"a.0": 100}) == 1600
    assert p.max_live_bytes is None


def test_broadcast_sizes_are_symbolic_maxima():
    typed = typed_region(chain, np.ones(3), np.ones(3), np.ones(3))
    p = plan(typed)
    t1, t3 = arrays(typed, "mul")
    # a*b has max(a.0, b.0) elements; (a*b+c)*2 has max(a.0, b.0, c.0): not
    # comparable, so t3 does not take t1's buffer.
    assert str(p.sizes[t1]) == "8*max(a.0,b.0)"
    assert p.assignment[t3] is not p.assignment[t1]
    env = {"a.0": 10, "b.0": 1, "c.0": 10}
    assert p.peak_bytes_with_reuse.evaluate(env) == 3 * 80


def test_unknown_sizes_get_their_own_buffers():
    typed = typed_region(chain, np.ones(3), np.ones(3), np.ones(3))
    p = plan(typed, [None, None, None])
    assert len(p.unknown) == 3 and all(b.reason == "unknown size" for b in p.buffers)
    assert p.peak_bytes_without_reuse == p.peak_bytes_with_reuse == 0


@pytest.mark.parametrize("fn,args", [
    (chain, (np.ones(3),) * 3), (named, (np.ones(3),) * 3),
    (through_a_view, (np.ones((2, 2)),)), (updated, (np.ones(3),)),
    (loop_temporaries, (np.ones(3), 5)), (loop_invariant_operand, (np.ones(3), 5)),
])
def test_every_plan_keeps_its_invariants(fn, args):
    typed = typed_region(fn, *args)
    shapes = [a.shape if isinstance(a, np.ndarray) else None
              for a in (dict(zip(fn.__code__.co_varnames, args)).get(li.name)
                        for li in typed.inputs)]
    for s in (shapes, None):
        p = plan(typed, s)
        check_invariants(p)
        allocated = {n.out for n in typed.nodes() if isinstance(n.out.type, Array)
                     and n.op != "const" and p.aliases[n.out] == {n.out}}
        assert set(p.assignment) == allocated
