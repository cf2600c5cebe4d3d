"""The engine's SME rules written the way a typical Mesa user would: the baseline, not part of the package.

Each SME is a ``mesa.Agent`` with plain Python attributes and its own phase
methods, activated with ``model.agents_by_type[...].shuffle_do(...)``; large
enterprises and the government are plain Python too. It shares the
parameter registry, the policy catalogue and packages, and the world and
firm generators (``demography.make_world``, ``demography.entrants``,
``alliances.make_les``) with the engine, and follows the same quarterly
schedule (``SMEModel._quarter``) and the same equations (docs/ODD.md), firm
by firm: learning; regulations setting the regime channels (tariff cut,
alliance framework, performance requirements, red tape) and programmes
allocated to regions by estimated need and delivered to firms; awareness;
alliances (lead firms keeping fewer supplier slots under performance
requirements); judgement errors and foreign demand drifting, then sunk-cost
export entry and exit (foreign margins raised by cheaper imported inputs),
with first entries followed for a year to see whether they last; export
sales; then the home market: each region's demand shared among its firms
(by size, competitiveness and the customers they have built) and imports
(which take more of it as tariffs fall), setting what the region requires
and each firm's standing against it, with imported inputs (a tariff cut
lowers the costs of the firms that import them); firm growth on the change
in standing; home sales; upgrading of technology where a step pays over the
firm's sales at home and abroad; exits when profit, home and foreign, falls
short of fixed costs; and entrants, who start with few customers. So the
two are the same model drawn with different random numbers:
``tests/test_reference.py`` checks that their outcomes agree in
distribution, and ``benchmarks/run.py`` times both.

    python benchmarks/reference_per_agent.py --scenario integrated --seed 1
"""

from __future__ import annotations

import argparse
import math

import mesa
import numpy as np

from simulation.mechanisms import alliances as eng_alliances
from simulation.mechanisms import demography, market
from simulation.mechanisms.alliances import OPENNESS_ADJUSTMENT, SEARCH_RATE
from simulation.mechanisms.demography import VOLATILITY_SIZE_SLOPE
from simulation.mechanisms.support import SERVED
from simulation.outcomes import QUARTERS_PER_YEAR
from simulation.params import resolve
from simulation.policy import NO_POLICY, PolicyPackage
from simulation.state import (
    BARRIERS,
    COMPETITIVENESS,
    CONNECTIVITY,
    MAX_SME_SIZE,
    SIZE_BOUNDS,
    STAGES,
)

SIZE_HAZARD = (1.2, 0.7, 0.45)
# A first entry lasts when the firm exports in each of this many quarters after its entry quarter.
LASTING_QUARTERS = QUARTERS_PER_YEAR
MIN_POTENTIAL = 0.02
GOLDEN_RATIO_FRACTION = (math.sqrt(5.0) - 1.0) / 2.0
TOP_LOG_SIZE = math.log(MAX_SME_SIZE + 1.0)
LOG_SMALL, LOG_MEDIUM = (math.log(b) for b in SIZE_BOUNDS)
C = {n: j for j, n in enumerate(COMPETITIVENESS)}
K = {n: j for j, n in enumerate(CONNECTIVITY)}
B = {n: j for j, n in enumerate(BARRIERS)}
PRE, STR, EXP, GVC = "precondition", "strengthening", "exporting", "gvc"
# Regime channel a regulation sets, and the model attribute that holds it.
REGIME = {"tariff_cut": "tariff_cut", "alliance_framework": "framework_level",
          "performance_requirements": "requirement_level", "red_tape": "red_tape_cut"}


def ces(c: float, k: float, rho: float) -> float:
    c, k = max(c, 0.0), max(k, 0.0)
    if abs(rho) < 1e-6:
        return math.sqrt(c * k)
    if rho < 0 and (c <= 1e-9 or k <= 1e-9):
        return 0.0
    return (0.5 * c ** rho + 0.5 * k ** rho) ** (1.0 / rho)


