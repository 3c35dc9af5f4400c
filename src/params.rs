//! Model parameters: every tunable constant of the engine, with its default, unit, meaning and source.
//!
//! This table is the single source of the defaults. A scenario's `[model]` table may override any
//! entry by its key, with a point or a `low`/`high` range. `docs/model.md` lists the same table.

/// One model parameter, by position in [`SPECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    TradeGdpElasticity,
    TradeAdjustment,
    TradeAffinitySemielasticity,
    TradeNoise,
    FtaMultiplier,
    SanctionMultiplier,
    CrisisTradeDisruption,
    PositionAnchor,
    PositionInfluence,
    PositionVolatility,
    AffinityIntercept,
    AffinityDistanceSlope,
    AffinityDrift,
    ReciprocityRate,
    BalancingRate,
    AffinityNoise,
    TreatyCredibility,
    BetrayalPenalty,
    HonourTension,
    AllianceAffinity,
    MediationEffect,
    EngageEffect,
    DefenceCooperationEffect,
    DefenceCooperationCredibility,
    RivalResentment,
    SanctionAffinityHit,
    CondemnAffinityHit,
    AlignRate,
    ArmsPurchaseEffect,
    SecondarySanctionHazard,
    SecondarySanctionIntensity,
    SecondarySanctionMonths,
    DisengageEffect,
    TradeDealMonths,
    DefaultProximity,
    PressureTension,
}

/// What the engine needs to know about a parameter, and what a reader needs to trust it.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub param: Param,
    pub key: &'static str,
    pub default: f64,
    /// Inclusive bounds a value must lie in.
    pub min: f64,
    pub max: f64,
    pub unit: &'static str,
    pub meaning: &'static str,
    pub source: &'static str,
}

