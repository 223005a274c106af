"""The plan as text: Terraform-like lines, styled on a terminal and plain elsewhere (the same text)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from faborite.plan.model import Action, Change, Plan, Reason
from faborite.plan.render import _print_lines, render_plan
from tests.apply.helpers import workspace

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, color_system=None, no_color=True, highlight=False, soft_wrap=True), out


def _rich_path(lines) -> str:
    """What rich itself prints for ``lines`` on a console without styles (``record`` takes that path)."""
    out = io.StringIO()
    _print_lines(Console(file=out, color_system=None, no_color=True, highlight=False, soft_wrap=True, record=True),
                 lines)
    return out.getvalue()


_pieces = st.lists(st.tuples(st.text(max_size=12), st.sampled_from(["", "dim", "bold red", "green"])),
                   min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=6))
def test_plain_lines_are_what_rich_prints(lines) -> None:
    """Tabs, control codes, line breaks, wide characters and markup-like text included."""
    console, out = _plain_console()
    _print_lines(console, lines)
    assert out.getvalue() == _rich_path(lines)


@pytest.mark.parametrize("text", ["a\tb", "x\r\ny", "\x1b[31mred", "[bold]not markup[/]", "wide 表 ok", "tab\t\tend\t"])
def test_awkward_text_prints_as_rich_prints_it(text: str) -> None:
    lines = [[("  ", ""), (text, "dim")], [(text, "")]]
    console, out = _plain_console()
    _print_lines(console, lines)
    assert out.getvalue() == _rich_path(lines)


@pytest.fixture
def plan(demo: Path) -> Plan:
    base = workspace(demo).plan(refresh=False)
    changes = (
        Change(node_id="model.fresh", name="fresh", kind="model", relation="main.fresh", materialized="table",
               action=Action.CREATE, rebuild=True, reasons=(Reason(code="new", detail="new"),)),
        Change(node_id="model.orders", name="orders", kind="model", relation="main.orders", materialized="view",
               action=Action.REPLACE, rebuild=True, category="breaking",
               reasons=(Reason(code="sql_changed", detail="SQL changed [really]"),),
               sql_diff="--- orders (applied)\n+++ orders (planned)\n@@ -1 +1 @@\n-select 1\n+select 2"),
        Change(node_id="model.renamed", name="renamed", kind="model", relation="main.renamed", materialized="table",
               action=Action.REPLACE, moved_from="model.old_name",
               reasons=(Reason(code="moved", detail="moved from old_name"),)),
        Change(node_id="model.kept", name="kept", kind="model", relation="main.kept", materialized="table",
               action=Action.NOOP),
    )
    return base.model_copy(update={"changes": changes})


def test_a_plan_as_plain_text(plan: Plan) -> None:
    console, out = _plain_console()
    render_plan(plan, console)
    text = out.getvalue()
    assert "\x1b" not in text
    assert "    + model fresh  create  (table main.fresh)\n" in text
    assert ("  -/+ model orders  replace  (view main.orders)  [breaking]\n"
            "        because SQL changed [really]\n"
            "        --- orders (applied)\n        +++ orders (planned)\n        @@ -1 +1 @@\n"
            "        -select 1\n        +select 2\n") in text
    assert ("  -/+ model renamed  replace  (table main.renamed)\n"
            "        moved from old_name (0 builds: it keeps its built version)\n") in text
    assert "kept" not in text, "no-ops are not shown"
    assert "Plan: 1 to create, 2 to replace, 0 to update, 0 to delete." in text
    console, out = _plain_console()
    render_plan(plan, console, show_diff=False)  # --no-diff
    assert "because SQL changed [really]" in out.getvalue() and "-select 1" not in out.getvalue()


def test_a_terminal_gets_the_same_text_styled(plan: Plan) -> None:
    plain, out = _plain_console()
    render_plan(plan, plain)
    styled = io.StringIO()
    render_plan(plan, Console(file=styled, force_terminal=True, color_system="standard", highlight=False,
                              soft_wrap=True))
    assert "\x1b[" in styled.getvalue()
    assert _ANSI.sub("", styled.getvalue()) == out.getvalue()
