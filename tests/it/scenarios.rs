//! Every shipped scenario validates without errors and runs.

use crate::support::{Test, root};

fn shipped() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_validates_without_warnings_and_runs() {
    let files = shipped();
    assert!(!files.is_empty(), "no scenario in scenarios/");
    for file in files {
        let path = file.to_str().unwrap();
        let ran = Test::new().args(["validate", path]).run();
        assert!(
            ran.stdout().contains("; 0 warnings)"),
            "{path} has warnings:\n{}",
            ran.stderr()
        );
        let ran = Test::new()
            .args(["run", path, "--runs", "8", "--out", "res"])
            .run();
        assert!(ran.path("res/summary.json").is_file());
        assert!(
            !ran.read("res/runs.csv").contains("NaN"),
            "{path} produced NaN"
        );
    }
}
