"""``moved:`` blocks: which node of the state each renamed node was, checked against the manifest.

Terraform's rule: a block names a node that left the project (``from``) and
the node that took its place (``to``). The planner then treats the state's
``from`` node as the ``to`` node's past: same version, so nothing is rebuilt;
the new name is published over the kept physical relation and the old name
dropped. A block whose ``from`` is no longer in the state has already been
applied and does nothing; it may stay in faborite.yml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from faborite.config.project import PROJECT_FILE
from faborite.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    from faborite.compiler.manifest import Manifest
    from faborite.config.loader import Project


def resolve_moves(project: Project, manifest: Manifest) -> dict[str, str]:
    """New node id -> old node id for every ``moved:`` block; ConfigError at its line when one
    renames from a name still in the project, to a name not in it, or chains with another block."""
    moves: dict[str, str] = {}
    sources: dict[str, int] = {}
    blocks = project.config.moved
    # Chains (and cycles, a chain that comes back) first: their other errors would mislead.
    for index, block in enumerate(blocks):
        if any(other.from_ == block.to for other in blocks):
            chain = next(other for other in blocks if other.from_ == block.to)
            raise ConfigError(f"moved: blocks chain: {block.from_} -> {block.to} -> {chain.to}",
                              file=PROJECT_FILE, line=project.config_line("moved", index),
                              hint=f"write one block, from {block.from_} to {chain.to}"
                              + (" (a cycle: nothing moves)" if chain.to == block.from_ else ""))
    for index, block in enumerate(blocks):
        line = project.config_line("moved", index)

        def error(message: str, hint: str) -> ConfigError:
            return ConfigError(f"moved: {message}", file=PROJECT_FILE, line=line, hint=hint)

        if manifest.find(block.from_) is not None:
            raise error(f"from {block.from_!r} is still in the project",
                        "'from' is the old name, which no model or seed may keep; 'to' is the new one")
        target = manifest.find(block.to)
        if target is None or not target.is_built:
            names = [n.name for n in manifest.built_nodes()]
            raise error(f"to {block.to!r} is not a model or seed of the project",
                        did_you_mean(block.to, names) or "'to' names the node as the project now calls it")
        if block.from_ in sources or target.id in moves:
            raise error(f"{block.from_!r} or {block.to!r} appears in two moved blocks",
                        "each node moves once: one block per rename")
        sources[block.from_] = index
        moves[target.id] = f"{target.kind}.{block.from_}"
    return moves
