import ast
import textwrap

from pounce.runner.loader import parse_entrypoint, transform_source


def unparse(src: str) -> str:
    return ast.unparse(transform_source(textwrap.dedent(src)))


def test_module_level_calls_untouched():
    out = unparse(
        """
        import os
        TOKEN = os.getenv('TOKEN')
        setup(1, k=2)
        f = lambda: urlopen('x')
        """
    )
    assert "_pounce_call" not in out
    assert "TOKEN = os.getenv('TOKEN')" in out


def test_calls_in_functions_are_routed():
    out = unparse(
        """
        def handler(event):
            n = random.randrange(10, step=2)
            return urlopen(f'{n}', *a, **kw)
        """
    )
    assert "n = _pounce_call(random.randrange, 10, step=2)" in out
    assert "return _pounce_call(urlopen, f'{n}', *a, **kw)" in out


def test_builtins_untouched():
    out = unparse(
        """
        def handler(event):
            print(len(event), range(3), isinstance(event, dict))
            raise ValueError(str(event))
        """
    )
    assert "_pounce_call" not in out


def test_nested_calls_and_methods():
    out = unparse(
        """
        def h(e):
            return json.dumps(e.data.get('x', default()))
        """
    )
    assert out.splitlines()[-1].strip() == (
        "return _pounce_call(json.dumps, _pounce_call(e.data.get, 'x', _pounce_call(default)))"
    )


def test_awaited_calls_use_async_gate():
    out = unparse(
        """
        async def h(e):
            v = await act(2)
            w = await client.fetch(url(1))
            return await asyncio.gather(*tasks)
        """
    )
    assert "v = await _pounce_acall(act, 2)" in out
    assert "w = await _pounce_acall(client.fetch, _pounce_call(url, 1))" in out
    assert "return await _pounce_acall(asyncio.gather, *tasks)" in out


def test_class_bodies_and_methods_routed_but_top_level_decorators_not():
    out = unparse(
        """
        @decorate(1)
        def f(x=default()):
            pass

        class C(Base(1)):
            attr = compute()

            def m(self):
                return super().m() + other()
        """
    )
    assert "@decorate(1)" in out
    assert "def f(x=default()):" in out
    assert "class C(Base(1)):" in out
    assert "attr = _pounce_call(compute)" in out
    assert "_pounce_call(super().m)" in out
    assert "_pounce_call(other)" in out


def test_nested_def_decorators_are_routed():
    out = unparse(
        """
        def outer():
            @wrap(1)
            def inner():
                return g()
            return inner
        """
    )
    assert "@_pounce_call(wrap, 1)" in out
    assert "return _pounce_call(g)" in out


def test_line_numbers_kept():
    tree = transform_source("x = 1\n\ndef f():\n    return g(1)\n")
    call = tree.body[1].body[0].value
    assert call.func.id == "_pounce_call"
    assert call.lineno == 4


def test_parse_entrypoint():
    assert parse_entrypoint("handler.py:on_event") == ("handler", "on_event")
    assert parse_entrypoint("handler.py on_event") == ("handler", "on_event")
    assert parse_entrypoint("./sub/handler.py:f") == ("sub.handler", "f")
