"""Demography: the world's regions, new firms, firm growth, exits and firm renewal."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..stack import RunParams, Stack, Streams, at, grouped, normals, on, uniforms
from ..state import (
    EXPORTING,
    FIRM_CONN,
    MAX_SME_SIZE,
    PRECONDITION,
    SIZE_BOUNDS,
    STRENGTHENING,
    B,
    C,
    K,
    SMEArrays,
    size_class,
)

# How much regions differ at full heterogeneity (half-widths of even spreads).
_INFRA_SPREAD = 0.35
_CAPACITY_MEAN, _CAPACITY_SPREAD = 0.6, 0.3
_POPULATION_SPREAD = 0.6
_SKILL_SPREAD = 1.0  # logit shift of regional human capital
# Micro firms die more often than small and medium ones (BIES 42(3), 2006).
_SIZE_HAZARD = np.array([1.2, 0.7, 0.45])
# Would-be entrants drawn for each vacancy; the first that judges it can hold
# the home market enters (a fixed number, so paired runs draw alike).
CANDIDATES = 4
# Growth volatility falls with size as size^-0.2 (Stanley et al. 1996, Nature 379).
VOLATILITY_SIZE_SLOPE = 0.2


def _scalar_logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


# Baseline log-odds of the knowledge, resource and procedure barriers of a typical entrant.
_BARRIER_LOGIT = np.array([[math.log(0.7 / 0.3)], [math.log(0.6 / 0.4)], [math.log(0.6 / 0.4)]])


def _logit_of(p: Mapping, name: str, runs: np.ndarray) -> float | np.ndarray:
    """Log-odds of a share parameter for items of the given runs (computed per run, as a lone run would)."""
    if isinstance(p, RunParams) and not p.uniform(name):
        return np.array([_scalar_logit(v) for v in p.run(name).tolist()])[runs]
    return _scalar_logit(p.runs[0][name] if isinstance(p, RunParams) else p[name])


def _draw(rng: np.random.Generator | Streams, method: str, counts: np.ndarray, lead: tuple[int, ...] = ()
          ) -> np.ndarray:
    """``counts[k]`` draws for run k (a plain generator is one run), stacked along the last axis."""
    if isinstance(rng, Streams):
        return getattr(rng, method)(lead=lead, counts=counts)
    return getattr(rng, method)((*lead, int(counts.sum())))


def _beta(rng: np.random.Generator | Streams, p: Mapping, counts: np.ndarray, conc: float) -> np.ndarray:
    """Entrepreneurial orientation: Beta with mean ``eo_mean`` and concentration ``conc``, per run."""
    means = p.run("eo_mean").tolist() if isinstance(p, RunParams) else [p["eo_mean"]]
    gens = rng.generators if isinstance(rng, Streams) else [rng]
    parts = [g.beta(m * conc, (1 - m) * conc, int(c)) for g, m, c in zip(gens, means, counts) if c]
    return np.concatenate(parts) if parts else np.empty(0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _spread(rng: np.random.Generator, n: int) -> np.ndarray:
    """n values evenly spaced over [-1, 1], in random order (so regions truly differ)."""
    return rng.permutation(np.linspace(-1.0, 1.0, n)) if n > 1 else np.zeros(n)


@dataclass
class World:
    """The regions and sectors SMEs live in."""

    infrastructure: np.ndarray   # (R,) regional infrastructure level
    capacity: np.ndarray         # (R,) competence of each local government
    skill: np.ndarray            # (R,) regional human capital (logit shift of competitiveness)
    population_share: np.ndarray  # (R,) share of SMEs in each region
    n_sectors: int
    run_of_region: np.ndarray | None = None  # in a batch, each region's run (regions of all runs, stacked)

    def runs(self, regions: np.ndarray) -> np.ndarray:
        """The run of each item in ``regions`` (0 for a single run)."""
        return np.zeros(len(regions), np.int64) if self.run_of_region is None else self.run_of_region[regions]

    def per_run_counts(self, regions: np.ndarray) -> np.ndarray:
        """How many of ``regions`` (sorted by run) fall in each run."""
        if self.run_of_region is None:
            return np.array([len(regions)])
        return np.bincount(self.run_of_region[regions], minlength=int(self.run_of_region.max()) + 1)

    @property
    def n_regions(self) -> int:
        return len(self.infrastructure)


def make_world(rng: np.random.Generator, p: Mapping) -> World:
    """Regions that differ in infrastructure, human capital, local capacity and size, scaled by heterogeneity.

    With ``region_heterogeneity = 0`` every region is the same (the H2 control).
    """
    r, h = p["n_regions"], p["region_heterogeneity"]
    infra = np.clip(p["infrastructure_mean"] + h * _INFRA_SPREAD * _spread(rng, r), 0.0, 1.0)
    capacity = np.clip(_CAPACITY_MEAN + h * _CAPACITY_SPREAD * _spread(rng, r), 0.05, 1.0)
    skill = h * _SKILL_SPREAD * _spread(rng, r)
    weight = np.exp(h * _POPULATION_SPREAD * _spread(rng, r))
    return World(infra, capacity, skill, weight / weight.sum(), p["n_sectors"])


def lowest_third(capacity: np.ndarray, stack: Stack) -> np.ndarray:
    """The lowest third of each run's regions by local capacity (at least one region; ties by region number):
    the regions a policy that follows delivery capacity serves least, whose exporters the equity outcome counts."""
    low = np.zeros(len(capacity), bool)
    for a, b in zip(stack.region_bounds[:-1].tolist(), stack.region_bounds[1:].tolist()):
        order = np.argsort(capacity[a:b], kind="stable")
        low[a + order[:max(1, math.ceil((b - a) / 3))]] = True
    return low


def infrastructure_access(region_level: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """A firm's use of its region's infrastructure: the regional level, scaled by where it sits."""
    return np.minimum(region_level * factor, 1.0)


def region_of_rows(world: World, n: int) -> np.ndarray:
    """Region of each row: contiguous blocks sized by population share."""
    counts = np.floor(world.population_share * n).astype(np.int64)
    counts[np.argsort(-world.population_share)[: n - counts.sum()]] += 1
    return np.repeat(np.arange(world.n_regions), counts)


_TOP_LOG_SIZE = math.log(MAX_SME_SIZE + 1.0)
_LOG_SMALL, _LOG_MEDIUM = (math.log(b) for b in SIZE_BOUNDS)


def _pareto_sizes(u: np.ndarray, tail: float) -> np.ndarray:
    """Employment from a Pareto law truncated to SMEs (1 to under 100 workers), at uniforms ``u``: heavy-tailed,
    mostly micro. Continuous: a firm of 4.6 workers is micro, one of 5.0 small."""
    top = (MAX_SME_SIZE + 1.0) ** -tail
    return ((1.0 - u * (1.0 - top)) ** (-1.0 / tail)).clip(1.0, MAX_SME_SIZE + 1.0 - 1e-9)


def _own_draws(rng: np.random.Generator | Streams, regions: np.ndarray, world: World, p: Mapping
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The part of a new firm it knows before entering: size, firm effect and competitiveness components.

    Components are logit-normal around their means with a firm effect shared
    by all components (good firms are good at several things) and a size
    effect.
    """
    runs, counts = world.runs(regions), world.per_run_counts(regions)
    z = _draw(rng, "standard_normal", counts, (6,))
    size = grouped(_pareto_sizes, _draw(rng, "random", counts), on(p, "size_tail", runs))
    lsize = np.log(size)
    firm = z[0]
    logit = _logit_of(p, "comp_mean", runs)
    comp = _sigmoid(logit + world.skill[regions] + 0.25 * lsize + 0.6 * firm + 0.5 * z[1:6])
    comp[C["finance"]] = finance_capability(logit, world.skill[regions], lsize, firm, z[1 + C["finance"]],
                                            on(p, "finance_firm_link", runs))
    return size, lsize, firm, comp