class SMEAgent(mesa.Agent):
    """One SME with its own state and rules."""

    def __init__(self, model: ReferenceModel, firm: dict) -> None:
        super().__init__(model)
        self.__dict__.update(firm)
        self.partner: LEAgent | None = None
        self.sales = 0.0  # export sales this quarter
        # This quarter's input-cost saving, home standing, home sales and foreign operating profit.
        self.saving = self.standing = self.home_sales = self.abroad = 0.0

    # --- derived ---------------------------------------------------------
    def comp_index(self) -> float:
        return sum(self.comp) / 5.0

    def conn_index(self) -> float:
        return sum(self.conn) / 5.0

    def capability(self) -> float:
        return ces(self.comp_index(), self.conn_index(), self.model.rho)

    def exporting(self) -> bool:
        return self.stage in (EXP, GVC)

    def potential(self, stage: str, capability: float) -> float:
        """What a mapping study reveals: where a programme of this stage would pay."""
        kb = self.barriers[B["knowledge"]]
        readiness = kb if stage == "precondition" else 1.0 - kb
        return readiness * math.sqrt(capability) * (0.5 + self.eo) / 1.5

    def demand_level(self) -> float:
        sd = self.model.p["demand_uncertainty"]
        return math.exp(sd * self.demand_x - 0.5 * sd * sd)

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
        if self.exporting():
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
        gain = 1.0 - math.exp(-dose / sat)
        if p["overlap"]:
            gain *= math.exp(-self.support / sat)
        if spec.stage == "strengthening" and self.stage == PRE and p["absorptive_capacity"]:
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
            elif var == "foreign_demand":
                self.learn_demand()
                # Buyers found saturate: twice the share of the demand distribution above the firm.
                share_above = 0.5 * math.erfc(self.demand_x / math.sqrt(2.0))
                self.demand_x += 2.0 * p["promotion_demand_gain"] * step * share_above
        self.support += dose

    def check_awareness(self) -> None:
        if self.stage == PRE and self.barriers[B["knowledge"]] < self.model.p["awareness_threshold"]:
            self.stage = STR
            self.model.flows["became_aware"] += 1

    # --- trade ----------------------------------------------------------------
    def update_beliefs(self) -> None:
        """Judgement error and (once the firm knows it) foreign demand move on a quarter, each a stationary AR(1)."""
        p, rnd = self.model.p, self.model.random
        phi = p["decision_persistence"]
        self.error = phi * self.error + math.sqrt(1.0 - phi * phi) * p["decision_noise"] * rnd.gauss(0.0, 1.0)
        keep = 1.0 - p["demand_drift"]
        if keep < 1.0 and self.knows_demand:
            self.demand_x = keep * self.demand_x + math.sqrt(1.0 - keep * keep) * rnd.gauss(0.0, 1.0)

    def learn_demand(self) -> None:
        """The firm learns its foreign demand, drawn from its stationary law the first time."""
        if not self.knows_demand:
            self.demand_x = self.model.random.gauss(0.0, 1.0)
            self.knows_demand = True

    def sales_scale(self) -> float:
        """Foreign operating profit at unit demand before any input-cost saving."""
        p, m = self.model.p, self.model
        gain = 1.0 + p["liberalization_export_gain"] * m.tariff_cut
        return (p["export_margin"] * gain * self.size ** p["size_elasticity"]
                * self.capability() ** p["capability_elasticity"])

    def foreign_profit(self) -> float:
        """Foreign operating profit at unit demand, raised by the firm's input-cost saving over its gross margin."""
        return self.sales_scale() * (1.0 + self.input_cost_saving() / self.model.p["home_gross_margin"])

    def entry_cost(self) -> float:
        p, m = self.model.p, self.model
        procedure = self.barriers[B["procedure"]] * (1.0 - m.red_tape_cut)
        barrier = (1.0 + procedure + self.barriers[B["resource"]]) / 3.0
        friction = 0.0
        if p["knowledge_barrier"]:
            friction = self.barriers[B["knowledge"]] * (1.0 - p["eo_knowledge_discount"] * self.eo)
        sunk = p["entry_cost"] * barrier + p["knowledge_cost"] * friction
        return sunk * (1.0 - p["experience_discount"] * self.experience)

    def continuation_cost(self) -> float:
        return self.model.p["continuation_cost"] * (0.5 + self.barriers[B["exogenous"]])

    def trade(self) -> None:
        m = self.model
        judged = self.foreign_profit() * math.exp(self.error)
        if self.stage in (PRE, STR):
            expected = self.demand_level() if self.knows_demand else 1.0
            if judged * expected > self.entry_cost():
                m.flows["export_entries"] += 1
                m.flows["new_exporters"] += not self.ever_exported
                if not self.ever_exported:
                    m.first_entrants.append(self)
                m.flows["born_global"] += self.stage == PRE
                self.learn_demand()
                self.stage, self.ever_exported, self.spell = EXP, True, 0
        elif self.stage == EXP and judged * self.demand_level() < self.continuation_cost():
            m.flows["export_stops"] += 1
            self.stage, self.spell = STR, 0

    def gain_experience(self) -> None:
        if self.exporting():
            self.experience += 0.25 * (1.0 - self.experience)
            self.spell += 1
        else:
            self.experience *= 0.9
            self.spell = 0

    def sell_abroad(self) -> None:
        """Export sales this quarter: foreign profit at the firm's own demand (before any input-cost saving,
        which changes costs, not sales) over the export margin."""
        if self.exporting():
            self.sales = self.sales_scale() * self.demand_level() / self.model.p["export_margin_rate"]
        else:
            self.sales = 0.0

    # --- the home market ----------------------------------------------------
    def customer_base(self) -> float:
        """Share of its eventual customers the firm has: ``entrant_customers`` at entry, the rest built linearly
        over ``customer_build_up`` quarters (all of them with home-market shares off)."""
        p = self.model.p
        if not p["home_market_shares"]:
            return 1.0
        first = p["entrant_customers"]
        return first + (1.0 - first) * min(1.0, self.age / p["customer_build_up"])

    def pull(self) -> float:
        """The firm's pull on its region's home demand: size times exp(theta (c - threshold)) times its customers."""
        p = self.model.p
        theta = p["home_share_elasticity"]
        return self.size * math.exp(theta * (self.comp_index() - p["survival_threshold"])) * self.customer_base()

    def input_cost_saving(self) -> float:
        """Fall in the firm's costs, as a share of its sales, from the cut in tariffs on its imported inputs."""
        p = self.model.p
        if not p["imported_inputs"]:
            return 0.0
        tau = p["input_tariff"]
        return self.import_intensity * (tau * self.model.tariff_cut / (1.0 + tau))

    def fixed_cost(self) -> float:
        p = self.model.p
        return p["home_gross_margin"] * p["home_sales_per_worker"] * self.size

    def home_standing(self, required: float, saving: float) -> float:
        """Log of the firm's home gross margin over its fixed costs, in units of competitiveness: competitiveness
        over its region's requirement, less the customers it has yet to build, plus cheaper inputs."""
        p = self.model.p
        return (self.comp_index() - required
                + (math.log(self.customer_base()) + math.log1p(saving / p["home_gross_margin"]))
                / p["home_share_elasticity"])

    def per_customer(self) -> float:
        """Standing without the customers still to build: what employment follows."""
        return self.standing - math.log(self.customer_base()) / self.model.p["home_share_elasticity"]

    def sell_at_home(self) -> None:
        p = self.model.p
        margin = p["home_gross_margin"]
        self.home_sales = (self.fixed_cost() / margin * math.exp(p["home_share_elasticity"] * self.standing)
                           / (1.0 + self.saving / margin))

    def enter_market(self, required: float) -> None:
        """A firm takes its place in its region's market as it finds it (a new firm with its first customers)."""
        self.saving = self.input_cost_saving()
        self.standing = self.home_standing(required, self.saving)
        self.sell_at_home()
        self.home_margin = self.per_customer()

    # --- demography: growth, upgrading, exit ------------------------------
    def grow(self) -> None:
        """Gibrat growth with size-dependent volatility, reflected at 1 and 100 workers, plus the change in the
        firm's home standing per customer."""
        p, m = self.model.p, self.model
        self.saving = self.input_cost_saving()
        self.standing = self.home_standing(m.required[self.region], self.saving)
        margin = self.per_customer()
        change = margin - self.home_margin
        self.home_margin = margin
        if not p["firm_growth"]:
            return
        x = math.log(self.size)
        sd = p["growth_volatility"] * math.exp(-VOLATILITY_SIZE_SLOPE * x)
        drift = (-(VOLATILITY_SIZE_SLOPE + 0.5 * p["size_tail"]) * sd * sd + p["growth_competitiveness"] * change
                 + p["exporter_growth"] * self.exporting())
        x = abs(x + drift + sd * m.random.gauss(0.0, 1.0))
        if x > TOP_LOG_SIZE:
            x = 2.0 * TOP_LOG_SIZE - x
        x = min(max(x, 0.0), TOP_LOG_SIZE - 1e-9)
        self.size = math.exp(x)
        self.size_class = (x >= LOG_SMALL) + (x >= LOG_MEDIUM)

    def marginal_return(self) -> float:
        """Quarterly profit a unit of competitiveness adds, over the firm's sales at home and abroad."""
        p = self.model.p
        value = p["home_share_elasticity"] * (p["home_gross_margin"] + self.saving) * self.home_sales
        if self.abroad > 0.0:
            c = max(self.comp_index(), 0.01)
            share = 0.5 * (c / max(self.capability(), 1e-9)) ** self.model.rho / c  # of capability, to c
            value += p["capability_elasticity"] * self.abroad * share
        return value

    def account(self) -> None:
        """Home sales at the firm's standing, and foreign operating profit on this quarter's export sales."""
        p = self.model.p
        self.sell_at_home()
        self.abroad = self.sales * p["export_margin_rate"] * (1.0 + self.saving / p["home_gross_margin"])

    def upgrade(self) -> None:
        """A step of technology towards the frontier, where the profit it adds, as the firm judges it, covers its
        cost (read on competitiveness before the step)."""
        p = self.model.p
        if not p["access_upgrading"]:
            return
        tech = self.comp[C["technology"]]
        step = p["upgrade_step"] * (1.0 - tech)
        if self.marginal_return() * (0.2 * step) * math.exp(self.error) > p["upgrade_cost"] * self.size:
            self.comp[C["technology"]] = tech + step

    def shortfall(self) -> float:
        """How far profit, home and foreign, falls short of fixed costs, in units of competitiveness (0 to 1)."""
        p = self.model.p
        theta = p["home_share_elasticity"]
        foreign = self.abroad - (self.continuation_cost() if self.stage == EXP else 0.0)
        ratio = math.exp(theta * self.standing)
        if foreign != 0.0:
            ratio += foreign / self.fixed_cost()
        return min(max(-math.log(max(ratio, 1e-12)) / theta, 0.0), 1.0)

    def hazard(self) -> float:
        p = self.model.p
        return min(p["base_exit_rate"] * SIZE_HAZARD[self.size_class] + p["competition_exit"] * self.shortfall(), 1.0)

    def survive(self) -> None:
        m = self.model
        if m.random.random() < self.hazard():
            m.exiting.append(self)


