//! Sensitivity analysis: which assumptions drive the answer.
//!
//! [`analyse`] varies every uncertain input of a scenario (each `low`/`high` range, and with
//! `--params` each model parameter over a band; [`inputs`]) over a design in the unit hypercube,
//! runs every policy at each design point, and attributes the spread of the focal actor's
//! final-turn outcomes to the inputs, for each policy and for the paired difference between the
//! two best policies (which assumptions could flip the recommendation):
//!
//! * [`Method::Morris`]: elementary effects on trajectories ([`morris`]): mu, mu*, sigma. A cheap
//!   screen: `r · (k + 1)` design points for `k` inputs.
//! * [`Method::Sobol`]: first-order and total Sobol' indices with bootstrap intervals
//!   ([`sobol`]): `n · (k + 2)` design points.
//!
//! Both add a one-at-a-time sweep (each input at its low and high end, the others at nominal: the
//! tornado) and a flip map (the best policy over a grid of the two inputs that most move the
//! top-two difference). `docs/sensitivity.md` describes the methods and their limits.
//!
//! **Evaluation.** A design point sets every input to its value (a scenario with no ranges left;
//! [`inputs::at_point`]) and runs each policy for `runs` Monte-Carlo runs with the run seeds
//! `rng::run_seed(seed, 0..runs)`, the same seeds at every point (common random numbers), so
//! differences between points come from the inputs, not from the noise. The outcome of a point is
//! the mean over those runs at the final turn.
//!
//! **Determinism.** The design and the bootstrap resamples are drawn from fixed seeds; points are
//! evaluated in parallel and collected in order, and every reduction is sequential, so the results
//! do not depend on the number of threads.

pub mod chart;
pub mod inputs;
pub mod morris;
pub mod output;
pub mod sobol;

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::diagnostic::suggest;
use crate::engine::{self, Workspace};
use crate::rng;
use crate::scenario::{Outcome, Scenario};
pub use inputs::{Input, Origin};
pub use morris::MorrisIndices;
pub use sobol::{Estimate, SobolIndices};

/// Which indices to estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Morris,
    Sobol,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Morris => "morris",
            Method::Sobol => "sobol",
        }
    }
}

/// Default number of Sobol' base samples `n`.
pub const DEFAULT_SOBOL_SAMPLES: usize = 128;
/// Default number of Morris trajectories `r`.
pub const DEFAULT_MORRIS_TRAJECTORIES: usize = 30;
/// Default number of Morris grid levels `p`.
pub const DEFAULT_LEVELS: usize = 4;
/// Default Monte-Carlo runs per design point.
pub const DEFAULT_RUNS: usize = 2;
/// Default relative band of `--params`: ±25% of the parameter's value.
pub const DEFAULT_BAND: f64 = 0.25;
/// Bootstrap resamples for the intervals.
pub const BOOTSTRAP: usize = 500;
/// Cells per side of the flip map.
pub const FLIP_GRID: usize = 15;
/// Most model runs one analysis may ask for.
pub const MAX_MODEL_RUNS: u64 = 200_000_000;
/// Most bytes of outcomes one analysis may hold in memory.
pub const MEMORY_BUDGET: u64 = 2 * 1024 * 1024 * 1024;

/// What to analyse and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub method: Method,
    /// Sobol' base samples `n`, or Morris trajectories `r`.
    pub samples: usize,
    /// Morris grid levels `p` (even, at least 2).
    pub levels: usize,
    /// Monte-Carlo runs per design point (the same seeds at every point).
    pub runs: usize,
    pub seed: u64,
    /// Bootstrap resamples for the 95% intervals.
    pub bootstrap: usize,
    /// The outcomes to report (every outcome is computed; the top two are chosen on the composite).
    pub outcomes: Vec<Outcome>,
    /// Add every model parameter that is not a range, over `value ± band · |value|`.
    pub params: bool,
    pub band: f64,
    /// Cells per side of the flip map.
    pub grid: usize,
}

impl Config {
    /// The defaults for `method`: every outcome, no parameter bands.
    pub fn new(method: Method, seed: u64) -> Config {
        Config {
            method,
            samples: match method {
                Method::Morris => DEFAULT_MORRIS_TRAJECTORIES,
                Method::Sobol => DEFAULT_SOBOL_SAMPLES,
            },
            levels: DEFAULT_LEVELS,
            runs: DEFAULT_RUNS,
            seed,
            bootstrap: BOOTSTRAP,
            outcomes: Outcome::ALL.to_vec(),
            params: false,
            band: DEFAULT_BAND,
            grid: FLIP_GRID,
        }
    }
}

