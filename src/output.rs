//! The results folder: `manifest.json`, `summary.json`, `timeseries.csv`, `runs.csv`.
//!
//! Files are written into a temporary folder beside the target and renamed into place only when
//! all are complete, so a folder that looks finished is finished. An existing folder is replaced
//! only with `force`, and only if entente wrote it (it holds an entente `manifest.json`).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::montecarlo::Batch;
use crate::scenario::Scenario;
use crate::stats::Summary;
use crate::summary::{self, PolicySummary};

/// `manifest.json`: what is needed to reproduce the results.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub entente_version: String,
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub scenario_name: String,
    pub seed: u64,
    pub runs: u32,
    pub turns: u32,
    pub turn_months: u32,
    pub start: String,
    pub focal: String,
    pub baseline: String,
    pub policies: Vec<String>,
    pub threads: usize,
    pub command: Vec<String>,
    pub generator: String,
    pub series: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SummaryFile<'a> {
    scenario: &'a str,
    focal: &'a str,
    baseline: &'a str,
    runs: u32,
    seed: u64,
    final_turn: u32,
    final_date: String,
    weights: Vec<WeightRecord>,
    policies: Vec<PolicyRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct WeightRecord {
    outcome: &'static str,
    weight: f64,
}

#[derive(Debug, Serialize)]
struct PolicyRecord<'a> {
    id: &'a str,
    name: &'a str,
    rank: usize,
    composite: SummaryRecord<'a>,
    outcomes: Vec<SummaryRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct SummaryRecord<'a> {
    outcome: &'a str,
    mean: f64,
    sd: f64,
    p05: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p95: f64,
}

impl<'a> SummaryRecord<'a> {
    fn new(outcome: &'a str, s: &Summary) -> SummaryRecord<'a> {
        SummaryRecord {
            outcome,
            mean: s.mean,
            sd: s.sd,
            p05: s.p05,
            p25: s.p25,
            p50: s.p50,
            p75: s.p75,
            p95: s.p95,
        }
    }
}

#[derive(Debug, Serialize)]
struct TimeseriesRow<'a> {
    policy: &'a str,
    turn: usize,
    date: String,
    outcome: &'a str,
    mean: f64,
    p05: f64,
    p25: f64,
    p50: f64,
    p75: f64,
    p95: f64,
}

#[derive(Debug, Serialize)]
struct ActorRow<'a> {
    policy: &'a str,
    turn: usize,
    date: String,
    actor: &'a str,
    position_mean: f64,
    position_p05: f64,
    position_p50: f64,
    position_p95: f64,
}

#[derive(Debug, Serialize)]
struct AffinityRow<'a> {
    policy: &'a str,
    when: &'static str,
    from: &'a str,
    to: &'a str,
    mean: f64,
    p05: f64,
    p95: f64,
}

