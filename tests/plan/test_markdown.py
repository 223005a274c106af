"""``plan --markdown`` fits one pull-request comment: marker, headline, drift and destructive
changes first, diffs folded, and never over the size limit however large the plan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faborite.plan.drift import Drift
from faborite.plan.markdown import COMMENT_LIMIT, DIFF_LINES, marker, plan_to_markdown
from faborite.plan.model import Action, Change, Plan, Reason
from tests.apply.helpers import workspace
from tests.cli.conftest import run_in_process

GITHUB_LIMIT = 65_536


@pytest.fixture
def base(demo: Path) -> Plan:
    return workspace(demo).plan(refresh=False)


def _change(name: str, action: Action, *, category=None, reason="sql_changed", diff: str | None = None,
            old_relation: str | None = None, column_losses: tuple[str, ...] = ()) -> Change:
    return Change(node_id=f"model.{name}", name=name, kind="model", relation=f"main.{name}", materialized="table",
                  action=action, category=category, reasons=(Reason(code=reason, detail=f"{reason} of {name}"),),
                  sql_diff=diff, old_relation=old_relation, rebuild=action in (Action.CREATE, Action.REPLACE),
                  column_losses=column_losses)


def _plan(base: Plan, changes: list[Change], drift: tuple[Drift, ...] = ()) -> Plan:
    return base.model_copy(update={"changes": tuple(changes), "drift": drift, "lineage": "ab" * 16, "serial": 4,
                                   "refreshed": True})


def test_drift_then_destructive_then_the_rest_then_diffs(base: Plan) -> None:
    changes = [
        _change("fresh", Action.CREATE, category="breaking", reason="new", diff="+select 1"),
        _change("widened", Action.REPLACE, category="non-breaking", diff="-select 1\n+select 1, 2"),
        _change("rewritten", Action.REPLACE, category="breaking", diff="-select 1\n+select 2",
                column_losses=("total dropped",)),
        _change("reshaped", Action.REPLACE, category="breaking", diff="-select 1\n+select 3"),
        _change("renamed", Action.REPLACE, category="non-breaking", old_relation="main.old_name"),
        _change("described", Action.UPDATE, category="metadata-only", reason="metadata_changed"),
        _change("repaired", Action.REPLACE, category="breaking", reason="drift"),
        _change("gone", Action.DELETE, reason="removed"),
    ]
    drift = (Drift(node_id="model.repaired", relation="main.repaired", kind="version_missing",
                   detail="its physical relation is missing"),)
    text = plan_to_markdown(_plan(base, changes, drift))
    lines = text.splitlines()
    assert lines[0] == marker("dev") == "<!-- faborite-plan:dev -->"
    assert lines[1] == "### faborite plan for `dev`: 1 to create, 5 to replace, 1 to update, 1 to delete"
    assert ":warning: **3 destructive**" in text and "**1 changed outside faborite**" in text
    assert "Against state serial 4 (lineage `abababab`)" in text

    def at(needle: str) -> int:
        assert needle in text, needle
        return text.index(needle)

    assert at("Changed outside faborite") < at("`repaired`") < at("Destructive changes") < at("`gone`") \
        < at("`rewritten`") < at("`renamed`") < at("#### Changes") < at("`fresh`")
    destructive = text[at("Destructive changes"):at("#### Changes")]
    assert all(f"`{name}`" in destructive for name in ("gone", "rewritten", "renamed"))
    # a breaking replace that keeps every published column is not destructive
    assert all(f"`{name}`" not in destructive for name in ("fresh", "widened", "described", "repaired", "reshaped"))
    assert "`main.old_name` → `main.renamed`" in destructive
    # deletes lead the destructive table
    assert destructive.index("`gone`") < destructive.index("`rewritten`")
    # diffs last, folded, destructive first
    diffs = text[at("<details>"):]
    assert "#### Changes" not in diffs and diffs.count("<details>") == 4
    assert diffs.index("rewritten (replace, destructive)") < diffs.index("fresh (create)")


def test_no_changes_says_so(base: Plan) -> None:
    text = plan_to_markdown(_plan(base, [_change("same", Action.NOOP)]))
    assert text.splitlines()[1] == "### faborite plan for `dev`: no changes"
    assert "No changes. The target matches the project." in text and "<details>" not in text


def test_a_huge_plan_is_cut_with_counts_and_stays_under_the_limit(base: Plan) -> None:
    diff = "\n".join(f"+    column_{i} as c{i}," for i in range(50))
    changes = [_change(f"model_{i:05d}", Action.REPLACE if i % 3 else Action.DELETE, category="breaking",
                       reason="sql_changed" if i % 3 else "removed", diff=diff if i % 3 else None)
               for i in range(6_000)]
    changes += [_change(f"new_{i:05d}", Action.CREATE, reason="new", diff="+select 1") for i in range(4_000)]
    drift = tuple(Drift(node_id=f"model.lost_{i}", relation=f"main.lost_{i}", kind="unpublished",
                        detail="its published relation is missing") for i in range(3_000))
    text = plan_to_markdown(_plan(base, changes, drift))
    assert len(text.encode("utf-8")) <= COMMENT_LIMIT < GITHUB_LIMIT
    assert text.splitlines()[1].endswith("4000 to create, 4000 to replace, 0 to update, 2000 to delete")
    shown_drift = text.count("- `model.lost_")
    assert f"... and {3_000 - shown_drift} more drifted nodes" in text
    # Every section says how many rows it left out; together with the rows shown, all are accounted for.
    left_out = sum(int(n) for n in re.findall(r"\.\.\. and (\d+) more changes", text))
    left_out += sum(int(n) for n in re.findall(r"\.\.\. (\d+) changes not shown", text))
    rows = len(re.findall(r"^\| `(?:-/\+|-|\+|~)` \|", text, flags=re.MULTILINE))
    assert rows + left_out == 10_000


def test_every_size_of_plan_fits(base: Plan) -> None:
    big_diff = "\n".join(f"+ select '{'x' * 300}' as v{i}" for i in range(DIFF_LINES * 2))
    for count in (1, 10, 100, 1_000):
        changes = [_change(f"m{i}", Action.REPLACE, category="breaking", diff=big_diff) for i in range(count)]
        text = plan_to_markdown(_plan(base, changes))
        assert len(text.encode("utf-8")) <= COMMENT_LIMIT
        assert text.count("<details>") == text.count("</details>") >= 1
        assert re.search(r"\.\.\. \(\d+ more lines\)", text)


def test_a_diff_with_backticks_cannot_close_its_fence(base: Plan) -> None:
    diff = "-select '```' as fence\n+select '````' as longer"
    text = plan_to_markdown(_plan(base, [_change("ticks", Action.REPLACE, category="breaking", diff=diff)]))
    assert "`````diff\n" + diff + "\n`````" in text


def test_pipes_in_reasons_do_not_break_the_table(base: Plan) -> None:
    change = _change("piped", Action.UPDATE, category="metadata-only").model_copy(
        update={"reasons": (Reason(code="metadata_changed", detail="a | b\nc"),)})
    text = plan_to_markdown(_plan(base, [change]))
    assert "| a \\| b c |" in text


def test_plan_and_show_print_it(capsys, demo: Path) -> None:
    saved = demo / "p.json"
    planned = run_in_process(capsys, "plan", "--project-dir", str(demo), "--markdown", "-out", str(saved))
    assert planned.code == 0, planned.output
    assert planned.out.startswith("<!-- faborite-plan:dev -->\n### faborite plan for `dev`: 8 to create")
    shown = run_in_process(capsys, "show", "--project-dir", str(demo), "--markdown", str(saved))
    assert shown.code == 0 and shown.out.startswith("<!-- faborite-plan:dev -->")
