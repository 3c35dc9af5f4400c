//! The sensitivity folder: `sensitivity_manifest.json`, `sensitivity.json`, `sensitivity.csv`,
//! `flip_map.csv` and `charts/`.
//!
//! As for `entente run`, files are written into a temporary folder beside the target and renamed
//! into place only when all are complete. An existing folder is replaced only with `force`, and
//! only if entente wrote it (it holds an entente `sensitivity_manifest.json`).
//!
//! `sensitivity.csv` is tidy, one row per (method, policy, outcome, input, index):
//!
//! | column | meaning |
//! |---|---|
//! | `method` | `sobol` or `morris` for the indices; `oat` for the one-at-a-time sweep |
//! | `policy` | a policy id, or `top_two_difference` (best minus second best, point by point) |
//! | `outcome` | the focal actor's outcome at the final turn |
//! | `input` | the input's path, as in `sensitivity.json`'s `inputs` |
//! | `index` | `first`, `total` (Sobol'); `mu_star`, `sigma`, `mu` (Morris); `low`, `high` (oat: change from nominal with the input alone at that end) |
//! | `value` | the estimate; empty when undefined (the output does not vary) |
//! | `ci_low`, `ci_high` | 95% percentile bootstrap interval; empty where there is none |
//!
//! `sensitivity.json` and the CSVs depend only on the scenario, the settings and the entente
//! version (not on threads); the manifest records the threads and the command line too.

use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::output::{self, OutputError, csv_err, csv_writer, io_err, write_json};
use crate::scenario::Scenario;
use crate::sensitivity::{
    Analysis, Estimate, Indices, Method, Series, SeriesResult, Target, chart, morris, sobol,
};

/// What the command line knows that the analysis does not.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub command: Vec<String>,
    pub threads: usize,
}

/// The name of the manifest that marks a folder as entente's.
pub const MANIFEST: &str = "sensitivity_manifest.json";

/// Writes the sensitivity folder `dir` atomically.
pub fn write_sensitivity(
    dir: &Path,
    force: bool,
    scenario: &Scenario,
    analysis: &Analysis,
    provenance: &Provenance,
) -> Result<(), OutputError> {
    output::write_folder(
        dir,
        force,
        is_sensitivity_folder,
        |dir| {
            OutputError::Other(format!(
                "`{}` exists and was not written by `entente sensitivity` (no entente `{MANIFEST}`); refusing to replace it",
                dir.display()
            ))
        },
        |tmp| {
            write_all(tmp, scenario, analysis, provenance).and_then(|()| {
                chart::draw_all(&tmp.join("charts"), scenario, analysis)
                    .map(|_| ())
                    .map_err(OutputError::Other)
            })
        },
    )
}

/// Whether `dir` holds a sensitivity manifest written by entente.
pub fn is_sensitivity_folder(dir: &Path) -> bool {
    fs::read_to_string(dir.join(MANIFEST)).is_ok_and(|text| text.contains("\"entente_version\""))
}

/// The rows of `sensitivity.csv`, in file order: every index of every series (series in analysis
/// order, inputs in input order), then the one-at-a-time sweep.
pub fn csv_rows<'a>(scenario: &'a Scenario, analysis: &'a Analysis) -> Vec<CsvRow<'a>> {
    let mut rows = Vec::new();
    let method = analysis.config.method.name();
    for result in &analysis.results {
        let (policy, outcome) = labels(scenario, result.series);
        for (i, input) in analysis.inputs.iter().enumerate() {
            for (index, estimate) in named_estimates(&result.indices, i) {
                rows.push(CsvRow {
                    method,
                    policy,
                    outcome,
                    input: &input.name,
                    index,
                    value: estimate.value,
                    ci_low: estimate.ci.map(|c| c.0),
                    ci_high: estimate.ci.map(|c| c.1),
                });
            }
        }
    }
    for result in &analysis.results {
        let (policy, outcome) = labels(scenario, result.series);
        for (i, input) in analysis.inputs.iter().enumerate() {
            for (index, value) in [
                ("low", result.tornado.low[i]),
                ("high", result.tornado.high[i]),
            ] {
                rows.push(CsvRow {
                    method: "oat",
                    policy,
                    outcome,
                    input: &input.name,
                    index,
                    value: Some(value),
                    ci_low: None,
                    ci_high: None,
                });
            }
        }
    }
    rows
}

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvRow<'a> {
    pub method: &'a str,
    pub policy: &'a str,
    pub outcome: &'a str,
    pub input: &'a str,
    pub index: &'static str,
    pub value: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

