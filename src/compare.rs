//! Policy comparison a methodologist would trust: paired differences from a baseline with
//! Monte-Carlo intervals, rank and regret, sensitivity of the ranking to the outcome weights, and
//! tripwire probabilities over time. The method and its assumptions are in `docs/comparison.md`.
//!
//! Every policy of a [`Batch`] runs on the same seeds and parameter samples (common random
//! numbers), so run `r` of one policy and run `r` of another form a pair: their difference is free
//! of the noise they share. For each policy slot and each recorded series at the final turn,
//! [`compare`] computes the mean paired difference from the baseline, its standard error and a
//! paired-t interval (Student t with `n - 1` degrees of freedom, [`t_quantile`]), and the share of
//! runs in which the policy does better. On the composite it adds the probability of being best,
//! the mean rank and the regret; [`top_is_stable`] tells whether the top two policies are
//! separated beyond Monte-Carlo noise.
//!
//! Conventions that hold throughout:
//!
//! * Differences are `policy - baseline` in the series' own units; for series where lower is
//!   better (tension, crisis, threat) a negative difference is good. `trade_<ID>` series count
//!   higher as better.
//! * Runs are paired by index. If slots hold different numbers of runs (never from
//!   [`crate::montecarlo::run_batch`]), only the first `n` of each are used, `n` the fewest.
//! * Below two runs a standard error and an interval cannot be computed: they are `None` (`null`
//!   in JSON, empty in CSV). With no runs every mean and share is 0.
//! * Values missing from a malformed trajectory read as NaN, and an out-of-range baseline slot
//!   falls back to slot 0; nothing here panics.
//! * Every reduction runs sequentially in run order, so results do not depend on threads. There is
//!   no resampling, hence no random numbers.

mod tally;
mod tdist;
mod weights;

pub use tally::Tally;
pub use tdist::{normal_quantile, t_cdf, t_quantile};
pub use weights::{GRID_STEPS, Threshold, WeightFlip, WeightSensitivity};

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::engine::Trajectory;
use crate::montecarlo::Batch;
use crate::scenario::{Outcome, Scenario};
use crate::sketch::Sample;
use crate::stats;

/// The confidence level of the reported intervals.
pub const CONFIDENCE: f64 = 0.95;

/// Everything [`compare`] computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The batch slot of the baseline.
    pub baseline_slot: usize,
    /// Paired runs used (the fewest runs of any slot).
    pub runs: usize,
    /// The final turn (the batch's points minus one).
    pub final_turn: usize,
    /// Names of the recorded series, as in the batch.
    pub series: Vec<String>,
    /// One entry per batch slot, in slot order.
    pub policies: Vec<PolicyComparison>,
    /// Slots by mean composite, best first (ties keep slot order).
    pub order: Vec<usize>,
    /// The top two policies by mean composite and whether the runs separate them (`None` with
    /// fewer than two policies).
    pub top_pair: Option<TopPair>,
    /// When the ranking flips as the outcome weights move.
    pub weights: WeightSensitivity,
    /// Tripwire probabilities over time, one entry per slot and tripwire (slot-major).
    pub tripwires: Vec<TripwireCurve>,
}

/// One policy's comparison with the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyComparison {
    pub slot: usize,
    /// Index of the policy in the scenario (`None` if the batch does not name one for the slot).
    pub policy: Option<usize>,
    /// The policy's id as the scenario names it.
    pub id: String,
    /// 1 = highest mean composite (position in [`Comparison::order`]).
    pub rank: usize,
    /// Every recorded series at the final turn, in series order.
    pub outcomes: Vec<OutcomeComparison>,
    /// The composite at the final turn (the same values as its entry in `outcomes`).
    pub composite: OutcomeComparison,
    /// Share of runs in which this policy has the highest composite; ties split evenly.
    pub p_best: f64,
    /// Mean over runs of the policy's rank on the composite (1 = best; ties take the mean of the
    /// ranks they span).
    pub mean_rank: f64,
    /// Regret of a run: the best composite of any policy in that run minus this policy's.
    pub regret_mean: f64,
    /// The 95th percentile of the regret over runs (type-7 quantile).
    pub regret_p95: f64,
}

/// One series of one policy at the final turn, against the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeComparison {
    /// The series name (`composite`, `security`, `trade_CHN`, ...).
    pub series: String,
    pub higher_is_better: bool,
    /// The policy's mean over runs.
    pub mean: f64,
    /// Monte-Carlo standard error of `mean` (SD / sqrt(n)); `None` below two runs.
    pub mean_se: Option<f64>,
    /// The baseline's mean over the same runs.
    pub baseline_mean: f64,
    /// The paired difference, policy minus baseline.
    pub diff: PairedDiff,
    /// Share of runs in which the policy is strictly better than the baseline in the series' good
    /// direction; ties count half.
    pub p_beats_baseline: f64,
}

/// A paired difference over runs with its paired-t interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedDiff {
    /// Number of pairs.
    pub n: usize,
    pub mean: f64,
    /// SD of the differences (n - 1 denominator; 0 below two pairs).
    pub sd: f64,
    /// Monte-Carlo standard error, `sd / sqrt(n)`; `None` below two pairs.
    pub se: Option<f64>,
    /// The [`CONFIDENCE`] interval `mean ± t(0.975, n - 1) * se`; `None` below two pairs.
    pub ci: Option<(f64, f64)>,
}

impl PairedDiff {
    /// Summarises the differences `diffs` (one per run, in run order).
    pub fn from_diffs(diffs: &[f64]) -> PairedDiff {
        PairedDiff::from_parts(diffs.len(), stats::mean(diffs), stats::sd(diffs))
    }

    /// Summarises a streamed sample of differences.
    pub fn from_sample(diffs: &Sample) -> PairedDiff {
        PairedDiff::from_parts(diffs.len(), diffs.mean(), diffs.sd())
    }

