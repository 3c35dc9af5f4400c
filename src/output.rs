//! The results folder: `manifest.json`, `summary.json`, `timeseries.csv`, `runs.csv`.
//!
//! Files are written into a temporary folder beside the target and renamed into place only when
//! all are complete, so a folder that looks finished is finished. An existing folder is replaced
//! only with `force`, and only if entente wrote it (it holds an entente `manifest.json`).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::aggregate::Summaries;
use crate::engine::Trajectory;
use crate::scenario::Scenario;
use crate::stats::Summary;
use crate::summary;

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
    /// How the quantiles were computed: exact, or from a sketch with its error bound.
    pub quantiles: String,
    /// Runs up to which every value was kept (`--exact-runs`); `entente rerun` uses it.
    pub exact_runs: u64,
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
    #[error("interrupted: no results were written")]
    Interrupted,
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
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

/// Writes `manifest.json`, `summary.json`, `timeseries.csv`, `actors.csv` and `affinity.csv`
/// into `dir` from the summaries of a study of `policies` (scenario indices in slot order) whose
/// recorded series are `series`.
pub fn write_summaries(
    dir: &Path,
    scenario: &Scenario,
    policies: &[usize],
    series: &[String],
    seed: u64,
    summaries: &Summaries,
    manifest: &Manifest,
) -> Result<(), OutputError> {
    let path = dir.join("manifest.json");
    write_json(&path, manifest)?;

    let composite = summary::composite_series();
    let n_points = summaries.n_points;
    let last = n_points - 1;
    let summary_file = SummaryFile {
        scenario: &scenario.name,
        focal: &scenario.actors[scenario.focal].id,
        baseline: &scenario.policies[scenario.baseline].id,
        runs: summaries.runs as u32,
        seed,
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
            .finals
            .iter()
            .map(|s| {
                let policy = &scenario.policies[s.policy];
                PolicyRecord {
                    id: &policy.id,
                    name: &policy.name,
                    rank: s.rank,
                    composite: SummaryRecord::new("composite", &s.finals[composite]),
                    outcomes: series
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
    let n_series = series.len();
    for (slot, &policy) in policies.iter().enumerate() {
        let policy_id = &scenario.policies[policy].id;
        for turn in 0..n_points {
            let date = scenario.turn_date(turn as u32).to_string();
            for (k, name) in series.iter().enumerate() {
                let s = summaries.timeseries[(slot * n_points + turn) * n_series + k];
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
    for (slot, &policy) in policies.iter().enumerate() {
        let policy_id = &scenario.policies[policy].id;
        for turn in 0..n_points {
            let date = scenario.turn_date(turn as u32).to_string();
            for (actor_idx, actor) in scenario.actors.iter().enumerate() {
                let s = summaries.positions[(slot * n_points + turn) * n + actor_idx];
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
    for (slot, &policy) in policies.iter().enumerate() {
        let policy_id = &scenario.policies[policy].id;
        for (w, when) in ["start", "end"].into_iter().enumerate() {
            for (i, from) in scenario.actors.iter().enumerate() {
                for (j, to) in scenario.actors.iter().enumerate() {
                    if i == j {
                        continue;
                    }
                    let s = summaries.affinity[(slot * 2 + w) * n * n + i * n + j];
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
    Ok(())
}

/// `runs.csv`, written as runs finish: one row per run × policy × series (run-major, then
/// policies in slot order, then series), with the run's seed and the series' final value.
pub struct RunsWriter {
    path: PathBuf,
    writer: csv::Writer<io::BufWriter<fs::File>>,
    ids: Vec<String>,
    series: Vec<String>,
    seed: u64,
}

impl RunsWriter {
    /// Creates `dir/runs.csv` for the policies `ids` (slot order) of a study with `seed`.
    pub fn create(
        dir: &Path,
        ids: Vec<String>,
        series: Vec<String>,
        seed: u64,
    ) -> Result<RunsWriter, OutputError> {
        let path = dir.join("runs.csv");
        let writer = csv_writer(&path)?;
        Ok(RunsWriter {
            path,
            writer,
            ids,
            series,
            seed,
        })
    }

    /// Writes consecutive runs starting at global run `first` (`runs[k][slot]`).
    pub fn write(&mut self, first: u32, runs: &[Vec<Trajectory>]) -> Result<(), OutputError> {
        for (k, run) in runs.iter().enumerate() {
            let index = first as usize + k;
            let seed = crate::rng::run_seed(self.seed, index as u64);
            for (policy, trajectory) in self.ids.iter().zip(run) {
                for (series, name) in self.series.iter().enumerate() {
                    let row = RunRow {
                        policy,
                        run: index,
                        seed,
                        outcome: name,
                        value: trajectory.last(series),
                    };
                    self.writer
                        .serialize(row)
                        .map_err(|e| csv_err(&self.path, e))?;
                }
            }
        }
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<(), OutputError> {
        self.writer.flush().map_err(io_err(&self.path))
    }
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
