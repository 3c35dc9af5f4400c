//! The validated scenario: what the engine runs. Invariants hold from here on.
//!
//! A [`Scenario`] is built only by [`load::load_str`] (or [`load::load_file`]), which checks every
//! reference, range and bound. Actor, treaty, theatre and policy references are indices into the
//! scenario's vectors. Uncertain numbers are [`Num`]s; [`Scenario::sample`] draws one value for each
//! range, giving a scenario whose numbers are all points (one per Monte-Carlo run).

pub mod file;
pub mod load;
pub mod write;

use crate::date::Date;
use crate::params::{Param, SPECS};
use crate::rng::SimRng;
use rand::RngExt;

/// A number that may be uncertain: a point (`low == high`) or a uniform range, with provenance.
#[derive(Debug, PartialEq)]
pub struct Num {
    pub low: f64,
    pub high: f64,
    /// Provenance, shared (`Arc`) so that sampling a run copies no strings.
    pub source: Option<std::sync::Arc<str>>,
    pub year: Option<i64>,
    pub note: Option<std::sync::Arc<str>>,
}

impl Clone for Num {
    fn clone(&self) -> Num {
        Num {
            low: self.low,
            high: self.high,
            source: self.source.clone(),
            year: self.year,
            note: self.note.clone(),
        }
    }

    /// As `*self = source.clone()`, but a provenance that is already shared (the same `Arc`) is
    /// left alone: its reference count is not touched, which matters when threads copy numbers
    /// run after run ([`Sampler`]), since the count is one cache line they would all write.
    fn clone_from(&mut self, source: &Num) {
        self.low = source.low;
        self.high = source.high;
        self.year = source.year;
        share(&mut self.source, &source.source);
        share(&mut self.note, &source.note);
    }
}

/// `*to = from.clone()`, unless both are already the same `Arc` (or both `None`).
fn share(to: &mut Option<std::sync::Arc<str>>, from: &Option<std::sync::Arc<str>>) {
    let same = match (&*to, from) {
        (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    };
    if !same {
        *to = from.clone();
    }
}

impl Num {
    pub fn point(value: f64) -> Num {
        Num {
            low: value,
            high: value,
            source: None,
            year: None,
            note: None,
        }
    }

    /// The value of a point; the low end of a range that was not sampled yet.
    pub fn v(&self) -> f64 {
        self.low
    }

    pub fn is_range(&self) -> bool {
        self.high > self.low
    }

    /// The middle of the range (the value of a point).
    pub fn mid(&self) -> f64 {
        0.5 * (self.low + self.high)
    }

    fn sample(&mut self, rng: &mut SimRng) {
        if self.is_range() {
            let u: f64 = rng.random();
            let value = self.low + u * (self.high - self.low);
            self.low = value;
            self.high = value;
        }
    }
}

/// Whether an actor is a state or a bloc of states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    State,
    Bloc,
}

/// An actor: a state (a country) or a bloc such as ASEAN.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub kind: ActorKind,
    pub members: Vec<usize>,
    /// Nominal GDP, USD per year (0 for blocs).
    pub gdp: Num,
    /// Real GDP growth per year, as a fraction.
    pub gdp_growth: Num,
    /// Capability index (any positive scale; only shares matter).
    pub capability: Num,
    /// Position on the alignment dimension (UNGA ideal-point scale).
    pub position: Num,
    pub doctrine: Doctrine,
    /// Standing actions (for non-focal actors; the focal actor's come from the policy).
    pub actions: Vec<Action>,
}

