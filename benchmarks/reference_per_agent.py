"""The engine's SME rules written the way a typical Mesa user would: the baseline, not part of the package.

Each SME is a ``mesa.Agent`` with plain Python attributes and its own phase
methods, activated with ``model.agents_by_type[...].shuffle_do(...)``; large
enterprises and the government are plain Python too. It shares the
parameter registry, the policy catalogue and packages, and the population
generator with the engine, and follows the same quarterly schedule and the
same equations (docs/ODD.md), so the two are the same model drawn with
different random numbers: ``tests/test_reference.py`` checks that their
outcomes agree in distribution, and ``benchmarks/run.py`` times both.

    python benchmarks/reference_per_agent.py --scenario integrated --seed 1
"""

from __future__ import annotations

import argparse
import math

import mesa
import numpy as np

from simulation.mechanisms import alliances as eng_alliances
from simulation.mechanisms import demography
from simulation.mechanisms.alliances import OPENNESS_ADJUSTMENT, SEARCH_RATE
from simulation.mechanisms.support import SERVED
from simulation.mechanisms.trade import SALES_PER_PROFIT
from simulation.params import resolve
from simulation.policy import NO_POLICY, PolicyPackage
from simulation.state import BARRIERS, COMPETITIVENESS, CONNECTIVITY

SIZE_HAZARD = (1.2, 0.7, 0.45)
C = {n: j for j, n in enumerate(COMPETITIVENESS)}
K = {n: j for j, n in enumerate(CONNECTIVITY)}
B = {n: j for j, n in enumerate(BARRIERS)}
PRE, STR, EXP, GVC = "precondition", "strengthening", "exporting", "gvc"


def ces(c: float, k: float, rho: float) -> float:
    if c <= 1e-9 or k <= 1e-9:
        return 0.0
    if abs(rho) < 1e-6:
        return math.sqrt(c * k)
    return (0.5 * c ** rho + 0.5 * k ** rho) ** (1.0 / rho)