#[derive(Debug, Serialize)]
struct ManifestFile<'a> {
    entente_version: &'static str,
    scenario_path: &'a str,
    scenario_sha256: &'a str,
    scenario_name: &'a str,
    method: &'static str,
    samples: usize,
    levels: Option<usize>,
    runs_per_point: usize,
    seed: u64,
    bootstrap: usize,
    params: bool,
    band: Option<f64>,
    design_points: usize,
    points: usize,
    model_runs: u64,
    threads: usize,
    command: &'a [String],
    generator: &'static str,
}

#[derive(Debug, Serialize)]
struct JsonFile<'a> {
    entente_version: &'static str,
    scenario: &'a str,
    scenario_path: &'a str,
    scenario_sha256: &'a str,
    focal: &'a str,
    method: &'static str,
    /// Sobol': base samples n; Morris: trajectories r.
    samples: usize,
    levels: Option<usize>,
    delta: Option<f64>,
    runs_per_point: usize,
    run_seeds: &'a [u64],
    seed: u64,
    bootstrap: usize,
    confidence: f64,
    params: bool,
    band: Option<f64>,
    design_points: usize,
    points: usize,
    model_runs: u64,
    cost: String,
    final_turn: u32,
    final_date: String,
    policies: Vec<PolicyRecord<'a>>,
    top_two: Option<TopTwoRecord<'a>>,
    inputs: Vec<InputRecord<'a>>,
    results: Vec<ResultRecord<'a>>,
    flip_map: Option<FlipRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct PolicyRecord<'a> {
    id: &'a str,
    name: &'a str,
    rank: usize,
    mean_composite: f64,
    nominal_composite: f64,
}

#[derive(Debug, Serialize)]
struct TopTwoRecord<'a> {
    best: &'a str,
    second: &'a str,
    mean_difference: f64,
    second_ahead_share: Option<f64>,
}

#[derive(Debug, Serialize)]
struct InputRecord<'a> {
    name: &'a str,
    low: f64,
    high: f64,
    nominal: f64,
    origin: &'static str,
}

#[derive(Debug, Serialize)]
struct ResultRecord<'a> {
    policy: &'a str,
    outcome: &'a str,
    mean: f64,
    sd: f64,
    nominal: f64,
    indices: Vec<IndexRecord<'a>>,
}

#[derive(Debug, Serialize)]
struct IndexRecord<'a> {
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<EstimateRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<EstimateRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mu_star: Option<EstimateRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sigma: Option<EstimateRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mu: Option<EstimateRecord>,
    oat_low: f64,
    oat_high: f64,
}

#[derive(Debug, Serialize)]
struct EstimateRecord {
    value: Option<f64>,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
}

impl From<&Estimate> for EstimateRecord {
    fn from(e: &Estimate) -> EstimateRecord {
        EstimateRecord {
            value: e.value,
            ci_low: e.ci.map(|c| c.0),
            ci_high: e.ci.map(|c| c.1),
        }
    }
}

#[derive(Debug, Serialize)]
struct FlipRecord<'a> {
    x_input: &'a str,
    y_input: &'a str,
    chosen_by: &'a str,
    grid: usize,
    x_values: &'a [f64],
    y_values: &'a [f64],
    /// `best[iy][ix]`: the best policy's id.
    best: Vec<Vec<&'a str>>,
}

#[derive(Debug, Serialize)]
struct FlipRow<'a> {
    x_input: &'a str,
    x_value: f64,
    y_input: &'a str,
    y_value: f64,
    policy: &'a str,
    composite: f64,
    best: bool,
}