/// How a non-focal actor reacts to the world.
#[derive(Debug, Clone, PartialEq)]
pub struct Doctrine {
    /// In [0, 1]: how strongly the actor returns the affinity it receives.
    pub reciprocity: Num,
    /// In [-1, 1]: +1 balances against its main threat, -1 bandwagons with it.
    pub balancing: Num,
    /// In [0, 1]: how fully it applies the sanctions it imposes.
    pub sanction_enforcement: Num,
    /// In [0, 1]: weight of others' positions in its own (s in Friedkin-Johnsen), scaling
    /// the model's `position_influence`.
    pub susceptibility: Num,
    /// SD per month of its random position moves; `None`: the model's `position_volatility`.
    pub position_volatility: Option<Num>,
    /// Semi-elasticity of its trade with respect to affinity; `None`: the model's
    /// `trade_affinity_semielasticity`.
    pub trade_politicisation: Option<Num>,
    /// Actors whose arms customers it punishes with secondary sanctions.
    pub secondary_sanctions: Vec<usize>,
}

/// What is known about a pair of actors, stored densely.
#[derive(Debug, Clone, PartialEq)]
pub struct Relations {
    pub n: usize,
    /// Goods trade between i and j, USD per year (symmetric).
    pub trade: Vec<Num>,
    /// Affinity of i toward j, in [-1, 1] (directed); `None`: derived from the sampled positions
    /// as `affinity_intercept - affinity_distance_slope * |x_i - x_j|`.
    pub affinity: Vec<Option<Num>>,
    /// Proximity in [0, 1] (symmetric): how much power projected between i and j keeps; `None`:
    /// the model's `default_proximity`.
    pub proximity: Vec<Option<Num>>,
    /// Whether j's affinity toward i is the same number as i's toward j (one draw for both).
    pub affinity_mirrored: Vec<bool>,
    /// Whether a trade agreement is in force at the start (symmetric).
    pub agreement: Vec<bool>,
}

impl Relations {
    pub fn idx(&self, i: usize, j: usize) -> usize {
        i * self.n + j
    }
}

/// ATOP-style obligation types (Leeds et al. 2002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatyKind {
    Defence,
    Offence,
    Neutrality,
    NonAggression,
    Consultation,
}

impl TreatyKind {
    pub fn name(self) -> &'static str {
        match self {
            TreatyKind::Defence => "defence",
            TreatyKind::Offence => "offence",
            TreatyKind::Neutrality => "neutrality",
            TreatyKind::NonAggression => "non_aggression",
            TreatyKind::Consultation => "consultation",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Treaty {
    pub id: String,
    pub name: String,
    pub kind: TreatyKind,
    pub parties: Vec<usize>,
    /// Turn from which the treaty is in force (0 if before the start).
    pub in_force_turn: u32,
    /// The date written in the file, if any.
    pub in_force: Option<Date>,
    /// `None`: the model's `treaty_credibility`.
    pub credibility: Option<Num>,
    /// When the obligation activates; `None`: a crisis in a theatre where a party is on a side.
    pub activation: Option<Condition>,
    pub source: Option<String>,
}

/// A region with tension between two sides, and incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct Theatre {
    pub id: String,
    pub name: String,
    pub side_a: Vec<usize>,
    pub side_b: Vec<usize>,
    pub initial_tension: Num,
    /// `None`: the initial tension (the same draw).
    pub baseline_tension: Option<Num>,
    pub reversion: Num,
    pub crisis_threshold: Num,
    pub incident_rate_calm: Num,
    pub incident_rate_hot: Num,
    pub incident_dispersion: Num,
    pub incident_tension: Num,
    pub incident_affinity: Num,
}

impl Theatre {
    pub fn involves(&self, actor: usize) -> bool {
        self.side_a.contains(&actor) || self.side_b.contains(&actor)
    }
}

/// An effect of an event on the world.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Tension {
        theatre: usize,
        delta: Num,
    },
    Affinity {
        from: usize,
        to: usize,
        delta: Num,
        mutual: bool,
    },
    Position {
        actor: usize,
        delta: Num,
    },
    Capability {
        actor: usize,
        factor: Num,
    },
    Sanction {
        from: usize,
        to: usize,
        intensity: Num,
    },
    TradeShock {
        from: usize,
        to: usize,
        factor: Num,
    },
}

/// An event at a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub date: Date,
    pub turn: u32,
    pub source: Option<String>,
    pub effects: Vec<Effect>,
}

