//! The scenario file as the user wrote it: serde mirrors of the TOML tables, with spans.
//!
//! Nothing here is checked beyond its TOML type; [`crate::scenario::load`] turns these raw types
//! into a validated [`crate::scenario::Scenario`]. Every struct rejects unknown keys. These are the
//! only types (with the output records) that derive serde; the engine never sees them.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
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
#[derive(Debug, Deserialize, JsonSchema)]
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

/// By hand, as the `Deserialize` is: a bare number, or the table form with unknown keys rejected.
impl JsonSchema for RawNum {
    fn schema_name() -> Cow<'static, str> {
        "RawNum".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number: bare, or a table with a point `value` or a `low`/`high` range, optionally with its provenance",
            "anyOf": [
                { "type": "number" },
                {
                    "type": "object",
                    "properties": {
                        "value": { "type": "number", "description": "The point value" },
                        "low": { "type": "number", "description": "Lower end of the plausible range (with `high`)" },
                        "high": { "type": "number", "description": "Upper end of the plausible range (with `low`)" },
                        "source": { "type": "string", "description": "Where the number comes from" },
                        "year": { "type": "integer", "description": "Year the number refers to" },
                        "note": { "type": "string", "description": "Any remark" }
                    },
                    "additionalProperties": false
                }
            ]
        })
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationFile {
    pub name: String,
    pub description: Option<String>,
    pub question: Option<String>,
    #[schemars(with = "DateSchema")]
    pub start: Spanned<Datetime>,
    #[schemars(with = "Option<i64>")]
    pub turn_months: Option<Spanned<i64>>,
    #[schemars(with = "i64")]
    pub turns: Spanned<i64>,
    #[schemars(with = "Option<i64>")]
    pub runs: Option<Spanned<i64>>,
    #[schemars(with = "Option<i64>")]
    pub seed: Option<Spanned<i64>>,
    #[schemars(with = "String")]
    pub focal: SStr,
    #[schemars(with = "Option<String>")]
    pub baseline: Option<SStr>,
}

/// `[[actors]]`: a state or a bloc.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorFile {
    #[schemars(with = "String")]
    pub id: SStr,
    pub name: String,
    #[schemars(with = "Option<ActorKindFile>")]
    pub kind: Option<Spanned<ActorKindFile>>,
    #[schemars(with = "Option<Vec<String>>")]
    pub members: Option<Vec<SStr>>,
    #[schemars(with = "Option<RawNum>")]
    pub gdp: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub gdp_growth: Option<SNum>,
    #[schemars(with = "RawNum")]
    pub capability: SNum,
    #[schemars(with = "RawNum")]
    pub position: SNum,
    pub doctrine: Option<DoctrineFile>,
    #[schemars(with = "Option<Vec<ActionFile>>")]
    pub actions: Option<Vec<Spanned<ActionFile>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKindFile {
    State,
    Bloc,
}

/// `[actors.doctrine]`: how a non-focal actor reacts.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoctrineFile {
    #[schemars(with = "Option<RawNum>")]
    pub reciprocity: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub balancing: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub sanction_enforcement: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub susceptibility: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub position_volatility: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub trade_politicisation: Option<SNum>,
    #[schemars(with = "Option<Vec<String>>")]
    pub secondary_sanctions: Option<Vec<SStr>>,
}

/// `[[relations]]`: facts about a pair of actors.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationFile {
    #[schemars(with = "Vec<String>")]
    pub pair: Spanned<Vec<SStr>>,
    #[schemars(with = "Option<RawNum>")]
    pub trade: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub affinity: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub affinity_reverse: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub proximity: Option<SNum>,
    pub trade_agreement: Option<bool>,
}

/// `[[treaties]]`: a typed obligation coded like ATOP.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreatyFile {
    #[schemars(with = "String")]
    pub id: SStr,
    pub name: String,
    #[schemars(with = "TreatyKindFile")]
    pub kind: Spanned<TreatyKindFile>,
    #[schemars(with = "Vec<String>")]
    pub parties: Spanned<Vec<SStr>>,
    #[schemars(with = "Option<DateSchema>")]
    pub in_force: Option<Spanned<Datetime>>,
    #[schemars(with = "Option<RawNum>")]
    pub credibility: Option<SNum>,
    #[schemars(with = "Option<ConditionFile>")]
    pub activation: Option<Spanned<ConditionFile>>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TreatyKindFile {
    Defence,
    Offence,
    Neutrality,
    NonAggression,
    Consultation,
}

/// `[[theatres]]`: a region with a tension level and incidents between two sides.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TheatreFile {
    #[schemars(with = "String")]
    pub id: SStr,
    pub name: String,
    #[schemars(with = "Vec<String>")]
    pub side_a: Spanned<Vec<SStr>>,
    #[schemars(with = "Vec<String>")]
    pub side_b: Spanned<Vec<SStr>>,
    #[schemars(with = "RawNum")]
    pub initial_tension: SNum,
    #[schemars(with = "Option<RawNum>")]
    pub baseline_tension: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub reversion: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub crisis_threshold: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub incident_rate_calm: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub incident_rate_hot: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub incident_dispersion: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub incident_tension: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub incident_affinity: Option<SNum>,
}

/// `[[events]]`: something that happens at a date, with effects.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFile {
    pub name: String,
    #[schemars(with = "DateSchema")]
    pub date: Spanned<Datetime>,
    pub source: Option<String>,
    #[schemars(with = "Vec<EffectFile>")]
    pub effects: Vec<Spanned<EffectFile>>,
}

