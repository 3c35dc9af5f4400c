//! Benchmarks of the streaming fold (`cargo bench --bench aggregate`): folding one chunk of 256
//! Korea runs (7 policies) into an [`Aggregate`], with every value kept (exact) and with every
//! value going to the sketch. The counter is the number of values folded.

use std::sync::atomic::AtomicBool;

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use entente::aggregate::Aggregate;
use entente::engine::{self, Trajectory};
use entente::montecarlo::{self, BatchSpec};
use entente::scenario::Scenario;
use entente::scenario::load::load_file;

fn main() {
    divan::main();
}

const RUNS: u32 = 256;

fn korea() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/korea_pact_2024.toml"
    );
    load_file(std::path::Path::new(path)).unwrap().scenario
}

/// A chunk of runs, run-major (`runs[k][slot]`), as the sink receives it.
fn chunk(scenario: &Scenario) -> (BatchSpec, Vec<Vec<Trajectory>>) {
    let spec = BatchSpec {
        policies: (0..scenario.policies.len()).collect(),
        runs: RUNS,
        seed: 1,
    };
    let never = AtomicBool::new(false);
    let by_slot = montecarlo::run_range(scenario, &spec, 0..RUNS, &|_| {}, &never).unwrap();
    let runs = (0..RUNS as usize)
        .map(|k| by_slot.iter().map(|slot| slot[k].clone()).collect())
        .collect();
    (spec, runs)
}

/// The values a fold takes from `runs` (the affinity diagonals are skipped).
fn values(scenario: &Scenario, runs: &[Vec<Trajectory>]) -> u64 {
    let n = scenario.actors.len();
    runs.iter()
        .flatten()
        .map(|t| (t.values.len() + t.positions.len() + 2 * n * (n - 1)) as u64)
        .sum()
}

fn fold(bencher: Bencher, exact_limit: usize) {
    let scenario = korea();
    let (spec, runs) = chunk(&scenario);
    let series = engine::series_names(&scenario);
    // The sketch case starts from samples that have already switched, as in a long study.
    let mut warm = Aggregate::new(&scenario, &spec.policies, 0, &series, exact_limit, 0);
    warm.push(&runs);
    bencher
        .counter(ItemsCount::new(values(&scenario, &runs)))
        .with_inputs(|| warm.clone())
        .bench_local_values(|mut aggregate| {
            aggregate.push(black_box(&runs));
            aggregate
        });
}

#[divan::bench(sample_count = 20)]
fn fold_chunk_exact(bencher: Bencher) {
    fold(bencher, 100_000);
}

#[divan::bench(sample_count = 20)]
fn fold_chunk_sketch(bencher: Bencher) {
    fold(bencher, 0);
}
