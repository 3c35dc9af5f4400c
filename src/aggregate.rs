//! Streaming aggregation: a study's runs are folded into summaries as they finish, so memory does
//! not grow with the number of runs.
//!
//! An [`Aggregate`] holds one [`Sample`] per (policy, turn, series), per (policy, turn, actor
//! position) and per (policy, start/end, ordered actor pair), plus the comparison's [`Tally`].
//! [`Aggregate::push`] adds consecutive runs; [`Aggregate::finish`] computes every summary that
//! the results folder holds. Runs must arrive in run order and every fold is sequential in that
//! order, so results are identical however the runs were computed (threads, chunks, shards).
//!
//! Every sample keeps its values, and every statistic is exact, while the study has at most
//! its exact limit of runs (`--exact-runs`; by default [`Aggregate::exact_limit_for`], the number
//! that fits [`EXACT_BUDGET`] bytes of kept values).
//! Beyond it the samples switch to the DDSketch of [`crate::sketch`] (quantiles within 0.5%
//! relative error; means and SDs stay exact up to rounding), and memory stays flat. A study that
//! is known to go beyond the limit sketches from its first run instead, with the same bits (see
//! [`Aggregate::new`]).

use rayon::prelude::*;

use crate::compare::{Comparison, Tally};
use crate::engine::Trajectory;
use crate::scenario::Scenario;
use crate::sketch::{self, Sample};
use crate::stats::Summary;
use crate::summary::{self, PolicySummary};

/// Bytes of kept values below which every statistic is exact.
pub const EXACT_BUDGET: usize = 128 << 20;

/// The running summaries of a study.
#[derive(Debug, Clone)]
pub struct Aggregate {
    policies: Vec<usize>,
    n_points: usize,
    n_series: usize,
    n_actors: usize,
    exact_limit: usize,
    runs: usize,
    slots: Vec<SlotSamples>,
    tally: Tally,
}

/// Everything the results folder reports, computed from an [`Aggregate`].
#[derive(Debug, Clone)]
pub struct Summaries {
    pub runs: usize,
    pub n_points: usize,
    /// Final-turn summaries of every policy with its rank on the mean composite.
    pub finals: Vec<PolicySummary>,
    /// `[(slot * n_points + turn) * n_series + series]`.
    pub timeseries: Vec<Summary>,
    /// `[(slot * n_points + turn) * n_actors + actor]`.
    pub positions: Vec<Summary>,
    /// `[(slot * 2 + when) * n_actors² + from * n_actors + to]`, `when` 0 = start, 1 = end; the
    /// diagonal is empty.
    pub affinity: Vec<Summary>,
    pub comparison: Comparison,
    /// How the quantiles were computed (for the manifest).
    pub quantiles: String,
}

/// One policy's samples.
#[derive(Debug, Clone)]
struct SlotSamples {
    series: Vec<Sample>,
    positions: Vec<Sample>,
    affinity: Vec<Sample>,
}

impl Aggregate {
    /// An empty aggregate for `policies` (scenario indices, in slot order) with `baseline_slot`
    /// as the comparison's baseline and `series` the recorded series; every value is kept up to
    /// `exact_limit` runs ([`Aggregate::exact_limit_for`] is the default).
    ///
    /// `at_least_runs` is the number of runs the study will have at least (0 if unknown). When
    /// it is more than `exact_limit`, every sample sketches from its first value instead of
    /// keeping the values of `exact_limit` runs only to replay them into the sketch at the
    /// switch: the results are the same bits (a sketch depends only on the multiset of its
    /// values, and the switch replays the kept values through the same running sums in the same
    /// order; see [`crate::sketch`]), and a study beyond the limit never holds the kept values
    /// (Korea, 10,000 runs: peak memory 188–210 → 101–120 MB).
    pub fn new(
        scenario: &Scenario,
        policies: &[usize],
        baseline_slot: usize,
        series: &[String],
        exact_limit: usize,
        at_least_runs: usize,
    ) -> Aggregate {
        let n_slots = policies.len();
        let n_points = scenario.turns as usize + 1;
        let n_series = series.len();
        let n = scenario.actors.len();
        // A sample with a limit of 0 is a sketch from its first value.
        let sample_limit = if Aggregate::sketches_from_the_start(exact_limit, at_least_runs) {
            0
        } else {
            exact_limit
        };
        let sample = || Sample::new(sample_limit);
        Aggregate {
            policies: policies.to_vec(),
            n_points,
            n_series,
            n_actors: n,
            exact_limit,
            runs: 0,
            slots: (0..n_slots)
                .map(|_| SlotSamples {
                    series: (0..n_points * n_series).map(|_| sample()).collect(),
                    positions: (0..n_points * n).map(|_| sample()).collect(),
                    affinity: (0..2 * n * n).map(|_| sample()).collect(),
                })
                .collect(),
            tally: Tally::new(
                scenario,
                n_slots,
                policies,
                series,
                n_points,
                baseline_slot,
                sample_limit,
            ),
        }
    }