class LEAgent(mesa.Agent):
    """A lead firm choosing suppliers."""

    def __init__(self, model: ReferenceModel, number: int, sector: int, slots: int, threshold: float,
                 base: float) -> None:
        super().__init__(model)
        self.sector, self.slots, self.threshold, self.base_openness = sector, slots, threshold, base
        self.openness = base
        self.suppliers: list[SMEAgent] = []
        # Where this lead firm rounds a fractional number of slots: a fixed offset in [0, 1), the golden-ratio
        # sequence of its number, so the offsets spread evenly over the lead firms.
        self.rounding_offset = ((number + 1) * GOLDEN_RATIO_FRACTION) % 1.0

    def adjust(self) -> None:
        m, p = self.model, self.model.p
        lift = p["framework_openness"] * m.framework_level + p["requirement_openness"] * m.requirement_level
        if not p["alliance_policy"]:
            lift = 0.0
        target = min(max(self.base_openness + lift - m.shock, 0.0), 1.0)
        self.openness += OPENNESS_ADJUSTMENT * (target - self.openness)

    def kept_slots(self) -> int:
        """Supplier slots the lead firm keeps this quarter: performance requirements deter part of the investment.

        Under requirements enforced at level ``r`` an investor goes elsewhere or
        keeps its plant subscale, so it keeps ``slots (1 - requirement_deterrence r)``
        slots (with ``fdi_deterrence`` off, all of them). Slots are whole: the firm
        rounds down or up by where the fraction falls against its own fixed offset,
        so over the lead firms the slots kept average that share, with no draw.
        It only takes fewer new suppliers: alliances already formed run on.
        """
        m, p = self.model, self.model.p
        cut = p["requirement_deterrence"] * m.requirement_level if p["fdi_deterrence"] else 0.0
        return math.floor(self.slots * (1.0 - cut) + self.rounding_offset)

    def search(self) -> None:
        m = self.model
        free = max(self.kept_slots() - len(self.suppliers), 0)
        wanted = int(m.nrng.binomial(free, min(max(self.openness * SEARCH_RATE, 0.0), 1.0)))
        if wanted == 0:
            return
        cands = [a for a in m.pool.get(self.sector, []) if a.partner is None and a.comp_index() >= self.threshold]
        if len(cands) > wanted:
            w = np.array([max(a.conn_index() ** 2, 1e-12) for a in cands])
            idx = m.nrng.choice(len(cands), size=wanted, replace=False, p=w / w.sum())
            cands = [cands[i] for i in idx]
        for a in cands:
            a.partner, a.stage = self, GVC
            a.learn_demand()  # a supplier sells abroad through its lead firm
            self.suppliers.append(a)
            m.flows["alliances_formed"] += 1


