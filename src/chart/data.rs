//! Reading a results folder back: `manifest.json`, `summary.json`, `timeseries.csv`, `actors.csv`,
//! `affinity.csv`, and (when present) `comparison.json` and `tripwires.csv`.
//!
//! Only `manifest.json` is required. Every other file is optional: a missing file gives `None` and
//! the charts that need it are skipped. A file that is present but malformed is an error naming the
//! file and, where the parser knows it, the line. Numbers that JSON writes as `null` (NaN) read as
//! NaN; nothing here panics.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::ChartError;

/// Everything the charts and the report read from a results folder.
#[derive(Debug, Clone)]
pub struct Results {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub summary: Option<SummaryFile>,
    pub timeseries: Option<Timeseries>,
    pub actors: Option<Vec<ActorRow>>,
    pub affinity: Option<Vec<AffinityRow>>,
    pub comparison: Option<ComparisonFile>,
    pub tripwires: Option<Vec<TripwireRow>>,
}

impl Results {
    /// Reads every file of the folder `dir` (see the module doc).
    pub fn load(dir: &Path) -> Result<Results, ChartError> {
        let manifest_path = dir.join("manifest.json");
        let manifest: Manifest = match read_json(&manifest_path)? {
            Some(m) => m,
            None => return Err(ChartError::Missing(manifest_path)),
        };
        let timeseries = read_csv::<TimeseriesRow>(&dir.join("timeseries.csv"))?.map(|rows| {
            let mut t = Timeseries::default();
            for row in rows {
                t.dates.entry(row.turn).or_insert_with(|| row.date.clone());
                t.series
                    .entry((row.policy, row.outcome))
                    .or_default()
                    .push(Band {
                        turn: row.turn,
                        mean: row.mean,
                        p05: row.p05,
                        p25: row.p25,
                        p50: row.p50,
                        p75: row.p75,
                        p95: row.p95,
                    });
            }
            for points in t.series.values_mut() {
                points.sort_by_key(|b| b.turn);
            }
            t
        });
        Ok(Results {
            dir: dir.to_path_buf(),
            manifest,
            summary: read_json(&dir.join("summary.json"))?,
            timeseries,
            actors: read_csv(&dir.join("actors.csv"))?,
            affinity: read_csv(&dir.join("affinity.csv"))?,
            comparison: read_json(&dir.join("comparison.json"))?,
            tripwires: read_csv(&dir.join("tripwires.csv"))?,
        })
    }

    /// The baseline's id: from the manifest, else the first policy.
    pub fn baseline(&self) -> &str {
        if self.manifest.baseline.is_empty() {
            self.manifest.policies.first().map_or("", String::as_str)
        } else {
            &self.manifest.baseline
        }
    }
}

/// `manifest.json` (the fields the charts and the report use).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Manifest {
    pub entente_version: String,
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub scenario_name: String,
    pub seed: u64,
    pub runs: u64,
    pub turns: u64,
    pub turn_months: u64,
    pub start: String,
    pub focal: String,
    pub baseline: String,
    pub policies: Vec<String>,
    pub threads: u64,
    pub command: Vec<String>,
    pub generator: String,
    pub series: Vec<String>,
}

/// `summary.json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SummaryFile {
    pub scenario: String,
    pub focal: String,
    pub baseline: String,
    pub runs: u64,
    pub seed: u64,
    pub final_turn: u64,
    pub final_date: String,
    pub weights: Vec<Weight>,
    pub policies: Vec<SummaryPolicy>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Weight {
    pub outcome: String,
    #[serde(deserialize_with = "nan_or_f64")]
    pub weight: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SummaryPolicy {
    pub id: String,
    pub name: String,
    pub rank: u64,
    pub composite: Stat,
    pub outcomes: Vec<Stat>,
}

impl SummaryPolicy {
    /// The final-turn statistics of `outcome` (`composite` included).
    pub fn outcome(&self, outcome: &str) -> Option<&Stat> {
        if outcome == "composite" && self.composite.outcome == "composite" {
            return Some(&self.composite);
        }
        self.outcomes.iter().find(|s| s.outcome == outcome)
    }
}

/// Final-turn statistics of one outcome of one policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Stat {
    pub outcome: String,
    #[serde(deserialize_with = "nan_or_f64")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub sd: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub p05: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub p25: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub p50: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub p75: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub p95: f64,
}

impl Default for Stat {
    fn default() -> Stat {
        Stat {
            outcome: String::new(),
            mean: f64::NAN,
            sd: f64::NAN,
            p05: f64::NAN,
            p25: f64::NAN,
            p50: f64::NAN,
            p75: f64::NAN,
            p95: f64::NAN,
        }
    }
}

/// `timeseries.csv`, indexed by (policy, outcome), each series sorted by turn.
#[derive(Debug, Clone, Default)]
pub struct Timeseries {
    pub series: BTreeMap<(String, String), Vec<Band>>,
    /// The date of each turn (`YYYY-MM-DD`).
    pub dates: BTreeMap<u32, String>,
}

impl Timeseries {
    pub fn get(&self, policy: &str, outcome: &str) -> Option<&[Band]> {
        self.series
            .get(&(policy.to_string(), outcome.to_string()))
            .map(Vec::as_slice)
    }

