"""The frame-evaluation hook (runtime/_runtime.c) on its own: hand-written
replacement code served through it, on every CPython 3.11-3.13.

Each replacement has the original's arguments and free variables and computes
something visibly different, so a test can tell which code ran."""
import gc
import sys
import threading
import traceback

import pytest

from conftest import serving

pytestmark = pytest.mark.any_version


def plus1(x):
    return x + 1


def plus2(x):
    return x + 2


def kinds(a, /, b=2, *args, c, d=4, **kw):
    return ("orig", a, b, args, c, d, kw)


def kinds2(a, /, b=2, *args, c, d=4, **kw):
    return ("new", a, b, args, c, d, kw)


def test_replacement_runs_and_stops_after(rt):
    with serving(rt, {plus1: plus2.__code__}) as seen:
        assert rt.hook_installed()
        assert plus1(40) == 42
        assert plus1(40) == 42
    assert plus1(40) == 41
    assert not rt.hook_installed()
    assert seen.count(plus1) == 1  # the answer is cached per code object


def test_argument_kinds_are_bound_before_the_hook(rt):
    with serving(rt, {kinds: kinds2.__code__}):
        assert kinds(1, c=3) == ("new", 1, 2, (), 3, 4, {})
        assert kinds(1, 5, 6, 7, c=3, d=8, e=9) == ("new", 1, 5, (6, 7), 3, 8, {"e": 9})


def test_closures_and_cells(rt):
    def make(k):
        def f(x):
            return x + k

        def g(x):
            return x + 10 * k
        return f, g

    def cell_arg(x):
        def inner():
            return x
        return inner() + 1

    def cell_arg2(x):
        def inner():
            return x
        return inner() + 2

    f, g = make(3)
    f2, _ = make(5)
    with serving(rt, {f: g.__code__, cell_arg: cell_arg2.__code__}):
        assert f(1) == 31
        assert f2(1) == 51  # same code, its own closure
        assert cell_arg(1) == 3


def test_recursion_through_replaced_functions(rt):
    def down(n):
        return 0 if n == 0 else 1 + down(n - 1)

    def down2(n):
        return 0 if n == 0 else 2 + down(n - 1)

    with serving(rt, {down: down2.__code__}):
        assert down(400) == 800


def test_exceptions_and_tracebacks_keep_frames_alive(rt):
    def fails(x):
        y = x * 2
        raise ValueError(y)

    def fails2(x):
        y = x * 3
        raise ValueError(y)

    def caller(x):
        return fails(x)

    with serving(rt, {fails: fails2.__code__}):
        with pytest.raises(ValueError) as info:
            caller(7)
    assert info.value.args == (21,)
    tb = info.value.__traceback__
    frames = [f for f, _ in traceback.walk_tb(tb)]
    gc.collect()
    assert frames[-1].f_code is fails2.__code__  # the replacement ran, in its frame
    assert frames[-1].f_locals == {"x": 7, "y": 21}
    assert frames[-1].f_back is frames[-2]
    assert frames[-2].f_locals["x"] == 7
    assert traceback.extract_tb(tb)[-1].name == "fails2"


def test_frame_object_outlives_the_call(rt):
    def grab(x):
        return sys._getframe(), x

    def grab2(x):
        return sys._getframe(), x + 1

    with serving(rt, {grab: grab2.__code__}):
        frame, value = grab(1)
    gc.collect()
    assert value == 2 and frame.f_locals == {"x": 1} and frame.f_code is grab2.__code__


def test_callback_errors_propagate_and_leave_no_frame(rt):
    def boom(fn):
        if fn is plus1:
            raise KeyError("from the callback")

    previous = rt.set_thread_callback(boom, 424242)
    rt.hook_acquire()
    try:
        with pytest.raises(KeyError):
            plus1(1)
        with pytest.raises(KeyError):
            plus1(1)  # an error is not cached
    finally:
        rt.hook_release()
        rt.set_thread_callback(*previous)
    assert plus1(1) == 2


def test_incompatible_replacement_is_refused(rt):
    def two(x, y):
        return x + y

    with serving(rt, {plus1: two.__code__}):
        with pytest.raises(TypeError, match="arguments differ"):
            plus1(1)
    with pytest.raises(TypeError):
        rt.check_replacement(plus1.__code__, two.__code__)
    rt.check_replacement(plus1.__code__, plus2.__code__)


def test_generators_coroutines_module_bodies_untouched(rt):
    def gen(n):
        yield from range(n)

    def gen2(n):
        yield from range(2 * n)

    async def coro():
        return 1

    async def coro2():
        return 2

    with serving(rt, {gen: gen2.__code__, coro: coro2.__code__}) as seen:
        assert list(gen(3)) == [0, 1, 2]
        c = coro()
        with pytest.raises(StopIteration) as stop:
            c.send(None)
        assert stop.value.value == 1
        exec(compile("x = 1\nclass C:\n    y = 2\n", "<test>", "exec"), {})
        g = gen(2)
        next(g)
        with pytest.raises(ZeroDivisionError):
            g.throw(ZeroDivisionError)
    assert gen not in seen and coro not in seen


def test_no_room_in_the_data_stack_runs_the_original(rt):
    huge = plus2.__code__.replace(co_stacksize=1 << 20)  # larger than any data-stack chunk
    before = rt.stats()["no_room"]
    with serving(rt, {plus1: huge}):
        assert plus1(1) == 2
    assert rt.stats()["no_room"] == before + 1


def test_nested_captures_restore_the_outer_one(rt):
    with serving(rt, {plus1: plus2.__code__}):
        with serving(rt, {}):
            assert plus1(1) == 2
            assert rt.stats()["users"] == 2
        assert plus1(1) == 3
        assert rt.hook_installed()
    assert plus1(1) == 2


def test_pause_stops_interception_on_this_thread(rt):
    with serving(rt, {plus1: plus2.__code__}):
        state = rt.pause()
        try:
            assert plus1(1) == 2
        finally:
            rt.resume(state)
        assert plus1(1) == 3


def test_other_threads_are_not_intercepted(rt):
    out = {}

    def worker():
        out["other"] = plus1(1)

    with serving(rt, {plus1: plus2.__code__}):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        out["this"] = plus1(1)
    assert out == {"other": 2, "this": 3}


def test_eight_threads_each_with_a_capture(rt):
    errors = []
    barrier = threading.Barrier(8)

    def worker(k):
        try:
            barrier.wait()
            table = {plus1: plus2.__code__} if k % 2 else {}
            for _ in range(200):
                with serving(rt, table):
                    for i in range(50):
                        assert plus1(i) == i + (2 if k % 2 else 1)
                assert plus1(0) == 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
