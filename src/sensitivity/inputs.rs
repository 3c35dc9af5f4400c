//! The uncertain inputs of a sensitivity analysis, and how a design point becomes a scenario.
//!
//! An input is either a range the scenario file gives (`low`/`high`, a [`Num`] with
//! `low < high`) or, with `--params`, a model parameter over a relative band around its value.
//! Inputs are listed in the order of [`Scenario::for_each_num_mut`], so input `i` of a design
//! point is always the same number. Each gets a readable path, such as `actors[PRK].gdp`,
//! `relations[IDN-KOR].affinity` or `model.fta_multiplier`.
//!
//! A design point is a vector in the unit hypercube: coordinate `u` of input `i` stands for
//! `low + u * (high - low)`, the same mapping [`Scenario::sample`] applies to a uniform draw, so a
//! design point is exactly a Monte-Carlo sample with chosen draws.

use std::collections::HashMap;

use crate::params::SPECS;
use crate::scenario::{ActionKind, Effect, Num, Scenario};

/// Where an input's range comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A `low`/`high` range written in the scenario file.
    Range,
    /// A model parameter given as a point (or left at its default), varied over the relative
    /// band of `--params`, clipped to the parameter's bounds.
    ParamBand,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Range => "range",
            Origin::ParamBand => "param_band",
        }
    }
}

/// One uncertain input.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// A readable path to the number, such as `relations[IDN-KOR].affinity`.
    pub name: String,
    pub low: f64,
    pub high: f64,
    /// The value the one-at-a-time sweeps and the flip map hold the input at when they do not
    /// vary it: the middle of a range; the scenario's own value of a parameter.
    pub nominal: f64,
    pub origin: Origin,
    /// Position of the number in the order of [`Scenario::for_each_num_mut`].
    pub slot: usize,
}

impl Input {
    /// The input's value at unit coordinate `u` (0 is `low`, 1 is `high`).
    pub fn value_at(&self, u: f64) -> f64 {
        self.low + u * (self.high - self.low)
    }

    /// The unit coordinate of the nominal value.
    pub fn nominal_unit(&self) -> f64 {
        if self.high > self.low {
            ((self.nominal - self.low) / (self.high - self.low)).clamp(0.0, 1.0)
        } else {
            0.5
        }
    }
}

/// The inputs of `scenario`: every range, and with `params` every model parameter that is not
/// already a range, over `value ± band * |value|` clipped to its bounds (a parameter whose band is
/// empty, as for a value of 0, is left out).
pub fn inputs(scenario: &Scenario, params: bool, band: f64) -> Vec<Input> {
    let names = num_names(scenario);
    let mut copy = scenario.clone();
    let mut out = Vec::new();
    let mut slot = 0usize;
    copy.for_each_num_mut(|num| {
        let name = names
            .get(slot)
            .cloned()
            .unwrap_or_else(|| format!("number #{slot}"));
        if num.is_range() {
            out.push(Input {
                name,
                low: num.low,
                high: num.high,
                nominal: num.mid(),
                origin: Origin::Range,
                slot,
            });
        } else if params && slot < SPECS.len() {
            let spec = &SPECS[slot];
            let value = num.v();
            let low = (value - band * value.abs()).max(spec.min);
            let high = (value + band * value.abs()).min(spec.max);
            if high > low {
                out.push(Input {
                    name,
                    low,
                    high,
                    nominal: value,
                    origin: Origin::ParamBand,
                    slot,
                });
            }
        }
        slot += 1;
    });
    out
}

/// The names of every number of `scenario`, in the order of [`Scenario::for_each_num_mut`].
///
/// The order is taken from `for_each_num_mut` itself: a walk over the scenario names each number
/// it knows, and the names are matched to the visited numbers by address. A number the walk does
/// not know (a field added later) is named `number #SLOT`, never misnamed.
pub fn num_names(scenario: &Scenario) -> Vec<String> {
    let mut copy = scenario.clone();
    let mut addresses = Vec::new();
    copy.for_each_num_mut(|num| addresses.push(std::ptr::from_ref::<Num>(num) as usize));
    let mut named: HashMap<usize, String> = HashMap::new();
    name_all(&copy, &mut |num, name| {
        named.insert(std::ptr::from_ref::<Num>(num) as usize, name);
    });
    addresses
        .iter()
        .enumerate()
        .map(|(slot, address)| {
            named
                .remove(address)
                .unwrap_or_else(|| format!("number #{slot}"))
        })
        .collect()
}

/// The scenario with every design input set to its value at the unit point `unit`
/// (`unit[i]` for `inputs[i]`), symmetric numbers shared as [`Scenario::sample`] shares them.
///
/// `slot_input[slot]` is the input index of each number slot (see [`slot_index`]).
pub fn at_point(
    base: &Scenario,
    inputs: &[Input],
    slot_input: &[Option<usize>],
    unit: &[f64],
) -> Scenario {
    let mut out = base.clone();
    let mut slot = 0usize;
    out.for_each_num_mut(|num| {
        if let Some(Some(i)) = slot_input.get(slot) {
            let value = inputs[*i].value_at(unit[*i]);
            num.low = value;
            num.high = value;
        }
        slot += 1;
    });
    out.share_symmetric_draws();
    out
}