def imported_inputs(u_importer: np.ndarray, u_share: np.ndarray, p: Mapping, runs: np.ndarray) -> np.ndarray:
    """Imported inputs as a share of each new firm's sales, at two uniforms per firm.

    ``importer_share`` of firms buy inputs abroad (a minority of plants, as in Indonesian manufacturing:
    Amiti & Konings 2007); among them the share is uniform on (0, 2 ``import_intensity``), so it varies widely
    (judgment: no source gives its spread for SMEs).
    """
    importer = u_importer < on(p, "importer_share", runs)
    return np.where(importer, 2.0 * on(p, "import_intensity", runs) * u_share, 0.0)


def new_firms(rng: np.random.Generator | Streams, regions: np.ndarray, world: World, p: Mapping,
              first_id: int | np.ndarray, region_infra: np.ndarray,
              own: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None) -> SMEArrays:
    """Draw ``len(regions)`` new SMEs in the given regions (``own``: their :func:`_own_draws`, if drawn).

    Connectivity components are logit-normal around their means with size,
    firm and entrepreneurial-orientation effects; barriers fall with the
    matching components. In a batch, ``regions`` are the batch's, sorted by
    run, and ``first_id`` holds each run's next firm id.
    """
    n = len(regions)
    size, lsize, firm, comp = own if own is not None else _own_draws(rng, regions, world, p)
    runs, counts = world.runs(regions), world.per_run_counts(regions)
    # One block of normals and one of uniforms: a few large draws cost far
    # less than many small ones when a quarter brings only a few dozen entrants.
    z = _draw(rng, "standard_normal", counts, (9,))
    u = _draw(rng, "random", counts, (4,))
    eo = _beta(rng, p, counts, 4.0)
    eo_dev = eo - on(p, "eo_mean", runs)
    conn_mean = on(p, "conn_mean", runs)

    conn = np.empty((5, n))
    own_conn = _sigmoid(_logit_of(p, "conn_mean", runs) + 0.15 * lsize + 0.4 * firm + 0.8 * eo_dev + 0.5 * z[0:3])
    conn[FIRM_CONN] = np.where(np.asarray(conn_mean) > 0.0, own_conn, 0.0)
    conn[K["le_linkage"]] = 0.0
    infra_factor = np.exp(0.2 * z[3])
    conn[K["infrastructure"]] = infrastructure_access(region_infra[regions], infra_factor)

    barriers = np.empty((4, n))
    comp_mean = on(p, "comp_mean", runs)
    barriers[B["knowledge"]] = -2.0 * (eo_dev + conn[K["market_knowledge"]] - conn_mean) + 0.6 * z[4]
    barriers[B["resource"]] = -2.5 * (comp[C["finance"]] - comp_mean) - 0.3 * lsize + 0.4 * z[5]
    barriers[B["procedure"]] = -2.0 * (conn[K["institutional"]] - conn_mean) + 0.4 * z[6]
    barriers[:3] += _BARRIER_LOGIT
    barriers[:3] = _sigmoid(barriers[:3])
    exo_base = 0.2 + 0.4 * u[0]
    barriers[B["exogenous"]] = exo_base

    stage = np.where(barriers[B["knowledge"]] < on(p, "awareness_threshold", runs),
                     STRENGTHENING, PRECONDITION).astype(np.int8)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ids = np.arange(n, dtype=np.int64) - starts[runs] + np.asarray(first_id, np.int64).reshape(-1)[runs]
    return SMEArrays(
        firm_id=ids,
        region=regions.astype(np.int64),
        sector=(u[1] * on(p, "n_sectors", runs)).astype(np.int64),
        size=size, size_class=size_class(size).astype(np.int8), eo=eo,
        comp=comp, comp_base=comp.copy(), conn=conn, conn_base=conn.copy(),
        infra_factor=infra_factor, barriers=barriers, exo_base=exo_base,
        stage=stage,
        experience=np.zeros(n), ever_exported=np.zeros(n, bool), spell=np.zeros(n, np.int64),
        demand_x=np.zeros(n), knows_demand=np.zeros(n, bool), error=on(p, "decision_noise", runs) * z[8],
        home_margin=np.zeros(n), import_intensity=imported_inputs(u[2], u[3], p, runs),
        partner=np.full(n, -1, np.int64), mapped=np.zeros(n, bool),
        support=np.zeros(n), age=np.zeros(n, np.int64),
    )