class ReferenceModel(mesa.Model):
    """The same model as ``simulation.SMEModel``, one Python object per firm."""

    def __init__(self, package: PolicyPackage | None = None, *, seed: int = 0, steps: int = 40, **params) -> None:
        super().__init__(rng=seed)
        self.p = p = resolve(params)
        self.rho = p["ces_rho"] if p["complementarity"] else 1.0  # CES exponent in force
        self.nrng = np.random.default_rng(seed + 1_000_003)
        self.package = package or NO_POLICY
        self.horizon = steps
        self.tariff_cut = self.framework_level = self.requirement_level = self.red_tape_cut = self.shock = 0.0
        self.world = demography.make_world(self.nrng, p)
        self.region_infra = [float(x) for x in self.world.infrastructure]
        self.capacity = [float(c) for c in self.world.capacity]
        # How each local government misreads its region's need: one draw per region, for the whole run.
        self.need_error = [self.random.gauss(0.0, 1.0) for _ in range(self.world.n_regions)]
        regions = demography.region_of_rows(self.world, p["n_smes"])
        for firm in self._draw(regions, [p["survival_threshold"]] * len(regions)):
            firm["age"] = market.ESTABLISHED_AGE  # in business long before the first quarter
            SMEAgent(self, firm)
        self._open_market()
        for a in self.smes:
            a.enter_market(p["survival_threshold"])
        le = eng_alliances.make_les(self.nrng, p)
        for j in range(le.n):
            LEAgent(self, j, int(le.sector[j]), int(le.slots[j]), float(le.threshold[j]),
                    float(le.base_openness[j]))
        self.entries = []
        for e in self.package.entries:
            start, end = e.window(steps)
            self.entries.append({"entry": e, "start": start, "end": end, "remaining": e.budget})
        self.first_entries: dict[int, list[SMEAgent]] = {}  # recorded step -> that quarter's first entrants
        self.t = -p["warmup_steps"]
        self.rows: list[dict] = []
        while self.t < 0:
            self._quarter(policy=False)
        self.rows = [self._record()]

    def _pulls(self) -> dict[int, float]:
        """Each region's total pull of its firms."""
        total: dict[int, float] = {}
        for a in self.smes:
            total[a.region] = total.get(a.region, 0.0) + a.pull()
        return total

    def _open_market(self) -> None:
        """Each region's home market as the first quarter finds it: its firms' pull, and imports taking
        ``import_penetration`` of the whole."""
        m0 = self.p["import_penetration"]
        self.opening = {r: x / (1.0 - m0) for r, x in self._pulls().items()}
        self.imports0 = {r: m0 * x for r, x in self.opening.items()}

    def _requirements(self) -> dict[int, float]:
        """Competitiveness each region's market requires to cover fixed costs: moves with the region's total pull
        (rivals and imports; with home-market shares off, imports only)."""
        p = self.p
        theta = p["home_share_elasticity"]
        pressure = p["import_pressure"] * self.tariff_cut if p["import_competition"] else 0.0
        firms = self._pulls()
        required = {}
        for r, opening in self.opening.items():
            imports = self.imports0[r] + opening * math.expm1(theta * pressure)
            total = firms[r] + imports if p["home_market_shares"] else opening - self.imports0[r] + imports
            required[r] = p["survival_threshold"] + math.log(total / opening) / theta
        return required

    def _draw(self, regions, required) -> list[dict]:
        """New firms in ``regions``, each would-be entrant judging itself against its vacancy's ``required``."""
        s = demography.entrants(self.nrng, np.asarray(regions), self.world, self.p, 0,
                                np.asarray(self.region_infra), np.asarray(required, float))
        out = []
        for i in range(s.n):
            out.append({"region": int(s.region[i]), "sector": int(s.sector[i]), "size": float(s.size[i]),
                        "size_class": int(s.size_class[i]), "eo": float(s.eo[i]),
                        "comp": list(map(float, s.comp[:, i])), "comp_base": list(map(float, s.comp_base[:, i])),
                        "conn": list(map(float, s.conn[:, i])), "conn_base": list(map(float, s.conn_base[:, i])),
                        "infra_factor": float(s.infra_factor[i]), "barriers": list(map(float, s.barriers[:, i])),
                        "exo_base": float(s.exo_base[i]), "stage": STAGES[int(s.stage[i])],
                        "experience": 0.0, "ever_exported": False, "spell": 0,
                        "demand_x": float(s.demand_x[i]), "knows_demand": bool(s.knows_demand[i]),
                        "error": float(s.error[i]), "home_margin": 0.0,
                        "import_intensity": float(s.import_intensity[i]), "age": int(s.age[i]),
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

    def _enforce(self) -> None:
        """Regulations set the regime channels, as far as their budget pays for enforcing them; only the
        tariff cut outlasts the quarter."""
        self.framework_level = self.requirement_level = self.red_tape_cut = 0.0
        for es in self.entries:
            e, spec, amount = es["entry"], es["entry"].spec, self._budget(es)
            if spec.mode != "regulatory" or amount <= 0:
                continue
            covered = len(self.smes) if spec.covers == "smes" else len(self.les)
            full = e.intensity * spec.unit_cost * covered
            if full <= 0:
                continue
            spent = min(amount, full)
            level = e.intensity * spent / full
            for channel, strength in spec.effects.items():
                name = REGIME[channel]
                setattr(self, name, max(getattr(self, name), min(1.0, strength * level)))
            es["remaining"] -= spent
            self.spent += spent

    def _deliver(self) -> None:
        """Programmes and public goods, in package order."""
        seen = {a: a.capability() for a in self.smes}
        self.potentials = {stage: {a: a.potential(stage, seen[a]) for a in self.smes}
                           for stage in ("precondition", "strengthening")}
        for es in self.entries:
            spec, amount = es["entry"].spec, self._budget(es)
            if spec.mode == "regulatory" or amount <= 0:
                continue
            if spec.mode == "public_good":
                self._build(es, amount)
            else:
                self._programme(es, amount)

    def _potential(self, stage: str) -> dict:
        """Each SME's potential for programmes of this stage, as delivery began this quarter."""
        return self.potentials[stage]

    def _may_take(self, e, a: SMEAgent) -> bool:
        if e.targeting.regions is not None and a.region not in e.targeting.regions:
            return False
        if e.targeting.sectors is not None and a.sector not in e.targeting.sectors:
            return False
        if e.spec.eligibility == "unmapped":
            return not a.mapped
        if e.spec.eligibility == "collateral":
            return a.comp[C["finance"]] >= 0.45 or a.size >= 5
        return True

    def _mean_capacity(self) -> float:
        return sum(self.capacity) / len(self.capacity)

    def _through_regions(self, e) -> bool:
        """Whether the entry is delivered through each region's own apparatus: local delivery, and national
        delivery where the centre funds it through the regions (``central_need_allocation``); otherwise
        national offices of the country's average competence."""
        return e.deliverer != "national" or bool(self.p["central_need_allocation"])

    def _efficiency(self, e) -> list[float]:
        """Share of each region's budget that reaches firms: the capacity of the apparatus that delivers it
        (the region's own, or the national mean when it goes through national offices or local capacity is
        switched off)."""
        if self._through_regions(e) and self.p["local_capacity"]:
            return [max(c, 1e-9) for c in self.capacity]
        return [max(self._mean_capacity(), 1e-9)] * len(self.capacity)

    def _reading_capacity(self, e, r: int) -> float:
        """The capacity with which region ``r``'s need is read: its own government's for local delivery (local
        knowledge); for the centre's own estimate, the national average (it has no regional apparatus of its
        own), and for local ones too with ``local_knowledge`` off."""
        if e.deliverer != "national" and self.p["local_knowledge"]:
            return self.capacity[r]
        return self._mean_capacity()

    def _follows_need(self, e) -> bool:
        """Whether the entry's regional budgets read estimated need at all: local ones when need allocation
        is on and levels coordinate; national ones only if the centre allocates by that same rule."""
        p = self.p
        follows = bool(p["need_allocation"]) and p["coordination"] > 0
        return follows and (e.deliverer != "national" or bool(p["central_need_allocation"]))

    def _estimated_need(self, e, eligible: list[SMEAgent]) -> list[float]:
        """Each region's need as the allocating government reads it off the mapped SMEs, with a log-normal
        error that falls with the reading apparatus's capacity."""
        R, p = self.world.n_regions, self.p
        potential = self._potential(e.spec.stage)
        firms, seen, seen_potential = [0] * R, [0] * R, [0.0] * R
        for a in eligible:
            firms[a.region] += 1
            if a.mapped and p["targeting"]:
                seen[a.region] += 1
                seen_potential[a.region] += potential[a]
        if sum(seen) > 0:
            prior = sum(seen_potential) / sum(seen)
            mean = [seen_potential[r] / seen[r] if seen[r] else prior for r in range(R)]
        else:
            mean = [1.0] * R
        need = []
        for r in range(R):
            sd = p["need_noise"] * (1.0 - self._reading_capacity(e, r))
            need.append(firms[r] * mean[r] * math.exp(sd * self.need_error[r] - 0.5 * sd * sd))
        return need

    def _shares(self, e, eligible: list[SMEAgent], eff: list[float]) -> list[float]:
        """Budget share of each region: by eligible SMEs, or, where allocation follows need, partly by estimated
        need times delivery efficiency (as far as levels coordinate)."""
        R = self.world.n_regions
        pop = [0] * R
        for a in eligible:
            pop[a.region] += 1
        total = sum(pop)
        share = [x / total if total else 0.0 for x in pop]
        need = [n * f for n, f in zip(self._estimated_need(e, eligible), eff)]
        if not self._follows_need(e) or sum(need) <= 0:
            return share
        c = self.p["coordination"]
        return [c * need[r] / sum(need) + (1 - c) * share[r] for r in range(R)]

    def _overlap_weight(self, a: SMEAgent) -> float:
        """Agencies that coordinate, as far as they screen for overlap, skip SMEs other programmes already
        serve: weight ``1 - coordination * overlap_screening`` for an SME already served, 1 otherwise."""
        screening = self.p["coordination"] * self.p["overlap_screening"]
        return 1.0 - screening if screening > 0 and a.support > SERVED else 1.0

    def _programme(self, es, amount: float) -> None:
        """A per-firm programme: regional quotas, recipients drawn by weight, applied until the money runs out."""
        e, spec, p = es["entry"], es["entry"].spec, self.p
        R = self.world.n_regions
        eligible = [a for a in self.smes if self._may_take(e, a)]
        eff = self._efficiency(e)
        share = self._shares(e, eligible, eff)
        dose = e.intensity
        if dose <= 0:
            return
        unit = spec.unit_cost * dose
        quota = [amount * share[r] * eff[r] / unit for r in range(R)]
        kappa = p["targeting_strength"]
        targeted = (e.targeting.select == "potential" and kappa > 0 and p["targeting"]
                    and any(a.mapped for a in self.smes))
        if targeted:
            potential = self._potential(spec.stage)
            score = {a: (potential[a] + MIN_POTENTIAL) ** kappa for a in self.smes}
            mean = sum(score.values()) / len(score)
        weights, total = {}, [0.0] * R
        for a in eligible:
            w = (score[a] / mean if targeted and a.mapped else 1.0) * self._overlap_weight(a)
            weights[a] = w
            total[a.region] += w
        chosen = [a for a in eligible
                  if total[a.region] > 0 and self.random.random() < quota[a.region] * weights[a] / total[a.region]]
        self.random.shuffle(chosen)
        cost = 0.0
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

    def _build(self, es, amount: float) -> None:
        """A public good: regional infrastructure, allocated like a programme, used by every SME there."""
        e, spec = es["entry"], es["entry"].spec
        R = self.world.n_regions
        eligible = [a for a in self.smes if self._may_take(e, a)]
        eff = self._efficiency(e)
        share = self._shares(e, eligible, eff)
        counts = [0] * R
        for a in self.smes:
            counts[a.region] += 1
        for r in range(R):
            coverage = amount * share[r] * eff[r] / (spec.unit_cost * max(counts[r], 1))
            infra = self.region_infra[r]
            self.region_infra[r] = infra + spec.effects["infrastructure"] * (1 - math.exp(-coverage)) * (1 - infra)
        es["remaining"] -= amount * sum(share)
        self.spent += amount * sum(share)

    # --- alliances ----------------------------------------------------------------
    def _alliances(self) -> None:
        p = self.p
        if p["gvc_shock_step"] >= 0 and self.t == p["gvc_shock_step"]:
            self.shock = p["gvc_shock_size"]
        shock_now = self.shock if self.t == p["gvc_shock_step"] else 0.0
        if not self.les:
            return
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
            if a.partner is None and a.conn_index() >= p["connectivity_required"]:
                self.pool.setdefault(a.sector, []).append(a)
        self.les.shuffle_do("search")
        rate = p["tech_transfer"] * (1.0 + self.requirement_level)
        for a in self.smes:
            if a.partner is not None:
                for j, share in ((C["technology"], 1.0), (C["quality"], 1.0), (C["skills"], 0.5)):
                    d = share * rate * (1.0 - a.comp[j])
                    a.comp[j] += d
                    a.comp_base[j] += 0.5 * d

    # --- the quarter ------------------------------------------------------------
    def _cluster_shares(self) -> None:
        exporting, count = {}, {}
        for a in self.smes:
            key = (a.region, a.sector)
            count[key] = count.get(key, 0) + 1
            exporting[key] = exporting.get(key, 0) + a.exporting()
        self.cluster_share = {k: exporting[k] / count[k] for k in count}

    def _renew(self) -> None:
        """Exiting firms leave; entrants take their places in the same regions."""
        self.flows["exits"] = len(self.exiting)
        if not self.exiting:
            return
        regions = [a.region for a in self.exiting]
        fresh = self._draw(regions, [self.required[r] for r in regions])
        for a, firm in zip(self.exiting, fresh):
            if a.partner is not None:
                a.partner.suppliers.remove(a)
            a.remove()
            SMEAgent(self, firm).enter_market(self.required[firm["region"]])

    def _lasting_entrants(self) -> int:
        """First entries that lasted: of the firms that first exported ``LASTING_QUARTERS`` quarters ago, those
        still in business that have exported in every quarter since (their spell began at that entry).

        Remembers this quarter's first entrants, from recorded quarters only (not the warm-up); read after
        the spells of this quarter are counted.
        """
        step = self.t + 1
        if self.t >= 0:
            self.first_entries[step] = self.first_entrants
        cohort = self.first_entries.pop(step - LASTING_QUARTERS, [])
        return sum(a in self.smes and a.spell > LASTING_QUARTERS for a in cohort)

    def _quarter(self, policy: bool) -> None:
        self.flows = dict.fromkeys(("became_aware", "export_entries", "new_exporters", "born_global", "export_stops",
                                    "alliances_formed", "alliances_dissolved", "exits", "lasting_entrants"), 0)
        self.first_entrants: list[SMEAgent] = []
        self.spent = 0.0
        # 1. Learning.
        self._cluster_shares()
        self.smes.shuffle_do("learn")
        # 2. Governments: regulations, then programmes; awareness.
        if policy:
            self._enforce()
            self._deliver()
        self.smes.shuffle_do("check_awareness")
        # 3. Alliances.
        self._alliances()
        # 4. Trade.
        self.smes.shuffle_do("update_beliefs")
        self.smes.shuffle_do("trade")
        self.smes.do("gain_experience")
        self.flows["lasting_entrants"] = self._lasting_entrants()
        self.smes.do("sell_abroad")
        self.flows["export_sales"] = sum(a.sales for a in self.smes)
        # 5. The home market and demography: requirements from this quarter's pulls; firms grow, sell at
        # home, upgrade where it pays, exit when profit falls short (on their standing before upgrading),
        # and are replaced by entrants.
        self.required = self._requirements()
        self.smes.shuffle_do("grow")
        self.smes.do("account")
        self.smes.do("upgrade")
        self.exiting = []
        self.smes.shuffle_do("survive")
        self._renew()
        for a in self.smes:
            a.age += 1
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
                "mean_size": sum(a.size for a in smes) / n, "home_sales": sum(a.home_sales for a in smes),
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
                "exporter_years": sum(r["exporters"] for r in rows) / QUARTERS_PER_YEAR,
                "lasting_entrants": sum(r["lasting_entrants"] for r in rows),
                "exits": sum(r["exits"] for r in rows), "new_exporters": sum(r["new_exporters"] for r in rows),
                "export_participation": last["export_participation"],
                "export_sales": sum(r["export_sales"] for r in rows),
                "home_sales": sum(r["home_sales"] for r in rows),
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
