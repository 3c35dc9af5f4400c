//! Reliability: no input makes entente panic; limits give one precise message and exit 1; an
//! interrupted or killed run leaves no finished-looking folder; `entente rerun` reproduces a run.
//!
//! Fuzzing campaign: the two proptest fuzzers below (`loader_survives_arbitrary_bytes`,
//! `loader_and_engine_survive_mutations`) run 256 cases each in `cargo test`. For a long campaign,
//! build once and run them with a huge case count under a time limit, e.g.
//! `cargo test --release --test it --no-run` then
//! `ENTENTE_FUZZ_CASES=100000000 timeout 600 target/release/deps/it-<hash> loader_`:
//! exit 124 (the timeout) means no panic was found; a panic prints the minimal failing input, to
//! be saved in `tests/corpus/`.

use std::io::Write as _;
use std::time::{Duration, Instant};

use entente::scenario::load::load_str;
use proptest::prelude::*;

use crate::support::{Test, fixture, root};

/// Validates `text` written to a file and returns stderr, expecting exit 1.
#[track_caller]
fn invalid(text: &[u8]) -> String {
    let test = Test::new();
    std::fs::write(test.dir().join("s.toml"), text).unwrap();
    let started = Instant::now();
    let ran = test.args(["validate", "s.toml"]).status(1).run();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "validation took {:?}",
        started.elapsed()
    );
    ran.stderr()
}

fn small_with(replace: &str, by: &str) -> String {
    let text = std::fs::read_to_string(fixture("small.toml")).unwrap();
    assert!(text.contains(replace), "{replace}");
    text.replacen(replace, by, 1)
}

#[test]
fn absurd_turns_in_the_file() {
    let stderr = invalid(small_with("turns = 24", "turns = 10000000").as_bytes());
    assert!(
        stderr.contains("error: `simulation.turns` is 10000000\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: it must lie in [1, 1200]"),
        "{stderr}"
    );
}

#[test]
fn absurd_runs_in_the_file_and_on_the_command_line() {
    let stderr = invalid(small_with("runs = 50", "runs = 1000000000").as_bytes());
    assert!(
        stderr.contains("error: `simulation.runs` is 1000000000"),
        "{stderr}"
    );
    let ran = Test::new()
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "1000000000",
        ])
        .status(1)
        .run();
    assert!(
        ran.stderr()
            .contains("error: `--runs` is 1000000000; it must lie in [1, 1000000]"),
        "{}",
        ran.stderr()
    );
}

#[test]
fn exact_runs_beyond_memory_are_refused_before_running() {
    let korea = root().join("scenarios/korea_pact_2024.toml");
    let ran = Test::new()
        .args([
            "run",
            korea.to_str().unwrap(),
            "--runs",
            "1000000",
            "--exact-runs",
            "1000000",
            "--out",
            "res",
        ])
        .status(1)
        .run();
    let stderr = ran.stderr();
    assert!(
        stderr.contains("GiB of memory; the limit is 8 GiB")
            && stderr.contains("keep fewer exact runs (`--exact-runs`)"),
        "{stderr}"
    );
    assert!(!ran.path("res").exists());
}

#[test]
fn too_many_actors() {
    let mut text = String::from(
        "[simulation]\nname = \"big\"\nstart = 2024-01-01\nturns = 2\nfocal = \"A0\"\n",
    );
    for i in 0..1_000 {
        text += &format!(
            "[[actors]]\nid = \"A{i}\"\nname = \"a\"\ngdp = 1\ncapability = 1\nposition = 0\n"
        );
    }
    let stderr = invalid(text.as_bytes());
    assert!(
        stderr.contains("error: 1000 actors; the limit is 500"),
        "{stderr}"
    );
}

#[test]
fn huge_file() {
    let mut text = small_with("", "");
    text += &"# padding padding padding padding padding padding padding padding\n".repeat(300_000);
    let stderr = invalid(text.as_bytes());
    assert!(
        stderr.contains("bytes; scenario files are limited to 16777216 bytes"),
        "{stderr}"
    );
}

#[test]
fn nan_infinity_and_overflow() {
    let stderr = invalid(
        small_with(
            "capability = { value = 20, source = \"test\" }",
            "capability = { value = nan, source = \"test\" }",
        )
        .as_bytes(),
    );
    assert!(
        stderr.contains("error: `actors[0].capability` is NaN"),
        "{stderr}"
    );
    let stderr = invalid(
        small_with(
            "position = { value = 1.0, source = \"test\" }",
            "position = { value = -inf, source = \"test\" }",
        )
        .as_bytes(),
    );
    assert!(
        stderr.contains("error: `actors[1].position` is infinite"),
        "{stderr}"
    );
    let stderr = invalid(small_with("turns = 24", "turns = 99999999999999999999999").as_bytes());
    assert!(
        stderr.contains("error: integer `99999999999999999999999` is too large\n  --> s.toml:7:9"),
        "{stderr}"
    );
}

