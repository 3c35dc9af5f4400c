//! Monte Carlo: many runs of every chosen policy on common random numbers, spread over threads.
//!
//! Run `r` has the seed [`rng::run_seed`]`(seed, r)`. Its ranges are sampled once, and every policy
//! runs on that same sample and the same turn streams, so differences between policies within a
//! run come from the policies alone. Runs are computed in parallel and collected in run order, so
//! the results do not depend on the number of threads.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::engine::{self, Trajectory, Workspace};
use crate::rng;
use crate::scenario::{Sampler, Scenario};

/// What to run.
#[derive(Debug, Clone)]
pub struct BatchSpec {
    /// Indices of the policies to run, in the order to report them.
    pub policies: Vec<usize>,
    pub runs: u32,
    pub seed: u64,
}

/// The trajectories of a batch: `trajectories[policy_slot][run]`.
#[derive(Debug, Clone)]
pub struct Batch {
    pub spec: BatchSpec,
    pub run_seeds: Vec<u64>,
    pub series: Vec<String>,
    pub trajectories: Vec<Vec<Trajectory>>,
}

impl Batch {
    /// Number of recorded turns (the scenario's turns plus turn 0).
    pub fn n_points(&self) -> usize {
        self.trajectories
            .first()
            .and_then(|runs| runs.first())
            .map_or(0, |t| t.values.len() / t.n_series)
    }
}

/// Runs every policy of `spec` for every run. `progress` is called after each finished run, from
/// any thread, with the number of policy-runs it completed.
pub fn run_batch(scenario: &Scenario, spec: &BatchSpec, progress: &(dyn Fn(u64) + Sync)) -> Batch {
    let never = AtomicBool::new(false);
    run_batch_until(scenario, spec, progress, &never).expect("never cancelled")
}

/// As [`run_batch`], but returns `None` soon after `cancel` becomes true: runs not yet started are
/// skipped, and no partial batch is returned.
pub fn run_batch_until(
    scenario: &Scenario,
    spec: &BatchSpec,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Option<Batch> {
    let trajectories = run_range(scenario, spec, 0..spec.runs, progress, cancel)?;
    Some(Batch {
        spec: spec.clone(),
        run_seeds: (0..spec.runs as u64)
            .map(|r| rng::run_seed(spec.seed, r))
            .collect(),
        series: engine::series_names(scenario),
        trajectories,
    })
}

/// Runs `runs` (global run indices, so seeds are those of the whole study) of every policy of
/// `spec`: `out[policy_slot][run - runs.start]`. `None` if cancelled.
pub fn run_range(
    scenario: &Scenario,
    spec: &BatchSpec,
    runs: std::ops::Range<u32>,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Option<Vec<Vec<Trajectory>>> {
    let per_run = simulate(scenario, spec, runs, progress, cancel)?;
    let mut trajectories: Vec<Vec<Trajectory>> = spec
        .policies
        .iter()
        .map(|_| Vec::with_capacity(per_run.len()))
        .collect();
    for run in per_run {
        for (slot, trajectory) in run.into_iter().enumerate() {
            trajectories[slot].push(trajectory);
        }
    }
    Some(trajectories)
}

/// Runs `runs` (global run indices) in chunks of at most `chunk` consecutive runs, and hands each
/// finished chunk to `sink` in run order (`chunk[k][policy_slot]` is run `first + k`) while the
/// next chunk is being computed, so only two chunks are ever held. Returns `Ok(false)` if
/// cancelled (the sink has then seen only whole chunks), or the first error of `sink`.
pub fn stream<E: Send>(
    scenario: &Scenario,
    spec: &BatchSpec,
    runs: std::ops::Range<u32>,
    chunk: u32,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
    mut sink: impl FnMut(u32, Vec<Vec<Trajectory>>) -> Result<(), E> + Send,
) -> Result<bool, E> {
    let chunk = chunk.max(1);
    let mut next = runs.start;
    let mut cancelled = false;
    pipelined(
        || {
            if next >= runs.end {
                return Ok(None);
            }
            let range = next..next.saturating_add(chunk).min(runs.end);
            let Some(computed) = simulate(scenario, spec, range.clone(), progress, cancel) else {
                cancelled = true;
                return Ok(None);
            };
            next = range.end;
            Ok(Some((range.start, computed)))
        },
        |(first, computed)| sink(first, computed),
    )?;
    Ok(!cancelled)
}

/// Takes the items of `produce` until it gives `None` and hands each to `sink`, in order, while
/// the next one is produced (on the current rayon pool): only two items are ever held. Stops at
/// the first error of either. [`stream`] computes runs this way; `entente merge` reads shards.
pub fn pipelined<T: Send, E: Send>(
    mut produce: impl FnMut() -> Result<Option<T>, E> + Send,
    mut sink: impl FnMut(T) -> Result<(), E> + Send,
) -> Result<(), E> {
    let mut pending: Option<T> = None;
    loop {
        let (produced, sunk) = match pending.take() {
            Some(item) => rayon::join(&mut produce, || sink(item)),
            None => (produce(), Ok(())),
        };
        sunk?;
        match produced? {
            Some(item) => pending = Some(item),
            None => return Ok(()),
        }
    }
}

/// A chunk size for [`stream`]: about 32 MiB of trajectories, at most 256 runs. Results do not
/// depend on it.
pub fn chunk_runs(scenario: &Scenario, n_policies: usize) -> u32 {
    let n = scenario.actors.len();
    let per_run = 8
        * n_policies.max(1)
        * ((scenario.turns as usize + 1) * (engine::series_names(scenario).len() + n) + 2 * n * n);
    ((32usize << 20) / per_run.max(1)).clamp(1, 256) as u32
}

/// Runs `runs` of every policy in parallel: `out[run - runs.start][policy_slot]`; `None` if
/// cancelled.
fn simulate(
    scenario: &Scenario,
    spec: &BatchSpec,
    runs: std::ops::Range<u32>,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Option<Vec<Vec<Trajectory>>> {
    let out: Vec<Vec<Trajectory>> = (runs.start..runs.end)
        .into_par_iter()
        // One workspace and one sampler per piece of work rayon hands a thread, lent to run
        // after run.
        .map_init(
            || (Workspace::default(), Sampler::new(scenario)),
            |(workspace, sampler), r| {
                if cancel.load(Ordering::Relaxed) {
                    return Vec::new();
                }
                let run_seed = rng::run_seed(spec.seed, r as u64);
                let out = run_policies(workspace, sampler, &spec.policies, run_seed);
                progress(spec.policies.len() as u64);
                out
            },
        )
        .collect();
    (!cancel.load(Ordering::Relaxed)).then_some(out)
}

/// One run of every policy: the ranges are sampled once and every policy uses that sample; the
/// policies share each turn's random numbers (see [`engine::run_policies_in`]).
fn run_policies(
    workspace: &mut Workspace,
    sampler: &mut Sampler,
    policies: &[usize],
    run_seed: u64,
) -> Vec<Trajectory> {
    let sampled = sampler.sample(&mut rng::sample_rng(run_seed));
    engine::run_policies_in(workspace, sampled, policies, run_seed)
}