fn write_all(
    dir: &Path,
    scenario: &Scenario,
    analysis: &Analysis,
    provenance: &Provenance,
) -> Result<(), OutputError> {
    let config = &analysis.config;
    let morris = config.method == Method::Morris;
    let band = config.params.then_some(config.band);
    let manifest = ManifestFile {
        entente_version: env!("CARGO_PKG_VERSION"),
        scenario_path: &provenance.scenario_path,
        scenario_sha256: &provenance.scenario_sha256,
        scenario_name: &scenario.name,
        method: config.method.name(),
        samples: config.samples,
        levels: morris.then_some(config.levels),
        runs_per_point: config.runs,
        seed: config.seed,
        bootstrap: config.bootstrap,
        params: config.params,
        band,
        design_points: analysis.design_points,
        points: analysis.points,
        model_runs: analysis.model_runs,
        threads: provenance.threads,
        command: &provenance.command,
        generator: "ChaCha8 (rand 0.10); run seeds run_seed(seed, 0..runs) shared by every design point; design and bootstrap from fixed streams of the seed",
    };
    write_json(&dir.join(MANIFEST), &manifest)?;

    let id = |p: usize| scenario.policies[p].id.as_str();
    let k = analysis.inputs.len();
    let last = scenario.turns;
    let file = JsonFile {
        entente_version: env!("CARGO_PKG_VERSION"),
        scenario: &scenario.name,
        scenario_path: &provenance.scenario_path,
        scenario_sha256: &provenance.scenario_sha256,
        focal: &scenario.actors[scenario.focal].id,
        method: config.method.name(),
        samples: config.samples,
        levels: morris.then_some(config.levels),
        delta: morris.then(|| morris::delta(config.levels)),
        runs_per_point: config.runs,
        run_seeds: &analysis.run_seeds,
        seed: config.seed,
        bootstrap: config.bootstrap,
        confidence: 0.95,
        params: config.params,
        band,
        design_points: analysis.design_points,
        points: analysis.points,
        model_runs: analysis.model_runs,
        cost: match config.method {
            Method::Sobol => format!(
                "N (k + 2) = {} x {} = {} design points; + 2k + 1 = {} one-at-a-time points; + {} flip-map points; each x {} policies x {} runs",
                config.samples,
                k + 2,
                analysis.design_points,
                2 * k + 1,
                analysis.points - analysis.design_points - 2 * k - 1,
                scenario.policies.len(),
                config.runs
            ),
            Method::Morris => format!(
                "r (k + 1) = {} x {} = {} design points; + 2k + 1 = {} one-at-a-time points; + {} flip-map points; each x {} policies x {} runs",
                config.samples,
                k + 1,
                analysis.design_points,
                2 * k + 1,
                analysis.points - analysis.design_points - 2 * k - 1,
                scenario.policies.len(),
                config.runs
            ),
        },
        final_turn: last,
        final_date: scenario.turn_date(last).to_string(),
        policies: scenario
            .policies
            .iter()
            .enumerate()
            .map(|(p, policy)| PolicyRecord {
                id: &policy.id,
                name: &policy.name,
                rank: analysis.ranking.iter().position(|&r| r == p).unwrap_or(p) + 1,
                mean_composite: analysis.policy_means[p],
                nominal_composite: analysis.nominal_composite[p],
            })
            .collect(),
        top_two: analysis.top_two.map(|(best, second)| TopTwoRecord {
            best: id(best),
            second: id(second),
            mean_difference: analysis.policy_means[best] - analysis.policy_means[second],
            second_ahead_share: analysis.flip_share,
        }),
        inputs: analysis
            .inputs
            .iter()
            .map(|i| InputRecord {
                name: &i.name,
                low: i.low,
                high: i.high,
                nominal: i.nominal,
                origin: i.origin.name(),
            })
            .collect(),
        results: analysis
            .results
            .iter()
            .map(|r| result_record(scenario, analysis, r))
            .collect(),
        flip_map: analysis.flip_map.as_ref().map(|map| FlipRecord {
            x_input: &analysis.inputs[map.x].name,
            y_input: &analysis.inputs[map.y].name,
            chosen_by: &map.chosen_by,
            grid: map.x_values.len(),
            x_values: &map.x_values,
            y_values: &map.y_values,
            best: map
                .best
                .chunks(map.x_values.len().max(1))
                .map(|row| row.iter().map(|&p| id(p)).collect())
                .collect(),
        }),
    };
    write_json(&dir.join("sensitivity.json"), &file)?;

    let path = dir.join("sensitivity.csv");
    let mut writer = csv_writer(&path)?;
    for row in csv_rows(scenario, analysis) {
        writer.serialize(row).map_err(|e| csv_err(&path, e))?;
    }
    writer.flush().map_err(io_err(&path))?;

    if let Some(map) = &analysis.flip_map {
        let path = dir.join("flip_map.csv");
        let mut writer = csv_writer(&path)?;
        let g = map.x_values.len();
        for (cell, composites) in map.composite.iter().enumerate() {
            let (ix, iy) = (cell % g, cell / g);
            for (p, &composite) in composites.iter().enumerate() {
                let row = FlipRow {
                    x_input: &analysis.inputs[map.x].name,
                    x_value: map.x_values[ix],
                    y_input: &analysis.inputs[map.y].name,
                    y_value: map.y_values[iy],
                    policy: id(p),
                    composite,
                    best: map.best[cell] == p,
                };
                writer.serialize(row).map_err(|e| csv_err(&path, e))?;
            }
        }
        writer.flush().map_err(io_err(&path))?;
    }
    Ok(())
}