/// For each number slot of `scenario`, the index of the input at that slot, if any.
pub fn slot_index(scenario: &Scenario, inputs: &[Input]) -> Vec<Option<usize>> {
    let mut copy = scenario.clone();
    let mut count = 0usize;
    copy.for_each_num_mut(|_| count += 1);
    let mut out = vec![None; count];
    for (i, input) in inputs.iter().enumerate() {
        if let Some(entry) = out.get_mut(input.slot) {
            *entry = Some(i);
        }
    }
    out
}

/// A copy of `scenario` without provenance strings (sources, years, notes), which the engine does
/// not read: cheaper to clone once per design point.
pub fn lean(scenario: &Scenario) -> Scenario {
    let mut out = scenario.clone();
    out.for_each_num_mut(|num| {
        num.source = None;
        num.year = None;
        num.note = None;
    });
    out
}

/// Calls `f` with every number of `scenario` that has a name, and its name.
fn name_all(scenario: &Scenario, f: &mut impl FnMut(&Num, String)) {
    for (num, spec) in scenario.params.iter().zip(SPECS) {
        f(num, format!("model.{}", spec.key));
    }
    for actor in &scenario.actors {
        let a = format!("actors[{}]", actor.id);
        f(&actor.gdp, format!("{a}.gdp"));
        f(&actor.gdp_growth, format!("{a}.gdp_growth"));
        f(&actor.capability, format!("{a}.capability"));
        f(&actor.position, format!("{a}.position"));
        let d = &actor.doctrine;
        f(&d.reciprocity, format!("{a}.doctrine.reciprocity"));
        f(&d.balancing, format!("{a}.doctrine.balancing"));
        f(
            &d.sanction_enforcement,
            format!("{a}.doctrine.sanction_enforcement"),
        );
        f(&d.susceptibility, format!("{a}.doctrine.susceptibility"));
        if let Some(num) = &d.position_volatility {
            f(num, format!("{a}.doctrine.position_volatility"));
        }
        if let Some(num) = &d.trade_politicisation {
            f(num, format!("{a}.doctrine.trade_politicisation"));
        }
        for (k, action) in actor.actions.iter().enumerate() {
            f(
                &action.intensity,
                format!("{a}.actions[{k}:{}].intensity", action_name(action.kind)),
            );
        }
    }
    let relations = &scenario.relations;
    let n = relations.n;
    let id = |i: usize| scenario.actors.get(i).map_or("?", |a| a.id.as_str());
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let idx = relations.idx(i, j);
            let (lo, hi) = (i.min(j), i.max(j));
            let pair = format!("relations[{}-{}]", id(lo), id(hi));
            f(&relations.trade[idx], format!("{pair}.trade"));
            if let Some(num) = &relations.proximity[idx] {
                f(num, format!("{pair}.proximity"));
            }
            if let Some(num) = &relations.affinity[idx] {
                if relations.affinity_mirrored[relations.idx(lo, hi)] {
                    f(num, format!("{pair}.affinity"));
                } else {
                    f(num, format!("relations[{}->{}].affinity", id(i), id(j)));
                }
            }
        }
    }
    for treaty in &scenario.treaties {
        if let Some(num) = &treaty.credibility {
            f(num, format!("treaties[{}].credibility", treaty.id));
        }
    }
    for theatre in &scenario.theatres {
        let t = format!("theatres[{}]", theatre.id);
        f(&theatre.initial_tension, format!("{t}.initial_tension"));
        if let Some(num) = &theatre.baseline_tension {
            f(num, format!("{t}.baseline_tension"));
        }
        f(&theatre.reversion, format!("{t}.reversion"));
        f(&theatre.crisis_threshold, format!("{t}.crisis_threshold"));
        f(
            &theatre.incident_rate_calm,
            format!("{t}.incident_rate_calm"),
        );
        f(&theatre.incident_rate_hot, format!("{t}.incident_rate_hot"));
        f(
            &theatre.incident_dispersion,
            format!("{t}.incident_dispersion"),
        );
        f(&theatre.incident_tension, format!("{t}.incident_tension"));
        f(&theatre.incident_affinity, format!("{t}.incident_affinity"));
    }
    for event in &scenario.events {
        let e = format!("events[{}]", event.name);
        for (k, effect) in event.effects.iter().enumerate() {
            let (num, field) = effect_num(effect);
            f(
                num,
                format!("{e}.effects[{k}:{}].{field}", effect_name(effect)),
            );
        }
    }
    for event in &scenario.random_events {
        let e = format!("random_events[{}]", event.name);
        f(&event.rate, format!("{e}.rate"));
        for (k, effect) in event.effects.iter().enumerate() {
            let (num, field) = effect_num(effect);
            f(
                num,
                format!("{e}.effects[{k}:{}].{field}", effect_name(effect)),
            );
        }
    }
    for policy in &scenario.policies {
        for (k, action) in policy.actions.iter().enumerate() {
            f(
                &action.intensity,
                format!(
                    "policies[{}].actions[{k}:{}].intensity",
                    policy.id,
                    action_name(action.kind)
                ),
            );
        }
    }
}