    fn from_parts(n: usize, mean: f64, sd: f64) -> PairedDiff {
        let se = (n >= 2).then(|| sd / (n as f64).sqrt());
        let mut out = PairedDiff {
            n,
            mean,
            sd,
            se,
            ci: None,
        };
        out.ci = out.interval(CONFIDENCE);
        out
    }

    /// The two-sided paired-t interval at `confidence` (in (0, 1)); `None` below two pairs or for
    /// a confidence outside (0, 1).
    pub fn interval(&self, confidence: f64) -> Option<(f64, f64)> {
        let se = self.se?;
        if !(confidence > 0.0 && confidence < 1.0) {
            return None;
        }
        let t = t_quantile(0.5 + 0.5 * confidence, (self.n - 1) as f64);
        let half = t * se;
        Some((self.mean - half, self.mean + half))
    }
}

/// The two policies with the highest mean composites and whether the runs separate them.
#[derive(Debug, Clone, PartialEq)]
pub struct TopPair {
    pub top: usize,
    pub runner_up: usize,
    /// Composite of `top` minus composite of `runner_up`, run by run.
    pub diff: PairedDiff,
    /// Whether the [`CONFIDENCE`] interval of `diff` excludes 0.
    pub separable: bool,
    /// Whether the two composites are equal in every run (more runs cannot separate them).
    pub identical: bool,
    /// A warning when they are not separable, e.g. "runs too few to separate `a` and `b` ...".
    pub warning: Option<String>,
}

/// The cumulative probability that one tripwire has been crossed under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct TripwireCurve {
    pub slot: usize,
    /// Index of the tripwire in the scenario.
    pub tripwire: usize,
    /// `by_turn[t]`: share of runs whose first crossing is at turn `t` or earlier (turn 0 = start).
    pub by_turn: Vec<f64>,
    /// The share by the final turn.
    pub by_end: f64,
}

/// Compares every policy slot of `batch` with the slot `baseline_slot` (see the module doc).
/// Every statistic is exact: this is a [`Tally`] with no exact limit, fed the batch's runs.
pub fn compare(scenario: &Scenario, batch: &Batch, baseline_slot: usize) -> Comparison {
    let n_slots = batch.trajectories.len();
    let runs = batch.trajectories.iter().map(Vec::len).min().unwrap_or(0);
    let mut tally = Tally::new(
        scenario,
        n_slots,
        &batch.spec.policies,
        &batch.series,
        n_points(batch),
        baseline_slot,
        usize::MAX,
    );
    let mut run: Vec<&Trajectory> = Vec::with_capacity(n_slots);
    for r in 0..runs {
        run.clear();
        run.extend(batch.trajectories.iter().map(|slot| &slot[r]));
        tally.push(&run);
    }
    tally.finish()
}

/// Whether the top policy is separated from the runner-up: true when the two-sided paired-t
/// interval at `confidence` for (top composite - runner-up composite) excludes 0, "top" and
/// "runner-up" being the two highest mean composites. With fewer than two policies there is
/// nothing to separate (true); below two runs, for a confidence outside (0, 1), or when the two
/// are identical in every run, it is false.
///
/// For `--runs auto`, check at fixed checkpoints (say 100, 200, 400, ... runs, up to a cap) rather
/// than after every run: looking repeatedly makes a spurious "stable" likelier than `1 -
/// confidence`. Stop early, too, when [`TopPair::identical`] is set: more runs will not help.
pub fn top_is_stable(comparison: &Comparison, confidence: f64) -> bool {
    match &comparison.top_pair {
        None => true,
        Some(pair) => pair
            .diff
            .interval(confidence)
            .is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0),
    }
}

/// The batch slot that holds scenario policy `policy`, if it was run.
pub fn slot_of(batch: &Batch, policy: usize) -> Option<usize> {
    batch.spec.policies.iter().position(|&p| p == policy)
}

