//! The comparison as a running tally: runs are added one at a time, in run order, and
//! [`Tally::finish`] computes the [`Comparison`] at any point. Memory does not grow with the number
//! of runs once the tally's samples pass their exact limit (see [`crate::sketch`]); below it,
//! every statistic is exact.

use super::{
    Comparison, OutcomeComparison, PairedDiff, PolicyComparison, TopPair, TripwireCurve,
    higher_is_better, value, weights,
};
use crate::engine::Trajectory;
use crate::scenario::{Outcome, Scenario};
use crate::sketch::Sample;

/// The running state of a comparison of `n_slots` policies with the baseline slot.
#[derive(Debug, Clone)]
pub struct Tally {
    baseline: usize,
    final_turn: usize,
    series: Vec<String>,
    ids: Vec<String>,
    policies: Vec<Option<usize>>,
    weights: [f64; 5],
    runs: usize,
    composite: Option<usize>,
    weighed: Vec<Option<usize>>,
    n_tripwires: usize,
    /// `[slot * n_series + series]`: final values, and their differences from the baseline.
    finals: Vec<Sample>,
    diffs: Vec<Sample>,
    /// Same index: runs better than the baseline, ties counting half.
    wins: Vec<f64>,
    /// Per slot: the composite (NaN if the batch records none), P(best) and rank sums, regret.
    composites: Vec<Sample>,
    p_best: Vec<f64>,
    rank_sum: Vec<f64>,
    regrets: Vec<Sample>,
    /// Per unordered pair `a < b` (row-major over `a`): composite of `a` minus composite of `b`,
    /// and whether that was zero in every run.
    pairs: Vec<(Sample, bool)>,
    /// `[slot * 5 + k]`: change of weighed outcome `k` from the start.
    changes: Vec<Sample>,
    /// `[(slot * n_tripwires + k) * (final_turn + 1) + turn]`: runs first crossing at `turn`.
    first_crossings: Vec<usize>,
}

impl Tally {
    /// An empty tally. `policies[slot]` is the scenario policy of each slot (a missing one is
    /// named `slot<k>`), `series` the recorded series, `n_points` the recorded turns (turns + 1);
    /// every sample keeps at most `exact_limit` values (see [`crate::sketch::Sample`]).
    pub fn new(
        scenario: &Scenario,
        n_slots: usize,
        policies: &[usize],
        series: &[String],
        n_points: usize,
        baseline_slot: usize,
        exact_limit: usize,
    ) -> Tally {
        let baseline = if baseline_slot < n_slots {
            baseline_slot
        } else {
            0
        };
        let final_turn = n_points.saturating_sub(1);
        let sample = || Sample::new(exact_limit);
        let n_series = series.len();
        let n_tripwires = scenario.tripwires.len();
        Tally {
            baseline,
            final_turn,
            series: series.to_vec(),
            ids: (0..n_slots)
                .map(|slot| {
                    policies
                        .get(slot)
                        .and_then(|&p| scenario.policies.get(p))
                        .map_or_else(|| format!("slot{slot}"), |p| p.id.clone())
                })
                .collect(),
            policies: (0..n_slots)
                .map(|slot| policies.get(slot).copied())
                .collect(),
            weights: scenario.outcomes.weights,
            runs: 0,
            composite: series.iter().position(|s| s == "composite"),
            weighed: Outcome::WEIGHED
                .iter()
                .map(|o| series.iter().position(|s| s == o.name()))
                .collect(),
            n_tripwires,
            finals: (0..n_slots * n_series).map(|_| sample()).collect(),
            diffs: (0..n_slots * n_series).map(|_| sample()).collect(),
            wins: vec![0.0; n_slots * n_series],
            composites: (0..n_slots).map(|_| sample()).collect(),
            p_best: vec![0.0; n_slots],
            rank_sum: vec![0.0; n_slots],
            regrets: (0..n_slots).map(|_| sample()).collect(),
            pairs: (0..n_slots * n_slots.saturating_sub(1) / 2)
                .map(|_| (sample(), true))
                .collect(),
            changes: (0..n_slots * 5).map(|_| sample()).collect(),
            first_crossings: vec![0; n_slots * n_tripwires * (final_turn + 1)],
        }
    }