#[derive(Debug, Serialize)]
struct RunRow<'a> {
    policy: &'a str,
    run: usize,
    seed: u64,
    outcome: &'a str,
    value: f64,
}

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("results folder `{0}` already exists; pass `--force` to replace it")]
    Exists(PathBuf),
    #[error(
        "`{0}` exists and was not written by entente (no entente `manifest.json`); refusing to replace it"
    )]
    NotOurs(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Other(String),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// More files to write into the (temporary) results folder before it is moved into place.
pub type Extra<'a> = &'a dyn Fn(&Path) -> Result<(), OutputError>;

/// Writes every results file into `dir`, atomically; `extra` adds files (comparison, charts,
/// report) to the same folder before it becomes visible.
pub fn write_results(
    dir: &Path,
    force: bool,
    scenario: &Scenario,
    batch: &Batch,
    summaries: &[PolicySummary],
    manifest: &Manifest,
    extra: Extra<'_>,
) -> Result<(), OutputError> {
    write_folder(dir, force, is_entente_folder, OutputError::NotOurs, |tmp| {
        write_all(tmp, scenario, batch, summaries, manifest).and_then(|()| extra(tmp))
    })
}

/// Writes a folder atomically: `write` fills a temporary folder beside `dir` (hidden, named
/// `.<name>.partial-<pid>`), which then replaces `dir` by a rename. An existing `dir` is replaced
/// only with `force` and only if `is_ours(dir)`; otherwise `not_ours(dir)` is the error. On any
/// error the temporary folder is removed and `dir` is untouched.
pub fn write_folder(
    dir: &Path,
    force: bool,
    is_ours: impl Fn(&Path) -> bool,
    not_ours: impl FnOnce(PathBuf) -> OutputError,
    write: impl FnOnce(&Path) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    if dir.exists() {
        if !force {
            return Err(OutputError::Exists(dir.to_path_buf()));
        }
        if !is_ours(dir) {
            return Err(not_ours(dir.to_path_buf()));
        }
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(parent))?;
    let name = dir
        .file_name()
        .map_or("results".into(), |n| n.to_string_lossy().into_owned());
    let tmp = parent.join(temporary_name(&name));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    if let Err(e) = write(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(io_err(dir))?;
    }
    fs::rename(&tmp, dir).map_err(io_err(dir))?;
    Ok(())
}

/// The hidden name a folder called `name` is written under before it is renamed into place.
fn temporary_name(name: &str) -> String {
    format!(".{name}.partial-{}", std::process::id())
}

/// The folder that `dir` will become: `dir` itself, or, for a temporary folder of
/// [`write_folder`], the final folder beside it (so files written before the rename can refer to
/// their neighbours by the final name).
pub fn final_dir(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    match (name.strip_prefix('.'), name.rfind(".partial-")) {
        (Some(_), Some(end)) if end > 1 => dir.with_file_name(&name[1..end]),
        _ => dir.to_path_buf(),
    }
}

/// Whether `dir` holds a manifest written by entente.
pub fn is_entente_folder(dir: &Path) -> bool {
    fs::read_to_string(dir.join("manifest.json"))
        .is_ok_and(|text| text.contains("\"entente_version\""))
}

fn write_all(
    dir: &Path,
    scenario: &Scenario,
    batch: &Batch,
    summaries: &[PolicySummary],
    manifest: &Manifest,
) -> Result<(), OutputError> {
    let path = dir.join("manifest.json");
    write_json(&path, manifest)?;

    let composite = summary::composite_series();
    let last = batch.n_points() - 1;
    let summary_file = SummaryFile {
        scenario: &scenario.name,
        focal: &scenario.actors[scenario.focal].id,
        baseline: &scenario.policies[scenario.baseline].id,
        runs: batch.spec.runs,
        seed: batch.spec.seed,
        final_turn: last as u32,
        final_date: scenario.turn_date(last as u32).to_string(),
        weights: crate::scenario::Outcome::WEIGHED
            .iter()
            .zip(scenario.outcomes.weights)
            .map(|(o, weight)| WeightRecord {
                outcome: o.name(),
                weight,
            })
            .collect(),
        policies: summaries
            .iter()
            .map(|s| {
                let policy = &scenario.policies[s.policy];
                PolicyRecord {
                    id: &policy.id,
                    name: &policy.name,
                    rank: s.rank,
                    composite: SummaryRecord::new("composite", &s.finals[composite]),
                    outcomes: batch
                        .series
                        .iter()
                        .zip(&s.finals)
                        .map(|(name, f)| SummaryRecord::new(name, f))
                        .collect(),
                }
            })
            .collect(),
    };
    write_json(&dir.join("summary.json"), &summary_file)?;

    let path = dir.join("timeseries.csv");
    let mut writer = csv_writer(&path)?;
    // Every (policy, turn, series) summary is independent: computed in parallel, collected in
    // order, so the file does not depend on the number of threads.
    let (n_points, n_series) = (batch.n_points(), batch.series.len());
    let summaries: Vec<crate::stats::Summary> =
        (0..batch.spec.policies.len() * n_points * n_series)
            .into_par_iter()
            .map(|k| {
                summary::at_turn(
                    batch,
                    k / (n_points * n_series),
                    (k / n_series) % n_points,
                    k % n_series,
                )
            })
            .collect();
    for (slot, &policy) in batch.spec.policies.iter().enumerate() {
        let policy_id = &scenario.policies[policy].id;
        for turn in 0..batch.n_points() {
            let date = scenario.turn_date(turn as u32).to_string();
            for (series, name) in batch.series.iter().enumerate() {
                let s = summaries[(slot * n_points + turn) * n_series + series];
                let row = TimeseriesRow {
                    policy: policy_id,
                    turn,
                    date: date.clone(),
                    outcome: name,
                    mean: s.mean,
                    p05: s.p05,
                    p25: s.p25,
                    p50: s.p50,
                    p75: s.p75,
                    p95: s.p95,
                };
                writer.serialize(row).map_err(|e| csv_err(&path, e))?;
            }
        }
    }
    writer.flush().map_err(io_err(&path))?;

    let n = scenario.actors.len();
    let path = dir.join("actors.csv");
    let mut writer = csv_writer(&path)?;
    for (slot, &policy) in batch.spec.policies.iter().enumerate() {
        let policy_id = &scenario.policies[policy].id;
        let runs = &batch.trajectories[slot];
        for turn in 0..batch.n_points() {
            let date = scenario.turn_date(turn as u32).to_string();
            for (actor_idx, actor) in scenario.actors.iter().enumerate() {
                let values: Vec<f64> = runs
                    .iter()
                    .map(|t| t.positions[turn * n + actor_idx])
                    .collect();
                let s = crate::stats::summarise(&values);
                let row = ActorRow {
                    policy: policy_id,
                    turn,
                    date: date.clone(),
                    actor: &actor.id,
                    position_mean: s.mean,
                    position_p05: s.p05,
                    position_p50: s.p50,
                    position_p95: s.p95,
                };
                writer.serialize(row).map_err(|e| csv_err(&path, e))?;
            }
        }
    }
    writer.flush().map_err(io_err(&path))?;

    let path = dir.join("affinity.csv");
    let mut writer = csv_writer(&path)?;
    for (slot, &policy) in batch.spec.policies.iter().enumerate() {
        let policy_id = &scenario.policies[policy].id;
        let runs = &batch.trajectories[slot];
        for (when, pick) in [("start", true), ("end", false)] {
            for (i, from) in scenario.actors.iter().enumerate() {
                for (j, to) in scenario.actors.iter().enumerate() {
                    if i == j {
                        continue;
                    }
                    let values: Vec<f64> = runs
                        .iter()
                        .map(|t| {
                            if pick {
                                t.affinity_start[i * n + j]
                            } else {
                                t.affinity_end[i * n + j]
                            }
                        })
                        .collect();
                    let s = crate::stats::summarise(&values);
                    let row = AffinityRow {
                        policy: policy_id,
                        when,
                        from: &from.id,
                        to: &to.id,
                        mean: s.mean,
                        p05: s.p05,
                        p95: s.p95,
                    };
                    writer.serialize(row).map_err(|e| csv_err(&path, e))?;
                }
            }
        }
    }
    writer.flush().map_err(io_err(&path))?;

    let path = dir.join("runs.csv");
    let mut writer = csv_writer(&path)?;
    for (slot, &policy) in batch.spec.policies.iter().enumerate() {
        let policy_id = &scenario.policies[policy].id;
        for (run, trajectory) in batch.trajectories[slot].iter().enumerate() {
            for (series, name) in batch.series.iter().enumerate() {
                let row = RunRow {
                    policy: policy_id,
                    run,
                    seed: batch.run_seeds[run],
                    outcome: name,
                    value: trajectory.last(series),
                };
                writer.serialize(row).map_err(|e| csv_err(&path, e))?;
            }
        }
    }
    writer.flush().map_err(io_err(&path))?;
    Ok(())
}

pub(crate) fn csv_writer(path: &Path) -> Result<csv::Writer<io::BufWriter<fs::File>>, OutputError> {
    let file = fs::File::create(path).map_err(io_err(path))?;
    Ok(csv::Writer::from_writer(io::BufWriter::new(file)))
}

pub(crate) fn csv_err(path: &Path, error: csv::Error) -> OutputError {
    OutputError::Io {
        path: path.to_path_buf(),
        source: io::Error::other(error.to_string()),
    }
}

pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<(), OutputError> {
    let file = fs::File::create(path).map_err(io_err(path))?;
    let mut writer = io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, value).map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    writer.write_all(b"\n").map_err(io_err(path))?;
    writer.flush().map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_dir_undoes_the_temporary_name() {
        let tmp = Path::new("output").join(temporary_name("korea.partial-x"));
        assert_eq!(final_dir(&tmp), Path::new("output/korea.partial-x"));
        assert_eq!(
            final_dir(Path::new("output/korea")),
            Path::new("output/korea")
        );
        assert_eq!(
            final_dir(Path::new("output/.hidden")),
            Path::new("output/.hidden")
        );
    }
}
