"""``run.py optimize``: packages within a budget on a Pareto front (``problem``: what is chosen and judged;
``search``: pymoo's NSGA-II on common seeds, the front re-evaluated, and robustness across worlds)."""