/// Every parameter, in the order of [`Param`].
pub const SPECS: &[ParamSpec] = &[
    ParamSpec {
        param: Param::TradeGdpElasticity,
        key: "trade_gdp_elasticity",
        default: 0.75,
        min: 0.0,
        max: 2.0,
        unit: "elasticity",
        meaning: "e_Y: elasticity of a pair's target trade with respect to the product of their GDPs",
        source: "Santos Silva & Tenreyro 2006, REStat 88(4), Table 3 PPML: exporter 0.733, importer 0.741 (replicated in shared/data/parameters.md §1)",
    },
    ParamSpec {
        param: Param::TradeAdjustment,
        key: "trade_adjustment",
        default: 0.0215,
        min: 0.0,
        max: 1.0,
        unit: "share of gap per month",
        meaning: "lambda: share of the gap between trade and its target closed each month",
        source: "Jung 2009, Swiss J. Econ. Stat. 145(IV): 23% of the gap per year; 1 - 0.77^(1/12) = 0.0215",
    },
    ParamSpec {
        param: Param::TradeAffinitySemielasticity,
        key: "trade_affinity_semielasticity",
        default: 0.10,
        min: 0.0,
        max: 5.0,
        unit: "log points per unit of affinity",
        meaning: "delta: default change in log target trade per unit change of the pair's mean affinity (an actor's doctrine may override it)",
        source: "Michaels & Zhi 2010, AEJ Applied 2(3): -9% trade after a 48-point fall in favourability; -ln(0.91)/0.96 = 0.098",
    },
    ParamSpec {
        param: Param::TradeNoise,
        key: "trade_noise",
        default: 0.01,
        min: 0.0,
        max: 0.5,
        unit: "log SD per month",
        meaning: "sigma_T: SD of the monthly multiplicative shock to each pair's trade",
        source: "assumed (no published monthly figure); chosen small so that policy effects dominate",
    },
    ParamSpec {
        param: Param::FtaMultiplier,
        key: "fta_multiplier",
        default: 2.1,
        min: 1.0,
        max: 5.0,
        unit: "factor",
        meaning: "M_FTA: target-trade multiplier of a full trade agreement (a trade_deal action at intensity I gives M_FTA^I)",
        source: "Baier & Bergstrand 2007, JIE 71(1): an FTA about doubles trade after 10 years; exp(ln 2 / 0.927) = 2.11 with lambda above",
    },
    ParamSpec {
        param: Param::SanctionMultiplier,
        key: "sanction_multiplier",
        default: 0.42,
        min: 0.0,
        max: 1.0,
        unit: "factor",
        meaning: "M_S: target-trade multiplier of a complete sanction (intensity I gives M_S^I)",
        source: "Kwon, Nagengast, Yoon & Yotov, Bundesbank DP 2026-6: complete sanctions cut bilateral trade by about 58%",
    },
    ParamSpec {
        param: Param::CrisisTradeDisruption,
        key: "crisis_trade_disruption",
        default: 0.10,
        min: 0.0,
        max: 1.0,
        unit: "share of target trade",
        meaning: "share of target trade lost by every pair with a party of a theatre while that theatre is in crisis",
        source: "assumed; Li & Sacko 2002 (ISQ 46) find unexpected disputes reduce trade 'substantially' but no magnitude was found",
    },
    ParamSpec {
        param: Param::PositionAnchor,
        key: "position_anchor",
        default: 0.0031,
        min: 0.0,
        max: 1.0,
        unit: "share per month",
        meaning: "1 - s: weight of an actor's initial position in the Friedkin-Johnsen update",
        source: "DERIVED from the AR(1) persistence 0.963/yr of UNGA ideal points 2014-2024 (Voeten July 2025 release): 1 - 0.963^(1/12)",
    },
    ParamSpec {
        param: Param::PositionInfluence,
        key: "position_influence",
        default: 0.003,
        min: 0.0,
        max: 1.0,
        unit: "share per month",
        meaning: "omega: weight of partners' positions (weighted by trade dependence and positive affinity) in the update",
        source: "assumed; no Friedkin-Johnsen weights estimated for states were found (shared/data/parameters.md §9); of the order of the anchor so that drift stays within observed yearly moves",
    },
    ParamSpec {
        param: Param::PositionVolatility,
        key: "position_volatility",
        default: 0.04,
        min: 0.0,
        max: 1.0,
        unit: "ideal-point units, SD per month",
        meaning: "default SD of the monthly random move of a position (an actor's doctrine may override it)",
        source: "DERIVED: yearly SD of ideal-point change net of estimation noise 0.133 / sqrt(12) (Voeten July 2025 release)",
    },
    ParamSpec {
        param: Param::AffinityIntercept,
        key: "affinity_intercept",
        default: 0.886,
        min: -1.0,
        max: 1.0,
        unit: "affinity",
        meaning: "a_0: affinity of two actors at the same position, used for pairs without a given affinity and for the baseline",
        source: "DERIVED: least squares of (2 x UNGA agreement - 1) on ideal-point distance over the 8 pairs of shared/data/facts.md §3.1, all-votes 2023 ideal points: A = 0.886 - 0.442 |dx|, R^2 = 0.97, residual SD 0.08 (docs/model.md)",
    },
    ParamSpec {
        param: Param::AffinityDistanceSlope,
        key: "affinity_distance_slope",
        default: 0.442,
        min: 0.0,
        max: 5.0,
        unit: "affinity per ideal-point unit",
        meaning: "kappa: fall of baseline affinity per unit of distance between positions",
        source: "DERIVED with affinity_intercept (same fit)",
    },
    ParamSpec {
        param: Param::AffinityDrift,
        key: "affinity_drift",
        default: 0.05,
        min: 0.0,
        max: 1.0,
        unit: "share of gap per month",
        meaning: "rho: share of the gap between affinity and its baseline closed each month",
        source: "assumed: a half-life of about a year for a diplomatic shock",
    },
    ParamSpec {
        param: Param::ReciprocityRate,
        key: "reciprocity_rate",
        default: 0.05,
        min: 0.0,
        max: 1.0,
        unit: "share of gap per month",
        meaning: "share of the gap between A_ij and A_ji that a fully reciprocal actor closes each month",
        source: "assumed; reciprocity as a strategy: Axelrod 1984; Keohane 1986 (IO 40(1))",
    },
    ParamSpec {
        param: Param::BalancingRate,
        key: "balancing_rate",
        default: 0.02,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "how fast actors that share a main threat grow closer (balancing) or move toward it (bandwagoning)",
        source: "assumed; mechanism from Walt 1987 (The Origins of Alliances) and Schweller 1994 (IS 19(1))",
    },
    ParamSpec {
        param: Param::AffinityNoise,
        key: "affinity_noise",
        default: 0.01,
        min: 0.0,
        max: 0.5,
        unit: "affinity, SD per month",
        meaning: "SD of the monthly random change of each directed affinity",
        source: "assumed",
    },
    ParamSpec {
        param: Param::TreatyCredibility,
        key: "treaty_credibility",
        default: 0.75,
        min: 0.0,
        max: 1.0,
        unit: "probability",
        meaning: "default probability that a party honours an activated obligation (a treaty may set its own)",
        source: "Leeds, Long & Mitchell 2000, JCR 44(5): alliances reliable 74.5% of the time",
    },
    ParamSpec {
        param: Param::BetrayalPenalty,
        key: "betrayal_penalty",
        default: 0.3,
        min: 0.0,
        max: 2.0,
        unit: "affinity",
        meaning: "fall of affinity toward a party that fails to honour an activated obligation",
        source: "assumed",
    },
    ParamSpec {
        param: Param::HonourTension,
        key: "honour_tension",
        default: 0.03,
        min: 0.0,
        max: 1.0,
        unit: "tension",
        meaning: "rise of a theatre's tension when a defence or offence obligation is honoured in its crisis (once per treaty)",
        source: "assumed",
    },
    ParamSpec {
        param: Param::AllianceAffinity,
        key: "alliance_affinity",
        default: 0.05,
        min: 0.0,
        max: 1.0,
        unit: "affinity",
        meaning: "rise of affinity between parties when an obligation is honoured or consultations held",
        source: "assumed",
    },
    ParamSpec {
        param: Param::MediationEffect,
        key: "mediation_effect",
        default: 0.05,
        min: 0.0,
        max: 1.0,
        unit: "tension per month",
        meaning: "tension removed per month by a mediator at full intensity, standing, acceptability and leverage",
        source: "assumed; the roles of standing, acceptability to both sides and leverage follow Kydd 2003 (AJPS 47(4)) and Bercovitch & Houston 1996",
    },
    ParamSpec {
        param: Param::EngageEffect,
        key: "engage_effect",
        default: 0.02,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "rise of the target's affinity toward an actor engaging it at full intensity",
        source: "assumed",
    },
    ParamSpec {
        param: Param::DefenceCooperationEffect,
        key: "defence_cooperation_effect",
        default: 0.02,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "rise of mutual affinity from defence cooperation at full intensity",
        source: "assumed",
    },
    ParamSpec {
        param: Param::DefenceCooperationCredibility,
        key: "defence_cooperation_credibility",
        default: 0.2,
        min: 0.0,
        max: 1.0,
        unit: "weight",
        meaning: "weight of a defence-cooperation partner's capability in the actor's effective power (treaties use their credibility)",
        source: "assumed; below the 0.41 honour rate of formal defence pacts (Berkemeier & Fuhrmann 2018)",
    },
    ParamSpec {
        param: Param::RivalResentment,
        key: "rival_resentment",
        default: 0.01,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "fall of affinity toward an actor by the rivals (negative affinity) of a partner it cooperates with on defence or arms",
        source: "assumed; security-dilemma reasoning, Jervis 1978 (World Politics 30(2))",
    },
    ParamSpec {
        param: Param::SanctionAffinityHit,
        key: "sanction_affinity_hit",
        default: 0.03,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "fall of the target's affinity toward a sanctioning actor at full intensity",
        source: "assumed",
    },
    ParamSpec {
        param: Param::CondemnAffinityHit,
        key: "condemn_affinity_hit",
        default: 0.02,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "fall of the target's affinity toward a condemning actor; the target's rivals warm by half as much",
        source: "assumed",
    },
    ParamSpec {
        param: Param::AlignRate,
        key: "align_rate",
        default: 0.01,
        min: 0.0,
        max: 1.0,
        unit: "share of distance per month",
        meaning: "share of the distance to the target's position that an aligning actor covers each month",
        source: "assumed; a full year at intensity 1 moves about 11% of the gap, below the 90th-percentile yearly move 0.30 (Voeten data)",
    },
    ParamSpec {
        param: Param::ArmsPurchaseEffect,
        key: "arms_purchase_effect",
        default: 0.015,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "rise of the seller's affinity toward a buyer at full intensity",
        source: "assumed",
    },
    ParamSpec {
        param: Param::SecondarySanctionHazard,
        key: "secondary_sanction_hazard",
        default: 0.03,
        min: 0.0,
        max: 1.0,
        unit: "probability per month",
        meaning: "monthly chance that an enforcer sanctions a buyer of arms from its sanctions target, at full intensity",
        source: "assumed; no probability was found (RAND RR-A1341-1 documents deterrence under CAATSA, 65 cases 2017-21)",
    },
    ParamSpec {
        param: Param::SecondarySanctionIntensity,
        key: "secondary_sanction_intensity",
        default: 0.3,
        min: 0.0,
        max: 1.0,
        unit: "sanction intensity",
        meaning: "intensity of a secondary sanction once imposed (limited sanctions have small trade effects: Caruso 2003)",
        source: "assumed",
    },
    ParamSpec {
        param: Param::SecondarySanctionMonths,
        key: "secondary_sanction_months",
        default: 24.0,
        min: 1.0,
        max: 600.0,
        unit: "months",
        meaning: "how long a secondary sanction lasts",
        source: "assumed",
    },
    ParamSpec {
        param: Param::DisengageEffect,
        key: "disengage_effect",
        default: 0.01,
        min: 0.0,
        max: 1.0,
        unit: "affinity per month",
        meaning: "fall of mutual affinity magnitude (toward 0) with a target the actor disengages from",
        source: "assumed",
    },
    ParamSpec {
        param: Param::TradeDealMonths,
        key: "trade_deal_months",
        default: 12.0,
        min: 0.0,
        max: 600.0,
        unit: "months",
        meaning: "months of continuous trade_deal action before the agreement enters into force",
        source: "assumed; IK-CEPA took 2 years from signing to entry into force (shared/data/facts.md §3.3)",
    },
    ParamSpec {
        param: Param::DefaultProximity,
        key: "default_proximity",
        default: 0.5,
        min: 0.0,
        max: 1.0,
        unit: "index 0-1",
        meaning: "proximity of a pair whose relation gives none",
        source: "assumed; proximity stands for Boulding's (1962) loss-of-strength gradient",
    },
    ParamSpec {
        param: Param::PressureTension,
        key: "pressure_tension",
        default: 0.005,
        min: 0.0,
        max: 1.0,
        unit: "tension per month",
        meaning: "rise of a theatre's tension when an outside actor sanctions or condemns one of its parties at full intensity (half for defence cooperation with a party)",
        source: "assumed; coercive pressure and the spiral model, Jervis 1976 (Perception and Misperception in International Politics)",
    },
];

