//! Determinism is a contract: the same scenario and seed give byte-identical results whatever the
//! number of threads; another seed gives other results.

use crate::support::{Test, fixture};

fn run_with(args: &[&str]) -> (String, String, String, String) {
    let mut all = vec![
        "run",
        fixture("small.toml").to_str().unwrap().to_string().leak() as &str,
        "--runs",
        "40",
        "--out",
        "res",
    ];
    all.extend_from_slice(args);
    let ran = Test::new().args(all).run();
    (
        ran.read("res/runs.csv"),
        ran.read("res/timeseries.csv"),
        ran.read("res/summary.json"),
        ran.read("res/comparison.json") + &ran.read("res/tripwires.csv"),
    )
}

#[test]
fn thread_count_does_not_change_results() {
    let one = run_with(&["--threads", "1"]);
    let two = run_with(&["--threads", "2"]);
    let eight = run_with(&["--threads", "8"]);
    assert!(one == two, "1 and 2 threads differ");
    assert!(one == eight, "1 and 8 threads differ");
}

#[test]
fn thread_count_does_not_change_sketched_results() {
    // With 3 exact runs of 40, every percentile comes from the sketch.
    let one = run_with(&["--threads", "1", "--exact-runs", "3"]);
    let two = run_with(&["--threads", "2", "--exact-runs", "3"]);
    assert!(one == two, "1 and 2 threads differ beyond the exact limit");
    // Means are exact either way; the percentiles are not the exact ones, but within the bound.
    let exact = run_with(&[]);
    assert_eq!(
        one.0, exact.0,
        "runs.csv does not depend on the exact limit"
    );
    assert!(one.1 != exact.1, "the sketch was not used");
    let rows = |csv: &str| -> Vec<Vec<f64>> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').skip(4).map(|v| v.parse().unwrap()).collect())
            .collect()
    };
    let (sketched, exact) = (rows(&one.1), rows(&exact.1));
    assert_eq!(sketched.len(), exact.len());
    for (s, e) in sketched.iter().zip(&exact) {
        assert_eq!(s[0], e[0], "means differ");
        // A loose check (the exact bound, unit-tested in src/sketch.rs, needs the neighbouring
        // order statistics, which the CSV does not hold): within 2α of max(|exact|, 1).
        for (q, (a, b)) in s[1..].iter().zip(&e[1..]).enumerate() {
            let bound = entente::sketch::RELATIVE_ACCURACY * b.abs().max(1.0) * 2.0
                + entente::sketch::MIN_MAGNITUDE;
            assert!((a - b).abs() <= bound, "quantile {q}: {a} vs exact {b}");
        }
    }
}

#[test]
fn same_seed_repeats_and_other_seed_differs() {
    let first = run_with(&["--seed", "11"]);
    let again = run_with(&["--seed", "11"]);
    let other = run_with(&["--seed", "12"]);
    assert!(first == again, "same seed gave different results");
    assert!(first.0 != other.0, "different seeds gave the same runs");
}