class SMEAgent(mesa.Agent):
    """One SME with its own state and rules."""

    def __init__(self, model: ReferenceModel, firm: dict) -> None:
        super().__init__(model)
        self.__dict__.update(firm)
        self.partner: LEAgent | None = None

    # --- derived ---------------------------------------------------------
    def comp_index(self) -> float:
        return sum(self.comp) / 5.0

    def conn_index(self) -> float:
        return sum(self.conn) / 5.0

    def capability(self) -> float:
        return ces(self.comp_index(), self.conn_index(), self.model.p["ces_rho"])

    def potential(self, stage: str) -> float:
        kb = self.barriers[B["knowledge"]]
        readiness = kb if stage == "precondition" else 1.0 - kb
        return readiness * math.sqrt(self.capability()) * (0.5 + self.eo) / 1.5

    def gradient(self, determinant: str) -> float:
        rho = self.model.p["ces_rho"]
        c, k = max(self.comp_index(), 1e-9), max(self.conn_index(), 1e-9)
        cap = max(self.capability(), 1e-9)
        x = c if determinant == "competitiveness" else k
        return 0.5 * x ** (rho - 1.0) * cap ** (1.0 - rho)

    # --- phase 1: learning ----------------------------------------------
    def learn(self) -> None:
        m, p = self.model, self.model.p
        self.support *= 1.0 - p["support_decay"]
        for j in range(5):
            self.comp[j] += p["comp_depreciation"] * (self.comp_base[j] - self.comp[j])
        for j in range(3):
            self.conn[j] += p["conn_depreciation"] * (self.conn_base[j] - self.conn[j])
        self.barriers[B["exogenous"]] = self.exo_base * (1.0 - 0.5 * m.tariff_cut)
        self.conn[K["infrastructure"]] = min(m.region_infra[self.region] * self.infra_factor, 1.0)
        link = self.conn[K["le_linkage"]]
        self.conn[K["le_linkage"]] = link + 0.5 * (1.0 - link) if self.partner else 0.8 * link
        exposure = p["network_spillover"] * self.conn[K["network_ties"]] * m.cluster_share[(self.region, self.sector)]
        self.barriers[B["knowledge"]] *= 1.0 - exposure
        self.conn[K["market_knowledge"]] += exposure * (1.0 - self.conn[K["market_knowledge"]])
        if self.stage in (EXP, GVC):
            rate = p["learning_by_exporting"]
            for j in (C["quality"], C["management"]):
                self.comp[j] += rate * (1.0 - self.comp[j])
                self.comp_base[j] += 0.5 * rate * (1.0 - self.comp_base[j])
            mk = K["market_knowledge"]
            self.conn[mk] += rate * (1.0 - self.conn[mk])
            self.conn_base[mk] += 0.5 * rate * (1.0 - self.conn_base[mk])
            self.barriers[B["knowledge"]] *= 1.0 - 2.0 * rate
            self.barriers[B["procedure"]] *= 1.0 - rate

    # --- support ------------------------------------------------------------
    def receive(self, spec, dose: float) -> None:
        p = self.model.p
        sat = p["support_saturation"]
        gain = math.exp(-self.support / sat) * (1.0 - math.exp(-dose / sat))
        if spec.stage == "strengthening" and self.stage == PRE:
            gain *= p["absorptive_precondition"] * (1.0 - self.barriers[B["knowledge"]])
        for var, strength in spec.effects.items():
            step = strength * gain
            if var in C:
                d = step * (1.0 - self.comp[C[var]])
                self.comp[C[var]] += d
                self.comp_base[C[var]] += p["support_persistence"] * d
            elif var in K:
                d = step * (1.0 - self.conn[K[var]])
                self.conn[K[var]] += d
                self.conn_base[K[var]] += p["support_persistence"] * d
            elif var in B:
                self.barriers[B[var]] *= 1.0 - min(step, 1.0)
        self.support += dose

    def regulate(self, spec, level: float) -> None:
        for var, strength in spec.effects.items():
            step = min(strength * level, 1.0)
            if var in C:
                self.comp[C[var]] += step * (1.0 - self.comp[C[var]])
            elif var in K:
                self.conn[K[var]] += step * (1.0 - self.conn[K[var]])
                self.conn_base[K[var]] += step * (1.0 - self.conn_base[K[var]])
            elif var in B:
                self.barriers[B[var]] *= 1.0 - step

    def check_awareness(self) -> None:
        if self.stage == PRE and self.barriers[B["knowledge"]] < self.model.p["awareness_threshold"]:
            self.stage = STR
            self.model.flows["became_aware"] += 1

    # --- trade ----------------------------------------------------------------
    def profit(self) -> float:
        p, m = self.model.p, self.model
        gain = 1.0 + p["liberalization_export_gain"] * m.tariff_cut
        return p["export_margin"] * gain * self.size ** p["size_elasticity"] * self.capability() ** p["capability_elasticity"]

    def trade(self) -> None:
        p, m = self.model.p, self.model
        error = math.exp(p["decision_noise"] * m.random.gauss(0.0, 1.0))
        candidate = self.stage == STR or (self.stage == PRE and self.eo >= p["born_global_eo"])
        if candidate:
            barrier = (1.0 + self.barriers[B["procedure"]] + self.barriers[B["resource"]]) / 3.0
            cost = p["entry_cost"] * barrier * (1.0 - p["experience_discount"] * self.experience)
            if self.profit() * error > cost:
                m.flows["export_entries"] += 1
                m.flows["new_exporters"] += not self.ever_exported
                sd = p["demand_uncertainty"]
                self.stage, self.ever_exported, self.spell = EXP, True, 0
                self.demand = math.exp(sd * m.random.gauss(0.0, 1.0) - 0.5 * sd * sd)
        elif self.stage == EXP:
            cost = p["continuation_cost"] * (0.5 + self.barriers[B["exogenous"]])
            if self.profit() * error * self.demand < cost:
                m.flows["export_stops"] += 1
                self.stage, self.spell = STR, 0

    def gain_experience(self) -> None:
        if self.stage in (EXP, GVC):
            self.experience += 0.25 * (1.0 - self.experience)
            self.spell += 1
        else:
            self.experience *= 0.9
            self.spell = 0

    # --- demography -------------------------------------------------------
    def survive(self) -> None:
        p, m = self.model.p, self.model
        required = p["survival_threshold"] + p["import_pressure"] * m.tariff_cut
        shortfall = max(required - self.comp_index(), 0.0)
        if self.stage in (EXP, GVC):
            shortfall *= 0.5
        hazard = min(p["base_exit_rate"] * SIZE_HAZARD[self.size_class] + p["competition_exit"] * shortfall, 1.0)
        if m.random.random() < hazard:
            m.exiting.append(self)


