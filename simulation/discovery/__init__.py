"""Scenario discovery: where in the space of uncertain parameters each direction of the brief holds.

The experiment design (:mod:`.design`: sample points, the robustness map's
grid, paired runs of each direction's arms on the same seeds), the runs (the
crash-safe runner), and the analysis (:mod:`.effects`: each point's paired
effect, its interval and verdict; :mod:`.prim` and :mod:`.cart`: the boxes
where it holds) are separate steps joined by plain tables, as in EMA
Workbench.
"""
