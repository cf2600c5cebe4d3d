"""Paired arms for the direction tests of MODEL.md section 6, as plain data.

Each arm is (package data, parameter overrides). Arms compared with each
other have equal total budgets (checked in test_directions.py).
"""

from __future__ import annotations

from simulation import PolicyPackage

BUDGET = 2400.0  # kUSD over the 40-quarter horizon, for 2,000 SMEs


def _e(instrument, budget, start=0, end=None, **kw):
    d = {"instrument": instrument, "budget": float(budget), "start": start}
    if end is not None:
        d["end"] = end
    d.update(kw)
    return d


PRECONDITION = [
    _e("mapping_study", 100, 0, 4),
    _e("awareness_information", 500, 0, 16, delivered_by="local"),
]
STRENGTHENING = [
    _e("capacity_training", 350, 4, delivered_by="local"),
    _e("technology_upgrading", 350, 4, delivered_by="local"),
    _e("access_to_finance_guaranteed", 300, 4, delivered_by="local"),
    _e("networks_clusters", 150, 4, delivered_by="local"),
    _e("physical_infrastructure", 300, 4, delivered_by="local"),
    _e("export_promotion", 250, 6, delivered_by="local"),
]
ALLIANCES = [_e("alliance_framework", 100, 0)]


def package(name, entries):
    return PolicyPackage.from_dict({"name": name, "entries": entries})


def _deliver(entries, who):
    out = []
    for e in entries:
        e = dict(e)
        if "delivered_by" in e or e["instrument"] not in ("alliance_framework", "mapping_study"):
            e["delivered_by"] = who
        out.append(e)
    return out


INTEGRATED = PRECONDITION + STRENGTHENING + ALLIANCES
FRAGMENTED = [
    _e("capacity_training", 600, 0, delivered_by="national"),
    _e("technology_upgrading", 600, 0, delivered_by="national"),
    _e("access_to_finance", 600, 0, delivered_by="national"),
    _e("export_promotion", 600, 0, delivered_by="national"),
]
STRENGTHENING_ONLY = [
    _e("capacity_training", 550, 0, delivered_by="local"),
    _e("technology_upgrading", 550, 0, delivered_by="local"),
    _e("access_to_finance_guaranteed", 400, 0, delivered_by="local"),
    _e("networks_clusters", 400, 0, delivered_by="local"),
    _e("export_promotion", 500, 0, delivered_by="local"),
]
PRE_THEN_STRENGTHENING = PRECONDITION + [
    _e("capacity_training", 400, 4, delivered_by="local"),
    _e("technology_upgrading", 400, 4, delivered_by="local"),
    _e("access_to_finance_guaranteed", 400, 4, delivered_by="local"),
    _e("networks_clusters", 300, 4, delivered_by="local"),
    _e("export_promotion", 300, 6, delivered_by="local"),
]
SUPPORT_NO_ALLIANCES = PRECONDITION + STRENGTHENING + [_e("capacity_training", 100, 4, delivered_by="local")]
SUPPORT_ALLIANCES = PRECONDITION + STRENGTHENING + [
    _e("alliance_framework", 50, 0), _e("performance_requirements", 50, 0)]
LIBERALIZATION = [_e("trade_liberalization", 100, 12)]

COORDINATED = {"coordination": 0.9}
FULLY_COORDINATED = {"coordination": 1.0}
UNCOORDINATED = {"coordination": 0.1}

ARMS = {
    "no_policy": ([], {}),
    "integrated": (INTEGRATED, COORDINATED),
    "fragmented": (FRAGMENTED, UNCOORDINATED),
    "centralized": (_deliver(INTEGRATED, "national"), FULLY_COORDINATED),
    "decentralized": (_deliver(INTEGRATED, "local"), FULLY_COORDINATED),
    "alliances_on": (SUPPORT_ALLIANCES, COORDINATED),
    "alliances_off": (SUPPORT_NO_ALLIANCES, COORDINATED),
    "precondition_then_strengthening": (PRE_THEN_STRENGTHENING, COORDINATED),
    "strengthening_only": (STRENGTHENING_ONLY, COORDINATED),
    "liberalization_only": (LIBERALIZATION, {}),
    "liberalization_with_support": (PRECONDITION + STRENGTHENING + LIBERALIZATION, COORDINATED),
    "support_only": (PRECONDITION + STRENGTHENING, COORDINATED),
}


def arm(name):
    entries, params = ARMS[name]
    return package(name, entries), dict(params)
