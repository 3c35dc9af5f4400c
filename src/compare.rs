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

mod tdist;
mod weights;

pub use tdist::{normal_quantile, t_cdf, t_quantile};
pub use weights::{GRID_STEPS, Threshold, WeightFlip, WeightSensitivity};

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::engine::Trajectory;
use crate::montecarlo::Batch;
use crate::scenario::{Outcome, Scenario};
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
        let n = diffs.len();
        let mean = stats::mean(diffs);
        let sd = stats::sd(diffs);
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
pub fn compare(scenario: &Scenario, batch: &Batch, baseline_slot: usize) -> Comparison {
    let n_slots = batch.trajectories.len();
    let runs = batch.trajectories.iter().map(Vec::len).min().unwrap_or(0);
    let final_turn = n_points(batch).saturating_sub(1);
    let baseline = if baseline_slot < n_slots {
        baseline_slot
    } else {
        0
    };
    let ids: Vec<String> = (0..n_slots).map(|s| slot_id(scenario, batch, s)).collect();
    let column = |slot: usize, turn: usize, series: Option<usize>| -> Vec<f64> {
        batch.trajectories[slot][..runs]
            .iter()
            .map(|t| series.map_or(f64::NAN, |s| value(t, turn, s)))
            .collect()
    };

    // Per-series statistics, one series at a time to bound memory.
    let mut outcomes: Vec<Vec<OutcomeComparison>> = vec![Vec::new(); n_slots];
    for (series, name) in batch.series.iter().enumerate() {
        let values: Vec<Vec<f64>> = (0..n_slots)
            .map(|slot| column(slot, final_turn, Some(series)))
            .collect();
        for slot in 0..n_slots {
            outcomes[slot].push(outcome_comparison(name, &values[slot], &values[baseline]));
        }
    }

    // The composite: rank, best, regret.
    let composite_index = batch.series.iter().position(|s| s == "composite");
    let composites: Vec<Vec<f64>> = (0..n_slots)
        .map(|slot| column(slot, final_turn, composite_index))
        .collect();
    let mut p_best = vec![0.0; n_slots];
    let mut rank_sum = vec![0.0; n_slots];
    let mut regrets: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); n_slots];
    for run in 0..runs {
        let scores: Vec<f64> = composites.iter().map(|c| c[run]).collect();
        let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let winners = scores.iter().filter(|&&c| c == best).count();
        for p in 0..n_slots {
            let c = scores[p];
            if c == best {
                p_best[p] += 1.0 / winners as f64;
            }
            let above = scores.iter().filter(|&&other| other > c).count();
            let tied = scores.iter().filter(|&&other| other == c).count();
            // Ties take the mean of the ranks they span: above + 1 ..= above + tied.
            rank_sum[p] += above as f64 + 0.5 * (tied as f64 + 1.0);
            regrets[p].push(best - c);
        }
    }
    let per_run = |x: f64| if runs > 0 { x / runs as f64 } else { 0.0 };

    let composite_stats: Vec<OutcomeComparison> = (0..n_slots)
        .map(|slot| match composite_index {
            Some(i) => outcomes[slot][i].clone(),
            None => outcome_comparison("composite", &composites[slot], &composites[baseline]),
        })
        .collect();
    let mut order: Vec<usize> = (0..n_slots).collect();
    let means: Vec<f64> = (0..n_slots).map(|s| stats::mean(&composites[s])).collect();
    order.sort_by(|&a, &b| means[b].total_cmp(&means[a]).then(a.cmp(&b)));
    let mut rank = vec![0; n_slots];
    for (position, &slot) in order.iter().enumerate() {
        rank[slot] = position + 1;
    }

    let policies: Vec<PolicyComparison> = (0..n_slots)
        .map(|slot| {
            let mut sorted = regrets[slot].clone();
            sorted.sort_by(f64::total_cmp);
            PolicyComparison {
                slot,
                policy: batch.spec.policies.get(slot).copied(),
                id: ids[slot].clone(),
                rank: rank[slot],
                composite: composite_stats[slot].clone(),
                outcomes: std::mem::take(&mut outcomes[slot]),
                p_best: per_run(p_best[slot]),
                mean_rank: per_run(rank_sum[slot]),
                regret_mean: stats::mean(&regrets[slot]),
                regret_p95: stats::quantile_sorted(&sorted, 0.95),
            }
        })
        .collect();

    let top_pair = (order.len() >= 2).then(|| {
        let (top, runner_up) = (order[0], order[1]);
        let diffs: Vec<f64> = (0..runs)
            .map(|r| composites[top][r] - composites[runner_up][r])
            .collect();
        let diff = PairedDiff::from_diffs(&diffs);
        let separable = diff.ci.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
        let identical = runs > 0 && diffs.iter().all(|&d| d == 0.0);
        let (a, b) = (&ids[top], &ids[runner_up]);
        let warning = if identical {
            Some(format!(
                "`{a}` and `{b}` have the same composite in every run; no number of runs separates them"
            ))
        } else if separable {
            None
        } else {
            Some(match diff.ci {
                Some((lo, hi)) => format!(
                    "runs too few to separate `{a}` and `{b}`: composite difference {:+.4}, 95% CI [{lo:+.4}, {hi:+.4}] includes 0",
                    diff.mean
                ),
                None => format!(
                    "runs too few to separate `{a}` and `{b}`: an interval needs at least 2 runs"
                ),
            })
        };
        TopPair {
            top,
            runner_up,
            diff,
            separable,
            identical,
            warning,
        }
    });

    // Weight sensitivity from the mean changes of the weighed outcomes.
    let weighed: Vec<Option<usize>> = Outcome::WEIGHED
        .iter()
        .map(|o| batch.series.iter().position(|s| s == o.name()))
        .collect();
    let mean_changes: Vec<[f64; 5]> = (0..n_slots)
        .map(|slot| {
            let mut m = [0.0; 5];
            for (k, &series) in weighed.iter().enumerate() {
                let start = column(slot, 0, series);
                let end = column(slot, final_turn, series);
                let changes: Vec<f64> = end.iter().zip(&start).map(|(e, s)| e - s).collect();
                m[k] = stats::mean(&changes);
            }
            m
        })
        .collect();
    let weights = weights::analyse(&mean_changes, scenario.outcomes.weights, &ids);

    // Tripwires.
    let mut tripwires = Vec::with_capacity(n_slots * scenario.tripwires.len());
    for slot in 0..n_slots {
        for k in 0..scenario.tripwires.len() {
            let mut first = vec![0usize; final_turn + 1];
            for t in &batch.trajectories[slot][..runs] {
                if let Some(Some(turn)) = t.tripwire_turns.get(k) {
                    if let Some(count) = first.get_mut(*turn as usize) {
                        *count += 1;
                    }
                }
            }
            let mut crossed = 0usize;
            let by_turn: Vec<f64> = first
                .iter()
                .map(|&c| {
                    crossed += c;
                    per_run(crossed as f64)
                })
                .collect();
            let by_end = by_turn.last().copied().unwrap_or(0.0);
            tripwires.push(TripwireCurve {
                slot,
                tripwire: k,
                by_turn,
                by_end,
            });
        }
    }

    Comparison {
        baseline_slot: baseline,
        runs,
        final_turn,
        series: batch.series.clone(),
        policies,
        order,
        top_pair,
        weights,
        tripwires,
    }
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
    batch: &Batch,
    comparison: &Comparison,
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let file = json_file(scenario, batch, comparison);
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
    out.push_str(&format!("{:<4}  {:<width$}", "rank", "option"));
    for (h, w) in headers.iter().zip(widths) {
        out.push_str(&format!("  {h:<w$}"));
    }
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
        out.push_str(&format!("{:<4}  {:<width$}", p.rank, p.id));
        for (cell, w) in cells.iter().zip(widths) {
            out.push_str(&format!("  {cell:<w$}"));
        }
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
                        .map(|t| format!("`{}` {}", c.policies[slot].id, percent(t.by_end)))
                })
                .collect();
            out.push_str(&format!(
                "  {} ({}): {}\n",
                tripwire.id,
                tripwire.name,
                cells.join(", ")
            ));
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

