"""Built-in target providers (imported as ``faborite.providers``).

Each module turns one engine's target config into a
:class:`faborite.target.TargetConnection` and registers through the
``faborite.providers`` entry-point group, as a third-party provider would.
"""