/// An event that happens at random at a yearly rate.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomEvent {
    pub name: String,
    /// Expected occurrences per year.
    pub rate: Num,
    pub from_turn: u32,
    pub until_turn: u32,
    /// The dates written in the file, if any.
    pub from: Option<Date>,
    pub until: Option<Date>,
    pub when: Option<Condition>,
    pub source: Option<String>,
    pub effects: Vec<Effect>,
}

/// The closed set of actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Engage,
    TradeDeal,
    DefenceCooperation,
    ArmsPurchase,
    Sanction,
    Condemn,
    Mediate,
    Align,
    Disengage,
}

/// An action with its targets, intensity in [0, 1], and optional condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    pub targets: Vec<usize>,
    pub theatre: Option<usize>,
    pub intensity: Num,
    pub when: Option<Condition>,
}

/// What a condition measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// Tension of a theatre, or the highest tension.
    Tension {
        theatre: Option<usize>,
    },
    /// A crisis in a theatre, or in any.
    Crisis {
        theatre: Option<usize>,
    },
    Affinity {
        from: usize,
        to: usize,
    },
    /// Trade of a pair relative to its start.
    Trade {
        from: usize,
        to: usize,
    },
    /// The focal actor's threat exposure.
    Threat,
    TreatyActivated {
        treaty: usize,
    },
}

/// A test on the world: a metric compared with a threshold, or a yes/no metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub metric: Metric,
    pub above: Option<f64>,
    pub below: Option<f64>,
}

/// One option of the focal actor.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub actions: Vec<Action>,
}

/// The focal actor's outcomes, in the order they are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Prosperity,
    Security,
    Autonomy,
    Standing,
    Stability,
    Composite,
    Tension,
    Crisis,
    Threat,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::Prosperity,
        Outcome::Security,
        Outcome::Autonomy,
        Outcome::Standing,
        Outcome::Stability,
        Outcome::Composite,
        Outcome::Tension,
        Outcome::Crisis,
        Outcome::Threat,
    ];
    /// The outcomes that the composite weighs.
    pub const WEIGHED: [Outcome; 5] = [
        Outcome::Prosperity,
        Outcome::Security,
        Outcome::Autonomy,
        Outcome::Standing,
        Outcome::Stability,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Prosperity => "prosperity",
            Outcome::Security => "security",
            Outcome::Autonomy => "autonomy",
            Outcome::Standing => "standing",
            Outcome::Stability => "stability",
            Outcome::Composite => "composite",
            Outcome::Tension => "tension",
            Outcome::Crisis => "crisis",
            Outcome::Threat => "threat",
        }
    }

    /// Whether more is better for the focal actor.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Outcome::Tension | Outcome::Crisis | Outcome::Threat)
    }

    pub fn unit(self) -> &'static str {
        match self {
            Outcome::Prosperity => "change in total trade, share of start",
            Outcome::Security => "index 0-1",
            Outcome::Autonomy => "index 0-1",
            Outcome::Standing => "index 0-1",
            Outcome::Stability => "index 0-1 (1 - tension)",
            Outcome::Composite => "weighted change from start",
            Outcome::Tension => "index 0-1",
            Outcome::Crisis => "share of runs with a crisis so far",
            Outcome::Threat => "threat exposure",
        }
    }
}

/// Which outcomes to compute and how to weigh them.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeSpec {
    pub bloc_a: Vec<usize>,
    pub bloc_b: Vec<usize>,
    pub bloc_a_name: String,
    pub bloc_b_name: String,
    pub stability_theatre: Option<usize>,
    /// Weights of [`Outcome::WEIGHED`], normalised to sum to 1.
    pub weights: [f64; 5],
    /// The weights as written (before normalising).
    pub raw_weights: [f64; 5],
}

