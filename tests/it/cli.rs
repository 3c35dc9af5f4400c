//! Each subcommand end to end: exit codes, the results folder, the printed ranking.

use crate::support::{Test, fixture};

#[test]
fn run_writes_the_four_files_and_prints_a_ranking() {
    let ran = Test::new()
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "20",
            "--out",
            "res",
        ])
        .run();
    for file in [
        "manifest.json",
        "summary.json",
        "timeseries.csv",
        "runs.csv",
    ] {
        assert!(ran.path(&format!("res/{file}")).is_file(), "{file} missing");
    }
    let stdout = ran.stdout();
    for policy in ["wait", "engage", "mediate", "arms"] {
        assert!(
            stdout.contains(policy),
            "{policy} not in the table:\n{stdout}"
        );
    }
    assert!(stdout.contains("rank"), "{stdout}");

    let manifest: serde_json::Value = serde_json::from_str(&ran.read("res/manifest.json")).unwrap();
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["runs"], 20);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["policies"].as_array().unwrap().len(), 4);

    let summary: serde_json::Value = serde_json::from_str(&ran.read("res/summary.json")).unwrap();
    let policies = summary["policies"].as_array().unwrap();
    let mut ranks: Vec<u64> = policies
        .iter()
        .map(|p| p["rank"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, vec![1, 2, 3, 4]);
    for p in policies {
        let c = &p["composite"];
        let (p05, p50, p95) = (
            c["p05"].as_f64().unwrap(),
            c["p50"].as_f64().unwrap(),
            c["p95"].as_f64().unwrap(),
        );
        assert!(p05 <= p50 && p50 <= p95, "{c}");
    }

    // timeseries: 4 policies x 25 points x series; runs: 4 policies x 20 runs x series.
    let series = manifest["series"].as_array().unwrap().len();
    assert_eq!(
        ran.read("res/timeseries.csv").lines().count(),
        1 + 4 * 25 * series
    );
    assert_eq!(
        ran.read("res/runs.csv").lines().count(),
        1 + 4 * 20 * series
    );
    let header = ran
        .read("res/timeseries.csv")
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(header, "policy,turn,date,outcome,mean,p05,p25,p50,p75,p95");
}

#[test]
fn policy_filter_keeps_the_baseline() {
    let ran = Test::new()
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "5",
            "--out",
            "res",
            "--policy",
            "arms",
        ])
        .run();
    let manifest: serde_json::Value = serde_json::from_str(&ran.read("res/manifest.json")).unwrap();
    assert_eq!(manifest["policies"], serde_json::json!(["wait", "arms"]));
}

#[test]
fn unknown_policy_is_bad_input_with_a_suggestion() {
    let ran = Test::new()
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "5",
            "--out",
            "res",
            "--policy",
            "engag",
        ])
        .status(1)
        .run();
    assert!(
        ran.stderr().contains("unknown policy `engag`"),
        "{}",
        ran.stderr()
    );
    assert!(
        ran.stderr().contains("did you mean `engage`?"),
        "{}",
        ran.stderr()
    );
    assert!(!ran.path("res").exists());
}

#[test]
fn existing_results_need_force() {
    let test = Test::new();
    let dir = test.dir().to_path_buf();
    std::fs::create_dir(dir.join("res")).unwrap();
    std::fs::write(dir.join("res/notes.txt"), "mine").unwrap();
    let ran = test
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "5",
            "--out",
            "res",
        ])
        .status(1)
        .run();
    assert!(
        ran.stderr().contains("already exists; pass `--force`"),
        "{}",
        ran.stderr()
    );
    // With --force, a folder entente did not write is still not deleted.
    let output = assert_cmd::Command::cargo_bin("entente")
        .unwrap()
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "5",
            "--out",
            "res",
            "--force",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("was not written by entente"));
    assert_eq!(
        std::fs::read_to_string(dir.join("res/notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn usage_errors_exit_2() {
    Test::new().args(["run"]).status(2).run();
    Test::new().args(["frobnicate"]).status(2).run();
    Test::new()
        .args(["run", "x.toml", "--runs", "many"])
        .status(2)
        .run();
}

#[test]
fn missing_file_and_directory_are_bad_input() {
    let ran = Test::new().args(["validate", "nope.toml"]).status(1).run();
    assert!(
        ran.stderr()
            .contains("cannot read `nope.toml`: no such file"),
        "{}",
        ran.stderr()
    );
    let ran = Test::new().args(["validate", "."]).status(1).run();
    assert!(ran.stderr().contains("is a directory"), "{}", ran.stderr());
}

#[test]
fn compare_prints_paired_differences_flips_and_tripwires() {
    let ran = Test::new()
        .args([
            "compare",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "30",
            "--out",
            "res",
            "--baseline",
            "engage",
        ])
        .run();
    let stdout = ran.stdout();
    assert!(
        stdout.contains("compared with the baseline `engage`"),
        "{stdout}"
    );
    assert!(stdout.contains("composite - baseline [95% CI]"), "{stdout}");
    assert!(stdout.contains("When does the ranking flip?"), "{stdout}");
    assert!(stdout.contains("Tripwires"), "{stdout}");
    let comparison: serde_json::Value =
        serde_json::from_str(&ran.read("res/comparison.json")).unwrap();
    assert!(comparison.is_object());
    let tripwires = ran.read("res/tripwires.csv");
    assert!(
        tripwires.starts_with("policy,tripwire,turn,date,probability"),
        "{tripwires}"
    );
    // 4 policies x 4 tripwires x 25 points.
    assert_eq!(tripwires.lines().count(), 1 + 4 * 4 * 25);
    let manifest: serde_json::Value = serde_json::from_str(&ran.read("res/manifest.json")).unwrap();
    assert_eq!(manifest["baseline"], "engage");
}

#[test]
fn compare_runs_auto_stops_at_a_doubling_checkpoint() {
    let ran = Test::new()
        .args([
            "compare",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "auto",
            "--out",
            "res",
        ])
        .run();
    let manifest: serde_json::Value = serde_json::from_str(&ran.read("res/manifest.json")).unwrap();
    let runs = manifest["runs"].as_u64().unwrap();
    assert!(
        [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200].contains(&runs),
        "{runs}"
    );
    assert!(
        ran.stderr()
            .contains(&format!("runs auto: stopped at {runs} runs")),
        "{}",
        ran.stderr()
    );
    let ran = Test::new()
        .args([
            "compare",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "lots",
        ])
        .status(1)
        .run();
    assert!(ran.stderr().contains("give a number of runs or `auto`"));
}
