"""A huge line gives a readable message: quoted input is cut, with how much was left out.

A 2 MB line used to come back as a 2 MB error. Every FaboriteError now
shortens an over-long line of its message or hint (``readable_text``), and the
places that quote input cut the quote itself (``shorten_excerpt``), keeping its
start and end so the rest of the sentence survives.
"""

from __future__ import annotations

import pytest

from faborite.cli import main
from faborite.errors import ConfigError, readable_text, shorten_excerpt
from tests.config.projects import error_of, write

HUGE = 2_000_000


@pytest.mark.parametrize("rel, text, expected", [
    ("faborite.yml", "name: proj\nthreads: '{big}'\n", "invalid value for 'threads'"),
    ("faborite.yml", "name: proj\n? {big}\n: 1\n", "unknown key"),
    ("faborite.yml", "name: proj\nvars: {{a: '{big}\n", "invalid YAML"),
    ("models/x.sql", "select 1 as x,\n  {{{{ {big} }}}} as y\n", "is undefined"),
    ("models/x.sql", "select * from {{{{ ref('{big}') }}}}\n", "names no model or seed"),
    ("models/x.sql", "select 1 as x\n{{% if %}}{big}\n", "Jinja syntax error"),
    ("models/x.sql", "select 1 +\n from {big}(\n", "SQL syntax error"),
    ("models/x.sql", "select 1 as x, '{big}\n", "never closed"),
])
def test_a_two_megabyte_line_gives_a_short_message(proj, rel, text, expected):
    write(proj, rel, text.format(big="a" * HUGE))
    error = error_of(proj)
    assert expected in error.message, error.message[:300]
    assert error.file == rel and error.line is not None, str(error)[:300]
    assert len(str(error)) < 1500, f"{len(str(error)):,} characters"


def test_the_cli_prints_one_short_block(proj, capsys):
    write(proj, "models/x.sql", "select 1 as x,\n  {{ " + "b" * HUGE + " }} as y\n")
    with pytest.raises(SystemExit) as info:
        main(["--no-color", "--project-dir", str(proj), "validate"])
    err = capsys.readouterr().err
    assert info.value.code == 1 and len(err) < 1500, f"{len(err):,} characters"
    assert "models/x.sql:2:" in err and "more characters)" in err and "is undefined" in err


def test_shorten_excerpt_keeps_start_and_end():
    text = "start-" + "x" * 1000 + "-end"
    short = shorten_excerpt(text, 40)
    assert short.startswith("start-") and short.endswith("-end")
    assert "(970 more characters)" in short
    assert shorten_excerpt("short") == "short"


def test_long_lines_and_many_lines_are_cut_but_ordinary_messages_are_not():
    assert readable_text("a" * 900) == "a" * 900
    cut = readable_text("x" * 5000 + "\nsecond line")
    assert cut.endswith("\nsecond line") and "(4,800 more characters)" in cut
    many = readable_text("\n".join(f"line {i}" for i in range(1000)))
    assert many.count("\n") == 39 and many.endswith("(961 more lines)")


def test_a_hint_set_later_is_cut_too():
    error = ConfigError("m")
    error.hint = "h" * HUGE
    assert len(error.hint) < 300
