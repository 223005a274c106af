"""How edits turn into changes: additive, breaking, metadata-only, delete."""

from __future__ import annotations

from pathlib import Path

from faborite.plan.model import Action
from tests.apply.helpers import apply, edit, physical_relations, published, workspace


def _changes(root: Path) -> dict[str, tuple[str, bool, str | None]]:
    plan = workspace(root).plan()
    return {c.name: (c.action.value, c.rebuild, c.category) for c in plan.changes}


def test_adding_a_column_rebuilds_only_that_model(demo: Path) -> None:
    apply(demo)
    before = workspace(demo).state()
    edit(demo / "models/marts/customers.sql", "c.country,\n", "c.country,\n    c.signed_up_at,\n")
    edit(demo / "models/marts/customers.sql", "group by c.id, c.name, c.country", "group by c.id, c.name, c.country, c.signed_up_at")
    changes = _changes(demo)
    # Adding a group-by key can change rows, so this one is breaking; a pure projection is not.
    assert changes["customers"][2] == "breaking"

    edit(demo / "models/marts/customers.sql", "    c.signed_up_at,\n", "")
    edit(demo / "models/marts/customers.sql", ", c.signed_up_at", "")
    edit(demo / "models/marts/customers.sql", "    c.country,\n", "    c.country,\n    upper(c.country) as country_code,\n")
    edit(demo / "models/marts/customers.sql", "group by c.id, c.name, c.country", "group by c.id, c.name, c.country, upper(c.country)")
    changes = _changes(demo)
    assert changes["customers"][2] == "breaking"  # the GROUP BY changed too

    # A plain additive edit on a table with a table child.
    edit(demo / "models/marts/customers.sql", "    upper(c.country) as country_code,\n", "")
    edit(demo / "models/marts/customers.sql", ", upper(c.country)", "")
    edit(demo / "models/marts/customers.sql", "coalesce(sum(o.amount), 0) as lifetime_value",
         "coalesce(sum(o.amount), 0) as lifetime_value,\n    max(o.ordered_at) as last_order_at")
    changes = _changes(demo)
    assert changes["customers"] == ("replace", True, "non-breaking")
    assert changes["customer_segments"][0] == "no-op" and changes["customer_segments"][1] is False
    assert {name for name, c in changes.items() if c[1]} == {"customers"}

    _, ctx = apply(demo)
    after = ctx.new_state
    assert after.nodes["model.customer_segments"].physical == before.nodes["model.customer_segments"].physical
    assert after.nodes["model.customers"].physical != before.nodes["model.customers"].physical
    assert not workspace(demo).plan().has_changes


def test_changing_logic_rebuilds_descendants(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/staging/stg_orders.sql", "where cast(ordered_at as date)", "where status <> 'placed' and cast(ordered_at as date)")
    changes = _changes(demo)
    rebuilt = {name for name, c in changes.items() if c[1]}
    assert rebuilt == {"stg_orders", "orders", "customers", "customer_segments", "daily_revenue"}
    assert changes["stg_orders"] == ("replace", True, "breaking")
    assert changes["customer_segments"][0] == "replace"
    assert changes["stg_customers"][0] == "no-op"
    plan = workspace(demo).plan()
    reasons = {c.name: [r.code for r in c.reasons] for c in plan.changes}
    assert reasons["stg_orders"] == ["sql_changed"] and reasons["orders"] == ["upstream_changed"]
    apply(demo)
    assert [107] not in published(demo)["main.orders"]
    assert all(row[0] != 107 for row in published(demo)["main.orders"])


def test_editing_a_description_rebuilds_nothing(demo: Path) -> None:
    apply(demo)
    physical = physical_relations(demo)
    edit(demo / "models/marts/schema.yml", "Orders with the customer's name.", "Every order, with who placed it.")
    plan = workspace(demo).plan()
    visible = plan.visible_changes()
    assert [(c.name, c.action, c.category, c.rebuild) for c in visible] == [("orders", Action.UPDATE, "metadata-only", False)]
    _, ctx = apply(demo)
    assert physical_relations(demo) == physical
    assert ctx.built == {}
    assert not workspace(demo).plan().has_changes


def test_removed_model_is_deleted_from_the_virtual_layer(demo: Path) -> None:
    apply(demo)
    (demo / "models/marts/customer_segments.sql").unlink()
    edit(demo / "models/marts/schema.yml", "  - name: customer_segments\n", "  - name: customer_segments_gone\n")
    plan = workspace(demo).plan()
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    assert [(c.name, c.reasons[0].code) for c in deletes] == [("customer_segments", "removed")]
    apply(demo)
    assert "main.customer_segments" not in published(demo)
    assert not workspace(demo).plan().has_changes


def test_reverting_an_edit_reuses_the_built_version(demo: Path) -> None:
    apply(demo)
    edit(demo / "models/marts/daily_revenue.sql", "count(*) as orders", "count(*) as order_count")
    apply(demo)
    edit(demo / "models/marts/daily_revenue.sql", "count(*) as order_count", "count(*) as orders")
    events = []
    ws = workspace(demo)
    ws.apply(ws.plan(), on_event=events.append, allow_destructive=True)
    reused = [e.node for e in events if e.kind == "node_reused"]
    assert reused == ["model.daily_revenue"]