#[test]
fn a_policy_subset_sees_the_same_random_numbers() {
    // Common random numbers: the baseline's runs are identical whether or not other policies run.
    let all = run_with(&[]);
    let subset = run_with(&["--policy", "arms"]);
    let baseline_rows = |csv: &str| {
        csv.lines()
            .filter(|l| l.starts_with("wait,"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(baseline_rows(&all.0), baseline_rows(&subset.0));
    assert!(!baseline_rows(&all.0).is_empty());
}

/// The Monte-Carlo loop runs a run's policies on each turn's random numbers drawn once for all of
/// them (one policy after another through each block of turns whose draws are kept):
/// every policy's trajectory must be, bit for bit, that of a run of that policy alone, also when
/// one workspace (and its shared draws) serves runs of other scenarios of other shapes with the
/// same seed in between.
#[test]
fn policies_sharing_draws_equal_separate_runs() {
    use entente::engine::{self, RunSpec, Workspace};
    use entente::scenario::load::load_str;
    let read = |path: std::path::PathBuf| {
        let text = std::fs::read_to_string(path).unwrap();
        load_str(&text).unwrap().scenario
    };
    let korea = read(crate::support::root().join("scenarios/korea_pact_2024.toml"));
    let small = read(fixture("small.toml"));
    let synthetic = load_str(&entente::synthetic::scenario_text(12, 30, 3))
        .unwrap()
        .scenario;
    // 40 actors × 36 turns: too many draws to keep for a whole run, so its policies go through
    // blocks of 16 turns (two whole blocks, then 4 turns), each turn's draws in the slot of the
    // turn 16 before.
    let large = load_str(&entente::synthetic::scenario_text(40, 36, 1))
        .unwrap()
        .scenario;
    let mut workspace = Workspace::default();
    for run_seed in [7u64, 8] {
        for scenario in [&korea, &small, &large, &synthetic, &korea] {
            let sampled = scenario.sample(&mut entente::rng::sample_rng(run_seed));
            let policies: Vec<usize> = (0..sampled.policies.len()).rev().collect();
            let together = engine::run_policies_in(&mut workspace, &sampled, &policies, run_seed);
            assert_eq!(together.len(), policies.len());
            for (&policy, trajectory) in policies.iter().zip(&together) {
                let alone = engine::run(&sampled, RunSpec { policy, run_seed });
                assert!(
                    alone == *trajectory,
                    "policy {policy} differs when sharing draws (seed {run_seed})"
                );
            }
        }
    }
    // Simulations of scenarios of other shapes stepping on one set of draws, same seed and turn.
    let run_seed = 9;
    let sampled: Vec<_> = [&korea, &small, &synthetic]
        .map(|s| s.sample(&mut entente::rng::sample_rng(run_seed)))
        .into_iter()
        .collect();
    let mut simulations: Vec<_> = sampled
        .iter()
        .map(|s| {
            engine::Simulation::new(
                s,
                RunSpec {
                    policy: 0,
                    run_seed,
                },
            )
        })
        .collect();
    let mut draws = engine::Draws::default();
    let turns = sampled.iter().map(|s| s.turns).min().unwrap();
    for _ in 0..turns {
        for simulation in &mut simulations {
            simulation.step_sharing(&mut draws);
        }
    }
    for (scenario, shared) in sampled.iter().zip(simulations) {
        let mut alone = engine::Simulation::new(
            scenario,
            RunSpec {
                policy: 0,
                run_seed,
            },
        );
        for _ in 0..turns {
            alone.step();
        }
        assert!(
            alone.finish() == shared.finish(),
            "shared draws of another shape changed a run"
        );
    }
}

/// The engine's vector loops run on the best instruction set of the CPU (AVX2 where there is)
/// or on the baseline (SSE2): both must give the same bits. On a CPU without AVX2 both sides run
/// the baseline, and the test shows nothing.
#[test]
fn instruction_sets_give_the_same_bits() {
    use entente::engine::{self, Workspace};
    use entente::scenario::load::load_str;
    let korea =
        std::fs::read_to_string(crate::support::root().join("scenarios/korea_pact_2024.toml"))
            .unwrap();
    // 13 and 42 actors: rows that are not a whole number of vectors.
    let scenarios = [
        load_str(&korea).unwrap().scenario,
        load_str(&entente::synthetic::scenario_text(13, 20, 5))
            .unwrap()
            .scenario,
        load_str(&entente::synthetic::scenario_text(42, 10, 6))
            .unwrap()
            .scenario,
    ];
    for scenario in &scenarios {
        let sampled = scenario.sample(&mut entente::rng::sample_rng(11));
        let policies: Vec<usize> = (0..sampled.policies.len()).collect();
        let best = engine::run_policies_in(&mut Workspace::default(), &sampled, &policies, 11);
        let baseline = engine::run_policies_in(&mut Workspace::baseline(), &sampled, &policies, 11);
        assert!(best == baseline, "the instruction sets disagree");
    }
}
