//! `entente sensitivity` end to end: the files, the inputs listed, and the error without ranges.

use crate::support::{Test, fixture};

#[test]
fn sensitivity_writes_its_files_and_lists_the_fixture_ranges() {
    let ran = Test::new()
        .args([
            "sensitivity",
            fixture("small.toml").to_str().unwrap(),
            "--samples",
            "4",
            "--runs",
            "1",
            "--out",
            "sens",
        ])
        .run();
    for file in [
        "sensitivity.json",
        "sensitivity.csv",
        "flip_map.csv",
        "sensitivity_manifest.json",
        "charts/tornado_composite.png",
        "charts/tornado_composite.svg",
        "charts/tornado_top_two_difference.svg",
        "charts/morris_composite.svg",
        "charts/morris_top_two_difference.svg",
        "charts/flip_map.png",
        "charts/flip_map.svg",
    ] {
        assert!(
            ran.path(&format!("sens/{file}")).is_file(),
            "{file} missing"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&ran.read("sens/sensitivity.json")).unwrap();
    let inputs: Vec<(String, f64, f64)> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_string(),
                i["low"].as_f64().unwrap(),
                i["high"].as_f64().unwrap(),
            )
        })
        .collect();
    // Exactly the ranges written in tests/fixtures/small.toml.
    assert_eq!(
        inputs,
        [
            ("model.trade_noise".to_string(), 0.005, 0.02),
            ("actors[CCC].gdp".to_string(), 2e10, 4e10),
            ("relations[AAA-CCC].affinity".to_string(), -0.1, 0.2),
            ("treaties[bc_pact].credibility".to_string(), 0.2, 0.6),
            ("theatres[strait].initial_tension".to_string(), 0.4, 0.7),
        ]
    );
    assert_eq!(json["method"], "morris");
    assert_eq!(json["samples"], 4);
    assert_eq!(json["seed"], 7);
    let stdout = ran.stdout();
    assert!(stdout.contains("5 uncertain inputs"), "{stdout}");
    assert!(stdout.contains("top-two difference"), "{stdout}");
}

#[test]
fn sensitivity_replaces_only_its_own_folder_and_checks_names() {
    let test = Test::new();
    std::fs::create_dir(test.dir().join("mine")).unwrap();
    let small = fixture("small.toml");
    let ran = test
        .args([
            "sensitivity",
            small.to_str().unwrap(),
            "--out",
            "mine",
            "--force",
        ])
        .status(1)
        .run();
    assert!(
        ran.stderr().contains("refusing to replace it"),
        "{}",
        ran.stderr()
    );
    let ran = Test::new()
        .args([
            "sensitivity",
            small.to_str().unwrap(),
            "--outcome",
            "securty",
        ])
        .status(1)
        .run();
    assert!(
        ran.stderr().contains("did you mean `security`?"),
        "{}",
        ran.stderr()
    );
}

#[test]
fn sensitivity_without_ranges_says_so() {
    let test = Test::new();
    let text = std::fs::read_to_string(fixture("small.toml"))
        .unwrap()
        .replace(
            "trade_noise = { low = 0.005, high = 0.02, note = \"test range\" }",
            "",
        )
        .replace(
            "gdp = { low = 2e10, high = 4e10, source = \"test\" }",
            "gdp = { value = 3e10, source = \"test\" }",
        )
        .replace("affinity = { low = -0.1, high = 0.2 }", "affinity = 0.05")
        .replace(
            "credibility = { low = 0.2, high = 0.6 }",
            "credibility = 0.4",
        )
        .replace(
            "initial_tension = { low = 0.4, high = 0.7 }",
            "initial_tension = 0.5",
        );
    std::fs::write(test.dir().join("points.toml"), text).unwrap();
    let ran = test
        .args(["sensitivity", "points.toml", "--out", "sens"])
        .status(1)
        .run();
    assert_eq!(
        ran.stderr().trim(),
        "error: the scenario has no ranges; give some numbers as `low`/`high` or pass `--params`"
    );
    assert!(!ran.path("sens").exists());
}

#[test]
fn the_brief_shows_the_sensitivity_analysis_beside_it() {
    let ran = Test::new()
        .args([
            "sensitivity",
            fixture("small.toml").to_str().unwrap(),
            "--samples",
            "4",
            "--runs",
            "1",
            "--out",
            "res-sensitivity",
        ])
        .run();
    let dir = ran.dir.path().to_path_buf();
    let output = assert_cmd::Command::cargo_bin("entente")
        .unwrap()
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "10",
            "--out",
            "res",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = std::fs::read_to_string(dir.join("res/report.html")).unwrap();
    assert!(report.contains("Which assumptions drive the answer"));
    assert!(report.contains("Best option over the two most influential inputs"));
    assert!(!report.contains("http://") && !report.contains("https://"));
}
