"""dbt compatibility: the Jinja context dbt projects expect, its cross-database macros,
fallbacks for widely used dbt_utils macros, and dbt's schema and alias naming hooks.

Nothing here is imported on the static render path (a model whose tags are only
``ref``/``source``/``var``/``config`` calls): the modules load when the Jinja
environment is first built.
"""
