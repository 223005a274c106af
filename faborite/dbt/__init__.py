"""Reading a dbt project in place: ``dbt_project.yml``, ``profiles.yml``, dbt's properties and tests.

A folder with ``dbt_project.yml`` and no ``faborite.yml`` is translated, on
load, into the same typed :class:`faborite.config.loader.Project` a native
project gives; nothing is written into the folder but faborite's own
``.faborite/`` (state, caches). One module per idea: the project file
(:mod:`.project`), profiles (:mod:`.profiles`), properties tolerance
(:mod:`.properties`), tests (:mod:`.tests`), packages (:mod:`.packages`).
"""