def entrants(rng: np.random.Generator | Streams, regions: np.ndarray, world: World, p: Mapping,
             first_id: int | np.ndarray, region_infra: np.ndarray, required: float | np.ndarray) -> SMEArrays:
    """New firms for ``len(regions)`` vacancies: free entry with imperfect self-knowledge.

    For each vacancy :data:`CANDIDATES` would-be entrants are drawn; each
    judges its competitiveness against what the home market now requires
    (``required``: its region's requirement, :meth:`simulation.mechanisms.market.HomeMarket.requirement`)
    with an error of sd
    ``entrant_noise``, and the first that judges it can hold the market
    enters (the best-judged one if none does). Entry thus responds to
    conditions: after a tariff cut entrants are stronger, and the extra exits
    a shock causes fade (Jovanovic 1982; Hopenhayn 1992). With
    ``entry_selection`` off the first candidate always enters.
    """
    n = len(regions)
    runs, counts = world.runs(regions), world.per_run_counts(regions)
    candidates = np.repeat(regions, CANDIDATES)
    size, lsize, firm, comp = _own_draws(rng, candidates, world, p)
    noise = on(p, "entrant_noise", np.repeat(runs, CANDIDATES))
    judged = (comp.sum(axis=0) * 0.2 - np.repeat(np.broadcast_to(required, (n,)), CANDIDATES)
              + noise * _draw(rng, "standard_normal", counts * CANDIDATES)).reshape(n, CANDIDATES)
    ok = judged > 0.0
    first = np.where(ok.any(axis=1), ok.argmax(axis=1), judged.argmax(axis=1))
    first = np.where(np.asarray(on(p, "entry_selection", runs)) != 0, first, 0)
    pick = np.arange(n) * CANDIDATES + first
    out = new_firms(rng, regions, world, p, first_id, region_infra,
                    own=(size[pick], lsize[pick], firm[pick], comp[:, pick]))
    return out


