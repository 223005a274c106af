"""dbt compatibility.

Reading a dbt project in place: a folder with ``dbt_project.yml`` and no
``faborite.yml`` is translated, on load, into the same typed
:class:`faborite.config.loader.Project` a native project gives; nothing is written
into the folder but faborite's own ``.faborite/`` (state, caches). One module per
idea: the project file (:mod:`.project`), profiles (:mod:`.profiles`), properties
tolerance (:mod:`.properties`), tests (:mod:`.tests`), packages (:mod:`.packages`).

Jinja as dbt has it: the context dbt projects expect (:mod:`.context`,
:mod:`.macros`, :mod:`.relation`, :mod:`.queries`), its cross-database macros
(:mod:`.cross_db`), fallbacks for widely used dbt_utils macros (:mod:`.dbt_utils`),
and dbt's schema and alias naming hooks (:mod:`.schema_names`). Nothing of these is
imported on the static render path (a model whose tags are only
``ref``/``source``/``var``/``config`` calls): they load when the Jinja environment
is first built.
"""
