//! Charts and the analyst brief: every chart is drawn as a non-blank PNG and an SVG naming its
//! title and policies, drawing is deterministic, missing optional files are skipped, malformed
//! ones are errors naming file and line, and `report.html` is self-contained (and renders in
//! headless Chromium when it is installed).
//!
//! The results folder comes from the real binary (`entente run`); drawing and the report are
//! called through the library. Drawing is slow in debug builds (PNG encoding), so one folder is
//! drawn once and shared; tests that change files work on copies of it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use entente::chart::{self, ChartOptions};
use entente::report;

use crate::support::{Ran, Test, fixture};

const POLICIES: [&str; 4] = ["wait", "engage", "mediate", "arms"];
const OUTCOMES: [&str; 9] = [
    "composite",
    "prosperity",
    "security",
    "autonomy",
    "standing",
    "stability",
    "tension",
    "threat",
    "crisis",
];

/// Runs the small fixture into `res/` of a fresh temporary folder.
fn results() -> (Ran, PathBuf) {
    let ran = Test::new()
        .args([
            "run",
            fixture("small.toml").to_str().unwrap(),
            "--runs",
            "30",
            "--out",
            "res",
        ])
        .run();
    let dir = ran.path("res");
    (ran, dir)
}

/// The small fixture's results, drawn once for all tests (under the target folder).
struct Shared {
    dir: PathBuf,
    written: Vec<PathBuf>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (_ran, res) = results();
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        remove_stale_shared(&tmp);
        let dir = tmp.join(format!("charts-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        copy_dir(&res, &dir);
        let written = chart::draw_all(&dir).expect("charts drawn");
        Shared { dir, written }
    })
}

/// Removes shared folders left by earlier test processes that are no longer running (where
/// `/proc` tells).
fn remove_stale_shared(tmp: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("charts-") {
            if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A fresh copy of the shared, drawn folder: `(guard, folder)`.
fn copy_of_shared() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("res");
    copy_dir(&shared().dir, &dir);
    (temp, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Stems of the charts a results folder should give, with a fragment of each title and whether
/// the chart shows every policy (or only the one chosen, the baseline by default).
fn expected(dir: &Path) -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = OUTCOMES
        .iter()
        .map(|o| {
            let title = if *o == "crisis" {
                "Crisis so far, by policy".to_string()
            } else {
                let mut t = o.to_string();
                t[..1].make_ascii_uppercase();
                format!("{t} over time, by policy")
            };
            (format!("outcome_{o}"), title, true)
        })
        .collect();
    out.push(("finals".into(), "Final outcomes by policy".into(), true));
    if dir.join("comparison.json").is_file() {
        out.push((
            "differences".into(),
            "Difference from the baseline".into(),
            true,
        ));
        out.push((
            "p_best".into(),
            "Probability of being the best policy".into(),
            true,
        ));
    }
    if dir.join("tripwires.csv").is_file() {
        out.push((
            "tripwires".into(),
            "Tripwires: probability of having been crossed".into(),
            true,
        ));
    }
    out.push((
        "alignment".into(),
        "Alignment of the actors over time".into(),
        false,
    ));
    out.push((
        "affinity_start".into(),
        "Affinity between actors at the start".into(),
        false,
    ));
    out.push((
        "affinity_end".into(),
        "Affinity between actors at the end".into(),
        false,
    ));
    out.push(("trade".into(), "Trade of AAA by partner".into(), true));
    out
}

/// Share of pixels that differ from the white background.
fn ink_share(png: &Path) -> f64 {
    let image = image::open(png)
        .unwrap_or_else(|e| panic!("decode {}: {e}", png.display()))
        .to_rgb8();
    let total = (image.width() * image.height()) as f64;
    let inked = image.pixels().filter(|p| p.0 != [255, 255, 255]).count() as f64;
    inked / total
}

#[test]
fn every_chart_is_a_non_blank_png_and_an_svg_naming_its_title_and_policies() {
    let Shared { dir, written } = shared();
    let charts = dir.join("charts");
    let expected = expected(dir);
    assert_eq!(written.len(), 2 * expected.len(), "{written:#?}");
    for (stem, title, all_policies) in &expected {
        let png = charts.join(format!("{stem}.png"));
        let svg = charts.join(format!("{stem}.svg"));
        assert!(written.contains(&png) && written.contains(&svg), "{stem}");

        let (w, h) = image::image_dimensions(&png).unwrap();
        assert!(w >= 900 && h >= 400, "{stem}: {w}x{h}");
        let ink = ink_share(&png);
        assert!(ink > 0.03, "{stem}.png is nearly blank ({ink:.3} inked)");

        let text = fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg"), "{stem}.svg");
        assert!(text.contains(title.as_str()), "{stem}.svg lacks `{title}`");
        assert!(
            text.contains("font-family=\"DejaVu Sans, Verdana, sans-serif\""),
            "{stem}.svg font"
        );
        let named: &[&str] = if *all_policies { &POLICIES } else { &["wait"] };
        for policy in named {
            assert!(text.contains(policy), "{stem}.svg lacks policy `{policy}`");
        }
    }
    // No temporary files are left behind.
    for entry in fs::read_dir(&charts).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "left over: {name}");
    }
}