    /// The outcomes (series names) present, in name order.
    pub fn outcomes(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.series.keys().map(|(_, o)| o.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// One turn of one series: the mean and percentiles over runs.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    pub turn: u32,
    pub mean: f64,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct TimeseriesRow {
    policy: String,
    turn: u32,
    date: String,
    outcome: String,
    mean: f64,
    p05: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p95: f64,
}

/// A row of `actors.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct ActorRow {
    pub policy: String,
    pub turn: u32,
    pub date: String,
    pub actor: String,
    pub position_p05: f64,
    pub position_p50: f64,
    pub position_p95: f64,
}

/// A row of `affinity.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct AffinityRow {
    pub policy: String,
    pub when: String,
    pub from: String,
    pub to: String,
    pub mean: f64,
}

/// A row of `tripwires.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct TripwireRow {
    pub policy: String,
    pub tripwire: String,
    pub turn: u32,
    pub date: String,
    pub probability: f64,
}

/// `comparison.json` (written by [`crate::compare::write_comparison`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ComparisonFile {
    pub scenario: String,
    pub focal: String,
    pub baseline: String,
    pub runs: u64,
    pub seed: u64,
    pub final_turn: u64,
    pub final_date: String,
    #[serde(deserialize_with = "nan_or_f64")]
    pub confidence: f64,
    pub interval_method: String,
    pub weights: Vec<Weight>,
    pub policies: Vec<ComparedPolicy>,
    pub separation: Option<Separation>,
    pub weight_sensitivity: Option<Sensitivity>,
    pub tripwires: Vec<ComparedTripwire>,
}

impl ComparisonFile {
    pub fn policy(&self, id: &str) -> Option<&ComparedPolicy> {
        self.policies.iter().find(|p| p.id == id)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ComparedPolicy {
    pub id: String,
    pub name: String,
    pub rank: u64,
    pub is_baseline: bool,
    pub composite: ComparedOutcome,
    #[serde(deserialize_with = "nan_or_f64")]
    pub p_best: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub mean_rank: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub regret_mean: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub regret_p95: f64,
    pub outcomes: Vec<ComparedOutcome>,
}

impl ComparedPolicy {
    /// The comparison of `outcome` (`composite` included).
    pub fn outcome(&self, outcome: &str) -> Option<&ComparedOutcome> {
        if outcome == "composite" && self.composite.outcome == "composite" {
            return Some(&self.composite);
        }
        self.outcomes.iter().find(|o| o.outcome == outcome)
    }
}

/// One outcome of one policy against the baseline.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ComparedOutcome {
    pub outcome: String,
    pub higher_is_better: bool,
    #[serde(deserialize_with = "nan_or_f64")]
    pub mean: f64,
    pub mean_se: Option<f64>,
    #[serde(deserialize_with = "nan_or_f64")]
    pub baseline_mean: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub diff_mean: f64,
    #[serde(deserialize_with = "nan_or_f64")]
    pub diff_sd: f64,
    pub diff_se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    #[serde(deserialize_with = "nan_or_f64")]
    pub p_beats_baseline: f64,
}

impl Default for ComparedOutcome {
    fn default() -> ComparedOutcome {
        ComparedOutcome {
            outcome: String::new(),
            higher_is_better: true,
            mean: f64::NAN,
            mean_se: None,
            baseline_mean: f64::NAN,
            diff_mean: f64::NAN,
            diff_sd: f64::NAN,
            diff_se: None,
            ci_low: None,
            ci_high: None,
            p_beats_baseline: f64::NAN,
        }
    }
}

/// Whether the top two policies are separated beyond Monte-Carlo noise.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Separation {
    pub top: String,
    pub runner_up: String,
    #[serde(deserialize_with = "nan_or_f64")]
    pub diff_mean: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub separable: bool,
    pub identical: bool,
    pub warning: Option<String>,
}

/// How the ranking responds to the outcome weights.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Sensitivity {
    #[serde(deserialize_with = "nan_or_f64")]
    pub grid_step: f64,
    pub grid_points: u64,
    pub top_at_scenario_weights: Option<String>,
    pub best_share: Vec<Share>,
    pub flips: Vec<Flip>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Share {
    pub policy: String,
    #[serde(deserialize_with = "nan_or_f64")]
    pub share: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Flip {
    pub outcome: String,
    #[serde(deserialize_with = "nan_or_f64")]
    pub weight: f64,
    pub top: String,
    pub sentence: String,
}

/// One tripwire under one policy in `comparison.json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ComparedTripwire {
    pub policy: String,
    pub tripwire: String,
    pub name: String,
    #[serde(deserialize_with = "nan_or_f64")]
    pub by_end: f64,
    pub by_turn: Vec<Option<f64>>,
}

/// A JSON number, or NaN for `null` (serde_json writes NaN as `null`).
fn nan_or_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// Reads a file's text; `None` if it does not exist.
fn read_text(path: &Path) -> Result<Option<String>, ChartError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ChartError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, ChartError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| ChartError::Malformed {
            path: path.to_path_buf(),
            line: (e.line() > 0).then_some(e.line() as u64),
            message: e.to_string(),
        })
}

fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Option<Vec<T>>, ChartError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for row in reader.deserialize::<T>() {
        rows.push(row.map_err(|e| ChartError::Malformed {
            path: path.to_path_buf(),
            line: e.position().map(|p| p.line()),
            message: e.to_string(),
        })?);
    }
    Ok(Some(rows))
}