/// A threshold an analyst watches.
#[derive(Debug, Clone, PartialEq)]
pub struct Tripwire {
    pub id: String,
    pub name: String,
    pub when: Condition,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub question: Option<String>,
    pub start: Date,
    pub turn_months: u32,
    pub turns: u32,
    pub runs: u32,
    pub seed: u64,
    pub focal: usize,
    pub baseline: usize,
    pub actors: Vec<Actor>,
    pub relations: Relations,
    pub treaties: Vec<Treaty>,
    pub theatres: Vec<Theatre>,
    pub events: Vec<Event>,
    pub random_events: Vec<RandomEvent>,
    pub policies: Vec<Policy>,
    pub outcomes: OutcomeSpec,
    pub tripwires: Vec<Tripwire>,
    /// Model parameters in the order of [`crate::params::SPECS`].
    pub params: Vec<Num>,
}

impl Scenario {
    /// The value of a model parameter (after sampling).
    pub fn param(&self, param: Param) -> f64 {
        self.params[param as usize].v()
    }

    /// Proximity of a pair (after sampling).
    pub fn proximity(&self, i: usize, j: usize) -> f64 {
        let relations = &self.relations;
        relations.proximity[relations.idx(i, j)]
            .as_ref()
            .map_or_else(|| self.param(Param::DefaultProximity), Num::v)
    }

    /// Credibility of a treaty (after sampling).
    pub fn credibility(&self, treaty: usize) -> f64 {
        self.treaties[treaty]
            .credibility
            .as_ref()
            .map_or_else(|| self.param(Param::TreatyCredibility), Num::v)
    }

    /// Baseline tension of a theatre (after sampling).
    pub fn baseline_tension(&self, theatre: usize) -> f64 {
        let h = &self.theatres[theatre];
        h.baseline_tension
            .as_ref()
            .map_or_else(|| h.initial_tension.v(), Num::v)
    }

    /// Monthly SD of an actor's position moves (after sampling).
    pub fn position_volatility(&self, actor: usize) -> f64 {
        self.actors[actor]
            .doctrine
            .position_volatility
            .as_ref()
            .map_or_else(|| self.param(Param::PositionVolatility), Num::v)
    }

    /// An actor's trade politicisation (after sampling).
    pub fn trade_politicisation(&self, actor: usize) -> f64 {
        self.actors[actor]
            .doctrine
            .trade_politicisation
            .as_ref()
            .map_or_else(|| self.param(Param::TradeAffinitySemielasticity), Num::v)
    }

    /// The date at which turn `turn` starts.
    pub fn turn_date(&self, turn: u32) -> Date {
        self.start.add_months(turn * self.turn_months)
    }

    pub fn actor_index(&self, id: &str) -> Option<usize> {
        self.actors.iter().position(|actor| actor.id == id)
    }

    pub fn policy_index(&self, id: &str) -> Option<usize> {
        self.policies.iter().position(|policy| policy.id == id)
    }

    /// A copy with every range replaced by one uniform draw, in a fixed order.
    ///
    /// The order is: model parameters, actors (in file order, fields in declaration order),
    /// relations (row-major), treaties, theatres, events, random events, policies. The same `rng`
    /// state gives the same draws whatever the policy, so every policy of a run sees the same
    /// sample (common random numbers).
    pub fn sample(&self, rng: &mut SimRng) -> Scenario {
        let mut out = self.clone();
        out.for_each_num_mut(|num| num.sample(rng));
        out.share_symmetric_draws();
        out
    }

    /// Copies each symmetric quantity (trade, proximity, a mirrored affinity) from the
    /// lower-index direction, the one [`Scenario::for_each_num_mut`] visits, to the other. Call it
    /// after setting numbers through `for_each_num_mut`, as [`Scenario::sample`] does.
    pub fn share_symmetric_draws(&mut self) {
        let relations = &mut self.relations;
        let n = relations.n;
        for i in 0..n {
            for j in (i + 1)..n {
                let (ij, ji) = (i * n + j, j * n + i);
                mirror(&mut relations.trade, ij, ji);
                mirror(&mut relations.proximity, ij, ji);
                if relations.affinity_mirrored[ij] {
                    mirror(&mut relations.affinity, ij, ji);
                }
            }
        }
    }

