"""Derivation checks: one function per claim of the seeds, each returning its evidence.

Every claim function is named after what it claims (``newton_one_step_reaches_least_squares``),
records where the claim is made (``source``) and which assignments rest on it, and returns
``Evidence``: how it was shown (symbolic proof, exact arithmetic, randomized numeric identity or
finite differences), on how many random instances, the worst error seen, and a readable detail.
The formulas under test are keyword arguments whose defaults are the correct ones, so a wrong
formula can be planted and must be rejected by the same checks.

    >>> from reference.derivations import REGISTRY
    >>> REGISTRY["ridge_minimiser_closed_form"].check().verdict
    'holds'
"""

from __future__ import annotations

import re

# Importing the modules registers their claims, in this order (roughly seed by seed).
from reference.derivations import (  # noqa: F401
    activations,
    batchnorm,
    kernels,
    least_squares,
    matrix_calculus,
    networks,
    softmax,
    worked_network,
)
from reference.derivations._registry import (
    ASSIGNMENTS,
    METHODS,
    REGISTRY,
    Claim,
    Evidence,
)


def claims_for(assignments: list[str] | None = None) -> list[Claim]:
    """The registered claims, all of them or those of the named assignments, in seed order.

    Raises ``KeyError`` naming the first unknown assignment.
    """
    for name in assignments or ():
        if name not in ASSIGNMENTS:
            raise KeyError(name)
    wanted = set(assignments) if assignments is not None else set(ASSIGNMENTS)
    chosen = [c for c in REGISTRY.values() if wanted.intersection(c.assignments)]
    # Seed and section order reads like the homework. re.split with a group alternates text and
    # digits, so the keys compare position by position without mixing str and int.
    return sorted(chosen, key=lambda c: [int(t) if t.isdigit() else t
                                         for t in re.split(r"(\d+)", c.source)])


__all__ = ["ASSIGNMENTS", "METHODS", "REGISTRY", "Claim", "Evidence", "claims_for"]