class LEAgent(mesa.Agent):
    """A lead firm choosing suppliers."""

    def __init__(self, model: ReferenceModel, sector: int, slots: int, threshold: float, base: float) -> None:
        super().__init__(model)
        self.sector, self.slots, self.threshold, self.base_openness = sector, slots, threshold, base
        self.openness = base
        self.suppliers: list[SMEAgent] = []

    def adjust(self) -> None:
        m, p = self.model, self.model.p
        lift = p["framework_openness"] * m.framework_level + p["requirement_openness"] * m.requirement_level
        target = min(max(self.base_openness + lift - m.shock, 0.0), 1.0)
        self.openness += OPENNESS_ADJUSTMENT * (target - self.openness)

    def search(self) -> None:
        m = self.model
        free = max(self.slots - len(self.suppliers), 0)
        wanted = int(m.nrng.binomial(free, min(max(self.openness * SEARCH_RATE, 0.0), 1.0)))
        if wanted == 0:
            return
        cands = [a for a in m.pool.get(self.sector, []) if a.partner is None and a.comp_index() >= self.threshold]
        if len(cands) > wanted:
            w = np.array([a.conn_index() ** 2 for a in cands])
            idx = m.nrng.choice(len(cands), size=wanted, replace=False, p=w / w.sum())
            cands = [cands[i] for i in idx]
        for a in cands:
            a.partner, a.stage = self, GVC
            self.suppliers.append(a)
            m.flows["alliances_formed"] += 1


