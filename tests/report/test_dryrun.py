"""pyjit.dryrun and pyjit.spec: regions, breaks, op counts, flops and memory
figures of a call, computed without making it; and the shape propagation
(pyjit/report/shapes.py) the figures rest on."""
import json

import numpy as np
import pytest

import pyjit
from pyjit.config import Options
from pyjit.frontend.analyze import analyze
from pyjit.ir.infer import infer
from pyjit.ir.types import Array, typeof
from pyjit.report.dryrun import UNKNOWN_TYPES
from pyjit.report.shapes import Sym, propagate

CALLS = []


def tick():
    CALLS.append(1)


def expr(a, b, c):
    return np.sqrt(a * a + b * b) * np.exp(-c) + 0.5 * a


def test_memory_matches_the_hand_computed_plan():
    # Over three float64 arrays of 1000 elements every temporary is 8000 B.
    # In evaluation order, with [first, last] the positions where each is live:
    #   t1 = a*a [1,3]   t2 = b*b [2,3]   t3 = t1+t2 [3,4]   t4 = sqrt(t3) [4,7]
    #   t5 = -c [5,6]    t6 = exp(t5) [6,7]   t7 = t4*t6 [7,9]   t8 = 0.5*a [8,9]
    #   t9 = t7+t8, returned (a live-out: a buffer of its own).
    # Greedy, each value into the lowest free buffer whose occupant died before:
    #   B0: t1, t4, t8   B1: t2, t5, t7   B2: t3, t6   B3: t9
    # Without reuse 9 x 8000 = 72,000 B; with reuse 4 x 8000 = 32,000 B;
    # at most 3 arrays live at once (t1 t2 t3, t4 t6 t7, t7 t8 t9): 24,000 B.
    s = pyjit.spec((1000,), np.float64)
    d = pyjit.dryrun(expr, s, s, s)
    [r] = d.regions
    assert r.status == "compiled"
    assert d.peak_bytes_without_reuse == 72_000
    assert d.peak_bytes_with_reuse == 32_000
    assert r.plan.max_live_bytes == 24_000
    assert len(r.plan.buffers) == 4
    assert sorted(len(b.occupants) for b in r.plan.buffers) == [1, 2, 3, 3]
    assert "72,000 B without reuse, 32,000 B with reuse" in str(d)


def test_op_counts_and_flops():
    s = pyjit.spec((1000,))
    d = pyjit.dryrun(expr, s, s, s)
    assert d.op_counts == {"add": 2, "mul": 4, "neg": 1, "np.exp": 1, "np.sqrt": 1}
    assert d.flops == 9 * 1000        # nine elementwise float ops of 1000 elements


def products(a, b):
    return (a @ b).sum(axis=0)


def test_matmul_flops_are_2mnk():
    # (30, 20) @ (20, 10): 2*30*10*20 = 12,000; its column sums read 300 elements.
    d = pyjit.dryrun(products, pyjit.spec((30, 20)), pyjit.spec((20, 10)))
    assert d.flops == 2 * 30 * 10 * 20 + 30 * 10
    [r] = d.regions
    sizes = sorted(s.coef for s in r.plan.sizes.values())
    assert sizes == [10 * 8, 30 * 10 * 8]


def loop(a, n):
    s = 0.0
    for i in range(n):
        s += (a * 2.0).sum()
    return s


def test_flops_in_a_range_loop_count_each_iteration():
    # per iteration: a*2.0 (100) + its sum (100) + s += (1 float op) = 201; 7 trips.
    d = pyjit.dryrun(loop, pyjit.spec(100), 7)
    [r] = d.regions
    assert r.loops == [(r.loops[0][0], 7)] and not r.flops_per_iteration
    assert d.flops == 7 * 201


def unknown_trips(a, x):
    s = 0.0
    for i in range(int(x)):
        s += (a * 2.0).sum()
    return s


def test_a_loop_of_unknown_trip_count_reports_per_iteration():
    d = pyjit.dryrun(unknown_trips, pyjit.spec(100), 3.0)
    [r] = d.regions
    assert r.flops_per_iteration and d.flops == 201
    assert "per iteration" in str(d)


def with_breaks(a):
    b = a * 2.0
    print(b)
    c = b + 1.0
    return c


def test_breaks_and_regions_known_only_by_running():
    d = pyjit.dryrun(with_breaks, pyjit.spec((10,)))
    [brk] = d.breaks
    line = with_breaks.__code__.co_firstlineno + 2
    assert brk.code == "PJ0001" and brk.lineno == line and "print" in brk.detail
    first, second = d.regions
    assert first.status == "compiled" and first.plan.peak_bytes_without_reuse == 80
    # b is a local computed by the first region: the second region's types are
    # only known by running the function.
    assert second.status == UNKNOWN_TYPES and second.unknown_live_ins == ["b"]
    text = str(d)
    assert f":{line}: PJ0001" in text and "types unknown without running" in text


def effects(a, n):
    tick()
    s = 0.0
    for i in range(n):
        s += a[i]
    tick()
    return s


