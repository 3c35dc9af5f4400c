//! The scenario file as the user wrote it: serde mirrors of the TOML tables, with spans.
//!
//! Nothing here is checked beyond its TOML type; [`crate::scenario::load`] turns these raw types
//! into a validated [`crate::scenario::Scenario`]. Every struct rejects unknown keys. These are the
//! only types (with the output records) that derive serde; the engine never sees them.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::value::Datetime;

/// A number as written: a bare number, or a table with a point `value` or a `low`/`high` range,
/// each optionally carrying its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawNum {
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub source: Option<String>,
    pub year: Option<i64>,
    pub note: Option<String>,
}

/// The table form of a number, read with unknown keys rejected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumTable {
    value: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
    source: Option<String>,
    year: Option<i64>,
    note: Option<String>,
}

impl<'de> Deserialize<'de> for RawNum {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumVisitor;
        impl<'de> Visitor<'de> for NumVisitor {
            type Value = RawNum;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, or a table with `value` or `low` and `high`")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawNum, E> {
                Ok(RawNum::point(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawNum, E> {
                Ok(RawNum::point(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawNum, E> {
                Ok(RawNum::point(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawNum, A::Error> {
                let t = RawNumTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawNum {
                    value: t.value,
                    low: t.low,
                    high: t.high,
                    source: t.source,
                    year: t.year,
                    note: t.note,
                })
            }
        }
        deserializer.deserialize_any(NumVisitor)
    }
}

impl RawNum {
    pub fn point(v: f64) -> RawNum {
        RawNum {
            value: Some(v),
            low: None,
            high: None,
            source: None,
            year: None,
            note: None,
        }
    }
}

/// A number with the span of where it was written.
pub type SNum = Spanned<RawNum>;
/// A string (an id, a name) with its span.
pub type SStr = Spanned<String>;

/// `[simulation]`: settings of the whole study.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationFile {
    pub name: String,
    pub description: Option<String>,
    pub question: Option<String>,
    pub start: Spanned<Datetime>,
    pub turn_months: Option<Spanned<i64>>,
    pub turns: Spanned<i64>,
    pub runs: Option<Spanned<i64>>,
    pub seed: Option<Spanned<i64>>,
    pub focal: SStr,
    pub baseline: Option<SStr>,
}

/// `[[actors]]`: a state or a bloc.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorFile {
    pub id: SStr,
    pub name: String,
    pub kind: Option<Spanned<ActorKindFile>>,
    pub members: Option<Vec<SStr>>,
    pub gdp: Option<SNum>,
    pub gdp_growth: Option<SNum>,
    pub capability: SNum,
    pub position: SNum,
    pub doctrine: Option<DoctrineFile>,
    pub actions: Option<Vec<Spanned<ActionFile>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKindFile {
    State,
    Bloc,
}

/// `[actors.doctrine]`: how a non-focal actor reacts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoctrineFile {
    pub reciprocity: Option<SNum>,
    pub balancing: Option<SNum>,
    pub sanction_enforcement: Option<SNum>,
    pub susceptibility: Option<SNum>,
    pub position_volatility: Option<SNum>,
    pub trade_politicisation: Option<SNum>,
    pub secondary_sanctions: Option<Vec<SStr>>,
}

/// `[[relations]]`: facts about a pair of actors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationFile {
    pub pair: Spanned<Vec<SStr>>,
    pub trade: Option<SNum>,
    pub affinity: Option<SNum>,
    pub affinity_reverse: Option<SNum>,
    pub proximity: Option<SNum>,
    pub trade_agreement: Option<bool>,
}

/// `[[treaties]]`: a typed obligation coded like ATOP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatyFile {
    pub id: SStr,
    pub name: String,
    pub kind: Spanned<TreatyKindFile>,
    pub parties: Spanned<Vec<SStr>>,
    pub in_force: Option<Spanned<Datetime>>,
    pub credibility: Option<SNum>,
    pub activation: Option<Spanned<ConditionFile>>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TreatyKindFile {
    Defence,
    Offence,
    Neutrality,
    NonAggression,
    Consultation,
}

/// `[[theatres]]`: a region with a tension level and incidents between two sides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheatreFile {
    pub id: SStr,
    pub name: String,
    pub side_a: Spanned<Vec<SStr>>,
    pub side_b: Spanned<Vec<SStr>>,
    pub initial_tension: SNum,
    pub baseline_tension: Option<SNum>,
    pub reversion: Option<SNum>,
    pub crisis_threshold: Option<SNum>,
    pub incident_rate_calm: Option<SNum>,
    pub incident_rate_hot: Option<SNum>,
    pub incident_dispersion: Option<SNum>,
    pub incident_tension: Option<SNum>,
    pub incident_affinity: Option<SNum>,
}

/// `[[events]]`: something that happens at a date, with effects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventFile {
    pub name: String,
    pub date: Spanned<Datetime>,
    pub source: Option<String>,
    pub effects: Vec<Spanned<EffectFile>>,
}

/// `[[random_events]]`: something that happens at a rate, with effects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomEventFile {
    pub name: String,
    /// Expected occurrences per year.
    pub rate: SNum,
    pub from: Option<Spanned<Datetime>>,
    pub until: Option<Spanned<Datetime>>,
    pub when: Option<Spanned<ConditionFile>>,
    pub source: Option<String>,
    pub effects: Vec<Spanned<EffectFile>>,
}