/// Why an analysis cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SensitivityError {
    #[error("the scenario has no ranges; give some numbers as `low`/`high` or pass `--params`")]
    NoInputs,
    #[error("{0}")]
    Config(String),
    #[error(
        "{points} design points x {policies} policies x {runs} runs = {model_runs} model runs is too many (at most {MAX_MODEL_RUNS}); use fewer samples or runs"
    )]
    TooManyRuns {
        points: u64,
        policies: u64,
        runs: u64,
        model_runs: u64,
    },
    #[error(
        "{points} design points would hold about {gib:.1} GiB of outcomes in memory (at most 2 GiB); use fewer samples"
    )]
    TooMuchMemory { points: u64, gib: f64 },
}

/// Whose outcome a series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A policy, by scenario index.
    Policy(usize),
    /// The best policy's outcome minus the second best's, point by point.
    TopTwoDifference,
}

/// One output analysed: a target's outcome at the final turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    pub target: Target,
    pub outcome: Outcome,
}

/// The indices of every input for one series.
#[derive(Debug, Clone, PartialEq)]
pub enum Indices {
    Sobol(Vec<SobolIndices>),
    Morris(Vec<MorrisIndices>),
}

/// The one-at-a-time sweep of a series: its value at nominal, and the change from it when each
/// input alone is at its low and its high end.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    pub nominal: f64,
    pub low: Vec<f64>,
    pub high: Vec<f64>,
}

/// Everything found for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesResult {
    pub series: Series,
    /// Mean and SD of the series over the design's independent points (Sobol: the rows of A
    /// and B; Morris: every point).
    pub mean: f64,
    pub sd: f64,
    pub indices: Indices,
    pub tornado: Tornado,
}

/// The best policy over a grid of two inputs, the others at nominal.
#[derive(Debug, Clone, PartialEq)]
pub struct FlipMap {
    /// Input indices of the horizontal and vertical axes.
    pub x: usize,
    pub y: usize,
    /// How the two inputs were chosen.
    pub chosen_by: String,
    /// Cell centres in input units.
    pub x_values: Vec<f64>,
    pub y_values: Vec<f64>,
    /// `composite[cell][policy]`, cell = `iy * grid + ix`: mean final composite over the runs.
    pub composite: Vec<Vec<f64>>,
    /// The best policy (scenario index) of each cell; ties go to the lower index.
    pub best: Vec<usize>,
}

/// The result of [`analyse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub config: Config,
    pub inputs: Vec<Input>,
    /// Design points of the method (without the sweep and the flip map).
    pub design_points: usize,
    /// Every point evaluated: design, one-at-a-time sweep and flip map.
    pub points: usize,
    pub model_runs: u64,
    pub run_seeds: Vec<u64>,
    /// Mean final composite of each policy (scenario order) over the design's independent points.
    pub policy_means: Vec<f64>,
    /// Composite of each policy at the nominal point.
    pub nominal_composite: Vec<f64>,
    /// Policies by mean composite, best first (ties: lower index first).
    pub ranking: Vec<usize>,
    /// The best and second-best policies, if there are two.
    pub top_two: Option<(usize, usize)>,
    /// Share of the design's independent points where the second beats the best on the composite.
    pub flip_share: Option<f64>,
    pub results: Vec<SeriesResult>,
    pub flip_map: Option<FlipMap>,
}

impl Analysis {
    /// The result of a series, if it was analysed.
    pub fn result(&self, series: Series) -> Option<&SeriesResult> {
        self.results.iter().find(|r| r.series == series)
    }

    /// The result that the flip map and the summary lead with: the top-two difference of the
    /// composite, else the best policy's composite.
    pub fn lead_series(&self) -> Option<&SeriesResult> {
        self.result(Series {
            target: Target::TopTwoDifference,
            outcome: Outcome::Composite,
        })
        .or_else(|| self.best_composite())
    }

    /// The best policy's composite.
    pub fn best_composite(&self) -> Option<&SeriesResult> {
        self.result(Series {
            target: Target::Policy(*self.ranking.first()?),
            outcome: Outcome::Composite,
        })
    }
}

/// The importance used to rank inputs: total index (Sobol') or mu* (Morris); `None` if undefined.
pub fn importance(indices: &Indices, input: usize) -> Option<f64> {
    match indices {
        Indices::Sobol(all) => all.get(input)?.total.value,
        Indices::Morris(all) => all.get(input)?.mu_star.value,
    }
}