class ReferenceModel(mesa.Model):
    """The same model as ``simulation.SMEModel``, one Python object per firm."""

    def __init__(self, package: PolicyPackage | None = None, *, seed: int = 0, steps: int = 40, **params) -> None:
        super().__init__(rng=seed)
        self.p = p = resolve(params)
        self.nrng = np.random.default_rng(seed + 1_000_003)
        self.package = package or NO_POLICY
        self.horizon = steps
        self.world = demography.make_world(self.nrng, p)
        self.region_infra = list(self.world.infrastructure)
        regions = demography.region_of_rows(self.world, p["n_smes"])
        for firm in self._draw(regions):
            SMEAgent(self, firm)
        le = eng_alliances.make_les(self.nrng, p)
        for j in range(le.n):
            LEAgent(self, int(le.sector[j]), int(le.slots[j]), float(le.threshold[j]), float(le.base_openness[j]))
        self.entries = []
        for e in self.package.entries:
            start, end = e.window(steps)
            self.entries.append({"entry": e, "start": start, "end": end, "remaining": e.budget})
        self.tariff_cut = self.framework_level = self.requirement_level = self.shock = 0.0
        self.t = -p["warmup_steps"]
        self.rows: list[dict] = []
        while self.t < 0:
            self._quarter(policy=False)
        self.rows = [self._record()]

    def _draw(self, regions) -> list[dict]:
        s = demography.new_firms(self.nrng, np.asarray(regions), self.world, self.p, 0,
                                 np.asarray(self.region_infra))
        out = []
        for i in range(s.n):
            out.append({"region": int(s.region[i]), "sector": int(s.sector[i]), "size": float(s.size[i]),
                        "size_class": int(s.size_class[i]), "eo": float(s.eo[i]),
                        "comp": list(map(float, s.comp[:, i])), "comp_base": list(map(float, s.comp_base[:, i])),
                        "conn": list(map(float, s.conn[:, i])), "conn_base": list(map(float, s.conn_base[:, i])),
                        "infra_factor": float(s.infra_factor[i]), "barriers": list(map(float, s.barriers[:, i])),
                        "exo_base": float(s.exo_base[i]), "stage": PRE if s.stage[i] == 0 else STR,
                        "experience": 0.0, "ever_exported": False, "spell": 0, "demand": 1.0,
                        "mapped": False, "support": 0.0})
        return out

    @property
    def smes(self):
        return self.agents_by_type[SMEAgent]

    @property
    def les(self):
        return self.agents_by_type.get(LEAgent, [])

    # --- government -------------------------------------------------------
    def _budget(self, es) -> float:
        if not es["start"] <= self.t < es["end"]:
            return 0.0
        return es["remaining"] / (es["end"] - self.t)

    def _enact(self) -> None:
        self.framework_level = self.requirement_level = 0.0
        for es in self.entries:
            spec, amount = es["entry"].spec, self._budget(es)
            if spec.mode != "regulatory" or amount <= 0:
                continue
            level = es["entry"].intensity * min(1.0, amount / spec.unit_cost)
            if level <= 0:
                continue
            for a in self.smes:
                a.regulate(spec, level)
            if "tariff_cut" in spec.effects:
                self.tariff_cut = max(self.tariff_cut, min(1.0, spec.effects["tariff_cut"] * level))
            if "le_openness" in spec.effects:
                if "tech_transfer" in spec.effects:
                    self.requirement_level = max(self.requirement_level, min(level, 1.0))
                else:
                    self.framework_level = max(self.framework_level, min(level, 1.0))
            es["remaining"] -= min(amount, spec.unit_cost)
            self.spent += min(amount, spec.unit_cost)

    def _deliver(self) -> None:
        p = self.p
        cap_mean = float(np.mean(self.world.capacity))
        firms = list(self.smes)
        snapshot = {id(a): (a.potential("precondition"), a.potential("strengthening"),
                            a.gradient("competitiveness"), a.gradient("connectivity")) for a in firms}
        for es in self.entries:
            e, spec, amount = es["entry"], es["entry"].spec, self._budget(es)
            if spec.mode == "regulatory" or amount <= 0:
                continue
            coord = p["coordination"]
            R = self.world.n_regions
            if e.deliverer == "national":
                eff = [cap_mean] * R
            else:
                eff = [max(c * (1.0 - p["coordination_loss"] * (1.0 - coord)), 1e-9) for c in self.world.capacity]
            def ok(a):
                if e.targeting.regions is not None and a.region not in e.targeting.regions:
                    return False
                if e.targeting.sectors is not None and a.sector not in e.targeting.sectors:
                    return False
                if spec.eligibility == "unmapped":
                    return not a.mapped
                if spec.eligibility == "collateral":
                    return a.comp[C["finance"]] >= 0.45 or a.size >= 5
                return True
            eligible = [a for a in firms if ok(a)]
            stage_ix = 0 if spec.stage == "precondition" else 1
            det = "competitiveness" if spec.determinant == "competitiveness" else "connectivity"
            if spec.mode == "public_good":
                det = "connectivity"
            grad_ix = 2 if det == "competitiveness" else 3
            pop, need = [0.0] * R, [0.0] * R
            for a in eligible:
                snap = snapshot[id(a)]
                pop[a.region] += 1
                need[a.region] += snap[grad_ix] * snap[stage_ix]
            need = [need[r] * eff[r] for r in range(R)]
            tp, tn = sum(pop), sum(need)
            share = [x / tp if tp else 0.0 for x in pop]
            if e.deliverer == "local" and tn > 0:
                share = [coord * need[r] / tn + (1 - coord) * share[r] for r in range(R)]
            if spec.mode == "public_good":
                counts = [0] * R
                for a in firms:
                    counts[a.region] += 1
                for r in range(R):
                    cov = amount * share[r] * eff[r] / (spec.unit_cost * max(counts[r], 1))
                    I = self.region_infra[r]
                    self.region_infra[r] = I + spec.effects["infrastructure"] * (1 - math.exp(-cov)) * (1 - I)
                es["remaining"] -= amount
                self.spent += amount
                continue
            dose = e.intensity
            if dose <= 0:
                continue
            unit = spec.unit_cost * dose
            quota = [amount * share[r] * eff[r] / unit for r in range(R)]
            kappa = p["targeting_strength"]
            targeted = e.targeting.select == "potential" and kappa > 0 and any(a.mapped for a in firms)
            if targeted:
                scores = {id(a): (snapshot[id(a)][stage_ix] + 0.02) ** kappa for a in firms}
                mean = sum(scores.values()) / len(scores)
            weights, total = {}, [0.0] * R
            for a in eligible:
                w = scores[id(a)] / mean if targeted and a.mapped else 1.0
                if coord > 0 and a.support > SERVED:
                    w *= 1.0 - coord
                weights[id(a)] = w
                total[a.region] += w
            chosen = [a for a in eligible
                      if total[a.region] > 0 and self.random.random() < min(1.0, quota[a.region] * weights[id(a)] / total[a.region])]
            cost = 0.0
            self.random.shuffle(chosen)
            for a in chosen:
                c = unit / eff[a.region]
                if cost + c > amount:
                    break
                cost += c
                if spec.eligibility == "unmapped":
                    a.mapped = True
                else:
                    a.receive(spec, dose)
            es["remaining"] -= cost
            self.spent += cost

    # --- the quarter ------------------------------------------------------------
    def _quarter(self, policy: bool) -> None:
        self.flows = dict.fromkeys(("became_aware", "export_entries", "new_exporters", "export_stops",
                                    "alliances_formed", "alliances_dissolved", "exits"), 0)
        self.spent = 0.0
        exporting, count = {}, {}
        for a in self.smes:
            key = (a.region, a.sector)
            count[key] = count.get(key, 0) + 1
            exporting[key] = exporting.get(key, 0) + (a.stage in (EXP, GVC))
        self.cluster_share = {k: exporting[k] / count[k] for k in count}
        self.cluster_share.update({(r, s): 0.0 for r in range(self.world.n_regions)
                                   for s in range(self.p["n_sectors"]) if (r, s) not in count})
        self.smes.shuffle_do("learn")
        if policy:
            self._enact()
            self._deliver()
        self.smes.shuffle_do("check_awareness")

        p = self.p
        if p["gvc_shock_step"] >= 0 and self.t == p["gvc_shock_step"]:
            self.shock = p["gvc_shock_size"]
        shock_now = self.shock if self.t == p["gvc_shock_step"] else 0.0
        self.les.shuffle_do("adjust")
        for a in list(self.smes):
            if a.partner is not None:
                le = a.partner
                hazard = p["alliance_dissolution"] * (1.0 + 4.0 * (a.comp_index() < le.threshold)) + 0.5 * shock_now
                if self.random.random() < hazard:
                    le.suppliers.remove(a)
                    a.partner, a.stage = None, STR
                    self.flows["alliances_dissolved"] += 1
        self.pool = {}
        for a in self.smes:
            if a.stage in (STR, EXP) and a.partner is None and a.conn_index() >= p["connectivity_required"]:
                self.pool.setdefault(a.sector, []).append(a)
        self.les.shuffle_do("search")
        rate = p["tech_transfer"] * (1.0 + self.requirement_level)
        for a in self.smes:
            if a.partner is not None:
                for j, share in ((C["technology"], 1.0), (C["quality"], 1.0), (C["skills"], 0.5)):
                    d = share * rate * (1.0 - a.comp[j])
                    a.comp[j] += d
                    a.comp_base[j] += 0.5 * d

        self.smes.shuffle_do("trade")
        self.smes.do("gain_experience")
        self.sales = sum(SALES_PER_PROFIT * a.profit() * a.demand for a in self.smes if a.stage in (EXP, GVC))

        self.exiting = []
        self.smes.shuffle_do("survive")
        self.flows["exits"] = len(self.exiting)
        if self.exiting:
            fresh = self._draw([a.region for a in self.exiting])
            for a, firm in zip(self.exiting, fresh):
                if a.partner is not None:
                    a.partner.suppliers.remove(a)
                a.remove()
                SMEAgent(self, firm)
        self.t += 1

    def _record(self) -> dict:
        smes = list(self.smes)
        n = len(smes)
        stages = [a.stage for a in smes]
        return {"step": max(self.t, 0), "n_smes": n, "exporters": sum(s in (EXP, GVC) for s in stages),
                "export_participation": sum(s in (EXP, GVC) for s in stages) / n,
                "gvc_participation": stages.count(GVC) / n, "share_precondition": stages.count(PRE) / n,
                "mean_competitiveness": sum(a.comp_index() for a in smes) / n,
                "mean_connectivity": sum(a.conn_index() for a in smes) / n,
                "alliances": sum(a.partner is not None for a in smes), **getattr(self, "flows", {}),
                "budget_spent": getattr(self, "spent", 0.0)}

    def step(self) -> None:
        self._quarter(policy=True)
        self.rows.append(self._record())
        if self.t >= self.horizon:
            self.running = False

    def run(self) -> ReferenceModel:
        while self.t < self.horizon:
            self.step()
        return self

    def summary(self) -> dict:
        rows = self.rows[1:]
        last = self.rows[-1]
        return {"exporters": last["exporters"], "gvc_participation": last["gvc_participation"],
                "exits": sum(r["exits"] for r in rows), "new_exporters": sum(r["new_exporters"] for r in rows),
                "export_participation": last["export_participation"],
                "budget_spent": sum(r["budget_spent"] for r in rows)}


def main() -> None:
    from simulation.scenario import load

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="integrated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n-smes", type=int, default=None)
    args = ap.parse_args()
    s = load(args.scenario)
    params = dict(s.params)
    if args.n_smes:
        params["n_smes"] = args.n_smes
    print(ReferenceModel(s.package, seed=args.seed, steps=s.steps, **params).run().summary())


if __name__ == "__main__":
    main()