/// Looks a parameter up by its file key.
pub fn spec_by_key(key: &str) -> Option<&'static ParamSpec> {
    SPECS.iter().find(|spec| spec.key == key)
}

/// The spec of a parameter.
pub fn spec(param: Param) -> &'static ParamSpec {
    &SPECS[param as usize]
}

/// The parameter table as Markdown, as it appears in `docs/model.md` (a test keeps them equal).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| key | default | bounds | unit | meaning | source |\n|---|---|---|---|---|---|\n",
    );
    for spec in SPECS {
        out.push_str(&format!(
            "| `{}` | {} | [{}, {}] | {} | {} | {} |\n",
            spec.key, spec.default, spec.min, spec.max, spec.unit, spec.meaning, spec.source
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_doc_has_the_parameter_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/model.md");
        let doc = std::fs::read_to_string(path).expect("docs/model.md");
        let table = markdown_table();
        if std::env::var_os("ENTENTE_BLESS").is_some() && !doc.contains(&table) {
            let start = doc.find("| key | default |").expect("a table to replace");
            let end = doc[start..]
                .find("\n\n")
                .map_or(doc.len(), |i| start + i + 1);
            std::fs::write(path, format!("{}{}{}", &doc[..start], table, &doc[end..])).unwrap();
            return;
        }
        assert!(
            doc.contains(&table),
            "docs/model.md's parameter table differs from params.rs (ENTENTE_BLESS=1 rewrites it)"
        );
    }

    #[test]
    fn specs_are_in_enum_order_and_defaults_in_bounds() {
        for (idx, spec) in SPECS.iter().enumerate() {
            assert_eq!(spec.param as usize, idx, "{} is out of order", spec.key);
            assert!(
                spec.min <= spec.default && spec.default <= spec.max,
                "{}",
                spec.key
            );
        }
        assert_eq!(SPECS.len(), Param::PressureTension as usize + 1);
    }
}