    /// Whether a study of at least `at_least_runs` runs with the exact limit `exact_limit`
    /// keeps no values at all: every sample is a sketch from its first value (see
    /// [`Aggregate::new`]).
    pub fn sketches_from_the_start(exact_limit: usize, at_least_runs: usize) -> bool {
        at_least_runs > exact_limit
    }

    /// The number of samples a study of `n_slots` policies holds.
    pub fn samples(scenario: &Scenario, n_slots: usize, n_series: usize) -> usize {
        let n = scenario.actors.len();
        let n_points = scenario.turns as usize + 1;
        n_slots * (n_points * (n_series + n) + 2 * n * n.saturating_sub(1))
            + Tally::samples(n_slots, n_series)
    }

    /// Runs up to which every statistic is exact: [`EXACT_BUDGET`] over the bytes one run adds.
    pub fn exact_limit_for(scenario: &Scenario, n_slots: usize, n_series: usize) -> usize {
        EXACT_BUDGET / (8 * Aggregate::samples(scenario, n_slots, n_series).max(1))
    }

    /// Memory the aggregate may reach however many runs it sees, in bytes, when it keeps the
    /// values of `kept_runs` runs: those values (8 bytes each), then a sketch of about 1,000
    /// four-byte buckets per sample (Korea's samples average 820 after 2,000 runs; the largest
    /// possible sketch is 64 KB; see [`crate::sketch`]).
    pub fn bound_bytes(
        scenario: &Scenario,
        n_slots: usize,
        n_series: usize,
        kept_runs: usize,
    ) -> f64 {
        let samples = Aggregate::samples(scenario, n_slots, n_series) as f64;
        samples * (std::mem::size_of::<Sample>() as f64 + 4000.0 + 8.0 * kept_runs as f64)
    }

    /// Adds consecutive runs: `runs[k][slot]` is the trajectory of slot `slot` in the `k`-th of
    /// them. Slots are folded in parallel, each sample sequentially in run order.
    pub fn push(&mut self, runs: &[Vec<Trajectory>]) {
        let n = self.n_actors;
        self.slots
            .par_iter_mut()
            .enumerate()
            .for_each(|(slot, samples)| {
                // Each fold is cache-blocked (see `fold`).
                fold(&mut samples.series, runs, slot, None, |t| &t.values);
                fold(&mut samples.positions, runs, slot, None, |t| &t.positions);
                let (start, end) = samples.affinity.split_at_mut(n * n);
                fold(start, runs, slot, Some(n), |t| &t.affinity_start);
                fold(end, runs, slot, Some(n), |t| &t.affinity_end);
            });
        let mut refs: Vec<&Trajectory> = Vec::with_capacity(self.slots.len());
        for run in runs {
            refs.clear();
            refs.extend(run.iter());
            self.tally.push(&refs);
        }
        self.runs += runs.len();
    }

    /// The comparison of the runs so far (cheaper than [`Aggregate::finish`]).
    pub fn comparison(&self) -> Comparison {
        self.tally.finish()
    }

    /// Every summary of the runs so far.
    pub fn finish(&self) -> Summaries {
        let summarise = |samples: &[Sample]| -> Vec<Summary> {
            samples.par_iter().map(Sample::summary).collect()
        };
        let mut timeseries = Vec::new();
        let mut positions = Vec::new();
        let mut affinity = Vec::new();
        for slot in &self.slots {
            timeseries.extend(summarise(&slot.series));
            positions.extend(summarise(&slot.positions));
            affinity.extend(summarise(&slot.affinity));
        }
        let last = self.n_points - 1;
        let finals: Vec<Vec<Summary>> = (0..self.slots.len())
            .map(|slot| {
                let at = (slot * self.n_points + last) * self.n_series;
                timeseries[at..at + self.n_series].to_vec()
            })
            .collect();
        let exact = self.runs <= self.exact_limit;
        Summaries {
            runs: self.runs,
            n_points: self.n_points,
            finals: summary::ranked(&self.policies, finals),
            timeseries,
            positions,
            affinity,
            comparison: self.tally.finish(),
            quantiles: if exact {
                format!(
                    "exact (every value kept; exact up to {} runs for this study)",
                    self.exact_limit
                )
            } else {
                format!(
                    "DDSketch (Masson, Rim & Lee 2019) beyond {} runs: each quantile within {}% relative error (+{:e} absolute) of the exact type-7 quantile; means and SDs from running sums",
                    self.exact_limit,
                    sketch::RELATIVE_ACCURACY * 100.0,
                    sketch::MIN_MAGNITUDE
                )
            },
        }
    }
}