#[test]
fn not_utf8_and_nesting() {
    let stderr = invalid(b"[simulation]\nname = \"\xff\"\n");
    assert!(
        stderr.contains("is not UTF-8 text (invalid byte at offset 21)"),
        "{stderr}"
    );
    let deep = format!("a = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let stderr = invalid(deep.as_bytes());
    assert!(stderr.contains("max recursion depth"), "{stderr}");
}

#[test]
fn empty_policies() {
    // `policies = []` at the top level: the section is written but holds no option.
    let text = "policies = []\n[simulation]\nname = \"x\"\nstart = 2024-01-01\nturns = 2\nfocal = \"A\"\n[[actors]]\nid = \"A\"\nname = \"a\"\ngdp = 1\ncapability = 1\nposition = 0\n";
    let stderr = invalid(text.as_bytes());
    assert!(stderr.contains("error: `policies` is empty"), "{stderr}");
}

#[test]
fn no_policies() {
    let text = small_with(
        "[[policies]]\nid = \"wait\"",
        "[[not_policies]]\nid = \"wait\"",
    );
    let stderr = invalid(text.as_bytes());
    assert!(
        stderr.contains("unknown section `not_policies`"),
        "{stderr}"
    );
}

#[test]
fn regression_corpus_never_panics() {
    let dir = root().join("tests/corpus");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let _ = load_str(&text);
        let output = assert_cmd::Command::cargo_bin("entente")
            .unwrap()
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", path.display());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("error"),
            "{}",
            path.display()
        );
        count += 1;
    }
    assert!(count >= 5);
}

fn fuzz_cases() -> u32 {
    std::env::var("ENTENTE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// One random edit of a valid scenario: delete, duplicate or replace a line, or flip a byte.
fn mutate(base: &str, edits: &[(u8, usize, u8)]) -> String {
    let mut lines: Vec<String> = base.lines().map(str::to_string).collect();
    for &(kind, at, byte) in edits {
        if lines.is_empty() {
            break;
        }
        let at = at % lines.len();
        match kind % 5 {
            0 => {
                lines.remove(at);
            }
            1 => {
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            2 => lines[at] = String::from_utf8_lossy(&[byte; 3]).into_owned(),
            3 => {
                let mut bytes = lines[at].clone().into_bytes();
                if !bytes.is_empty() {
                    let k = byte as usize % bytes.len();
                    bytes[k] = byte;
                }
                lines[at] = String::from_utf8_lossy(&bytes).into_owned();
            }
            _ => {
                let numbers = [
                    "nan",
                    "inf",
                    "-inf",
                    "1e308",
                    "-1",
                    "0",
                    "99999999999999999999",
                    "\"x\"",
                    "[]",
                    "{}",
                ];
                if let Some(eq) = lines[at].find('=') {
                    lines[at] = format!(
                        "{}= {}",
                        &lines[at][..eq],
                        numbers[byte as usize % numbers.len()]
                    );
                }
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), ..ProptestConfig::default() })]

    /// Arbitrary bytes never make the loader panic.
    #[test]
    fn loader_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = load_str(&text);
    }

    /// Mutated valid scenarios never make the loader or a short run panic.
    #[test]
    fn loader_and_engine_survive_mutations(edits in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6), seed in any::<u64>()) {
        let base = std::fs::read_to_string(fixture("small.toml")).unwrap();
        let text = mutate(&base, &edits);
        if let Ok(loaded) = load_str(&text) {
            let scenario = loaded.scenario.sample(&mut entente::rng::sample_rng(seed));
            for policy in 0..scenario.policies.len() {
                let trajectory = entente::engine::run(&scenario, entente::engine::RunSpec { policy, run_seed: seed });
                prop_assert!(trajectory.values.iter().all(|v| v.is_finite()));
            }
        }
    }
}

fn spawn_long_run(dir: &std::path::Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("entente"))
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "60000",
            "--out",
            "res",
            "--threads",
            "1",
        ])
        .current_dir(dir)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn interrupted_run_stops_promptly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_long_run(dir.path());
    std::thread::sleep(Duration::from_millis(700));
    signal(&child, "INT");
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("interrupted: no results were written"),
        "{stderr}"
    );
    assert!(!dir.path().join("res").exists());
}

#[test]
fn killed_run_leaves_no_finished_looking_folder() {
    let dir = tempfile::tempdir().unwrap();
    let child = spawn_long_run(dir.path());
    std::thread::sleep(Duration::from_millis(700));
    signal(&child, "KILL");
    let _ = child.wait_with_output().unwrap();
    assert!(!dir.path().join("res").exists(), "a killed run left `res`");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.starts_with('.'), "unexpected visible entry {name}");
    }
}

#[test]
fn rerun_reproduces_a_saved_run_byte_for_byte() {
    let test = Test::new();
    std::fs::copy(fixture("small.toml"), test.dir().join("small.toml")).unwrap();
    let ran = test
        .args([
            "run",
            "small.toml",
            "--runs",
            "25",
            "--out",
            "res",
            "--threads",
            "2",
        ])
        .run();
    let dir = ran.dir.path().to_path_buf();
    let output = assert_cmd::Command::cargo_bin("entente")
        .unwrap()
        .args(["rerun", "res", "--threads", "1"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("reproduced:"));
    for file in entente::cli::REPRODUCIBLE_FILES {
        assert_eq!(
            std::fs::read(dir.join("res").join(file)).unwrap(),
            std::fs::read(dir.join("res-rerun").join(file)).unwrap(),
            "{file}"
        );
    }
    // A changed scenario is detected.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("small.toml"))
        .unwrap();
    writeln!(file, "# edited").unwrap();
    let output = assert_cmd::Command::cargo_bin("entente")
        .unwrap()
        .args(["rerun", "res", "--force"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("changed since the run"));
}