/// One effect of an event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectFile {
    pub kind: Spanned<EffectKindFile>,
    pub actor: Option<SStr>,
    pub from: Option<SStr>,
    pub to: Option<SStr>,
    pub theatre: Option<SStr>,
    pub delta: Option<SNum>,
    pub factor: Option<SNum>,
    pub intensity: Option<SNum>,
    pub mutual: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKindFile {
    /// Add `delta` to the tension of `theatre`.
    Tension,
    /// Add `delta` to the affinity of `from` toward `to` (and back if `mutual`).
    Affinity,
    /// Add `delta` to the position of `actor`.
    Position,
    /// Multiply the capability of `actor` by `factor`.
    Capability,
    /// `from` imposes a sanction on `to` with `intensity` in [0, 1] (0 lifts it).
    Sanction,
    /// Multiply the target level of trade between `from` and `to` by `factor`.
    TradeShock,
}

/// An action of an actor: the focal actor's come from the policy, others' from their doctrine.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    pub kind: Spanned<ActionKindFile>,
    pub targets: Option<Vec<SStr>>,
    pub theatre: Option<SStr>,
    pub intensity: SNum,
    pub when: Option<Spanned<ConditionFile>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKindFile {
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

/// A condition on the world, for conditional actions, treaty activation and tripwires.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionFile {
    pub metric: Spanned<MetricFile>,
    pub theatre: Option<SStr>,
    pub from: Option<SStr>,
    pub to: Option<SStr>,
    pub treaty: Option<SStr>,
    pub above: Option<SNum>,
    pub below: Option<SNum>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricFile {
    /// Tension of `theatre` (or the highest tension if none is named).
    Tension,
    /// A crisis is under way in `theatre` (or any theatre).
    Crisis,
    /// Affinity of `from` toward `to`.
    Affinity,
    /// Trade between `from` and `to` relative to its starting level (1 = unchanged).
    Trade,
    /// The focal actor's threat exposure.
    Threat,
    /// Treaty `treaty` has activated (now or earlier in the run).
    TreatyActivated,
}

/// `[[policies]]`: one option of the focal actor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    pub id: SStr,
    pub name: String,
    pub description: Option<String>,
    pub actions: Vec<Spanned<ActionFile>>,
}

/// `[outcomes]`: what to report and how to weigh it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomesFile {
    pub bloc_a: Spanned<Vec<SStr>>,
    pub bloc_b: Spanned<Vec<SStr>>,
    pub bloc_a_name: Option<String>,
    pub bloc_b_name: Option<String>,
    pub stability_theatre: Option<SStr>,
    pub weights: Spanned<WeightsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsFile {
    pub prosperity: Option<SNum>,
    pub security: Option<SNum>,
    pub autonomy: Option<SNum>,
    pub standing: Option<SNum>,
    pub stability: Option<SNum>,
}

/// `[[tripwires]]`: thresholds an analyst watches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TripwireFile {
    pub id: SStr,
    pub name: String,
    pub when: Spanned<ConditionFile>,
}
