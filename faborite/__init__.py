"""faborite: a declarative compiler and planner for data.

Project files -> typed DAG (compiler) -> plan against recorded state (plan) ->
versioned build, checks, atomic publish (apply) -> new state (state).
"""

__version__ = "0.1.0"