#[test]
fn the_same_results_folder_gives_byte_identical_charts() {
    let shared = shared();
    let (_guard, dir) = copy_of_shared();
    fs::remove_dir_all(dir.join("charts")).unwrap();
    let again = chart::draw_all(&dir).unwrap();
    assert_eq!(again.len(), shared.written.len());
    for (first, second) in shared.written.iter().zip(&again) {
        assert_eq!(first.file_name(), second.file_name());
        assert!(
            fs::read(first).unwrap() == fs::read(second).unwrap(),
            "{} differs between two drawings",
            second.display()
        );
    }
}

#[test]
fn charts_that_need_the_comparison_are_skipped_without_it() {
    let (_guard, dir) = copy_of_shared();
    for file in ["comparison.json", "comparison.csv", "tripwires.csv"] {
        let _ = fs::remove_file(dir.join(file));
    }
    let written = chart::draw_all(&dir).expect("charts drawn without the comparison");
    let charts = dir.join("charts");
    for stem in ["differences", "p_best", "tripwires"] {
        for ext in ["png", "svg"] {
            let path = charts.join(format!("{stem}.{ext}"));
            assert!(!written.contains(&path));
            assert!(!path.exists(), "stale {stem}.{ext} kept");
        }
    }
    assert!(charts.join("outcome_composite.svg").is_file());
    assert_eq!(written.len(), 2 * expected(&dir).len());
}

#[test]
fn a_malformed_results_file_is_an_error_naming_the_file_and_line() {
    let (_guard, dir) = copy_of_shared();
    let path = dir.join("timeseries.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    fields[4] = "oops".into();
    lines[2] = fields.join(",");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let error = chart::draw_all(&dir).unwrap_err().to_string();
    assert!(error.contains("timeseries.csv"), "{error}");
    assert!(error.contains("line 3"), "{error}");

    fs::write(dir.join("summary.json"), "{ \"policies\": [ }").unwrap();
    fs::write(&path, text).unwrap();
    let error = chart::draw_all(&dir).unwrap_err().to_string();
    assert!(
        error.contains("summary.json") && error.contains("line 1"),
        "{error}"
    );

    fs::remove_file(dir.join("manifest.json")).unwrap();
    let error = chart::draw_all(&dir).unwrap_err().to_string();
    assert!(error.contains("manifest.json"), "{error}");
    let error = report::write_report(&dir).unwrap_err().to_string();
    assert!(error.contains("manifest.json"), "{error}");
}

#[test]
fn the_alignment_map_and_heat_maps_can_show_another_policy() {
    let (_guard, dir) = copy_of_shared();
    let options = ChartOptions {
        policy: Some("engage".into()),
    };
    chart::draw_all_with(&dir, &options).unwrap();
    for stem in ["alignment", "affinity_start", "affinity_end"] {
        let svg = fs::read_to_string(dir.join(format!("charts/{stem}.svg"))).unwrap();
        assert!(svg.contains("under `engage`"), "{stem}");
    }
    let options = ChartOptions {
        policy: Some("engag".into()),
    };
    let error = chart::draw_all_with(&dir, &options)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`engag`") && error.contains("wait, engage, mediate, arms"),
        "{error}"
    );
}