    /// The number of samples the tally holds (for a memory budget).
    pub fn samples(n_slots: usize, n_series: usize) -> usize {
        n_slots * (2 * n_series + 2 + 5) + n_slots * n_slots.saturating_sub(1) / 2
    }

    /// Adds the next run: `run[slot]` is that slot's trajectory (missing values read as NaN).
    pub fn push(&mut self, run: &[&Trajectory]) {
        let n_slots = self.composites.len();
        let n_series = self.series.len();
        let final_turn = self.final_turn;
        debug_assert_eq!(run.len(), n_slots);
        for series in 0..n_series {
            let higher = higher_is_better(&self.series[series]);
            let b = value(run[self.baseline], final_turn, series);
            for (slot, t) in run.iter().enumerate() {
                let v = value(t, final_turn, series);
                let k = slot * n_series + series;
                self.finals[k].push(v);
                self.diffs[k].push(v - b);
                let better = if higher { v > b } else { v < b };
                let worse = if higher { v < b } else { v > b };
                self.wins[k] += if better {
                    1.0
                } else if worse {
                    0.0
                } else {
                    0.5
                };
            }
        }

        let scores: Vec<f64> = run
            .iter()
            .map(|t| self.composite.map_or(f64::NAN, |c| value(t, final_turn, c)))
            .collect();
        let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let winners = scores.iter().filter(|&&c| c == best).count();
        for (p, &c) in scores.iter().enumerate() {
            self.composites[p].push(c);
            if c == best {
                self.p_best[p] += 1.0 / winners as f64;
            }
            let above = scores.iter().filter(|&&other| other > c).count();
            let tied = scores.iter().filter(|&&other| other == c).count();
            // Ties take the mean of the ranks they span: above + 1 ..= above + tied.
            self.rank_sum[p] += above as f64 + 0.5 * (tied as f64 + 1.0);
            self.regrets[p].push(best - c);
        }
        let mut pair = 0;
        for a in 0..n_slots {
            for b in a + 1..n_slots {
                let d = scores[a] - scores[b];
                let (sample, all_zero) = &mut self.pairs[pair];
                sample.push(d);
                *all_zero &= d == 0.0;
                pair += 1;
            }
        }

        for (slot, t) in run.iter().enumerate() {
            for (k, series) in self.weighed.iter().enumerate() {
                let change = series.map_or(f64::NAN, |s| value(t, final_turn, s) - value(t, 0, s));
                self.changes[slot * 5 + k].push(change);
            }
            for k in 0..self.n_tripwires {
                if let Some(Some(turn)) = t.tripwire_turns.get(k) {
                    let turn = *turn as usize;
                    if turn <= final_turn {
                        let at = (slot * self.n_tripwires + k) * (final_turn + 1) + turn;
                        self.first_crossings[at] += 1;
                    }
                }
            }
        }
        self.runs += 1;
    }

