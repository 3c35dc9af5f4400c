//! Broken fixtures give exactly the expected diagnostics (`tests/fixtures/*.stderr`), and every
//! problem of a file is reported in one pass.

use crate::support::{Test, fixture};

/// Runs `entente validate` on `name.toml` from the fixtures folder (as a relative path, so the
/// messages are stable) and compares stderr with `name.stderr`.
#[track_caller]
fn check(name: &str) {
    let test = Test::new();
    std::fs::copy(
        fixture(&format!("{name}.toml")),
        test.dir().join(format!("{name}.toml")),
    )
    .unwrap();
    let ran = test
        .args(["validate", &format!("{name}.toml")])
        .status(1)
        .run();
    let actual = ran.stderr();
    if std::env::var_os("ENTENTE_BLESS").is_some() {
        std::fs::write(fixture(&format!("{name}.stderr")), &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(fixture(&format!("{name}.stderr"))).unwrap();
    assert_eq!(
        actual, expected,
        "diagnostics of {name}.toml changed (ENTENTE_BLESS=1 rewrites them)"
    );
}

#[test]
fn four_mistakes_are_all_reported() {
    // A misspelt key, an unknown actor, a wrong type and a NaN, in one file.
    check("four_mistakes");
}

#[test]
fn ten_different_mistakes_in_one_run() {
    // Unknown key, NaN, low > high, duplicate id, empty bloc, unknown actor, wrong type, event
    // outside the period, unknown theatre with a suggestion, unknown action target, zero weights.
    check("ten_mistakes");
    let expected = std::fs::read_to_string(fixture("ten_mistakes.stderr")).unwrap();
    let errors = expected
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains("failed validation"))
        .count();
    assert!(errors >= 10, "{errors} errors:\n{expected}");
}

#[test]
fn semantic_mistakes_are_all_reported() {
    check("semantic_mistakes");
}

#[test]
fn syntax_error_is_located() {
    check("syntax_error");
}

#[test]
fn valid_fixture_passes() {
    let ran = Test::new()
        .args(["validate", fixture("small.toml").to_str().unwrap()])
        .run();
    assert!(
        ran.stdout().contains("ok (4 actors, 4 policies, 24 turns"),
        "{}",
        ran.stdout()
    );
}