/// The scenario id of the policy in `slot`.
fn slot_id(scenario: &Scenario, batch: &Batch, slot: usize) -> String {
    batch
        .spec
        .policies
        .get(slot)
        .and_then(|&p| scenario.policies.get(p))
        .map_or_else(|| format!("slot{slot}"), |p| p.id.clone())
}

/// Whether more of series `name` is better for the focal actor (`trade_<ID>`: yes).
fn higher_is_better(name: &str) -> bool {
    Outcome::ALL
        .iter()
        .find(|o| o.name() == name)
        .is_none_or(|o| o.higher_is_better())
}

fn outcome_comparison(name: &str, values: &[f64], baseline: &[f64]) -> OutcomeComparison {
    let higher = higher_is_better(name);
    let diffs: Vec<f64> = values.iter().zip(baseline).map(|(v, b)| v - b).collect();
    let mut wins = 0.0;
    for (&v, &b) in values.iter().zip(baseline) {
        let better = if higher { v > b } else { v < b };
        let worse = if higher { v < b } else { v > b };
        wins += if better {
            1.0
        } else if worse {
            0.0
        } else {
            0.5
        };
    }
    let n = diffs.len();
    OutcomeComparison {
        series: name.to_string(),
        higher_is_better: higher,
        mean: stats::mean(values),
        mean_se: (n >= 2).then(|| stats::sd(values) / (n as f64).sqrt()),
        baseline_mean: stats::mean(baseline),
        diff: PairedDiff::from_diffs(&diffs),
        p_beats_baseline: if n > 0 { wins / n as f64 } else { 0.0 },
    }
}

fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

fn csv_io(error: csv::Error) -> io::Error {
    io::Error::other(error.to_string())
}

fn json_file<'a>(scenario: &'a Scenario, batch: &Batch, c: &'a Comparison) -> ComparisonFile<'a> {
    let id = |slot: usize| c.policies.get(slot).map_or("?", |p| p.id.as_str());
    ComparisonFile {
        scenario: &scenario.name,
        focal: scenario
            .actors
            .get(scenario.focal)
            .map_or("", |a| a.id.as_str()),
        baseline: id(c.baseline_slot),
        runs: c.runs,
        seed: batch.spec.seed,
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