/// Input indices by decreasing importance (undefined last, then by input order).
pub fn ranked_inputs(indices: &Indices, k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        let ia = importance(indices, a).unwrap_or(f64::NEG_INFINITY);
        let ib = importance(indices, b).unwrap_or(f64::NEG_INFINITY);
        ib.total_cmp(&ia).then(a.cmp(&b))
    });
    order
}

/// The outcome called `name`, or a message naming the outcomes (with a suggestion).
pub fn outcome_by_name(name: &str) -> Result<Outcome, String> {
    if let Some(outcome) = Outcome::ALL.iter().find(|o| o.name() == name) {
        return Ok(*outcome);
    }
    let names = Outcome::ALL.iter().map(|o| o.name());
    let help = match suggest(name, names.clone()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!(
            "outcomes are {}",
            names
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(format!("unknown outcome `{name}`\n  = help: {help}"))
}

/// The number of design points of `config` for `k` inputs.
pub fn design_points(config: &Config, k: usize) -> u64 {
    let (samples, k) = (config.samples as u64, k as u64);
    match config.method {
        Method::Sobol => samples.saturating_mul(k + 2),
        Method::Morris => samples.saturating_mul(k + 1),
    }
}

/// What an analysis will cost, before it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub inputs: Vec<Input>,
    /// Design points of the method.
    pub design_points: u64,
    /// Points of the one-at-a-time sweep: `2k + 1`.
    pub oat_points: u64,
    /// Points of the flip map (0 with fewer than two policies or inputs).
    pub flip_points: u64,
    /// Every point times the policies times the runs per point.
    pub model_runs: u64,
}

impl Plan {
    pub fn points(&self) -> u64 {
        self.design_points + self.oat_points + self.flip_points
    }
}

/// Lists the inputs and counts the points and model runs of an analysis; fails on bad settings,
/// on a scenario without inputs, and above [`MAX_MODEL_RUNS`] or [`MEMORY_BUDGET`].
pub fn plan(scenario: &Scenario, config: &Config) -> Result<Plan, SensitivityError> {
    check_config(config)?;
    let list = inputs::inputs(scenario, config.params, config.band);
    let k = list.len();
    if k == 0 {
        return Err(SensitivityError::NoInputs);
    }
    let n_policies = scenario.policies.len();
    let oat_points = 2 * k as u64 + 1;
    let flip_points = if n_policies >= 2 && k >= 2 {
        (config.grid as u64).saturating_mul(config.grid as u64)
    } else {
        0
    };
    let design_count = design_points(config, k);
    let total_points = design_count
        .saturating_add(oat_points)
        .saturating_add(flip_points);
    let model_runs = total_points
        .saturating_mul(n_policies as u64)
        .saturating_mul(config.runs as u64);
    if model_runs > MAX_MODEL_RUNS {
        return Err(SensitivityError::TooManyRuns {
            points: total_points,
            policies: n_policies as u64,
            runs: config.runs as u64,
            model_runs,
        });
    }
    let bytes = total_points
        .saturating_mul((n_policies * N_OUTCOMES) as u64 * 8)
        .saturating_add(design_count.saturating_mul(k as u64 * 8));
    if bytes > MEMORY_BUDGET {
        return Err(SensitivityError::TooMuchMemory {
            points: total_points,
            gib: bytes as f64 / 1024f64.powi(3),
        });
    }
    Ok(Plan {
        inputs: list,
        design_points: design_count,
        oat_points,
        flip_points,
        model_runs,
    })
}

/// Runs the analysis. `progress` is called from any thread with the number of points finished;
/// returns `Ok(None)` soon after `cancel` becomes true.
pub fn analyse(
    scenario: &Scenario,
    config: &Config,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<Option<Analysis>, SensitivityError> {
    let plan = plan(scenario, config)?;
    let base = inputs::lean(scenario);
    let list = plan.inputs;
    let k = list.len();
    let n_policies = scenario.policies.len();
    let design_count = plan.design_points;
    let flip_points = plan.flip_points;

    let evaluator = Evaluator {
        base: &base,
        inputs: &list,
        slot_input: inputs::slot_index(&base, &list),
        run_seeds: (0..config.runs as u64)
            .map(|r| rng::run_seed(config.seed, r))
            .collect(),
        policies: (0..n_policies).collect(),
    };
    let mut design_rng = rng::sample_rng(rng::run_seed(config.seed ^ DESIGN_STREAM, 0));
    enum Design {
        Sobol(sobol::SaltelliDesign),
        Morris(morris::MorrisDesign),
    }
    let design = match config.method {
        Method::Sobol => Design::Sobol(sobol::saltelli_design(config.samples, k, &mut design_rng)),
        Method::Morris => Design::Morris(morris::morris_design(
            config.samples,
            k,
            config.levels,
            &mut design_rng,
        )),
    };
    let mut points: Vec<Vec<f64>> = match &design {
        Design::Sobol(d) => (0..d.rows()).map(|r| d.row(r).to_vec()).collect(),
        Design::Morris(d) => (0..d.rows()).map(|r| d.row(r).to_vec()).collect(),
    };
    let nominal: Vec<f64> = list.iter().map(Input::nominal_unit).collect();
    points.push(nominal.clone());
    for i in 0..k {
        for end in [0.0, 1.0] {
            let mut point = nominal.clone();
            point[i] = end;
            points.push(point);
        }
    }
    let Some(values) = evaluator.evaluate_all(&points, progress, cancel) else {
        return Ok(None);
    };
    let design_count = design_count as usize;

    // Rank policies on the mean composite over the independent points.
    let independent: Vec<usize> = match &design {
        Design::Sobol(d) => d.base_rows().collect(),
        Design::Morris(d) => (0..d.rows()).collect(),
    };
    let composite = outcome_index(Outcome::Composite);
    let policy_means: Vec<f64> = (0..n_policies)
        .map(|p| {
            let column: Vec<f64> = independent
                .iter()
                .map(|&r| values[r][p * N_OUTCOMES + composite])
                .collect();
            crate::stats::mean(&column)
        })
        .collect();
    let mut ranking: Vec<usize> = (0..n_policies).collect();
    ranking.sort_by(|&a, &b| policy_means[b].total_cmp(&policy_means[a]).then(a.cmp(&b)));
    let top_two = (n_policies >= 2).then(|| (ranking[0], ranking[1]));
    let flip_share = top_two.map(|(best, second)| {
        let flips = independent
            .iter()
            .filter(|&&r| {
                values[r][second * N_OUTCOMES + composite]
                    > values[r][best * N_OUTCOMES + composite]
            })
            .count();
        flips as f64 / independent.len().max(1) as f64
    });
    let nominal_composite: Vec<f64> = (0..n_policies)
        .map(|p| values[design_count][p * N_OUTCOMES + composite])
        .collect();

    // Every series: each policy's outcomes, then the top-two difference of each outcome.
    let mut series = Vec::new();
    for p in 0..n_policies {
        for &outcome in &config.outcomes {
            series.push(Series {
                target: Target::Policy(p),
                outcome,
            });
        }
    }
    if top_two.is_some() {
        let mut outcomes = config.outcomes.clone();
        if !outcomes.contains(&Outcome::Composite) {
            outcomes.insert(0, Outcome::Composite);
        }
        for outcome in outcomes {
            series.push(Series {
                target: Target::TopTwoDifference,
                outcome,
            });
        }
    }
    let value_of = |row: &[f64], s: Series| -> f64 {
        let o = outcome_index(s.outcome);
        match (s.target, top_two) {
            (Target::Policy(p), _) => row[p * N_OUTCOMES + o],
            (Target::TopTwoDifference, Some((best, second))) => {
                row[best * N_OUTCOMES + o] - row[second * N_OUTCOMES + o]
            }
            (Target::TopTwoDifference, None) => 0.0,
        }
    };
    let results: Vec<SeriesResult> = series
        .par_iter()
        .map(|&s| {
            let y: Vec<f64> = values[..design_count]
                .iter()
                .map(|row| value_of(row, s))
                .collect();
            let indices = match &design {
                Design::Sobol(d) => Indices::Sobol(sobol::sobol_indices(
                    &y,
                    d.n,
                    k,
                    config.bootstrap,
                    config.seed,
                )),
                Design::Morris(d) => {
                    Indices::Morris(morris::morris_indices(d, &y, config.bootstrap, config.seed))
                }
            };
            let independent_y: Vec<f64> = independent.iter().map(|&r| y[r]).collect();
            let at = |point: usize| value_of(&values[design_count + point], s);
            let nominal = at(0);
            SeriesResult {
                series: s,
                mean: crate::stats::mean(&independent_y),
                sd: crate::stats::sd(&independent_y),
                indices,
                tornado: Tornado {
                    nominal,
                    low: (0..k).map(|i| at(1 + 2 * i) - nominal).collect(),
                    high: (0..k).map(|i| at(2 + 2 * i) - nominal).collect(),
                },
            }
        })
        .collect();

    let mut analysis = Analysis {
        config: config.clone(),
        inputs: list.clone(),
        design_points: design_count,
        points: design_count + 2 * k + 1,
        model_runs: 0,
        run_seeds: evaluator.run_seeds.clone(),
        policy_means,
        nominal_composite,
        ranking,
        top_two,
        flip_share,
        results,
        flip_map: None,
    };

    if flip_points > 0 {
        let (x, y, chosen_by) = flip_inputs(&analysis);
        let g = config.grid;
        let centre = |i: usize| (i as f64 + 0.5) / g as f64;
        let mut cells = Vec::with_capacity(g * g);
        for iy in 0..g {
            for ix in 0..g {
                let mut point = nominal.clone();
                point[x] = centre(ix);
                point[y] = centre(iy);
                cells.push(point);
            }
        }
        let Some(values) = evaluator.evaluate_all(&cells, progress, cancel) else {
            return Ok(None);
        };
        let composite_cells: Vec<Vec<f64>> = values
            .iter()
            .map(|row| {
                (0..n_policies)
                    .map(|p| row[p * N_OUTCOMES + composite])
                    .collect()
            })
            .collect();
        let best = composite_cells
            .iter()
            .map(|row| {
                (0..row.len())
                    .reduce(|a, b| if row[b] > row[a] { b } else { a })
                    .unwrap_or(0)
            })
            .collect();
        analysis.flip_map = Some(FlipMap {
            x,
            y,
            chosen_by,
            x_values: (0..g).map(|i| list[x].value_at(centre(i))).collect(),
            y_values: (0..g).map(|i| list[y].value_at(centre(i))).collect(),
            composite: composite_cells,
            best,
        });
        analysis.points += g * g;
    }
    analysis.model_runs = analysis.points as u64 * n_policies as u64 * config.runs as u64;
    Ok(Some(analysis))
}

/// Index of an outcome among the recorded series (the outcomes come first, in `Outcome::ALL`
/// order).
pub fn outcome_index(outcome: Outcome) -> usize {
    Outcome::ALL
        .iter()
        .position(|o| *o == outcome)
        .unwrap_or_default()
}

/// A plain-text summary of an analysis: the cost, the ranking, and the inputs that matter most
/// for the best policy's composite and for the top-two difference.
pub fn render_summary(scenario: &Scenario, analysis: &Analysis, top: usize) -> String {
    let config = &analysis.config;
    let k = analysis.inputs.len();
    let bands = analysis
        .inputs
        .iter()
        .filter(|i| i.origin == Origin::ParamBand)
        .count();
    let focal = &scenario.actors[scenario.focal];
    let id = |p: usize| scenario.policies[p].id.as_str();
    let mut out = String::new();
    out.push_str(&format!(
        "{}: sensitivity of the options of {} ({}), {}\n",
        scenario.name,
        focal.name,
        focal.id,
        match config.method {
            Method::Sobol => "Sobol' indices",
            Method::Morris => "Morris elementary effects",
        }
    ));
    out.push_str(&format!(
        "{k} uncertain input{} ({} range{}, {bands} parameter band{}{}); ",
        plural(k),
        k - bands,
        plural(k - bands),
        plural(bands),
        if config.params {
            format!(" of ±{}%", config.band * 100.0)
        } else {
            String::new()
        }
    ));
    out.push_str(&match config.method {
        Method::Sobol => format!(
            "{} base samples x (k + 2) = {} design points",
            config.samples, analysis.design_points
        ),
        Method::Morris => format!(
            "{} trajectories x (k + 1) = {} design points, {} levels",
            config.samples, analysis.design_points, config.levels
        ),
    });
    out.push_str(&format!(
        "\n  + {} one-at-a-time + {} flip-map points; {} run{} per point (seeds shared by every point); {} policies: {} model runs; seed {}\n\n",
        2 * k + 1,
        analysis.points - analysis.design_points - 2 * k - 1,
        config.runs,
        plural(config.runs),
        scenario.policies.len(),
        analysis.model_runs,
        config.seed
    ));
    out.push_str("Policies by mean composite over the design (at nominal in brackets):\n");
    for (rank, &p) in analysis.ranking.iter().enumerate() {
        out.push_str(&format!(
            "  {:>2}  {:<24} {:+.4}  [{:+.4}]\n",
            rank + 1,
            id(p),
            analysis.policy_means[p],
            analysis.nominal_composite[p]
        ));
    }
    if let (Some((best, second)), Some(share)) = (analysis.top_two, analysis.flip_share) {
        out.push_str(&format!(
            "Top two: `{}` minus `{}`: {:+.4} on average; `{}` is ahead at {:.1}% of the design points.\n",
            id(best),
            id(second),
            analysis.policy_means[best] - analysis.policy_means[second],
            id(second),
            share * 100.0
        ));
    }
    let mut sections = Vec::new();
    if let Some(result) = analysis.best_composite() {
        sections.push((
            format!(
                "the composite of `{}`",
                id(*analysis.ranking.first().unwrap_or(&0))
            ),
            result,
        ));
    }
    if let (Some(result), Some((best, second))) = (
        analysis.result(Series {
            target: Target::TopTwoDifference,
            outcome: Outcome::Composite,
        }),
        analysis.top_two,
    ) {
        sections.push((
            format!(
                "the top-two difference (`{}` - `{}`, composite)",
                id(best),
                id(second)
            ),
            result,
        ));
    }
    let name_width = analysis
        .inputs
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(10)
        .clamp(10, NAME_WIDTH);
    for (title, result) in sections {
        out.push_str(&format!(
            "\nInputs that matter most for {title} (SD over the design {:.4}):\n",
            result.sd
        ));
        match &result.indices {
            Indices::Sobol(_) => out.push_str(&format!(
                "  {:<name_width$}  {:<26}  {:<26}\n",
                "input", "total ST [95% CI]", "first-order S [95% CI]"
            )),
            Indices::Morris(_) => out.push_str(&format!(
                "  {:<name_width$}  {:<26}  {:<10}  {:<10}\n",
                "input", "mu* [95% CI]", "mu", "sigma"
            )),
        }
        for &i in ranked_inputs(&result.indices, k).iter().take(top) {
            let name = short_name(&analysis.inputs[i].name, NAME_WIDTH);
            match &result.indices {
                Indices::Sobol(all) => out.push_str(&format!(
                    "  {name:<name_width$}  {:<26}  {:<26}\n",
                    estimate_text(&all[i].total),
                    estimate_text(&all[i].first)
                )),
                Indices::Morris(all) => out.push_str(&format!(
                    "  {name:<name_width$}  {:<26}  {:<10}  {:<10}\n",
                    estimate_text(&all[i].mu_star),
                    number_text(all[i].mu.value),
                    number_text(all[i].sigma.value)
                )),
            }
        }
    }
    if let Some(map) = &analysis.flip_map {
        let mut counts = vec![0usize; scenario.policies.len()];
        for &b in &map.best {
            counts[b] += 1;
        }
        let shares: Vec<String> = analysis
            .ranking
            .iter()
            .filter(|&&p| counts[p] > 0)
            .map(|&p| format!("`{}` {}/{}", id(p), counts[p], map.best.len()))
            .collect();
        out.push_str(&format!(
            "\nFlip map over `{}` x `{}` ({}), the others at nominal: best in {}\n",
            analysis.inputs[map.x].name,
            analysis.inputs[map.y].name,
            map.chosen_by,
            shares.join(", ")
        ));
    }
    out
}

/// `name` cut to at most `max` characters for display: a long bracketed part (an event's name)
/// is cut first, ending with `…`, so the path around it stays readable; else the middle goes.
pub fn short_name(name: &str, max: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= max {
        return name.to_string();
    }
    let excess = chars.len() - max;
    if let (Some(open), Some(close)) = (
        chars.iter().position(|&c| c == '['),
        chars.iter().position(|&c| c == ']'),
    ) {
        let inner = close.saturating_sub(open + 1);
        if close > open && inner > excess + 4 {
            let keep = inner - excess - 1;
            let mut out: String = chars[..=open + keep].iter().collect();
            out.push('…');
            out.extend(&chars[close..]);
            return out;
        }
    }
    let head = max.saturating_sub(1) / 2;
    let tail = max.saturating_sub(1) - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Number of outcomes recorded per policy at a point.
const N_OUTCOMES: usize = Outcome::ALL.len();

/// Mixed into the study seed for the design's draws.
const DESIGN_STREAM: u64 = 0xDE51_6E00_0000_0001;

fn check_config(config: &Config) -> Result<(), SensitivityError> {
    let bad = |m: String| Err(SensitivityError::Config(m));
    if config.samples < 2 {
        return bad(format!(
            "`--samples` is {}; give at least 2 ({})",
            config.samples,
            match config.method {
                Method::Sobol => "base samples",
                Method::Morris => "trajectories",
            }
        ));
    }
    if config.runs == 0 {
        return bad("`--runs` is 0; give at least 1 run per design point".into());
    }
    if config.method == Method::Morris && (config.levels < 2 || !config.levels.is_multiple_of(2)) {
        return bad(format!(
            "`--levels` is {}; give an even number of levels, at least 2",
            config.levels
        ));
    }
    if !(config.band.is_finite() && config.band > 0.0 && config.band <= 1.0) {
        return bad(format!(
            "`--band` is {}; give a relative band in (0, 1], such as 0.25 for ±25%",
            config.band
        ));
    }
    if config.grid == 0 {
        return bad("the flip map needs at least one cell per side".into());
    }
    if config.outcomes.is_empty() {
        return bad("no outcome to analyse".into());
    }
    Ok(())
}

/// The two inputs of the flip map: the most important on the top-two difference of the composite;
/// if it does not vary, on the best policy's composite; if that does not vary, the first two.
fn flip_inputs(analysis: &Analysis) -> (usize, usize, String) {
    let k = analysis.inputs.len();
    let by = match analysis.config.method {
        Method::Sobol => "total index",
        Method::Morris => "mu*",
    };
    let candidates = [
        (
            analysis.result(Series {
                target: Target::TopTwoDifference,
                outcome: Outcome::Composite,
            }),
            "the top-two difference of the composite",
        ),
        (analysis.best_composite(), "the best policy's composite"),
    ];
    for (result, what) in candidates {
        if let Some(result) = result {
            let order = ranked_inputs(&result.indices, k);
            if order.len() >= 2 && importance(&result.indices, order[1]).is_some() {
                return (
                    order[0],
                    order[1],
                    format!("the two highest {by} on {what}"),
                );
            }
        }
    }
    (0, 1, "the first two inputs (no output varies)".into())
}

/// Runs every policy at design points.
struct Evaluator<'a> {
    base: &'a Scenario,
    inputs: &'a [Input],
    slot_input: Vec<Option<usize>>,
    run_seeds: Vec<u64>,
    /// Every policy of the scenario, in order.
    policies: Vec<usize>,
}

impl Evaluator<'_> {
    /// `[policy * N_OUTCOMES + outcome]`: the mean over the runs of each final outcome. The
    /// policies of a run share its draws and `workspace`'s buffers
    /// ([`engine::run_policies_in`]: each trajectory is, bit for bit, that of [`engine::run`]),
    /// and each mean still adds its runs in seed order.
    fn evaluate(&self, workspace: &mut Workspace, unit: &[f64]) -> Vec<f64> {
        let scenario = inputs::at_point(self.base, self.inputs, &self.slot_input, unit);
        let mut out = vec![0.0; self.policies.len() * N_OUTCOMES];
        for &run_seed in &self.run_seeds {
            let trajectories =
                engine::run_policies_in(workspace, &scenario, &self.policies, run_seed);
            for (policy, trajectory) in trajectories.iter().enumerate() {
                for o in 0..N_OUTCOMES {
                    out[policy * N_OUTCOMES + o] += trajectory.last(o);
                }
            }
        }
        let runs = self.run_seeds.len().max(1) as f64;
        out.iter_mut().for_each(|v| *v /= runs);
        out
    }

    /// Evaluates every point in parallel, collected in order; `None` if cancelled.
    fn evaluate_all(
        &self,
        points: &[Vec<f64>],
        progress: &(dyn Fn(u64) + Sync),
        cancel: &AtomicBool,
    ) -> Option<Vec<Vec<f64>>> {
        let values: Vec<Vec<f64>> = points
            .par_iter()
            .map_init(Workspace::default, |workspace, point| {
                if cancel.load(Ordering::Relaxed) {
                    return Vec::new();
                }
                let out = self.evaluate(workspace, point);
                progress(1);
                out
            })
            .collect();
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        Some(values)
    }
}

fn estimate_text(estimate: &Estimate) -> String {
    match (estimate.value, estimate.ci) {
        (Some(v), Some((lo, hi))) => format!("{v:.3} [{lo:.3}, {hi:.3}]"),
        (Some(v), None) => format!("{v:.3}"),
        (None, _) => "undefined".into(),
    }
}

fn number_text(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.3}"))
}