/// Writes `comparison.json`, `comparison.csv` and `tripwires.csv` into `dir` (created if needed).
///
/// * `comparison.json`: everything in the [`Comparison`], policies in slot order with their rank.
/// * `comparison.csv`: one row per policy × series (all recorded series, `composite` included),
///   policies in slot order, series in batch order. Columns: `policy, outcome, higher_is_better,
///   runs, mean, mean_se, baseline_mean, diff_mean, diff_sd, diff_se, ci_low, ci_high,
///   p_beats_baseline, p_best, mean_rank, regret_mean, regret_p95`. The last four are statistics of
///   the composite: they are filled on the `composite` row and empty on the others. Empty
///   `mean_se`, `diff_se`, `ci_low`, `ci_high`: fewer than two runs.
/// * `tripwires.csv`: `policy, tripwire, turn, date, probability`, one row per policy × tripwire ×
///   turn (0 = start), the probability cumulative.
pub fn write_comparison(
    dir: &Path,
    scenario: &Scenario,
    seed: u64,
    comparison: &Comparison,
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let file = json_file(scenario, seed, comparison);
    let mut writer = io::BufWriter::new(fs::File::create(dir.join("comparison.json"))?);
    serde_json::to_writer_pretty(&mut writer, &file)?;
    writer.write_all(b"\n")?;
    writer.flush()?;

    let mut writer = csv::Writer::from_path(dir.join("comparison.csv")).map_err(csv_io)?;
    for p in &comparison.policies {
        for o in &p.outcomes {
            let composite = o.series == "composite";
            let on_composite = |x: f64| composite.then_some(x);
            let row = CsvRow {
                policy: &p.id,
                outcome: &o.series,
                higher_is_better: o.higher_is_better,
                runs: o.diff.n,
                mean: o.mean,
                mean_se: o.mean_se,
                baseline_mean: o.baseline_mean,
                diff_mean: o.diff.mean,
                diff_sd: o.diff.sd,
                diff_se: o.diff.se,
                ci_low: o.diff.ci.map(|c| c.0),
                ci_high: o.diff.ci.map(|c| c.1),
                p_beats_baseline: o.p_beats_baseline,
                p_best: on_composite(p.p_best),
                mean_rank: on_composite(p.mean_rank),
                regret_mean: on_composite(p.regret_mean),
                regret_p95: on_composite(p.regret_p95),
            };
            writer.serialize(row).map_err(csv_io)?;
        }
    }
    writer.flush()?;

    let mut writer = csv::Writer::from_path(dir.join("tripwires.csv")).map_err(csv_io)?;
    for curve in &comparison.tripwires {
        let policy = comparison.policies.get(curve.slot).map_or("?", |p| &p.id);
        let tripwire = scenario
            .tripwires
            .get(curve.tripwire)
            .map_or("?", |t| &t.id);
        for (turn, &probability) in curve.by_turn.iter().enumerate() {
            let row = TripwireRow {
                policy,
                tripwire,
                turn,
                date: scenario.turn_date(turn as u32).to_string(),
                probability,
            };
            writer.serialize(row).map_err(csv_io)?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// The comparison as a terminal table: each option's composite difference from the baseline with
/// its 95% interval, P(beats baseline), P(best), mean rank and regret; then when the ranking flips
/// as the weights move; then tripwire probabilities by the end; then any separability warning.
pub fn render_table(scenario: &Scenario, comparison: &Comparison) -> String {
    let c = comparison;
    let mut out = String::new();
    let focal = scenario.actors.get(scenario.focal);
    let baseline_id = c
        .policies
        .get(c.baseline_slot)
        .map_or("?", |p| p.id.as_str());
    out.push_str(&format!(
        "{}: options of {} compared with the baseline `{baseline_id}`\n",
        scenario.name,
        focal.map_or("the focal actor".to_string(), |a| format!(
            "{} ({})",
            a.name, a.id
        )),
    ));
    let end_date = scenario.turn_date(c.final_turn as u32);
    out.push_str(&format!(
        "{} paired runs per option (every option meets the same random numbers); outcomes at {end_date} (turn {}).\n",
        c.runs, c.final_turn
    ));
    out.push_str("composite = weighted change from the start, higher is better: ");
    out.push_str(
        &Outcome::WEIGHED
            .iter()
            .zip(scenario.outcomes.weights)
            .map(|(o, w)| format!("{} {w:.2}", o.name()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("\n\n");
    if c.policies.is_empty() {
        out.push_str("No options were run.\n");
        return out;
    }

    let width = c
        .policies
        .iter()
        .map(|p| p.id.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let headers = [
        "composite - baseline [95% CI]",
        "P(beats baseline)",
        "P(best)",
        "mean rank",
        "regret mean",
        "regret p95",
    ];
    let widths = [34, 17, 7, 9, 11, 10];
    let mut header = format!("{:<4}  {:<width$}", "rank", "option");
    for (h, w) in headers.iter().zip(widths) {
        header.push_str(&format!("  {h:<w$}"));
    }
    out.push_str(header.trim_end());
    out.push('\n');
    for &slot in &c.order {
        let p = &c.policies[slot];
        let is_baseline = slot == c.baseline_slot;
        let d = &p.composite.diff;
        let (diff, beats) = if is_baseline {
            ("(baseline)".to_string(), "-".to_string())
        } else {
            let diff = match d.ci {
                Some((lo, hi)) => format!("{:+.4} [{lo:+.4}, {hi:+.4}]", d.mean),
                None => format!("{:+.4} [no interval: < 2 runs]", d.mean),
            };
            (diff, percent(p.composite.p_beats_baseline))
        };
        let cells = [
            diff,
            beats,
            percent(p.p_best),
            format!("{:.2}", p.mean_rank),
            format!("{:.4}", p.regret_mean),
            format!("{:.4}", p.regret_p95),
        ];
        let mut row = format!("{:<4}  {:<width$}", p.rank, p.id);
        for (cell, w) in cells.iter().zip(widths) {
            row.push_str(&format!("  {cell:<w$}"));
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out.push_str(
        "composite - baseline: mean over runs of the option's composite minus the baseline's in the\n\
         \x20 same run; the 95% interval (paired t) covers Monte-Carlo noise only, not model error.\n\
         P(beats baseline): share of runs in which the option's composite is higher (ties count half).\n\
         P(best): share of runs in which it has the highest composite of all options (ties shared).\n\
         mean rank: 1 = best. regret: the run's best composite minus the option's (mean, 95th percentile).\n",
    );

    out.push_str("\nWhen does the ranking flip? (ranking by mean composite)\n");
    let w = &c.weights;
    let mut shares: Vec<usize> = (0..w.best_share.len()).collect();
    shares.sort_by(|&a, &b| w.best_share[b].total_cmp(&w.best_share[a]).then(a.cmp(&b)));
    out.push_str(&format!(
        "  Best under {} weightings on a {:.2} grid: {}.\n",
        w.grid_points,
        w.step,
        shares
            .iter()
            .filter(|&&s| w.best_share[s] > 0.0)
            .map(|&s| format!("`{}` {}", c.policies[s].id, percent(w.best_share[s])))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if c.policies.len() < 2 {
        out.push_str("  Only one option: nothing can overtake it.\n");
    } else {
        for flip in &w.flips {
            out.push_str(&format!("  {}\n", flip.sentence));
        }
    }

    if !scenario.tripwires.is_empty() {
        out.push_str(&format!(
            "\nTripwires: share of runs in which each was crossed by {end_date}\n"
        ));
        for (k, tripwire) in scenario.tripwires.iter().enumerate() {
            let cells: Vec<String> = c
                .order
                .iter()
                .filter_map(|&slot| {
                    c.tripwires
                        .iter()
                        .find(|t| t.slot == slot && t.tripwire == k)
                        .map(|t| format!("{} {}", c.policies[slot].id, percent(t.by_end)))
                })
                .collect();
            out.push_str(&format!("  {}: {}\n", tripwire.id, tripwire.name));
            out.push_str(&format!("    {}\n", cells.join(", ")));
        }
    }

    if let Some(pair) = &c.top_pair {
        out.push('\n');
        match &pair.warning {
            Some(warning) => out.push_str(&format!("warning: {warning}\n")),
            None => {
                let (lo, hi) = pair.diff.ci.unwrap_or((f64::NAN, f64::NAN));
                out.push_str(&format!(
                    "`{}` leads `{}` beyond Monte-Carlo noise: composite difference {:+.4}, 95% CI [{lo:+.4}, {hi:+.4}].\n",
                    c.policies[pair.top].id, c.policies[pair.runner_up].id, pair.diff.mean
                ));
            }
        }
    }
    out
}

/// Number of recorded points (turns + 1) of the batch, without dividing by zero.
fn n_points(batch: &Batch) -> usize {
    batch
        .trajectories
        .iter()
        .flatten()
        .find(|t| t.n_series > 0)
        .map_or(0, |t| t.values.len() / t.n_series)
}

/// A value of a trajectory, NaN if it is missing.
fn value(t: &Trajectory, turn: usize, series: usize) -> f64 {
    if series >= t.n_series {
        return f64::NAN;
    }
    turn.checked_mul(t.n_series)
        .and_then(|i| i.checked_add(series))
        .and_then(|i| t.values.get(i))
        .copied()
        .unwrap_or(f64::NAN)
}

/// Whether more of series `name` is better for the focal actor (`trade_<ID>`: yes).
fn higher_is_better(name: &str) -> bool {
    Outcome::ALL
        .iter()
        .find(|o| o.name() == name)
        .is_none_or(|o| o.higher_is_better())
}

fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

fn csv_io(error: csv::Error) -> io::Error {
    io::Error::other(error.to_string())
}

fn json_file<'a>(scenario: &'a Scenario, seed: u64, c: &'a Comparison) -> ComparisonFile<'a> {
    let id = |slot: usize| c.policies.get(slot).map_or("?", |p| p.id.as_str());
    ComparisonFile {
        scenario: &scenario.name,
        focal: scenario
            .actors
            .get(scenario.focal)
            .map_or("", |a| a.id.as_str()),
        baseline: id(c.baseline_slot),
        runs: c.runs,
        seed,
        start: scenario.start.to_string(),
        turn_months: scenario.turn_months,
        final_turn: c.final_turn,
        final_date: scenario.turn_date(c.final_turn as u32).to_string(),
        confidence: CONFIDENCE,
        interval_method: "paired t: mean difference ± t(0.975, n - 1) × SD / sqrt(n), runs paired by common random numbers",
        weights: Outcome::WEIGHED
            .iter()
            .zip(scenario.outcomes.weights)
            .map(|(o, weight)| WeightRecord {
                outcome: o.name(),
                weight,
            })
            .collect(),
        policies: c
            .policies
            .iter()
            .map(|p| PolicyRecord {
                id: &p.id,
                name: p
                    .policy
                    .and_then(|i| scenario.policies.get(i))
                    .map_or("", |x| x.name.as_str()),
                rank: p.rank,
                is_baseline: p.slot == c.baseline_slot,
                composite: OutcomeRecord::new(&p.composite),
                p_best: p.p_best,
                mean_rank: p.mean_rank,
                regret_mean: p.regret_mean,
                regret_p95: p.regret_p95,
                outcomes: p.outcomes.iter().map(OutcomeRecord::new).collect(),
            })
            .collect(),
        separation: c.top_pair.as_ref().map(|t| SeparationRecord {
            top: id(t.top),
            runner_up: id(t.runner_up),
            diff_mean: t.diff.mean,
            diff_se: t.diff.se,
            ci_low: t.diff.ci.map(|x| x.0),
            ci_high: t.diff.ci.map(|x| x.1),
            separable: t.separable,
            identical: t.identical,
            warning: t.warning.as_deref(),
        }),
        weight_sensitivity: SensitivityRecord {
            grid_step: c.weights.step,
            grid_points: c.weights.grid_points,
            top_at_scenario_weights: c.weights.top.map(id),
            best_share: c
                .weights
                .best_share
                .iter()
                .enumerate()
                .map(|(slot, &share)| ShareRecord {
                    policy: id(slot),
                    share,
                })
                .collect(),
            mean_changes: c
                .weights
                .mean_changes
                .iter()
                .enumerate()
                .flat_map(|(slot, m)| {
                    Outcome::WEIGHED
                        .iter()
                        .zip(m)
                        .map(move |(o, &mean_change)| ChangeRecord {
                            policy: id(slot),
                            outcome: o.name(),
                            mean_change,
                        })
                })
                .collect(),
            flips: c
                .weights
                .flips
                .iter()
                .map(|f| FlipRecord {
                    outcome: f.outcome.name(),
                    weight: f.weight,
                    top: id(f.top),
                    above: f.above.map(|t| t.weight),
                    winner_above: f.above.map(|t| id(t.winner)),
                    below: f.below.map(|t| t.weight),
                    winner_below: f.below.map(|t| id(t.winner)),
                    sentence: &f.sentence,
                })
                .collect(),
        },
        tripwires: c
            .tripwires
            .iter()
            .map(|t| {
                let tripwire = scenario.tripwires.get(t.tripwire);
                TripwireRecord {
                    policy: id(t.slot),
                    tripwire: tripwire.map_or("", |x| x.id.as_str()),
                    name: tripwire.map_or("", |x| x.name.as_str()),
                    by_end: t.by_end,
                    by_turn: &t.by_turn,
                }
            })
            .collect(),
    }
}

/// `comparison.json`.
#[derive(Debug, Serialize)]
struct ComparisonFile<'a> {
    scenario: &'a str,
    focal: &'a str,
    baseline: &'a str,
    runs: usize,
    seed: u64,
    start: String,
    turn_months: u32,
    final_turn: usize,
    final_date: String,
    confidence: f64,
    interval_method: &'static str,
    weights: Vec<WeightRecord>,
    policies: Vec<PolicyRecord<'a>>,
    separation: Option<SeparationRecord<'a>>,
    weight_sensitivity: SensitivityRecord<'a>,
    tripwires: Vec<TripwireRecord<'a>>,
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
    is_baseline: bool,
    composite: OutcomeRecord<'a>,
    p_best: f64,
    mean_rank: f64,
    regret_mean: f64,
    regret_p95: f64,
    outcomes: Vec<OutcomeRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct OutcomeRecord<'a> {
    outcome: &'a str,
    higher_is_better: bool,
    mean: f64,
    mean_se: Option<f64>,
    baseline_mean: f64,
    diff_mean: f64,
    diff_sd: f64,
    diff_se: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    p_beats_baseline: f64,
}

impl<'a> OutcomeRecord<'a> {
    fn new(o: &'a OutcomeComparison) -> OutcomeRecord<'a> {
        OutcomeRecord {
            outcome: &o.series,
            higher_is_better: o.higher_is_better,
            mean: o.mean,
            mean_se: o.mean_se,
            baseline_mean: o.baseline_mean,
            diff_mean: o.diff.mean,
            diff_sd: o.diff.sd,
            diff_se: o.diff.se,
            ci_low: o.diff.ci.map(|c| c.0),
            ci_high: o.diff.ci.map(|c| c.1),
            p_beats_baseline: o.p_beats_baseline,
        }
    }
}

#[derive(Debug, Serialize)]
struct SeparationRecord<'a> {
    top: &'a str,
    runner_up: &'a str,
    diff_mean: f64,
    diff_se: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    separable: bool,
    identical: bool,
    warning: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct SensitivityRecord<'a> {
    grid_step: f64,
    grid_points: usize,
    top_at_scenario_weights: Option<&'a str>,
    best_share: Vec<ShareRecord<'a>>,
    mean_changes: Vec<ChangeRecord<'a>>,
    flips: Vec<FlipRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct ShareRecord<'a> {
    policy: &'a str,
    share: f64,
}

#[derive(Debug, Serialize)]
struct ChangeRecord<'a> {
    policy: &'a str,
    outcome: &'static str,
    mean_change: f64,
}

#[derive(Debug, Serialize)]
struct FlipRecord<'a> {
    outcome: &'static str,
    weight: f64,
    top: &'a str,
    above: Option<f64>,
    winner_above: Option<&'a str>,
    below: Option<f64>,
    winner_below: Option<&'a str>,
    sentence: &'a str,
}

#[derive(Debug, Serialize)]
struct TripwireRecord<'a> {
    policy: &'a str,
    tripwire: &'a str,
    name: &'a str,
    by_end: f64,
    /// `by_turn[t]`: cumulative probability by turn `t` (0 = start).
    by_turn: &'a [f64],
}

/// A row of `comparison.csv`.
#[derive(Debug, Serialize)]
struct CsvRow<'a> {
    policy: &'a str,
    outcome: &'a str,
    higher_is_better: bool,
    runs: usize,
    mean: f64,
    mean_se: Option<f64>,
    baseline_mean: f64,
    diff_mean: f64,
    diff_sd: f64,
    diff_se: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
    p_beats_baseline: f64,
    p_best: Option<f64>,
    mean_rank: Option<f64>,
    regret_mean: Option<f64>,
    regret_p95: Option<f64>,
}

/// A row of `tripwires.csv`.
#[derive(Debug, Serialize)]
struct TripwireRow<'a> {
    policy: &'a str,
    tripwire: &'a str,
    turn: usize,
    date: String,
    probability: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;
    use crate::montecarlo::{self, BatchSpec};
    use crate::scenario::load::load_str;
    use crate::summary;

    const SCENARIO: &str = r#"
[simulation]
name = "two states"
start = 2024-01-01
turns = 3
focal = "AAA"

[[actors]]
id = "AAA"
name = "Alpha"
gdp = { value = 1e12, source = "example" }
capability = { value = 1.0, source = "example" }
position = { value = 0.0, source = "example" }

[[actors]]
id = "BBB"
name = "Beta"
gdp = { value = 2e12, source = "example" }
capability = { value = 2.0, source = "example" }
position = { value = 1.0, source = "example" }

[[relations]]
pair = ["AAA", "BBB"]
trade = { value = 5e10, source = "example" }

[[policies]]
id = "wait"
name = "Wait and see"
actions = []

[[policies]]
id = "engage"
name = "Engage Beta"
actions = [{ kind = "engage", targets = ["BBB"], intensity = 1.0 }]

[[policies]]
id = "mediate"
name = "Mediate"
actions = [{ kind = "engage", targets = ["BBB"], intensity = 0.5 }]

[outcomes]
bloc_a = ["BBB"]
bloc_b = ["BBB"]
weights = WEIGHTS

[[tripwires]]
id = "threat_up"
name = "Threat above 0.5"
when = { metric = "threat", above = 0.5 }

[[tripwires]]
id = "warm"
name = "Beta warms to Alpha"
when = { metric = "affinity", from = "BBB", to = "AAA", above = 0.5 }
"#;

    fn scenario(weights: &str) -> Scenario {
        load_str(&SCENARIO.replace("WEIGHTS", weights))
            .expect("valid scenario")
            .scenario
    }

    fn series_index(scenario: &Scenario, name: &str) -> usize {
        engine::series_names(scenario)
            .iter()
            .position(|s| s == name)
            .unwrap()
    }

    /// A trajectory of 4 points (turns 0..=3): every value 0 except those `set` gives, as
    /// (turn, series, value).
    fn trajectory(scenario: &Scenario, set: &[(usize, usize, f64)]) -> Trajectory {
        // A real run gives every field its shape; the values are then replaced.
        let mut t = engine::run(
            scenario,
            engine::RunSpec {
                policy: 0,
                run_seed: 1,
            },
        );
        let n_series = engine::series_names(scenario).len();
        assert_eq!((t.n_series, t.values.len()), (n_series, 4 * n_series));
        t.values.fill(0.0);
        for &(turn, series, value) in set {
            t.values[turn * n_series + series] = value;
        }
        t.tripwire_turns.fill(None);
        t
    }

    /// Trajectories whose only non-zero value is the final composite.
    fn composites(scenario: &Scenario, values: &[f64]) -> Vec<Trajectory> {
        let c = summary::composite_series();
        values
            .iter()
            .map(|&v| trajectory(scenario, &[(3, c, v)]))
            .collect()
    }

    fn batch(scenario: &Scenario, trajectories: Vec<Vec<Trajectory>>) -> Batch {
        let runs = trajectories.first().map_or(0, Vec::len);
        Batch {
            spec: BatchSpec {
                policies: (0..trajectories.len()).collect(),
                runs: runs as u32,
                seed: 7,
            },
            run_seeds: (0..runs as u64).collect(),
            series: engine::series_names(scenario),
            trajectories,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn paired_difference_and_t_interval_by_hand() {
        let s = scenario("{ standing = 1.0 }");
        // Composite, baseline `wait` (slot 0) and `engage` (slot 1), five runs:
        //   baseline 0.10 0.05 0.30 0.20 0.10
        //   engage   0.30 0.10 0.25 0.40 0.20
        //   diff     0.20 0.05 -0.05 0.20 0.10   sum 0.50, mean 0.10
        // deviations 0.10 -0.05 -0.15 0.10 0.00; squares sum 0.045; variance 0.045 / 4 = 0.01125
        // sd = 0.1060660172, se = sd / sqrt(5) = 0.0474341649, t(0.975, 4) = 2.7764451052
        // half-width = 0.1316983550: 95% CI [-0.0316983550, 0.2316983550].
        // engage beats the baseline in 4 runs of 5: P = 0.8.
        let mut slots = vec![
            composites(&s, &[0.10, 0.05, 0.30, 0.20, 0.10]),
            composites(&s, &[0.30, 0.10, 0.25, 0.40, 0.20]),
        ];
        // Tension (lower is better): engage lower in 3 runs, higher in 1, equal in 1:
        // P(beats) = (3 + 0.5) / 5 = 0.7.
        let tension = series_index(&s, "tension");
        for (run, (b, e)) in [(0.5, 0.4), (0.5, 0.3), (0.5, 0.6), (0.5, 0.5), (0.5, 0.1)]
            .into_iter()
            .enumerate()
        {
            let n = slots[0][run].n_series;
            slots[0][run].values[3 * n + tension] = b;
            slots[1][run].values[3 * n + tension] = e;
        }
        let b = batch(&s, slots);
        let c = compare(&s, &b, 0);
        let engage = &c.policies[1].composite;
        assert_eq!(engage.diff.n, 5);
        assert!(close(engage.diff.mean, 0.10));
        assert!(close(engage.diff.sd, 0.106_066_017_177_982_13));
        assert!(close(engage.diff.se.unwrap(), 0.047_434_164_902_525_69));
        let (lo, hi) = engage.diff.ci.unwrap();
        assert!(close(lo, -0.031_698_354_962_762_46), "{lo}");
        assert!(close(hi, 0.231_698_354_962_762_47), "{hi}");
        assert!(close(engage.p_beats_baseline, 0.8));
        assert!(close(engage.mean, 0.25));
        assert!(close(engage.baseline_mean, 0.15));
        let t = &c.policies[1].outcomes[tension];
        assert!(!t.higher_is_better);
        assert!(close(t.p_beats_baseline, 0.7));
        // The baseline against itself.
        let base = &c.policies[0].composite;
        assert_eq!(base.diff.ci, Some((0.0, 0.0)));
        assert!(close(base.p_beats_baseline, 0.5));
        // engage is best in runs 0, 1, 3, 4: P(best) 0.8, mean rank (1 + 1 + 2 + 1 + 1) / 5 = 1.2.
        // Regret of engage: 0, 0, 0.05, 0, 0: mean 0.01; p95 at h = 4 * 0.95 = 3.8 between the
        // sorted 0 and 0.05: 0.8 * 0.05 = 0.04.
        let p = &c.policies[1];
        assert!(close(p.p_best, 0.8) && close(p.mean_rank, 1.2));
        assert!(close(p.regret_mean, 0.01) && close(p.regret_p95, 0.04));
        assert_eq!(c.order, vec![1, 0]);
        assert_eq!((p.rank, c.policies[0].rank), (1, 2));
        // The top pair is engage - wait: the same interval, which includes 0.
        let pair = c.top_pair.as_ref().unwrap();
        assert_eq!((pair.top, pair.runner_up), (1, 0));
        assert!(!pair.separable && !pair.identical);
        assert!(
            pair.warning
                .as_deref()
                .unwrap()
                .starts_with("runs too few to separate `engage` and `wait`")
        );
        assert!(!top_is_stable(&c, 0.95));
        // At 80% confidence: t(0.9, 4) = 1.5332062741, 0.10 - 1.5332 * 0.04743 = 0.0273 > 0.
        assert!(top_is_stable(&c, 0.80));
    }

    #[test]
    fn rank_probability_with_ties_and_regret() {
        let s = scenario("{ standing = 1.0 }");
        // Composites of three policies in four runs:
        //   run 0: A 1, B 1, C 0   A and B share first: 1/2 each; ranks 1.5, 1.5, 3; regret 0, 0, 1
        //   run 1: A 2, B 3, C 3   B and C share first;           ranks 3, 1.5, 1.5; regret 1, 0, 0
        //   run 2: A 5, B 4, C 3   A first;                       ranks 1, 2, 3;     regret 0, 1, 2
        //   run 3: A 0, B 0, C 0   all share first: 1/3 each;     ranks 2, 2, 2;     regret 0, 0, 0
        // P(best): A (1/2 + 0 + 1 + 1/3) / 4 = 11/24, B (1/2 + 1/2 + 0 + 1/3) / 4 = 8/24,
        //          C (0 + 1/2 + 0 + 1/3) / 4 = 5/24.
        // Mean rank: A 7.5 / 4 = 1.875, B 7 / 4 = 1.75, C 9.5 / 4 = 2.375.
        // Regret p95 (type 7, h = 3 * 0.95 = 2.85): A and B sorted 0 0 0 1 -> 0.85;
        //   C sorted 0 0 1 2 -> 1 + 0.85 = 1.85.
        let b = batch(
            &s,
            vec![
                composites(&s, &[1.0, 2.0, 5.0, 0.0]),
                composites(&s, &[1.0, 3.0, 4.0, 0.0]),
                composites(&s, &[0.0, 3.0, 3.0, 0.0]),
            ],
        );
        let c = compare(&s, &b, 0);
        let p: Vec<&PolicyComparison> = c.policies.iter().collect();
        assert!(close(p[0].p_best, 11.0 / 24.0));
        assert!(close(p[1].p_best, 8.0 / 24.0));
        assert!(close(p[2].p_best, 5.0 / 24.0));
        assert!(close(p[0].mean_rank, 1.875));
        assert!(close(p[1].mean_rank, 1.75));
        assert!(close(p[2].mean_rank, 2.375));
        assert!(close(p[0].regret_mean, 0.25) && close(p[0].regret_p95, 0.85));
        assert!(close(p[1].regret_mean, 0.25) && close(p[1].regret_p95, 0.85));
        assert!(close(p[2].regret_mean, 0.75) && close(p[2].regret_p95, 1.85));
        // Means 2, 2, 1.5: A and B tie, batch order keeps A first.
        assert_eq!(c.order, vec![0, 1, 2]);
    }

    #[test]
    fn a_policy_against_itself_differs_by_nothing() {
        let s = scenario("{ standing = 1.0 }");
        let runs = composites(&s, &[0.3, -0.1, 0.7, 0.2, 0.0, 0.4]);
        let b = batch(&s, vec![runs.clone(), runs]);
        let c = compare(&s, &b, 0);
        for o in &c.policies[1].outcomes {
            assert_eq!(o.diff.mean, 0.0);
            assert_eq!(o.diff.ci, Some((0.0, 0.0)), "{}", o.series);
            assert_eq!(o.p_beats_baseline, 0.5);
        }
        assert!(close(c.policies[0].p_best, 0.5) && close(c.policies[1].p_best, 0.5));
        assert!(close(c.policies[1].mean_rank, 1.5) && c.policies[1].regret_p95 == 0.0);
        let pair = c.top_pair.as_ref().unwrap();
        assert!(pair.identical && !pair.separable);
        assert!(pair.warning.as_deref().unwrap().contains("same composite"));
        assert!(!top_is_stable(&c, 0.95));
    }

    #[test]
    fn weight_flips_where_the_lines_cross() {
        // Weights: prosperity 0.5, security 0.5. `wait` raises prosperity by 1 (runs: 0.8, 1.2)
        // and leaves security alone; `engage` raises security by 0.5 and leaves prosperity alone.
        // Mean composites at the scenario's weights: wait 0.5, engage 0.25.
        // Prosperity weight t, security 1 - t: wait t, engage 0.5 (1 - t): equal at t = 1/3.
        // Security weight t, prosperity 1 - t: wait 1 - t, engage 0.5 t: equal at t = 2/3.
        // Any other weight a scales both by (1 - a): wait stays ahead (they tie only at a = 1).
        let s = scenario("{ prosperity = 0.5, security = 0.5 }");
        let (p, q, c) = (
            series_index(&s, "prosperity"),
            series_index(&s, "security"),
            summary::composite_series(),
        );
        let wait = vec![
            trajectory(&s, &[(0, q, 0.5), (3, q, 0.5), (3, p, 0.8), (3, c, 0.4)]),
            trajectory(&s, &[(0, q, 0.5), (3, q, 0.5), (3, p, 1.2), (3, c, 0.6)]),
        ];
        let engage = vec![
            trajectory(&s, &[(0, q, 0.2), (3, q, 0.7), (3, c, 0.25)]),
            trajectory(&s, &[(0, q, 0.3), (3, q, 0.8), (3, c, 0.25)]),
        ];
        let b = batch(&s, vec![wait, engage]);
        let cmp = compare(&s, &b, 0);
        let w = &cmp.weights;
        assert_eq!(w.top, Some(0));
        assert!(close(w.mean_changes[0][0], 1.0) && close(w.mean_changes[1][1], 0.5));
        let prosperity = &w.flips[0];
        assert!(prosperity.above.is_none());
        let below = prosperity.below.unwrap();
        assert!(close(below.weight, 1.0 / 3.0) && below.winner == 1);
        assert_eq!(
            prosperity.sentence,
            "`wait` stays best unless the weight on prosperity (now 0.50) falls below 0.33 (then `engage`)."
        );
        let security = &w.flips[1];
        assert!(security.below.is_none());
        let above = security.above.unwrap();
        assert!(close(above.weight, 2.0 / 3.0) && above.winner == 1);
        assert_eq!(
            security.sentence,
            "`wait` stays best unless the weight on security (now 0.50) exceeds 0.67 (then `engage`)."
        );
        for flip in &w.flips[2..] {
            assert!(flip.above.is_none() && flip.below.is_none());
            assert_eq!(
                flip.sentence,
                format!(
                    "`wait` stays best for any weight on {} (now 0.00).",
                    flip.outcome.name()
                )
            );
        }
        // The grid: with parts i (prosperity) and j (security) of 20, wait scores i, engage j / 2;
        // the other three outcomes share the rest r = 20 - i - j in C(r + 2, 2) ways.
        let (mut wait_points, mut total) = (0.0, 0.0);
        for i in 0..=20usize {
            for j in 0..=20 - i {
                let r = 20 - i - j;
                let ways = ((r + 2) * (r + 1) / 2) as f64;
                total += ways;
                if 2 * i > j {
                    wait_points += ways;
                } else if 2 * i == j {
                    wait_points += 0.5 * ways;
                }
            }
        }
        assert_eq!(total, 10_626.0);
        assert_eq!(w.grid_points, 10_626);
        assert!(close(w.best_share[0], wait_points / total));
        assert!(close(w.best_share[0] + w.best_share[1], 1.0));
    }

    #[test]
    fn tripwire_probabilities_accumulate() {
        let s = scenario("{ standing = 1.0 }");
        // First crossings of (threat_up, warm) in four runs:
        //   run 0: turn 0, never;  run 1: 2, 3;  run 2: never, 1;  run 3: 2, never.
        // threat_up by turn 0..3: 1/4, 1/4, 3/4, 3/4;  warm: 0, 1/4, 1/4, 2/4.
        let firsts = [
            [Some(0), None],
            [Some(2), Some(3)],
            [None, Some(1)],
            [Some(2), None],
        ];
        let runs: Vec<Trajectory> = firsts
            .iter()
            .map(|f| {
                let mut t = trajectory(&s, &[]);
                t.tripwire_turns = f.to_vec();
                t
            })
            .collect();
        let b = batch(&s, vec![runs]);
        let c = compare(&s, &b, 0);
        assert_eq!(c.tripwires.len(), 2);
        assert_eq!(c.tripwires[0].by_turn, vec![0.25, 0.25, 0.75, 0.75]);
        assert_eq!(c.tripwires[0].by_end, 0.75);
        assert_eq!(c.tripwires[1].by_turn, vec![0.0, 0.25, 0.25, 0.5]);
        assert_eq!(c.tripwires[1].by_end, 0.5);
    }

    #[test]
    fn degenerate_batches_do_not_panic() {
        let s = scenario("{ standing = 1.0 }");
        let dir = tempfile::tempdir().unwrap();
        // No policies, policies without runs, one run, a malformed trajectory.
        let mut malformed = trajectory(&s, &[]);
        malformed.n_series = 0;
        malformed.values.clear();
        malformed.tripwire_turns = vec![Some(99)];
        let cases = [
            batch(&s, vec![]),
            batch(&s, vec![vec![], vec![]]),
            batch(&s, vec![composites(&s, &[1.0]), composites(&s, &[2.0])]),
            batch(&s, vec![vec![malformed]]),
        ];
        for (i, b) in cases.iter().enumerate() {
            let c = compare(&s, b, 5);
            let _ = render_table(&s, &c);
            let _ = top_is_stable(&c, 0.95);
            write_comparison(&dir.path().join(i.to_string()), &s, b.spec.seed, &c).unwrap();
        }
        let one_run = compare(&s, &cases[2], 0);
        assert_eq!(one_run.policies[1].composite.diff.ci, None);
        assert_eq!(one_run.policies[1].composite.mean_se, None);
        assert!(!top_is_stable(&one_run, 0.95));
        assert!(
            one_run
                .top_pair
                .unwrap()
                .warning
                .unwrap()
                .contains("at least 2 runs"),
        );
        assert!(top_is_stable(&compare(&s, &cases[0], 0), 0.95));
    }

    #[test]
    fn files_are_tidy() {
        let s = scenario("{ standing = 1.0 }");
        let b = batch(
            &s,
            vec![
                composites(&s, &[0.1, 0.2, 0.3]),
                composites(&s, &[0.2, 0.4, 0.5]),
            ],
        );
        let c = compare(&s, &b, 0);
        let dir = tempfile::tempdir().unwrap();
        write_comparison(dir.path(), &s, b.spec.seed, &c).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("comparison.csv")).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "policy,outcome,higher_is_better,runs,mean,mean_se,baseline_mean,diff_mean,diff_sd,\
             diff_se,ci_low,ci_high,p_beats_baseline,p_best,mean_rank,regret_mean,regret_p95"
        );
        assert_eq!(lines.count(), 2 * b.series.len());
        let composite_row = csv
            .lines()
            .find(|l| l.starts_with("engage,composite,"))
            .unwrap();
        assert!(
            composite_row.ends_with(",1.0,1.0,0.0,0.0"),
            "{composite_row}"
        );
        assert!(
            csv.lines()
                .any(|l| l.starts_with("engage,security,") && l.ends_with(",,,,"))
        );
        let tripwires = std::fs::read_to_string(dir.path().join("tripwires.csv")).unwrap();
        assert_eq!(
            tripwires.lines().next().unwrap(),
            "policy,tripwire,turn,date,probability"
        );
        assert!(tripwires.contains("engage,warm,3,2024-04-01,0.0"));
        assert_eq!(tripwires.lines().count(), 1 + 2 * 2 * 4);
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("comparison.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(json["baseline"], "wait");
        assert_eq!(json["policies"][1]["composite"]["p_beats_baseline"], 1.0);
        assert_eq!(json["separation"]["top"], "engage");
        assert_eq!(json["weight_sensitivity"]["grid_points"], 10_626);
        let table = render_table(&s, &c);
        assert!(table.contains("(baseline)") && table.contains("P(best)"));
        assert!(table.contains("Tripwires"));
    }

    #[test]
    fn agrees_with_the_summary_on_a_real_batch() {
        let s = scenario("{ standing = 0.6, prosperity = 0.4 }");
        let spec = BatchSpec {
            policies: vec![0, 1, 2],
            runs: 30,
            seed: 3,
        };
        let b = montecarlo::run_batch(&s, &spec, &|_| {});
        let c = compare(&s, &b, slot_of(&b, s.baseline).unwrap());
        for summary in summary::final_summaries(&b) {
            assert_eq!(c.policies[summary.slot].rank, summary.rank);
        }
        let p_best: f64 = c.policies.iter().map(|p| p.p_best).sum();
        let ranks: f64 = c.policies.iter().map(|p| p.mean_rank).sum();
        assert!(close(p_best, 1.0) && close(ranks, 6.0));
        assert!(c.policies.iter().all(|p| p.regret_mean >= 0.0));
        // The linear weight analysis reproduces the recorded composite's mean.
        for p in &c.policies {
            let m = &c.weights.mean_changes[p.slot];
            let linear: f64 = (0..5).map(|k| s.outcomes.weights[k] * m[k]).sum();
            assert!((linear - p.composite.mean).abs() < 1e-12);
        }
        let again = compare(&s, &b, 0);
        assert_eq!(c, again);
    }
}