fn result_record<'a>(
    scenario: &'a Scenario,
    analysis: &'a Analysis,
    result: &'a SeriesResult,
) -> ResultRecord<'a> {
    let (policy, outcome) = labels(scenario, result.series);
    let indices = analysis
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let mut record = IndexRecord {
                input: &input.name,
                first: None,
                total: None,
                mu_star: None,
                sigma: None,
                mu: None,
                oat_low: result.tornado.low[i],
                oat_high: result.tornado.high[i],
            };
            match &result.indices {
                Indices::Sobol(all) => {
                    let s: &sobol::SobolIndices = &all[i];
                    record.first = Some((&s.first).into());
                    record.total = Some((&s.total).into());
                }
                Indices::Morris(all) => {
                    let m: &morris::MorrisIndices = &all[i];
                    record.mu_star = Some((&m.mu_star).into());
                    record.sigma = Some((&m.sigma).into());
                    record.mu = Some((&m.mu).into());
                }
            }
            record
        })
        .collect();
    ResultRecord {
        policy,
        outcome,
        mean: result.mean,
        sd: result.sd,
        nominal: result.tornado.nominal,
        indices,
    }
}

/// The `policy` and `outcome` columns of a series.
fn labels(scenario: &Scenario, series: Series) -> (&str, &'static str) {
    let policy = match series.target {
        Target::Policy(p) => scenario.policies[p].id.as_str(),
        Target::TopTwoDifference => "top_two_difference",
    };
    (policy, series.outcome.name())
}

fn named_estimates(indices: &Indices, input: usize) -> Vec<(&'static str, Estimate)> {
    match indices {
        Indices::Sobol(all) => vec![("first", all[input].first), ("total", all[input].total)],
        Indices::Morris(all) => vec![
            ("mu_star", all[input].mu_star),
            ("sigma", all[input].sigma),
            ("mu", all[input].mu),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::{Config, analyse};
    use std::sync::atomic::AtomicBool;

    fn small() -> Scenario {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small.toml");
        crate::scenario::load::load_file(Path::new(path))
            .unwrap()
            .scenario
    }

    /// Analyses the fixture on `threads` threads and writes the folder `dir`.
    fn write_with(dir: &Path, config: &Config, threads: usize) {
        let scenario = small();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let never = AtomicBool::new(false);
        let provenance = Provenance {
            scenario_path: "tests/fixtures/small.toml".into(),
            scenario_sha256: "0".repeat(64),
            command: vec!["entente".into(), "sensitivity".into()],
            threads,
        };
        pool.install(|| {
            let analysis = analyse(&scenario, config, &|_| {}, &never)
                .unwrap()
                .unwrap();
            write_sensitivity(dir, false, &scenario, &analysis, &provenance).unwrap();
        });
    }

    #[test]
    fn the_files_are_identical_whatever_the_threads() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(Method::Sobol, 5);
        config.samples = 6;
        config.runs = 1;
        config.grid = 4;
        config.outcomes = vec![crate::scenario::Outcome::Composite];
        write_with(&dir.path().join("a"), &config, 1);
        write_with(&dir.path().join("b"), &config, 2);
        for file in [
            "sensitivity.json",
            "sensitivity.csv",
            "flip_map.csv",
            "charts/flip_map.svg",
            "charts/sobol_composite.svg",
        ] {
            let left = fs::read(dir.path().join("a").join(file)).unwrap();
            let right = fs::read(dir.path().join("b").join(file)).unwrap();
            assert!(left == right, "{file} differs between 1 and 2 threads");
        }
        let json: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(dir.path().join("a/sensitivity.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(json["method"], "sobol");
        assert_eq!(json["samples"], 6);
        assert_eq!(json["seed"], 5);
        assert_eq!(json["design_points"], 6 * 7);
        let manifest: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.path().join("b").join(MANIFEST)).unwrap())
                .unwrap();
        assert_eq!(manifest["threads"], 2);
        assert!(is_sensitivity_folder(&dir.path().join("b")));
        // Nothing is left of the temporary folders.
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn the_csv_is_tidy() {
        let scenario = small();
        let mut config = Config::new(Method::Morris, 2);
        config.samples = 3;
        config.runs = 1;
        config.grid = 2;
        config.outcomes = vec![crate::scenario::Outcome::Security];
        let never = AtomicBool::new(false);
        let analysis = analyse(&scenario, &config, &|_| {}, &never)
            .unwrap()
            .unwrap();
        let rows = csv_rows(&scenario, &analysis);
        // 4 policies' security, and the top-two difference of the composite and of security;
        // 5 inputs; morris: mu_star, sigma, mu; oat: low, high.
        assert_eq!(rows.len(), 6 * 5 * (3 + 2));
        assert!(
            rows.iter()
                .any(|r| r.method == "morris" && r.policy == "top_two_difference")
        );
        assert!(rows.iter().any(|r| r.method == "oat" && r.index == "high"));
        assert!(
            rows.iter()
                .filter(|r| r.policy != "top_two_difference")
                .all(|r| r.outcome == "security")
        );
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(&rows[0]).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert!(text.starts_with("method,policy,outcome,input,index,value,ci_low,ci_high\n"));
    }
}