/// Widest input name in the summary table.
const NAME_WIDTH: usize = 60;

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load;

    fn small() -> Scenario {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small.toml");
        load::load_file(std::path::Path::new(path))
            .unwrap()
            .scenario
    }

    fn quick(method: Method) -> Config {
        let mut config = Config::new(method, 3);
        config.samples = match method {
            Method::Sobol => 8,
            Method::Morris => 4,
        };
        config.runs = 1;
        config.bootstrap = 20;
        config.grid = 3;
        config
    }

    fn run(scenario: &Scenario, config: &Config, threads: usize) -> Analysis {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let never = AtomicBool::new(false);
        pool.install(|| analyse(scenario, config, &|_| {}, &never))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn same_seed_same_indices_whatever_the_threads() {
        let scenario = small();
        for method in [Method::Sobol, Method::Morris] {
            let config = quick(method);
            let one = run(&scenario, &config, 1);
            let three = run(&scenario, &config, 3);
            assert_eq!(one, three, "{method:?}");
            let mut other = config.clone();
            other.seed = 4;
            assert_ne!(one.results, run(&scenario, &other, 2).results);
        }
    }

    #[test]
    fn the_analysis_covers_every_policy_and_the_top_two() {
        let scenario = small();
        let config = quick(Method::Sobol);
        let analysis = run(&scenario, &config, 2);
        let k = analysis.inputs.len();
        assert_eq!(k, 5);
        assert_eq!(analysis.design_points, 8 * (k + 2));
        assert_eq!(analysis.points, 8 * (k + 2) + 2 * k + 1 + 9);
        assert_eq!(analysis.model_runs, analysis.points as u64 * 4);
        let (best, second) = analysis.top_two.unwrap();
        assert!(analysis.policy_means[best] >= analysis.policy_means[second]);
        assert_eq!(
            analysis.results.len(),
            4 * Outcome::ALL.len() + Outcome::ALL.len()
        );
        // The difference's tornado is the difference of the two policies' tornadoes.
        let d = analysis.lead_series().unwrap();
        let b = analysis
            .result(Series {
                target: Target::Policy(best),
                outcome: Outcome::Composite,
            })
            .unwrap();
        let s = analysis
            .result(Series {
                target: Target::Policy(second),
                outcome: Outcome::Composite,
            })
            .unwrap();
        for i in 0..k {
            let want = b.tornado.high[i] - s.tornado.high[i];
            assert!((d.tornado.high[i] - want).abs() < 1e-12);
        }
        let map = analysis.flip_map.as_ref().unwrap();
        assert_eq!(map.best.len(), 9);
        assert_ne!(map.x, map.y);
    }

    #[test]
    fn no_ranges_is_a_clear_error() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/small.toml"
        ))
        .unwrap();
        let mut scenario = load::load_str(&text).unwrap().scenario;
        scenario.for_each_num_mut(|num| num.high = num.low);
        let never = AtomicBool::new(false);
        let config = quick(Method::Morris);
        let err = analyse(&scenario, &config, &|_| {}, &never).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the scenario has no ranges; give some numbers as `low`/`high` or pass `--params`"
        );
        // With --params, the model parameters are inputs.
        let mut with_params = config;
        with_params.params = true;
        with_params.samples = 2;
        let analysis = analyse(&scenario, &with_params, &|_| {}, &never)
            .unwrap()
            .unwrap();
        assert_eq!(analysis.inputs.len(), crate::params::SPECS.len());
    }

    #[test]
    fn bad_settings_are_errors_not_panics() {
        let scenario = small();
        let never = AtomicBool::new(false);
        let mut config = quick(Method::Morris);
        config.levels = 3;
        assert!(analyse(&scenario, &config, &|_| {}, &never).is_err());
        let mut config = quick(Method::Sobol);
        config.samples = 1;
        assert!(analyse(&scenario, &config, &|_| {}, &never).is_err());
        config.samples = usize::MAX;
        assert!(matches!(
            analyse(&scenario, &config, &|_| {}, &never),
            Err(SensitivityError::TooManyRuns { .. })
        ));
        assert!(
            outcome_by_name("composit")
                .unwrap_err()
                .contains("composite")
        );
    }

    #[test]
    fn long_names_are_cut_inside_their_brackets() {
        let name = "random_events[Militarised dispute involving the DPRK (threat, display or use of force)].effects[0:tension].delta";
        let short = short_name(name, 56);
        assert_eq!(short.chars().count(), 56);
        assert!(short.starts_with("random_events[Militarised"), "{short}");
        assert!(short.ends_with("…].effects[0:tension].delta"), "{short}");
        assert_eq!(
            short_name("model.fta_multiplier", 56),
            "model.fta_multiplier"
        );
        let plain = "x".repeat(80);
        assert_eq!(short_name(&plain, 20).chars().count(), 20);
    }

    #[test]
    fn cancel_returns_nothing() {
        let scenario = small();
        let cancel = AtomicBool::new(true);
        let got = analyse(&scenario, &quick(Method::Sobol), &|_| {}, &cancel).unwrap();
        assert!(got.is_none());
    }
}