    /// Whether any number is a range.
    pub fn has_ranges(&self) -> bool {
        let mut copy = self.clone();
        let mut any = false;
        copy.for_each_num_mut(|num| any |= num.is_range());
        any
    }

    /// Calls `f` on every [`Num`] in a fixed order (see [`Scenario::sample`]).
    pub fn for_each_num_mut(&mut self, mut f: impl FnMut(&mut Num)) {
        for num in &mut self.params {
            f(num);
        }
        for actor in &mut self.actors {
            f(&mut actor.gdp);
            f(&mut actor.gdp_growth);
            f(&mut actor.capability);
            f(&mut actor.position);
            let doctrine = &mut actor.doctrine;
            f(&mut doctrine.reciprocity);
            f(&mut doctrine.balancing);
            f(&mut doctrine.sanction_enforcement);
            f(&mut doctrine.susceptibility);
            if let Some(num) = &mut doctrine.position_volatility {
                f(num);
            }
            if let Some(num) = &mut doctrine.trade_politicisation {
                f(num);
            }
            for action in &mut actor.actions {
                f(&mut action.intensity);
            }
        }
        // Symmetric quantities are visited once per pair (the lower-index direction); mirrored
        // affinities likewise.
        let relations = &mut self.relations;
        let n = relations.n;
        for i in 0..n {
            for j in 0..n {
                let idx = i * n + j;
                if i < j {
                    f(&mut relations.trade[idx]);
                    if let Some(proximity) = &mut relations.proximity[idx] {
                        f(proximity);
                    }
                }
                let mirrored = i > j && relations.affinity_mirrored[j * n + i];
                if i != j && !mirrored {
                    if let Some(affinity) = &mut relations.affinity[idx] {
                        f(affinity);
                    }
                }
            }
        }
        for treaty in &mut self.treaties {
            if let Some(num) = &mut treaty.credibility {
                f(num);
            }
        }
        for theatre in &mut self.theatres {
            f(&mut theatre.initial_tension);
            if let Some(num) = &mut theatre.baseline_tension {
                f(num);
            }
            f(&mut theatre.reversion);
            f(&mut theatre.crisis_threshold);
            f(&mut theatre.incident_rate_calm);
            f(&mut theatre.incident_rate_hot);
            f(&mut theatre.incident_dispersion);
            f(&mut theatre.incident_tension);
            f(&mut theatre.incident_affinity);
        }
        for event in &mut self.events {
            for effect in &mut event.effects {
                effect_nums(effect, &mut f);
            }
        }
        for event in &mut self.random_events {
            f(&mut event.rate);
            for effect in &mut event.effects {
                effect_nums(effect, &mut f);
            }
        }
        for policy in &mut self.policies {
            for action in &mut policy.actions {
                f(&mut action.intensity);
            }
        }
    }
}

/// A copy of a scenario whose ranges are drawn again, in place, for each run: what
/// [`Scenario::sample`] gives, without cloning the scenario (its vectors, and the provenance
/// `Arc`s, whose reference counts two threads would otherwise write to run after run).
#[derive(Debug, Clone)]
pub struct Sampler {
    /// Every number's `(low, high)` in the original, in [`Scenario::for_each_num_mut`] order.
    ranges: Vec<(f64, f64)>,
    copy: Scenario,
}

impl Sampler {
    pub fn new(scenario: &Scenario) -> Sampler {
        let mut copy = scenario.clone();
        let mut ranges = Vec::new();
        copy.for_each_num_mut(|num| ranges.push((num.low, num.high)));
        // The reverse directions take the provenance of the forward ones once, as each sample
        // does, so that later samples find it shared.
        copy.share_symmetric_draws();
        Sampler { ranges, copy }
    }