    /// The comparison of the runs added so far.
    pub fn finish(&self) -> Comparison {
        let n_slots = self.composites.len();
        let n_series = self.series.len();
        let runs = self.runs;
        let baseline = self.baseline;
        let per_run = |x: f64| if runs > 0 { x / runs as f64 } else { 0.0 };
        let outcome = |slot: usize, series: usize| -> OutcomeComparison {
            let name = &self.series[series];
            let values = &self.finals[slot * n_series + series];
            let n = values.len();
            OutcomeComparison {
                series: name.clone(),
                higher_is_better: higher_is_better(name),
                mean: values.mean(),
                mean_se: (n >= 2).then(|| values.sd() / (n as f64).sqrt()),
                baseline_mean: self.finals[baseline * n_series + series].mean(),
                diff: PairedDiff::from_sample(&self.diffs[slot * n_series + series]),
                p_beats_baseline: per_run(self.wins[slot * n_series + series]),
            }
        };
        let composite_stats = |slot: usize| -> OutcomeComparison {
            match self.composite {
                Some(i) => outcome(slot, i),
                None => {
                    let values = &self.composites[slot];
                    let n = values.len();
                    OutcomeComparison {
                        series: "composite".into(),
                        higher_is_better: true,
                        mean: values.mean(),
                        mean_se: (n >= 2).then(|| values.sd() / (n as f64).sqrt()),
                        baseline_mean: self.composites[baseline].mean(),
                        diff: PairedDiff::from_sample(&self.diffs_of_missing_composite()),
                        p_beats_baseline: per_run(0.5 * runs as f64),
                    }
                }
            }
        };

        let means: Vec<f64> = self.composites.iter().map(Sample::mean).collect();
        let mut order: Vec<usize> = (0..n_slots).collect();
        order.sort_by(|&a, &b| means[b].total_cmp(&means[a]).then(a.cmp(&b)));
        let mut rank = vec![0; n_slots];
        for (position, &slot) in order.iter().enumerate() {
            rank[slot] = position + 1;
        }

        let policies: Vec<PolicyComparison> = (0..n_slots)
            .map(|slot| PolicyComparison {
                slot,
                policy: self.policies[slot],
                id: self.ids[slot].clone(),
                rank: rank[slot],
                composite: composite_stats(slot),
                outcomes: (0..n_series).map(|s| outcome(slot, s)).collect(),
                p_best: per_run(self.p_best[slot]),
                mean_rank: per_run(self.rank_sum[slot]),
                regret_mean: self.regrets[slot].mean(),
                regret_p95: self.regrets[slot].quantile(0.95),
            })
            .collect();

        let top_pair = (order.len() >= 2).then(|| self.top_pair(order[0], order[1]));

        let mean_changes: Vec<[f64; 5]> = (0..n_slots)
            .map(|slot| std::array::from_fn(|k| self.changes[slot * 5 + k].mean()))
            .collect();
        let weights = weights::analyse(&mean_changes, self.weights, &self.ids);

        let points = self.final_turn + 1;
        let mut tripwires = Vec::with_capacity(n_slots * self.n_tripwires);
        for slot in 0..n_slots {
            for k in 0..self.n_tripwires {
                let at = (slot * self.n_tripwires + k) * points;
                let mut crossed = 0usize;
                let by_turn: Vec<f64> = self.first_crossings[at..at + points]
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
            final_turn: self.final_turn,
            series: self.series.clone(),
            policies,
            order,
            top_pair,
            weights,
            tripwires,
        }
    }

    /// Without a composite series every composite is NaN, and so is every difference.
    fn diffs_of_missing_composite(&self) -> Sample {
        let mut sample = Sample::new(usize::MAX);
        for _ in 0..self.runs {
            sample.push(f64::NAN);
        }
        sample
    }

    fn top_pair(&self, top: usize, runner_up: usize) -> TopPair {
        let n_slots = self.composites.len();
        let (a, b) = (top.min(runner_up), top.max(runner_up));
        // Pairs are numbered row by row over a < b.
        let index = a * n_slots - a * (a + 1) / 2 + (b - a - 1);
        let (sample, all_zero) = &self.pairs[index];
        let mut diff = PairedDiff::from_sample(sample);
        if top > runner_up {
            // The tally holds composite(a) − composite(b) with a < b; negating every difference
            // negates the mean and its interval exactly and leaves the SD unchanged.
            diff.mean = -diff.mean;
            diff.ci = diff.ci.map(|(lo, hi)| (-hi, -lo));
        }
        let separable = diff.ci.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
        let identical = self.runs > 0 && *all_zero;
        let (a, b) = (&self.ids[top], &self.ids[runner_up]);
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
    }
}