/// Pushes value `k` of `pick(run[slot])` into `samples[k]` for every run, in run order; with
/// `Some(n)`, the diagonal of an `n × n` matrix is skipped.
fn fold(
    samples: &mut [Sample],
    runs: &[Vec<Trajectory>],
    slot: usize,
    matrix: Option<usize>,
    pick: for<'a> fn(&'a Trajectory) -> &'a [f64],
) {
    let skip: Vec<bool> = (0..samples.len())
        .map(|k| matrix.is_some_and(|n| k / n == k % n))
        .collect();
    // Cache blocking: a block of samples takes the chunk's runs at once. The block's values are
    // first gathered run by run (each run gives `BLOCK` consecutive values, which the prefetcher
    // follows) into a sample-major buffer, then each sample takes its values in one
    // `Sample::extend`, with its sums in registers and its sketch's counts in L1. Pushing a
    // value at a time into each sample of the block in turn (the fold before 2026-11-26) waited
    // on a count in L2 for most values. Each sample still sees its values in run order, so the
    // results are the same.
    const BLOCK: usize = 64;
    // Runs gathered at a time: the eight values of a sample are one cache line of `column`.
    const TILE: usize = 8;
    let n_runs = runs.len();
    let mut column = vec![0.0; BLOCK * n_runs];
    for (b, block) in samples.chunks_mut(BLOCK).enumerate() {
        let first = b * BLOCK;
        let width = block.len();
        for (t, tile) in runs.chunks(TILE).enumerate() {
            let r0 = t * TILE;
            let mut rows = [&[][..]; TILE];
            for (row, run) in rows.iter_mut().zip(tile) {
                *row = &pick(&run[slot])[first..first + width];
            }
            for k in 0..width {
                let out = &mut column[k * n_runs + r0..k * n_runs + r0 + tile.len()];
                for (value, row) in out.iter_mut().zip(&rows) {
                    *value = row[k];
                }
            }
        }
        for (k, sample) in block.iter_mut().enumerate() {
            if !skip[first + k] {
                sample.extend(&column[k * n_runs..(k + 1) * n_runs]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine;
    use crate::montecarlo::{self, BatchSpec};
    use crate::scenario::load;
    use std::sync::atomic::AtomicBool;

    /// The summaries of `runs` Korea runs of every policy with an exact limit of `limit`, told
    /// that the study has at least `hint` runs; and whether the first sample was still exact
    /// after the first chunk.
    fn korea_summaries(runs: u32, limit: usize, hint: usize) -> (Summaries, bool) {
        let scenario = load::load_repository_file("scenarios/korea_pact_2024.toml");
        let spec = BatchSpec {
            policies: (0..scenario.policies.len()).collect(),
            runs,
            seed: 7,
        };
        let series = engine::series_names(&scenario);
        let mut aggregate = Aggregate::new(&scenario, &spec.policies, 1, &series, limit, hint);
        let mut exact_after_first = None;
        let never = AtomicBool::new(false);
        let finished = montecarlo::stream(
            &scenario,
            &spec,
            0..runs,
            4,
            &|_| {},
            &never,
            |_, chunk| -> Result<(), ()> {
                aggregate.push(&chunk);
                exact_after_first.get_or_insert(aggregate.slots[0].series[0].is_exact());
                Ok(())
            },
        );
        assert_eq!(finished, Ok(true));
        (aggregate.finish(), exact_after_first.unwrap())
    }

    #[test]
    fn sketching_from_the_first_run_gives_the_bits_of_switching_at_the_limit() {
        let (switched, exact_at_first) = korea_summaries(23, 6, 0);
        let (sketched, sketch_at_first) = korea_summaries(23, 6, 23);
        // The two paths were taken: one kept the first chunk's values, the other did not.
        assert!(exact_at_first && !sketch_at_first);
        assert!(switched.quantiles.starts_with("DDSketch"));
        // Every summary, the comparison and the manifest's text, bit for bit (`{:?}` of an f64
        // is its shortest round-trip form: equal strings are equal bits, signed zeros included).
        assert_eq!(format!("{switched:?}"), format!("{sketched:?}"));
    }

    #[test]
    fn within_the_limit_the_hint_keeps_every_value() {
        let (kept, exact) = korea_summaries(6, 6, 6);
        assert!(exact);
        assert!(kept.quantiles.starts_with("exact"));
    }
}
