//! Benchmarks (`cargo bench`): one turn and one run of the Korea scenario, Monte-Carlo throughput
//! in actor-pair-turns per second on 1 and 2 threads, synthetic scenarios of 8 to 193 actors, and
//! a study of the policies of a large synthetic scenario on 2 threads.
//! `docs/performance.md` reports the figures and the commands.

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use entente::engine::{self, RunSpec, Simulation};
use entente::montecarlo::{self, BatchSpec};
use entente::scenario::Scenario;
use entente::scenario::load::load_str;
use entente::{rng, synthetic};

fn main() {
    divan::main();
}

fn korea() -> Scenario {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/korea_pact_2024.toml"
    ))
    .unwrap();
    load_str(&text).unwrap().scenario
}

fn synthetic(actors: usize, turns: u32) -> Scenario {
    load_str(&synthetic::scenario_text(actors, turns, 1))
        .unwrap()
        .scenario
}

/// The run the single-run benchmarks time: policy 1 (the first non-baseline one), run seed 1.
const ONE: RunSpec = RunSpec {
    policy: 1,
    run_seed: 1,
};

/// Ordered actor pairs times turns: the unit of work of a run.
fn pair_turns(scenario: &Scenario) -> u64 {
    let n = scenario.actors.len() as u64;
    n * (n - 1) * scenario.turns as u64
}

#[divan::bench]
fn korea_one_turn(bencher: Bencher) {
    let scenario = korea().sample(&mut rng::sample_rng(1));
    bencher
        .with_inputs(|| {
            Simulation::new(
                &scenario,
                RunSpec {
                    policy: 0,
                    run_seed: 1,
                },
            )
        })
        .bench_local_values(|mut simulation| {
            simulation.step();
            simulation
        });
}

#[divan::bench]
fn korea_one_run(bencher: Bencher) {
    let scenario = korea().sample(&mut rng::sample_rng(1));
    bencher
        .counter(ItemsCount::new(pair_turns(&scenario)))
        .bench(|| engine::run(black_box(&scenario), ONE));
}

/// As `korea_one_run`, with the scratch buffers of the previous run (as the Monte-Carlo does).
/// Each iteration is another run (see [`next_run`]).
#[divan::bench]
fn korea_one_run_workspace(bencher: Bencher) {
    let scenario = korea().sample(&mut rng::sample_rng(1));
    let mut workspace = engine::Workspace::default();
    let mut run_seed = 0;
    bencher
        .counter(ItemsCount::new(pair_turns(&scenario)))
        .bench_local(|| {
            let spec = next_run(&mut run_seed);
            engine::run_in(&mut workspace, black_box(&scenario), spec)
        });
}

/// The next run of policy 1 for the benchmarks that keep a [`engine::Workspace`]: a workspace
/// keeps the last run's draws and reuses them when asked for the same run again, so repeating
/// one run seed would time runs without their draws (the benchmarks did so from 98505cb to
/// 32affac; see docs/performance.md, "A benchmark error").
fn next_run(run_seed: &mut u64) -> RunSpec {
    *run_seed += 1;
    RunSpec {
        run_seed: *run_seed,
        ..ONE
    }
}

/// 100 runs of every Korea policy (sampling included), on 1 and 2 threads.
#[divan::bench(args = [1, 2], sample_count = 10)]
fn korea_batch_threads(bencher: Bencher, threads: usize) {
    study(bencher, &korea(), 100, threads);
}

/// A study of a large synthetic scenario, 120 turns: two runs of its four policies on two
/// threads, a run per thread, sampling included. The policies go through blocks of 16 turns on
/// kept draws (item 42 of `docs/performance.md`); stepping them in lockstep, each world was read
/// from the L3 cache or memory every turn.
#[divan::bench(args = [128, 193], sample_count = 5)]
fn synthetic_policies_two_threads(bencher: Bencher, actors: usize) {
    study(bencher, &synthetic(actors, 120), 2, 2);
}

/// Times `runs` runs of every policy of `scenario` (sampling included) on `threads` threads.
fn study(bencher: Bencher, scenario: &Scenario, runs: u32, threads: usize) {
    let spec = BatchSpec {
        policies: (0..scenario.policies.len()).collect(),
        runs,
        seed: 1,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let work = pair_turns(scenario) * u64::from(runs) * spec.policies.len() as u64;
    bencher
        .counter(ItemsCount::new(work))
        .bench(|| pool.install(|| montecarlo::run_batch(scenario, &spec, &|_| {})));
}

/// One 120-turn run of a synthetic scenario, by number of actors.
#[divan::bench(args = [8, 32, 64, 128, 193], sample_count = 10)]
fn synthetic_run(bencher: Bencher, actors: usize) {
    let scenario = synthetic(actors, 120).sample(&mut rng::sample_rng(1));
    bencher
        .counter(ItemsCount::new(pair_turns(&scenario)))
        .bench(|| engine::run(black_box(&scenario), ONE));
}

/// As `synthetic_run`, on the baseline instruction set (SSE2 on x86_64) instead of the best one
/// of the CPU: the same bits, to show what runtime dispatch to AVX2 gains.
#[divan::bench(args = [8, 64, 193], sample_count = 10)]
fn synthetic_run_baseline(bencher: Bencher, actors: usize) {
    let scenario = synthetic(actors, 120).sample(&mut rng::sample_rng(1));
    let mut workspace = engine::Workspace::baseline();
    let mut run_seed = 0;
    bencher
        .counter(ItemsCount::new(pair_turns(&scenario)))
        .bench_local(|| {
            let spec = next_run(&mut run_seed);
            engine::run_in(&mut workspace, black_box(&scenario), spec)
        });
}

/// Every Korea policy on one run: sharing each turn's draws, as the Monte-Carlo does
/// (`run_policies_in`; "lockstep" before the policies ran one after another on kept draws), and
/// each policy drawing its own numbers (as its own run, with its own seed: the cost of the
/// policies without the sharing). Each iteration is another run (see [`next_run`]).
#[divan::bench(args = ["shared draws", "own draws"])]
fn korea_all_policies(bencher: Bencher, how: &str) {
    let scenario = korea().sample(&mut rng::sample_rng(1));
    let policies: Vec<usize> = (0..scenario.policies.len()).collect();
    let mut workspace = engine::Workspace::default();
    let mut run_seed = 0;
    bencher
        .counter(ItemsCount::new(
            pair_turns(&scenario) * policies.len() as u64,
        ))
        .bench_local(|| {
            if how == "shared draws" {
                let seed = next_run(&mut run_seed).run_seed;
                engine::run_policies_in(&mut workspace, black_box(&scenario), &policies, seed)
            } else {
                policies
                    .iter()
                    .map(|&policy| {
                        let spec = RunSpec {
                            policy,
                            ..next_run(&mut run_seed)
                        };
                        engine::run_in(&mut workspace, black_box(&scenario), spec)
                    })
                    .collect()
            }
        });
}