def test_the_function_is_not_executed():
    CALLS.clear()
    d = pyjit.dryrun(effects, np.arange(5.0), 5)
    assert CALLS == []
    # tick() is inlined: the break is the list.append inside it, at its line
    assert [(b.inlined_from, b.lineno) for b in d.breaks] == \
        [(("tick",), tick.__code__.co_firstlineno + 1)] * 2
    assert "(inlined from tick)" in str(d)
    assert d.regions[0].status == "compiled"
    assert pyjit.jit(effects)(np.arange(5.0), 5) == 10.0 and CALLS == [1, 1]


def test_spec_and_real_arrays_agree():
    a, b = np.ones((40, 30)), np.ones((30, 20))
    real = pyjit.dryrun(products, a, b).to_dict()
    placeholder = pyjit.dryrun(products, pyjit.spec(a.shape), pyjit.spec(b.shape)).to_dict()
    real.pop("arguments"), placeholder.pop("arguments")
    assert real == placeholder
    assert real["flops"] == 2 * 40 * 20 * 30 + 40 * 20


def test_a_type_the_region_rejects_is_reported_eager():
    d = pyjit.dryrun(expr, pyjit.spec(3, np.float64), 2, 3)
    assert d.regions[0].status == "compiled"
    d = pyjit.dryrun(loop, pyjit.spec(3), "x")
    assert d.regions[0].status == "eager" and "PJ0006" in d.regions[0].detail


def defaults(a, scale=2.0, *, n=3):
    s = 0.0
    for i in range(n):
        s += (a * scale).sum()
    return s


def test_keyword_arguments_defaults_and_jitted_functions():
    d = pyjit.dryrun(defaults, pyjit.spec(10), n=4)
    assert d.flops == 4 * (10 + 10 + 1)
    jitted = pyjit.jit(defaults)
    assert pyjit.dryrun(jitted, pyjit.spec(10), n=4).to_dict() == d.to_dict()


WEIGHTS = np.ones(50)


def uses_global(a):
    return (a * WEIGHTS).sum()


def make_closure():
    k = np.ones(50)

    def inner(a):
        return (a + k).sum()
    return inner


def test_globals_and_closure_variables_are_read_not_run():
    # a * WEIGHTS: 50 multiplies and 50 adds in the sum; one 400 B temporary
    for fn in (uses_global, make_closure()):
        d = pyjit.dryrun(fn, pyjit.spec(50))
        assert (d.flops, d.peak_bytes_with_reuse) == (100, 400)
    with pytest.raises(TypeError):
        pyjit.dryrun(len, [1])


def test_to_dict_is_json_ready_and_spec_validates():
    d = pyjit.dryrun(with_breaks, pyjit.spec((10,), "f4"))
    back = json.loads(json.dumps(d.to_dict()))
    assert back["breaks"][0]["code"] == "PJ0001"
    assert back["regions"][0]["memory"]["bytes_without_reuse"] == 40
    assert repr(pyjit.spec((3, 4), "f4")) == "spec((3, 4), float32)"
    with pytest.raises(TypeError):
        pyjit.spec(3, object)


# --- shape propagation --------------------------------------------------------

def typed_region(fn, *args):
    graph = analyze(fn, Options()).regions[0].graph
    values = dict(zip(fn.__code__.co_varnames, args))
    typed = infer(graph, [typeof(li.static) if li.is_static else typeof(values[li.name])
                          for li in graph.inputs])
    shapes = [getattr(values.get(li.name), "shape", None) for li in typed.inputs]
    static = [values.get(li.name) if type(values.get(li.name)) is int else None
              for li in typed.inputs]
    return typed, shapes, static


def result_shapes(fn, *args, symbolic=False):
    """The shape of every array a node of ``fn``'s first region computes."""
    typed, shapes, static = typed_region(fn, *args)
    facts = propagate(typed, None if symbolic else shapes, static)
    return [facts.shape(n.out) for n in typed.nodes() if isinstance(n.out.type, Array)]


def many(a, b, n):
    z = np.zeros((a.shape[0], n))
    return (a.sum(axis=1), a.T, a[1:, None, ::2], a.reshape(-1, 2), z, a @ b, a + b.T[0],
            np.arange(n), a.mean(axis=0, keepdims=True), np.cumsum(a), a.ravel())


def test_shapes_of_common_ops():
    got = result_shapes(many, np.ones((6, 4)), np.ones((4, 5)), 7)
    # in node order: z, sum, a.T, a[1:, None, ::2], reshape, @, b.T, b.T[0], +,
    # arange, mean, cumsum, ravel
    assert got == [(6, 7), (6,), (4, 6), (5, 1, 2), (12, 2), (6, 5), (5, 4), (4,), (6, 4),
                   (7,), (1, 4), (24,), (24,)]


def symbolic(a, b):
    return (a * b[None, :]).sum(axis=0), a.T


def test_symbolic_shapes_name_the_input_axes():
    got = result_shapes(symbolic, np.ones((6, 4)), np.ones(4), symbolic=True)
    a0, a1, b0 = Sym("a.0"), Sym("a.1"), Sym("b.0")
    both = Sym("max(a.1,b.0)", (a1, b0))
    assert got == [(1, b0), (a0, both), (both,), (a1, a0)]
    assert both.evaluate({"a.1": 4, "b.0": 1}) == 4


def joins(a, n):
    x = a
    for i in range(n):
        x = x[1:]
    return x + 1.0


def test_a_shape_changing_in_a_loop_is_unknown():
    got = result_shapes(joins, np.ones(10), 3)
    assert got[-1] == (None,)