/// The report with what it must not hold: external URLs (outside SVG namespace declarations),
/// scripts, links, images.
fn assert_self_contained(html: &str) {
    let without_namespaces = html
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace("xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "");
    for forbidden in [
        "http://", "https://", "<script", "<link", "<img", "<iframe", "src=", "@import", "url(",
    ] {
        assert!(
            !without_namespaces.contains(forbidden),
            "report holds `{forbidden}`"
        );
    }
}

/// `entente run` writes the report inside a hidden temporary folder that is then renamed: the
/// report must name the folder the user asked for, not the temporary one.
#[test]
fn the_report_names_the_final_results_folder() {
    let (_ran, dir) = results();
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("from the results folder <code>res</code>"),
        "the footer should name `res`"
    );
    assert!(
        !html.contains(".partial-"),
        "a temporary folder name leaked"
    );
}

#[test]
fn the_report_is_one_self_contained_file() {
    let (_guard, dir) = copy_of_shared();
    let path = report::write_report(&dir).expect("report written");
    assert_eq!(path, dir.join("report.html"));
    let html = fs::read_to_string(&path).unwrap();
    assert_self_contained(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>Small test scenario</title>"));
    assert!(html.contains("Should Alpha engage Beta or mediate?"));
    // The charts are inlined: one <svg> per SVG file.
    let svgs = fs::read_dir(dir.join("charts"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();
    assert_eq!(html.matches("<svg").count(), svgs);
    for policy in POLICIES {
        assert!(html.contains(&format!("<code>{policy}</code>")), "{policy}");
    }
    for section in [
        "id=\"ranking\"",
        "id=\"comparison\"",
        "id=\"tripwires\"",
        "id=\"assumptions\"",
        "id=\"caveats\"",
        "id=\"reproduce\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
    // Ranking with intervals, the comparison, and the tripwires with their names.
    assert!(html.contains("Composite − baseline"));
    assert!(html.contains("P(best)"));
    assert!(html.contains("A crisis in the strait"));
    // Assumptions: a sourced range (Gamma's GDP, 20 to 40 bn) and a model parameter's note.
    assert!(html.contains("CCC (Gamma)"));
    assert!(html.contains("USD 20.0 bn to USD 40.0 bn"));
    assert!(html.contains("trade_noise"));
    assert!(html.contains("test range"));
    // The caveats and the manifest.
    assert!(html.contains("No war"));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(html.contains(manifest["scenario_sha256"].as_str().unwrap()));
    // Writing again gives the same file.
    report::write_report(&dir).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), html);
}

#[test]
fn the_report_survives_a_missing_scenario_file_and_comparison() {
    let (_guard, dir) = copy_of_shared();
    let manifest_path = dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["scenario_path"] = "gone/nowhere.toml".into();
    fs::write(&manifest_path, manifest.to_string()).unwrap();
    for file in ["comparison.json", "comparison.csv", "tripwires.csv"] {
        let _ = fs::remove_file(dir.join(file));
    }
    let html = fs::read_to_string(report::write_report(&dir).unwrap()).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("<title>Small test scenario</title>"));
    assert!(html.contains("was not found"));
    assert!(html.contains("no <code>comparison.json</code>"));
}

/// Chromium on PATH or at /usr/bin/chromium.
fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("chromium"))
            .find(|p| p.is_file())
    })
}

/// Runs headless Chromium on `url` with `extra` arguments, killing it after two minutes; returns
/// its standard output.
fn headless(chromium: &Path, url: &str, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out.reopen().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    fs::read_to_string(out.path()).unwrap_or_default()
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!("chromium not found: skipped the report rendering check");
        return;
    };
    let (_guard, dir) = copy_of_shared();
    let report = report::write_report(&dir).unwrap();
    let url = format!("file://{}", report.canonicalize().unwrap().display());
    let shots = tempfile::tempdir().unwrap();
    let shot = shots.path().join("report.png");
    headless(
        &chromium,
        &url,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2000".into(),
        ],
    );
    assert!(shot.is_file(), "no screenshot");
    let ink = ink_share(&shot);
    assert!(
        ink > 0.02,
        "the rendered report looks blank ({ink:.3} inked)"
    );
    let dom = headless(&chromium, &url, &["--dump-dom".into()]);
    assert!(
        dom.contains("<title>Small test scenario</title>"),
        "title not in the DOM:\n{}",
        &dom[..dom.len().min(500)]
    );
    assert!(dom.contains("<svg"), "no chart in the DOM");
}