def grow_firms(rng: np.random.Generator | Streams, s: SMEArrays, home_standing: np.ndarray, p: Mapping) -> None:
    """Employment follows Gibrat's law with reflecting bounds at 1 and 100 workers (Gabaix 1999).

    Log growth is a shock of sd ``growth_volatility * size^-0.2`` (larger
    firms grow more steadily; Stanley et al. 1996), a common drift
    ``-(0.2 + size_tail / 2) sd^2``, which alone keeps sizes on their Pareto
    law of exponent ``size_tail``, a premium for exporters (foreign sales,
    learning by exporting), and ``growth_competitiveness`` times the change in the
    firm's home standing (:func:`simulation.mechanisms.market.standing`): a
    firm whose competitiveness rises (support, learning, a partner) or whose
    rivals leave takes on workers, and firms shed workers when a tariff cut
    lets imports in (the engine passes the standing net of the customers a
    young firm still has to build: employment follows what a firm earns per
    customer). The
    size-export gradient thus also grows out of the dynamics, not only out of
    the initial draw.
    """
    change = home_standing - s.home_margin
    s.home_margin = home_standing
    switch = p["firm_growth"]
    if isinstance(switch, np.ndarray):  # a batch where some runs have growth off: only the others' rows
        rows = np.flatnonzero(switch)
    elif not switch:
        return
    else:
        rows = slice(None)
    x = np.log(s.size[rows])
    sd = at(p, "growth_volatility", rows) * np.exp(-VOLATILITY_SIZE_SLOPE * x)
    drift = (-(VOLATILITY_SIZE_SLOPE + 0.5 * at(p, "size_tail", rows)) * sd * sd
             + at(p, "growth_competitiveness", rows) * change[rows]
             + at(p, "exporter_growth", rows) * (s.stage[rows] >= EXPORTING))
    x += drift
    x += sd * normals(rng, s.n if isinstance(rows, slice) else rows)
    np.abs(x, out=x)
    over = x > _TOP_LOG_SIZE  # reflected at the top too (rare: few firms near 100 workers)
    x[over] = 2.0 * _TOP_LOG_SIZE - x[over]
    np.clip(x, 0.0, _TOP_LOG_SIZE - 1e-9, out=x)
    s.size[rows] = np.exp(x)
    s.size_class[rows] = (x >= _LOG_SMALL).view(np.int8) + (x >= _LOG_MEDIUM).view(np.int8)


def finance_capability(logit_mean: float | np.ndarray, skill: np.ndarray, lsize: np.ndarray, firm: np.ndarray,
                       noise: np.ndarray, link: float | np.ndarray) -> np.ndarray:
    """Access to finance: like the other components, but tied to the firm's overall quality only by ``link``.

    A micro firm's access to credit rests mostly on collateral and its bank
    relationship, not on how well it is run, so the shared firm effect enters
    with its own loading; the idiosyncratic part makes up the difference, so
    the spread across firms is the same whatever the loading.
    """
    idiosyncratic = np.sqrt(np.maximum(_COMPONENT_VAR - link * link, 0.0))
    return _sigmoid(logit_mean + skill + 0.25 * lsize + link * firm + idiosyncratic * noise)


# Variance of a component's firm-level log-odds: firm effect (0.6) plus idiosyncratic part (0.5).
_COMPONENT_VAR = 0.6 ** 2 + 0.5 ** 2


def exit_hazard(s: SMEArrays, shortfall: np.ndarray, p: Mapping) -> np.ndarray:
    """Quarterly probability that each SME closes.

    A base hazard that falls with size (firm renewal), plus a competition
    term: ``competition_exit`` per unit of the firm's profit shortfall
    (:func:`simulation.mechanisms.market.profit_shortfall`), the part of its
    fixed costs home and foreign margins leave uncovered, in units of
    competitiveness. Import competition, rivals' gains and cheaper inputs all
    reach exit through it.
    """
    base = p["base_exit_rate"] * _SIZE_HAZARD[s.size_class]
    return np.minimum(base + p["competition_exit"] * shortfall, 1.0)


def draw_exits(rng: np.random.Generator, hazard: np.ndarray) -> np.ndarray:
    """Rows whose firm exits this quarter (one uniform per row, whatever the policy)."""
    return np.flatnonzero(uniforms(rng, len(hazard)) < hazard)