    /// The scenario [`Scenario::sample`] gives for `rng` (equal in every field, from the same
    /// draws in the same order), valid until the next call.
    pub fn sample(&mut self, rng: &mut SimRng) -> &Scenario {
        let mut ranges = self.ranges.iter();
        self.copy.for_each_num_mut(|num| {
            // Every number is visited in the order `new` recorded: one range per visit.
            let &(low, high) = ranges.next().expect("the copy has the original's numbers");
            (num.low, num.high) = (low, high);
            num.sample(rng);
        });
        self.copy.share_symmetric_draws();
        &self.copy
    }
}

/// `values[to] = values[from].clone()` through `clone_from` (see [`Num`]'s), `from != to`.
fn mirror<T: Clone>(values: &mut [T], from: usize, to: usize) {
    let [to, from] = values
        .get_disjoint_mut([to, from])
        .expect("two distinct entries of the matrix");
    to.clone_from(from);
}

fn effect_nums(effect: &mut Effect, f: &mut impl FnMut(&mut Num)) {
    match effect {
        Effect::Tension { delta, .. }
        | Effect::Affinity { delta, .. }
        | Effect::Position { delta, .. } => f(delta),
        Effect::Capability { factor, .. } | Effect::TradeShock { factor, .. } => f(factor),
        Effect::Sanction { intensity, .. } => f(intensity),
    }
}

/// Default model parameters (no overrides).
pub fn default_params() -> Vec<Num> {
    SPECS.iter().map(|spec| Num::point(spec.default)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_draw_per_range_whatever_the_copies() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/small.toml"
        ))
        .unwrap();
        let text = text.replace(
            "trade = { value = 5e10, source = \"test\" }",
            "trade = { low = 1e10, high = 9e10, source = \"test\" }",
        );
        let text = text.replace("proximity = 0.4", "proximity = { low = 0.1, high = 0.9 }");
        let scenario = load::load_str(&text).unwrap().scenario;
        for run in 0..20 {
            let sampled = scenario.sample(&mut crate::rng::sample_rng(run));
            let r = &sampled.relations;
            let (ab, ba) = (r.idx(0, 1), r.idx(1, 0));
            assert_eq!(r.trade[ab].v(), r.trade[ba].v());
            assert_eq!(sampled.proximity(0, 1), sampled.proximity(1, 0));
            // AAA-CCC affinity is one range for both directions: one draw.
            let (ac, ca) = (r.idx(0, 2), r.idx(2, 0));
            assert_eq!(
                r.affinity[ac].as_ref().unwrap().v(),
                r.affinity[ca].as_ref().unwrap().v()
            );
            // The strait's baseline tension defaults to its (sampled) initial tension.
            assert_eq!(
                sampled.baseline_tension(0),
                sampled.theatres[0].initial_tension.v()
            );
            assert!(!sampled.has_ranges());
        }
        // BBB-CCC affinity has its own reverse: two numbers.
        let r = &scenario.relations;
        assert_eq!(r.affinity[r.idx(1, 2)].as_ref().unwrap().v(), -0.8);
        assert_eq!(r.affinity[r.idx(2, 1)].as_ref().unwrap().v(), -0.9);
    }

    /// The sampler's scenario equals a fresh sample's, run after run, and provenance is shared
    /// with the original rather than copied.
    #[test]
    fn the_sampler_gives_the_samples() {
        let scenario = load::load_repository_file("scenarios/korea_pact_2024.toml");
        assert!(scenario.has_ranges());
        let mut sampler = Sampler::new(&scenario);
        for run in [3, 0, 17, 3, 1 << 40] {
            let expected = scenario.sample(&mut crate::rng::sample_rng(run));
            let got = sampler.sample(&mut crate::rng::sample_rng(run));
            assert!(*got == expected, "run {run}");
        }
        let (original, copy) = (&scenario.actors[0].gdp, &sampler.copy.actors[0].gdp);
        let (a, b) = (original.source.as_ref(), copy.source.as_ref());
        assert!(std::sync::Arc::ptr_eq(a.unwrap(), b.unwrap()));
    }
}
