"""Where every number of the model comes from.

For each parameter of the registry (:mod:`simulation.params`) and each
instrument of the catalogue (:mod:`simulation.policy`), a :class:`Provenance`
says what kind of number it is and why it has its value:

- ``source``: a published source cited in the repository gives or pins it;
- ``calibrated``: fitted to a fact of ``calibration/targets.toml``
  (``docs/calibration.md`` says which fact pins which parameter);
- ``judgment``: set by judgment, for the reason given; ``plausible`` is the
  judged range when it differs from the registry's sweep range (for the
  catalogue, always given: ``unit_cost`` in its own kUSD unit, ``effects`` as
  a multiplier applied to every strength of the instrument);
- ``design``: a choice a scenario or a study makes, not an estimate;
- ``switch``: a mechanism switch for ablations.

Pure data, with :func:`cited` to print one entry; this module imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("source", "calibrated", "judgment", "design", "switch")


@dataclass(frozen=True)
class Provenance:
    """Where one number comes from."""

    kind: str  # one of KINDS
    text: str
    plausible: tuple[float, float] | None = None  # judgment only, when it differs from the registry's sweep range


def cited(provenance: Provenance, sweep: tuple[float, float] | None = None) -> str:
    """One line for a table: the kind, the text and, for judgment, the plausible range (else ``sweep``)."""
    line = f"{provenance.kind}: {provenance.text}"
    plausible = provenance.plausible or (sweep if provenance.kind == "judgment" else None)
    if provenance.kind == "judgment" and plausible is not None:
        line += f" (plausible {plausible[0]:g} to {plausible[1]:g})"
    return line


def _cal(fact: str, extra: str = "") -> Provenance:
    return Provenance("calibrated", f"Fitted to {fact} (calibration/targets.toml, docs/calibration.md).{extra}")


def _j(text: str, plausible: tuple[float, float] | None = None) -> Provenance:
    return Provenance("judgment", text, plausible)


def _d(text: str) -> Provenance:
    return Provenance("design", text)


_SWITCH = Provenance("switch", "Ablation switch: 1 in every scenario unless an ablation turns it off.")
_EFFECTS = " Plausible: each strength from half to one and a half times its value."
_COST = " Plausible: half to double (kUSD per SME treated at dose 1)."

PARAMETERS: dict[str, Provenance] = {
    # --- population -------------------------------------------------------
    "n_smes": _d("Size of the simulated economy, a choice of each study (2,000 by default, 100,000 for "
                 "calibration); per-SME outcomes do not depend on it at the same budget per SME."),
    "n_regions": _d("Number of regions (districts) of the stylized economy, a modelling choice."),
    "n_sectors": _d("Number of sectors of the stylized economy, a modelling choice."),
    "les_per_1000_smes": _j("A few dozen lead firms for an economy of a few thousand SMEs (30 for the "
                            "default 2,000), so the economy's structure does not change with its size."),
    "size_tail": _cal("the micro share of MSMEs (OECD 2018, set below the census's 98.75% for informal firms)"),
    "eo_mean": _j("A minority of SMEs have the entrepreneurial orientation of born globals."),
    "region_heterogeneity": _d("How unequal the scenario's regions are: 1 the full spread of infrastructure and "
                               "capacity, 0 the identical-regions control of H2."),
    "base_exit_rate": _cal("firm renewal of the 20+ workers population until 0.7.0",
                           " Since 0.8.0 growth_volatility pins that fact; 0.0099 was kept, not refitted, "
                           "and no fact pins it closely."),
    "entrant_noise": _j("Would-be entrants misjudge their competitiveness by about a tenth of its "
                        "range (docs/calibration.md)."),
    "growth_volatility": _cal("firm renewal of the 20+ workers population (BIES 42(3), 2006), which it pins "
                              "since 0.8.0", " It falls with size as size^-0.2 (Stanley et al. 1996)."),
    # --- competitiveness --------------------------------------------------
    "comp_mean": _j("Most SMEs start far below the frontier in each competitiveness component."),
    "finance_firm_link": _j("A micro firm's access to credit rests on collateral and its bank, not on how "
                            "well it is run (docs/calibration.md); it shapes the credit-rationed exporting "
                            "fact (Minetti & Zhu 2011)."),
    "comp_depreciation": _j("Gains above a firm's lasting level fade over a few years."),
    "support_persistence": _j("Somewhat under half of a programme's gain becomes lasting capability."),
    "absorptive_precondition": _j("A firm not yet aware of export markets absorbs a third or so of a "
                                  "strengthening programme."),
    "survival_threshold": _j("The competitiveness at which home sales just cover fixed costs in the "
                             "opening market, kept from earlier versions (docs/calibration.md)."),
    "learning_by_exporting": _j("Exporting adds a few percent of the gap to the frontier a quarter."),
    "tech_transfer": _j("A lead firm passes on a few percent of the gap a quarter to an allied SME."),
    "le_threshold": _j("Lead firms ask more of a supplier than the home market asks of a firm."),
    "growth_competitiveness": _j("Employment answers a change in home standing net of customers "
                                 "still to build with elasticity 2 (docs/calibration.md)."),
    "upgrade_step": _j("A quarter's upgrading step closes 1% of the distance to the frontier."),
    "upgrade_cost": _j("No source for SMEs: set so about 2.4% of SMEs upgrade in a quarter without "
                       "policy, exporters about four times as often."),
    "exporter_growth": _j("Exporters grow about 4% a year faster, of the order Bernard and Jensen "
                          "(1999) report."),
    # --- connectivity -----------------------------------------------------
    "conn_mean": _j("Most SMEs start with weak market knowledge, ties and institutional access."),
    "conn_depreciation": _j("As comp_depreciation, connections above the lasting level fade over "
                            "a few years."),
    "infrastructure_mean": _j("Regional infrastructure below the middle of its range on average."),
    "awareness_threshold": _j("A firm leaves precondition once its knowledge barrier is below half."),
    "eo_knowledge_discount": _j("A firm of full entrepreneurial orientation overcomes most of its "
                                "knowledge barrier (the born-global shortcut)."),
    "network_spillover": _j("Peers who export pass on a few percent of knowledge a quarter."),
    "le_openness": _j("Lead firms are moderately open to new SME suppliers before any policy."),
    "alliance_dissolution": _j("An alliance lasts about eight years on average while the SME "
                               "qualifies."),
    "connectivity_required": _j("Lead firms only see SMEs with some connectivity."),
    # --- environment ------------------------------------------------------
    "warmup_steps": _d("Quarters run unrecorded before t = 0 so stages and exports settle, a choice of the "
                       "simulation protocol."),
    "ces_rho": _j("Competitiveness and connectivity are complements (negative exponent), not "
                  "substitutes."),
    "capability_elasticity": _j("Foreign profit rises more than in proportion with export capability."),
    "size_elasticity": _cal("direct-export participation of firms of 10-49 over 1-9 workers (WTO 2016)"),
    "export_margin": _j("The unit of foreign operating profit (kUSD a quarter for a one-worker firm at "
                        "full capability); the sales scale is set by export_margin_rate."),
    "entry_cost": _cal("the direct export share of firms of 5+ workers (WBES Indonesia 2009)"),
    "knowledge_cost": _j("For a typical unaware SME the knowledge part of the sunk cost about equals "
                         "the rest, as knowledge barriers rank first (Arteaga-Ortiz & Fernandez-Ortiz 2010)."),
    "continuation_cost": _cal("exporter persistence, 0.85-0.9 a year among plants of 10+ workers (Roberts & "
                              "Tybout 1997; Bernard & Jensen 2004)", " Jointly with decision_persistence."),
    "experience_discount": _j("Recent export experience saves most of the re-entry cost, as sunk "
                              "costs do (Roberts & Tybout 1997)."),
    "demand_uncertainty": _cal("early export stops, about half of new exporters within a year (Eaton et al. 2008)",
                               " Jointly with decision_noise."),
    "demand_drift": _j("A firm's foreign demand reverts over about five years."),
    "decision_noise": _cal("early export stops, about half of new exporters within a year (Eaton et al. 2008)",
                           " Jointly with demand_uncertainty."),
    "decision_persistence": _cal("exporter persistence, 0.85-0.9 a year among plants of 10+ workers (Roberts "
                                 "& Tybout 1997; Bernard & Jensen 2004)", " Jointly with continuation_cost; "
                                 "optimism or pessimism lasts about two quarters."),
    "export_margin_rate": _cal("exporters' export intensity, a minority of sales abroad (Bernard et al. 2007; "
                               "Mayer & Ottaviano 2008)", " It sets the sales scale only: no decision reads it."),
    "home_sales_per_worker": _j("4,400 USD a year of home sales per worker at the survival threshold."),
    "home_gross_margin": _j("The share of sales left after variable costs of small manufacturers "
                            "and traders."),
    "home_share_elasticity": _j("Set so that the model's 90th-percentile SME sells 4.2 times the 10th per "
                                "worker, inside the 3-5 of revenue productivity Hsieh & Klenow (2009) find in "
                                "China and India."),
    "import_penetration": _j("Imports take a quarter of home demand in the opening market."),
    "entrant_customers": _j("Young plants sell below incumbents of equal productivity (Foster, "
                            "Haltiwanger & Syverson 2016); a new firm starts with 60% of its customers."),
    "customer_build_up": _j("New firms build demand over several years (Foster, Haltiwanger & "
                            "Syverson 2016); two years here."),
    "import_pressure": _j("A full tariff cut raises the competitiveness the home market needs by "
                          "less than a tenth, kept from earlier versions."),
    "importer_share": _j("A minority of plants import inputs, as in Indonesian manufacturing (Amiti "
                         "& Konings 2007)."),
    "import_intensity": _j("Imported inputs a fifth of importers' sales; no source gives their spread "
                           "among SMEs."),
    "input_tariff": _j("Indonesia's tariffs were near 15-20% around 1990 and under 10% by the 2000s "
                       "(docs/calibration.md)."),
    "liberalization_export_gain": _j("Partner tariffs fall with ours, raising foreign margins by 0.3 "
                                     "per unit of tariff cut."),
    "competition_exit": _j("0.4 a quarter per unit of profit shortfall, kept from earlier versions "
                           "with a new meaning (docs/calibration.md)."),
    "gvc_shock_step": _d("Quarter of the GVC consolidation shock, a choice of the scenario (-1: none)."),
    "gvc_shock_size": _d("Size of the GVC consolidation shock, a choice of the scenario (0: none)."),
    "le_export_value": _cal("the SME share of exports (Ministry of Cooperatives and SMEs 2020-21; ADB 2014)"),
    # --- policy -----------------------------------------------------------
    "coordination": _d("The degree of coordination a scenario assumes (the treatment of H1: fragmented 0.1, "
                       "baseline 0.2, integrated 0.9); the registry's 0.3 is a placeholder."),
    "need_noise": _j("A government without reading capacity misjudges regional need by about half "
                     "(log-sd 0.5)."),
    "support_saturation": _j("One full dose is the scale at which support starts to saturate."),
    "support_decay": _j("The support stock behind diminishing returns halves each quarter."),
    "promotion_demand_gain": _j("One dose of promotion finds a median firm buyers worth one sd of log "
                                "foreign demand."),
    "targeting_strength": _j("Mapped information concentrates support clearly, not exclusively, on "
                             "high-potential SMEs."),
    "overlap_screening": _j("All coordination screens recipients for overlap; no source measures the "
                            "share."),
    "central_need_allocation": _d("How the centre allocates its programmes, a design choice of a scenario (H2's "
                                  "arms), not an estimate; 0 keeps allocation by SME numbers."),
    "requirement_deterrence": _j("The middle of 0-0.5: requirements deter some FDI (Moran 1998; "
                                 "UNCTAD 2003) but no source gives a general size."),
    "framework_openness": _j("A full alliance framework raises lead firms' openness by 0.35 (base 0.3)."),
    "requirement_openness": _j("Full performance requirements raise openness as much as the "
                               "framework."),
    # --- mechanism switches -----------------------------------------------
    "complementarity": _SWITCH,
    "absorptive_capacity": _SWITCH,
    "targeting": _SWITCH,
    "overlap": _SWITCH,
    "local_capacity": _SWITCH,
    "need_allocation": _SWITCH,
    "alliance_policy": _SWITCH,
    "fdi_deterrence": _SWITCH,
    "local_knowledge": _SWITCH,
    "import_competition": _SWITCH,
    "home_market_shares": _SWITCH,
    "imported_inputs": _SWITCH,
    "access_upgrading": _SWITCH,
    "knowledge_barrier": _SWITCH,
    "entry_selection": _SWITCH,
    "firm_growth": _SWITCH,
}

CATALOGUE: dict[str, dict[str, Provenance]] = {
    "mapping_study": {
        "unit_cost": _j("No source: a survey contact costs far less than a programme." + _COST,
                        (0.025, 0.1)),
        "effects": _d("No strengths: a mapping study only marks SMEs as mapped; what it reveals is set by "
                      "targeting_strength and the targeting switch."),
    },
    "awareness_information": {
        "unit_cost": _j("No source: campaigns and information services are cheap per SME." + _COST,
                        (0.15, 0.6)),
        "effects": _j("Awareness mainly lowers the knowledge barrier, with some market knowledge."
                      + _EFFECTS, (0.5, 1.5)),
    },
    "alliance_framework": {
        "unit_cost": _j("2.5 kUSD a quarter for the default economy's 30 lead firms, priced per lead "
                        "firm. Plausible: half to double (kUSD per LE covered per quarter).", (2.5 / 60, 2.5 / 15)),
        "effects": _d("Normalization: full enforcement sets the channel to 1; its size is framework_openness."),
    },
    "strategic_measures": {
        "unit_cost": _j("An administration cost, not a transfer to firms (docs/calibration.md). "
                        "Plausible: half to double (kUSD per SME covered per quarter).", (0.00125, 0.005)),
        "effects": _j("Full enforcement cuts every SME's procedure barrier by 40%, an assumption of the "
                      "scenario, not a fact of the sources (docs/calibration.md)." + _EFFECTS, (0.5, 1.5)),
    },
    "trade_liberalization": {
        "unit_cost": _j("A small administration cost per SME covered. Plausible: half to double (kUSD "
                        "per SME covered per quarter).", (0.0005, 0.002)),
        "effects": _d("Normalization: full enforcement removes the input tariff (a cut of 1); its effects are "
                      "sized by input_tariff, liberalization_export_gain and import_pressure."),
    },
    "capacity_training": {
        "unit_cost": _j("No source: about a thousand dollars of training per SME." + _COST, (0.5, 2.0)),
        "effects": _j("Training mainly raises skills and management." + _EFFECTS, (0.5, 1.5)),
    },
    "business_incubation": {
        "unit_cost": _j("No source: incubation is the costliest per-firm programme." + _COST,
                        (1.25, 5.0)),
        "effects": _j("Broad but moderate gains in management, technology, finance and ties."
                      + _EFFECTS, (0.5, 1.5)),
    },
    "access_to_finance": {
        "unit_cost": _j("No source: the public cost of a credit programme per borrower." + _COST,
                        (0.75, 3.0)),
        "effects": _j("Credit raises finance and lowers the resource barrier." + _EFFECTS, (0.5, 1.5)),
    },
    "access_to_finance_guaranteed": {
        "unit_cost": _j("The credit programme's cost plus the guarantee's (a third more)." + _COST,
                        (1.0, 4.0)),
        "effects": _j("As access_to_finance; the guarantee widens who may take it, not the gain."
                      + _EFFECTS, (0.5, 1.5)),
    },
    "technology_upgrading": {
        "unit_cost": _j("No source: equipment and certification support per SME." + _COST, (1.0, 4.0)),
        "effects": _j("Raises technology and quality by about a third of the gap." + _EFFECTS,
                      (0.5, 1.5)),
    },
    "physical_infrastructure": {
        "unit_cost": _j("No source: infrastructure per SME of the region covered. Plausible: half to "
                        "double (kUSD per SME of the region).", (1.5, 6.0)),
        "effects": _j("Full coverage closes about a third of a region's infrastructure gap."
                      + _EFFECTS, (0.5, 1.5)),
    },
    "networks_clusters": {
        "unit_cost": _j("No source: cluster and network programmes are cheap per SME." + _COST,
                        (0.4, 1.6)),
        "effects": _j("Mainly network ties, some market knowledge." + _EFFECTS, (0.5, 1.5)),
    },
    "export_promotion": {
        "unit_cost": _j("No source: trade fairs and missions per SME; its return is then fitted through "
                        "export_margin_rate." + _COST, (0.6, 2.4)),
        "effects": _j("Foreign_demand 1 is in units of promotion_demand_gain; the rest help market "
                      "knowledge and procedures." + _EFFECTS, (0.5, 1.5)),
    },
    "performance_requirements": {
        "unit_cost": _j("As alliance_framework, 2.5 kUSD a quarter for 30 lead firms. Plausible: half "
                        "to double (kUSD per LE covered per quarter).", (2.5 / 60, 2.5 / 15)),
        "effects": _d("Normalization: full enforcement sets the channel to 1; its size is requirement_openness, "
                      "tech_transfer and requirement_deterrence."),
    },
    "economic_stimulus": {
        "unit_cost": _j("No source: a thin subsidy to whoever applies." + _COST, (0.25, 1.0)),
        "effects": _j("A thin subsidy lifts finance a little." + _EFFECTS, (0.5, 1.5)),
    },
}