/// `[[random_events]]`: something that happens at a rate, with effects.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomEventFile {
    pub name: String,
    /// Expected occurrences per year.
    #[schemars(with = "RawNum")]
    pub rate: SNum,
    #[schemars(with = "Option<DateSchema>")]
    pub from: Option<Spanned<Datetime>>,
    #[schemars(with = "Option<DateSchema>")]
    pub until: Option<Spanned<Datetime>>,
    #[schemars(with = "Option<ConditionFile>")]
    pub when: Option<Spanned<ConditionFile>>,
    pub source: Option<String>,
    #[schemars(with = "Vec<EffectFile>")]
    pub effects: Vec<Spanned<EffectFile>>,
}

/// One effect of an event.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectFile {
    #[schemars(with = "EffectKindFile")]
    pub kind: Spanned<EffectKindFile>,
    #[schemars(with = "Option<String>")]
    pub actor: Option<SStr>,
    #[schemars(with = "Option<String>")]
    pub from: Option<SStr>,
    #[schemars(with = "Option<String>")]
    pub to: Option<SStr>,
    #[schemars(with = "Option<String>")]
    pub theatre: Option<SStr>,
    #[schemars(with = "Option<RawNum>")]
    pub delta: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub factor: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub intensity: Option<SNum>,
    pub mutual: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    #[schemars(with = "ActionKindFile")]
    pub kind: Spanned<ActionKindFile>,
    #[schemars(with = "Option<Vec<String>>")]
    pub targets: Option<Vec<SStr>>,
    #[schemars(with = "Option<String>")]
    pub theatre: Option<SStr>,
    #[schemars(with = "RawNum")]
    pub intensity: SNum,
    #[schemars(with = "Option<ConditionFile>")]
    pub when: Option<Spanned<ConditionFile>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionFile {
    #[schemars(with = "MetricFile")]
    pub metric: Spanned<MetricFile>,
    #[schemars(with = "Option<String>")]
    pub theatre: Option<SStr>,
    #[schemars(with = "Option<String>")]
    pub from: Option<SStr>,
    #[schemars(with = "Option<String>")]
    pub to: Option<SStr>,
    #[schemars(with = "Option<String>")]
    pub treaty: Option<SStr>,
    #[schemars(with = "Option<RawNum>")]
    pub above: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub below: Option<SNum>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[schemars(with = "String")]
    pub id: SStr,
    pub name: String,
    pub description: Option<String>,
    #[schemars(with = "Vec<ActionFile>")]
    pub actions: Vec<Spanned<ActionFile>>,
}

/// `[outcomes]`: what to report and how to weigh it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomesFile {
    #[schemars(with = "Vec<String>")]
    pub bloc_a: Spanned<Vec<SStr>>,
    #[schemars(with = "Vec<String>")]
    pub bloc_b: Spanned<Vec<SStr>>,
    pub bloc_a_name: Option<String>,
    pub bloc_b_name: Option<String>,
    #[schemars(with = "Option<String>")]
    pub stability_theatre: Option<SStr>,
    #[schemars(with = "WeightsFile")]
    pub weights: Spanned<WeightsFile>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsFile {
    #[schemars(with = "Option<RawNum>")]
    pub prosperity: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub security: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub autonomy: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub standing: Option<SNum>,
    #[schemars(with = "Option<RawNum>")]
    pub stability: Option<SNum>,
}

/// `[[tripwires]]`: thresholds an analyst watches.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TripwireFile {
    #[schemars(with = "String")]
    pub id: SStr,
    pub name: String,
    #[schemars(with = "ConditionFile")]
    pub when: Spanned<ConditionFile>,
}

/// A TOML local date (`2024-06-19`) in the schema; the parser reads it as a [`Datetime`].
pub struct DateSchema;

impl JsonSchema for DateSchema {
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A date, written as a bare TOML date: 2024-06-19",
            "type": "string",
            "format": "date"
        })
    }
}

/// `[model]` in the schema: one optional key per entry of [`crate::params::SPECS`], described by
/// the spec's meaning, unit, default and bounds. The loader reads the same keys from the same table.
pub struct ModelSchema;

impl JsonSchema for ModelSchema {
    fn schema_name() -> Cow<'static, str> {
        "ModelFile".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let num = generator.subschema_for::<RawNum>();
        let mut properties = serde_json::Map::new();
        for spec in crate::params::SPECS {
            let mut property = num.clone();
            property.insert(
                "description".into(),
                format!(
                    "{} [{}; default {}, from {} to {}]",
                    spec.meaning, spec.unit, spec.default, spec.min, spec.max
                )
                .into(),
            );
            property.insert("minimum".into(), spec.min.into());
            property.insert("maximum".into(), spec.max.into());
            properties.insert(spec.key.to_string(), property.into());
        }
        json_schema!({
            "description": "Overrides of model parameters (docs/model.md lists them), each a number or a table",
            "type": "object",
            "properties": properties,
            "additionalProperties": false
        })
    }
}

// A whole scenario file, used only to generate the JSON Schema (`entente schema`): the loader reads
// the file section by section (`crate::scenario::load`) into the types above, which this lists.
// The sections required here are those the loader requires.
/// An entente scenario file. `entente validate` checks what a schema cannot: ids, references
/// between sections, ranges of values written as tables.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "entente scenario")]
pub struct ScenarioSchema {
    pub simulation: SimulationFile,
    pub model: Option<ModelSchema>,
    #[schemars(length(min = 1))]
    pub actors: Vec<ActorFile>,
    pub relations: Option<Vec<RelationFile>>,
    pub treaties: Option<Vec<TreatyFile>>,
    pub theatres: Option<Vec<TheatreFile>>,
    pub events: Option<Vec<EventFile>>,
    pub random_events: Option<Vec<RandomEventFile>>,
    #[schemars(length(min = 1))]
    pub policies: Vec<PolicyFile>,
    pub outcomes: OutcomesFile,
    pub tripwires: Option<Vec<TripwireFile>>,
}