fn effect_num(effect: &Effect) -> (&Num, &'static str) {
    match effect {
        Effect::Tension { delta, .. }
        | Effect::Affinity { delta, .. }
        | Effect::Position { delta, .. } => (delta, "delta"),
        Effect::Capability { factor, .. } | Effect::TradeShock { factor, .. } => (factor, "factor"),
        Effect::Sanction { intensity, .. } => (intensity, "intensity"),
    }
}

fn effect_name(effect: &Effect) -> &'static str {
    match effect {
        Effect::Tension { .. } => "tension",
        Effect::Affinity { .. } => "affinity",
        Effect::Position { .. } => "position",
        Effect::Capability { .. } => "capability",
        Effect::Sanction { .. } => "sanction",
        Effect::TradeShock { .. } => "trade_shock",
    }
}

fn action_name(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Engage => "engage",
        ActionKind::TradeDeal => "trade_deal",
        ActionKind::DefenceCooperation => "defence_cooperation",
        ActionKind::ArmsPurchase => "arms_purchase",
        ActionKind::Sanction => "sanction",
        ActionKind::Condemn => "condemn",
        ActionKind::Mediate => "mediate",
        ActionKind::Align => "align",
        ActionKind::Disengage => "disengage",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load;
    use rand::RngExt;

    fn small() -> Scenario {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small.toml");
        load::load_file(std::path::Path::new(path))
            .unwrap()
            .scenario
    }

    #[test]
    fn the_fixture_ranges_are_the_inputs() {
        let scenario = small();
        let names: Vec<String> = inputs(&scenario, false, 0.25)
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(
            names,
            [
                "model.trade_noise",
                "actors[CCC].gdp",
                "relations[AAA-CCC].affinity",
                "treaties[bc_pact].credibility",
                "theatres[strait].initial_tension",
            ]
        );
    }

    #[test]
    fn every_number_has_a_name() {
        for path in [
            "/tests/fixtures/small.toml",
            "/scenarios/korea_pact_2024.toml",
        ] {
            let full = format!("{}{path}", env!("CARGO_MANIFEST_DIR"));
            let scenario = load::load_file(std::path::Path::new(&full))
                .unwrap()
                .scenario;
            let names = num_names(&scenario);
            assert!(
                names.iter().all(|n| !n.starts_with("number #")),
                "{path}: unnamed numbers"
            );
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len(), "{path}: duplicate names");
        }
    }

    #[test]
    fn params_get_a_clipped_band() {
        let scenario = small();
        let all = inputs(&scenario, true, 0.25);
        let fta = all
            .iter()
            .find(|i| i.name == "model.fta_multiplier")
            .unwrap();
        assert_eq!(fta.origin, Origin::ParamBand);
        assert!((fta.low - 2.1 * 0.75).abs() < 1e-12 && (fta.high - 2.1 * 1.25).abs() < 1e-12);
        // affinity_intercept 0.886 * 1.25 = 1.1075 is clipped to its bound 1.
        let intercept = all
            .iter()
            .find(|i| i.name == "model.affinity_intercept")
            .unwrap();
        assert_eq!(intercept.high, 1.0);
        assert_eq!(intercept.nominal, 0.886);
        // The scenario's range of trade_noise stays a range, not a band.
        let noise = all.iter().find(|i| i.name == "model.trade_noise").unwrap();
        assert_eq!(
            (noise.origin, noise.low, noise.high),
            (Origin::Range, 0.005, 0.02)
        );
        assert_eq!(
            all.iter().filter(|i| i.origin == Origin::ParamBand).count(),
            SPECS.len() - 1
        );
    }

    #[test]
    fn a_design_point_is_a_monte_carlo_sample_with_chosen_draws() {
        // With the draws Scenario::sample would make, at_point gives the same scenario.
        let scenario = lean(&small());
        let list = inputs(&scenario, false, 0.25);
        let slots = slot_index(&scenario, &list);
        for run in 0..5 {
            let mut rng = crate::rng::sample_rng(run);
            let unit: Vec<f64> = list.iter().map(|_| rng.random::<f64>()).collect();
            let ours = at_point(&scenario, &list, &slots, &unit);
            let sampled = scenario.sample(&mut crate::rng::sample_rng(run));
            assert_eq!(format!("{ours:?}"), format!("{sampled:?}"));
        }
    }
}
