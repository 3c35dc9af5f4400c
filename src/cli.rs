//! The command line: the only module that knows about argv, the terminal and exit codes.
//!
//! Exit codes: 0 success; 1 bad input or failure (a message on stderr); 2 usage error (from clap).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};

use crate::aggregate::Aggregate;
use crate::compare;
use crate::diagnostic::suggest;
use crate::montecarlo::{self, BatchSpec};
use crate::output::{self, Manifest};
use crate::scenario::load::{self, Loaded, MAX_RUNS};
use crate::scenario::{Outcome, Scenario};
use crate::summary::{self, PolicySummary};

/// entente: a diplomatic scenario simulator.
#[derive(Debug, Parser)]
#[command(name = "entente", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files and report every problem with its location
    Validate {
        /// Scenario files (TOML)
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run every policy of a scenario (or those named) and write the results
    Run(RunArgs),
    /// Compare the focal actor's options with a baseline, run by run on common random numbers
    Compare(CompareArgs),
    /// Run again from a results folder's manifest.json and check the results are identical
    Rerun(RerunArgs),
    /// Merge the shard folders of `entente run --shard K/N` into one results folder
    Merge(MergeArgs),
    /// Redraw the charts and report.html of a results folder, without simulating again
    Chart {
        /// A results folder written by `entente run` or `entente compare`
        results: PathBuf,
        /// The option whose alignment map and affinity matrices are drawn [default: the baseline]
        #[arg(long, value_name = "NAME")]
        policy: Option<String>,
    },
    /// Print the scenario as the engine sees it: every number, whether it is a default, its source
    Explain {
        /// Scenario file (TOML)
        scenario: PathBuf,
    },
    /// Write a minimal valid scenario to start from (NAME.toml), with comments
    New {
        /// Name of the scenario; the file is NAME.toml unless NAME ends in .toml
        name: String,
        /// Id of the focal actor (e.g. an ISO3 code)
        #[arg(long)]
        focal: String,
        /// Ids of the other actors, comma-separated (at least one)
        #[arg(long, value_delimiter = ',', required = true)]
        actors: Vec<String>,
    },
    /// Print a synthetic scenario of any size (for benchmarks and scaling studies)
    GenBench {
        /// Number of actors
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(3..=500))]
        actors: u32,
        /// Number of monthly turns
        #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=1200))]
        turns: u32,
        /// Generator seed
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Which uncertain inputs drive the outcomes and the choice between the top two options
    Sensitivity(SensitivityArgs),
    /// Print the JSON Schema of the scenario format (for editor completion: see scenarios/README.md)
    Schema,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// The option to compare with [default: the scenario's `baseline`]
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Compare only this option (repeatable); the baseline is always included
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    /// Runs per option, or `auto`: double from 100 until the best option is separated from the
    /// runner-up at 95% confidence, up to 51,200 runs
    #[arg(long, value_name = "N|auto")]
    pub runs: Option<String>,
    #[command(flatten)]
    pub study: StudyArgs,
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shard folders (any order)
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    #[command(flatten)]
    pub results: ResultsArgs,
}

#[derive(Debug, clap::Args)]
pub struct RerunArgs {
    /// A results folder written by `entente run`
    pub results: PathBuf,
    /// Where to write the new results [default: RESULTS-rerun]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]; results do not depend on it
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Replace an existing results folder written by entente
    #[arg(long)]
    pub force: bool,
}

/// The settings `run` and `compare` share.
#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// Seed of the study [default: the scenario's `seed`]
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub results: ResultsArgs,
}

/// How a results folder is written: the settings `run`, `compare` and `merge` share.
#[derive(Debug, clap::Args)]
pub struct ResultsArgs {
    /// Results folder [default: output/SCENARIO-STEM]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]; results do not depend on it
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Replace an existing results folder written by entente
    #[arg(long)]
    pub force: bool,
    /// Do not draw charts nor write report.html
    #[arg(long)]
    pub no_charts: bool,
    /// Keep every value, and so exact percentiles, up to this many runs; beyond it percentiles
    /// come from a sketch within 0.5% [default: as many runs as fit in 128 MiB]
    #[arg(long, value_name = "RUNS")]
    pub exact_runs: Option<u32>,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// Monte-Carlo runs per policy [default: the scenario's `runs`]
    #[arg(long)]
    pub runs: Option<u64>,
    /// Run only this policy (repeatable); the baseline is always included
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    #[command(flatten)]
    pub study: StudyArgs,
    /// Run only shard K of N of the runs (global seeds) and write its raw trajectories, for
    /// `entente merge`
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}

/// A failure that ends the command: the text is ready to print; `code` is the exit code (1 for
/// bad input or failure, 130 when interrupted).
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure::new(format!("error: {error}"))
    }
}

/// Set by Ctrl-C; long computations stop soon after.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler: the first press stops the run without writing results; a second
/// press exits at once.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: stopping (press Ctrl-C again to quit at once)");
    });
}

/// Runs a parsed command line. `argv` is recorded in the manifest.
pub fn run(cli: Cli, argv: &[String]) -> Result<(), Failure> {
    match cli.command {
        Command::Validate { files } => validate(&files),
        Command::Run(args) => run_command(args, argv),
        Command::Compare(args) => compare_command(args, argv),
        Command::Rerun(args) => rerun_command(args, argv),
        Command::Merge(args) => merge_command(args, argv),
        Command::Chart { results, policy } => {
            let options = crate::chart::ChartOptions { policy };
            let charts = crate::chart::draw_all_with(&results, &options)?;
            let report = crate::report::write_report_with(&results, &options)?;
            println!(
                "charts: {} files in {}/\nreport: {}",
                charts.len(),
                crate::chart::charts_dir(&results).display(),
                report.display()
            );
            Ok(())
        }
        Command::New {
            name,
            focal,
            actors,
        } => new_command(&name, &focal, &actors),
        Command::Explain { scenario } => {
            let loaded = load_or_fail(&scenario)?;
            note_warnings(&loaded, &scenario);
            let _ = std::io::stdout()
                .lock()
                .write_all(crate::explain::explain(&loaded.scenario).as_bytes());
            Ok(())
        }
        Command::GenBench {
            actors,
            turns,
            seed,
        } => {
            let text = crate::synthetic::scenario_text(actors as usize, turns, seed);
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(())
        }
        Command::Sensitivity(args) => sensitivity_command(args, argv),
        Command::Schema => {
            let _ = std::io::stdout()
                .lock()
                .write_all(crate::schema::schema_json().as_bytes());
            Ok(())
        }
    }
}

fn new_command(name: &str, focal: &str, actors: &[String]) -> Result<(), Failure> {
    let valid_id = |id: &str| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    for id in std::iter::once(focal).chain(actors.iter().map(String::as_str)) {
        if !valid_id(id) {
            return Err(Failure::new(format!(
                "error: actor id `{id}` must be letters, digits, `_` or `-` (e.g. an ISO3 code such as `IDN`)"
            )));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for id in std::iter::once(focal).chain(actors.iter().map(String::as_str)) {
        if !seen.insert(id) {
            return Err(Failure::new(format!("error: actor `{id}` is named twice")));
        }
    }
    let path = if name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        PathBuf::from(format!("{name}.toml"))
    };
    if path.exists() {
        return Err(Failure::new(format!(
            "error: `{}` already exists; choose another name",
            path.display()
        )));
    }
    let title = path
        .file_stem()
        .map_or(name.to_string(), |s| s.to_string_lossy().into_owned());
    let text = crate::scaffold::scenario_text(&title, focal, actors);
    std::fs::write(&path, text)
        .map_err(|e| Failure::new(format!("error: cannot write `{}`: {e}", path.display())))?;
    println!(
        "wrote {}: {} actors, placeholders to replace with sourced figures; check it with `entente validate {}`",
        path.display(),
        actors.len() + 1,
        path.display()
    );
    Ok(())
}

fn validate(files: &[PathBuf]) -> Result<(), Failure> {
    let mut failed = 0;
    let mut stdout = std::io::stdout().lock();
    for path in files {
        let display = path.display().to_string();
        match load::load_file(path) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    eprint!("{}", warning.render(&display, &loaded.source));
                }
                let s = &loaded.scenario;
                let _ = writeln!(
                    stdout,
                    "{display}: ok ({} actors, {} polic{}, {} turns; {} warning{})",
                    s.actors.len(),
                    s.policies.len(),
                    if s.policies.len() == 1 { "y" } else { "ies" },
                    s.turns,
                    loaded.warnings.len(),
                    if loaded.warnings.len() == 1 { "" } else { "s" }
                );
            }
            Err(error) => {
                failed += 1;
                eprintln!("{}", error.render(&display));
                let errors = error
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == crate::diagnostic::Severity::Error)
                    .count();
                eprintln!(
                    "{display}: {errors} error{}",
                    if errors == 1 { "" } else { "s" }
                );
            }
        }
    }
    if failed > 0 {
        return Err(Failure::new(format!(
            "error: {failed} of {} file{} failed validation",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

fn load_or_fail(path: &Path) -> Result<Loaded, Failure> {
    load::load_file(path).map_err(|error| Failure::new(error.render(&path.display().to_string())))
}

/// Everything needed to run a study and write its results.
struct Study {
    scenario_path: PathBuf,
    loaded: Loaded,
    spec: BatchSpec,
    /// The policy that the comparison is made against.
    baseline: usize,
    /// Grow the number of runs until the top option is separated (`spec.runs` is the start).
    auto_runs: bool,
    /// Draw charts and write report.html.
    charts: bool,
    threads: usize,
    out: PathBuf,
    force: bool,
    /// Runs up to which every value is kept (exact percentiles); `None`: what fits
    /// [`crate::aggregate::EXACT_BUDGET`].
    exact_runs: Option<u32>,
}

impl Study {
    /// The exact limit of the study's [`Aggregate`].
    fn exact_limit(&self) -> usize {
        let scenario = &self.loaded.scenario;
        self.exact_runs.map_or_else(
            || {
                Aggregate::exact_limit_for(
                    scenario,
                    self.spec.policies.len(),
                    crate::engine::series_names(scenario).len(),
                )
            },
            |runs| runs as usize,
        )
    }
}

/// The cap of `--runs auto`.
pub const AUTO_RUNS_CAP: u32 = 51_200;

/// Largest memory a batch may hold in trajectories, in bytes.
const MEMORY_BUDGET: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

fn run_command(args: RunArgs, argv: &[String]) -> Result<(), Failure> {
    let loaded = load_or_fail(&args.scenario)?;
    note_warnings(&loaded, &args.scenario);
    let scenario = &loaded.scenario;
    let policies = select_policies(scenario, &args.policies)?;
    let runs = runs_or_default(args.runs, scenario.runs)?;
    let seed = args.study.seed.unwrap_or(scenario.seed);
    if let Some(text) = &args.shard {
        let (k, n) =
            crate::shard::parse_shard(text).map_err(|e| Failure::new(format!("error: {e}")))?;
        let out = args.study.results.out.clone().unwrap_or_else(|| {
            let mut dir = default_out(&args.scenario).into_os_string();
            dir.push(format!("-shard-{k}-of-{n}"));
            PathBuf::from(dir)
        });
        return shard_command(
            &args.scenario,
            &loaded,
            BatchSpec {
                policies,
                runs,
                seed,
            },
            (k, n),
            out,
            args.study.results.force,
            threads_or_all(args.study.results.threads),
        );
    }
    let study = Study {
        scenario_path: args.scenario.clone(),
        spec: BatchSpec {
            policies,
            runs,
            seed,
        },
        baseline: scenario.baseline,
        auto_runs: false,
        charts: !args.study.results.no_charts,
        loaded,
        threads: threads_or_all(args.study.results.threads),
        out: args.study.results.out_or_default(&args.scenario),
        force: args.study.results.force,
        exact_runs: args.study.results.exact_runs,
    };
    let done = execute(&study, argv)?;
    print_results(&study, &done);
    Ok(())
}

fn runs_or_default(runs: Option<u64>, default: u32) -> Result<u32, Failure> {
    match runs {
        None => Ok(default),
        Some(runs) if (1..=MAX_RUNS as u64).contains(&runs) => Ok(runs as u32),
        Some(runs) => Err(Failure::new(format!(
            "error: `--runs` is {runs}; it must lie in [1, {MAX_RUNS}]"
        ))),
    }
}

impl ResultsArgs {
    /// `--out`, or the default folder for `scenario_path`'s results.
    fn out_or_default(&self, scenario_path: &Path) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| default_out(scenario_path))
    }
}

fn default_out(scenario_path: &Path) -> PathBuf {
    let stem = scenario_path
        .file_stem()
        .map_or("results".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("output").join(stem)
}

fn note_warnings(loaded: &Loaded, path: &Path) {
    if !loaded.warnings.is_empty() {
        eprintln!(
            "note: {} warning{} in `{}`; `entente validate` shows them",
            loaded.warnings.len(),
            if loaded.warnings.len() == 1 { "" } else { "s" },
            path.display()
        );
    }
}

fn compare_command(args: CompareArgs, argv: &[String]) -> Result<(), Failure> {
    let loaded = load_or_fail(&args.scenario)?;
    note_warnings(&loaded, &args.scenario);
    let scenario = &loaded.scenario;
    let baseline = match &args.baseline {
        None => scenario.baseline,
        Some(name) => policy_by_name(scenario, name, "--baseline")?,
    };
    let mut policies = select_policies(scenario, &args.policies)?;
    if !policies.contains(&baseline) {
        policies.push(baseline);
        policies.sort_unstable();
    }
    let (runs, auto_runs) = match args.runs.as_deref() {
        Some("auto") => (100, true),
        Some(text) => match text.parse::<u64>() {
            Ok(runs) => (runs_or_default(Some(runs), scenario.runs)?, false),
            Err(_) => {
                return Err(Failure::new(format!(
                    "error: `--runs` is `{text}`; give a number of runs or `auto`"
                )));
            }
        },
        None => (scenario.runs, false),
    };
    let study = Study {
        scenario_path: args.scenario.clone(),
        spec: BatchSpec {
            policies,
            runs,
            seed: args.study.seed.unwrap_or(scenario.seed),
        },
        baseline,
        auto_runs,
        charts: !args.study.results.no_charts,
        out: args.study.results.out_or_default(&args.scenario),
        loaded,
        threads: threads_or_all(args.study.results.threads),
        force: args.study.results.force,
        exact_runs: args.study.results.exact_runs,
    };
    let done = execute(&study, argv)?;
    print_results(&study, &done);
    Ok(())
}

/// What a finished study produced.
struct Done {
    runs: usize,
    n_points: usize,
    summaries: Vec<PolicySummary>,
    comparison: compare::Comparison,
}

fn print_results(study: &Study, done: &Done) {
    let scenario = &study.loaded.scenario;
    let mut stdout = std::io::stdout().lock();
    let _ = write!(
        stdout,
        "{}",
        ranking_table(
            scenario,
            done.runs,
            study.spec.seed,
            done.n_points - 1,
            &done.summaries
        )
    );
    let _ = writeln!(stdout);
    let _ = write!(
        stdout,
        "{}",
        compare::render_table(scenario, &done.comparison)
    );
    let _ = writeln!(
        stdout,
        "\nresults: {}/ (manifest.json, summary.json, comparison.json, comparison.csv, tripwires.csv, timeseries.csv, runs.csv, actors.csv, affinity.csv)",
        study.out.display()
    );
    if study.charts {
        let _ = writeln!(
            stdout,
            "charts: {}/charts/ (PNG and SVG); brief: {}/report.html",
            study.out.display(),
            study.out.display()
        );
    }
}

fn threads_or_all(threads: Option<u32>) -> usize {
    threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    )
}

/// Runs a study and writes its results folder. Runs are simulated in chunks and folded into the
/// summaries as they finish (`runs.csv` is written as they go), so memory does not grow with the
/// number of runs.
fn execute(study: &Study, argv: &[String]) -> Result<Done, Failure> {
    let scenario = &study.loaded.scenario;
    let spec = &study.spec;
    if study.out.exists() && !study.force {
        return Err(output::OutputError::Exists(study.out.clone()).into());
    }
    check_memory(study)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(study.threads)
        .build()?;
    let total = spec.runs as u64 * spec.policies.len() as u64;
    let bar = indicatif::ProgressBar::new(total);
    if std::io::stderr().is_terminal() && total >= 2000 {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} policy-runs, {eta} left",
            )
            .expect("static template"),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let chunk = montecarlo::chunk_runs(scenario, spec.policies.len());
    let mut done = None;
    let written = write_study(study, &pool, argv, &mut done, &mut |sink: &mut Sink| {
        let mut target = spec.runs;
        let mut from = 0;
        loop {
            let finished = pool.install(|| {
                montecarlo::stream(
                    scenario,
                    spec,
                    from..target,
                    chunk,
                    &|k| bar.inc(k),
                    &INTERRUPTED,
                    |first, runs| sink.take(first, runs),
                )
            })?;
            if !finished {
                return Err(output::OutputError::Interrupted);
            }
            from = target;
            if !study.auto_runs {
                break;
            }
            // Check only at doubling checkpoints (checking after every run would make a false
            // "stable" much likelier); the study grows by its missing runs only.
            let comparison = sink.aggregate.comparison();
            if compare::top_is_stable(&comparison, compare::CONFIDENCE)
                || comparison.top_pair.as_ref().is_some_and(|p| p.identical)
                || target >= AUTO_RUNS_CAP
            {
                break;
            }
            let next = (target * 2).min(AUTO_RUNS_CAP);
            eprintln!(
                "runs auto: {target} runs do not separate the top two options; trying {next}"
            );
            bar.inc_length(u64::from(next - target) * spec.policies.len() as u64);
            target = next;
        }
        if study.auto_runs {
            eprintln!("runs auto: stopped at {target} runs");
        }
        Ok(())
    });
    bar.finish_and_clear();
    written?;
    done.ok_or_else(|| Failure::new("error: internal: the study produced no results"))
}

/// Refuses a study whose summaries alone would not fit in memory (a very large scenario with
/// many policies, or a large `--exact-runs`); beyond the exact limit the number of runs does not
/// matter.
fn check_memory(study: &Study) -> Result<(), Failure> {
    let scenario = &study.loaded.scenario;
    let n_policies = study.spec.policies.len();
    let n_series = crate::engine::series_names(scenario).len();
    let runs = study.spec.runs as usize;
    let kept = if Aggregate::sketches_from_the_start(study.exact_limit(), runs) {
        0
    } else {
        runs
    };
    let needed = Aggregate::bound_bytes(scenario, n_policies, n_series, kept);
    if needed > MEMORY_BUDGET {
        // Kept values come from the exact limit: `--exact-runs` at or above `--runs`.
        let help = if study.exact_runs.is_some() && kept > 0 {
            "keep fewer exact runs (`--exact-runs`) or run fewer policies at a time (`--policy NAME`, repeatable)"
        } else {
            "run fewer policies at a time (`--policy NAME`, repeatable)"
        };
        return Err(Failure::new(format!(
            "error: summarising {} actors under {n_policies} policies could take about {:.1} GiB of memory; the limit is {:.0} GiB\n  = help: {help}",
            scenario.actors.len(),
            needed / 1024f64.powi(3),
            MEMORY_BUDGET / 1024f64.powi(3),
        )));
    }
    Ok(())
}

/// Where finished runs go: `runs.csv` and the running summaries.
struct Sink {
    runs: output::RunsWriter,
    aggregate: Aggregate,
}

impl Sink {
    /// Takes consecutive runs from global run `first` (`runs[k][slot]`): the file and the
    /// summaries are fed in parallel.
    fn take(
        &mut self,
        first: u32,
        runs: Vec<Vec<crate::engine::Trajectory>>,
    ) -> Result<(), output::OutputError> {
        let Sink {
            runs: writer,
            aggregate,
        } = self;
        let (written, ()) = rayon::join(|| writer.write(first, &runs), || aggregate.push(&runs));
        written
    }
}

/// Writes a study's results folder atomically: `feed` puts the runs, in run order, into the
/// [`Sink`]; then the summaries, comparison, charts (drawn in parallel on `pool`, the study's
/// threads) and report are written and `done` is set. Shared by run, compare and merge.
fn write_study(
    study: &Study,
    pool: &rayon::ThreadPool,
    argv: &[String],
    done: &mut Option<Done>,
    feed: &mut dyn FnMut(&mut Sink) -> Result<(), output::OutputError>,
) -> Result<(), Failure> {
    let scenario = &study.loaded.scenario;
    let spec = &study.spec;
    let series = crate::engine::series_names(scenario);
    let ids: Vec<String> = spec
        .policies
        .iter()
        .map(|&p| scenario.policies[p].id.clone())
        .collect();
    let baseline_slot = spec
        .policies
        .iter()
        .position(|&p| p == study.baseline)
        .unwrap_or(0);
    let exact_limit = study.exact_limit();
    let result = output::write_folder(
        &study.out,
        study.force,
        output::is_entente_folder,
        output::OutputError::NotOurs,
        |dir| {
            let mut sink = Sink {
                runs: output::RunsWriter::create(dir, ids.clone(), series.clone(), spec.seed)?,
                aggregate: Aggregate::new(
                    scenario,
                    &spec.policies,
                    baseline_slot,
                    &series,
                    exact_limit,
                    // The study ends with at least `spec.runs` runs (`--runs auto` only adds
                    // runs; an interrupted study writes no results).
                    spec.runs as usize,
                ),
            };
            feed(&mut sink)?;
            sink.runs.finish()?;
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(output::OutputError::Interrupted);
            }
            let summaries = sink.aggregate.finish();
            let manifest = Manifest {
                entente_version: env!("CARGO_PKG_VERSION").to_string(),
                scenario_path: study.scenario_path.display().to_string(),
                scenario_sha256: sha256_hex(study.loaded.source.as_bytes()),
                scenario_name: scenario.name.clone(),
                seed: spec.seed,
                runs: summaries.runs as u32,
                turns: scenario.turns,
                turn_months: scenario.turn_months,
                start: scenario.start.to_string(),
                focal: scenario.actors[scenario.focal].id.clone(),
                baseline: scenario.policies[study.baseline].id.clone(),
                policies: ids.clone(),
                threads: study.threads,
                command: argv.to_vec(),
                generator: "ChaCha8 (rand 0.10); run seed = splitmix64(seed ^ splitmix64(run + 0x5EED0FE17E17E)); stream 0 samples ranges, stream t+1 drives turn t".into(),
                series: series.clone(),
                quantiles: summaries.quantiles.clone(),
                exact_runs: exact_limit as u64,
            };
            output::write_summaries(
                dir,
                scenario,
                &spec.policies,
                &series,
                spec.seed,
                &summaries,
                &manifest,
            )?;
            compare::write_comparison(dir, scenario, spec.seed, &summaries.comparison).map_err(
                |source| output::OutputError::Io {
                    path: dir.join("comparison.json"),
                    source,
                },
            )?;
            if study.charts {
                pool.install(|| crate::chart::draw_all(dir))
                    .map_err(|e| output::OutputError::Other(e.to_string()))?;
                crate::report::write_report(dir)
                    .map_err(|e| output::OutputError::Other(e.to_string()))?;
            }
            *done = Some(Done {
                runs: summaries.runs,
                n_points: summaries.n_points,
                summaries: summaries.finals,
                comparison: summaries.comparison,
            });
            Ok(())
        },
    );
    match result {
        Err(output::OutputError::Interrupted) => Err(Failure {
            message: "interrupted: no results were written".into(),
            code: 130,
        }),
        other => other.map_err(Failure::from),
    }
}

fn shard_command(
    scenario_path: &Path,
    loaded: &Loaded,
    spec: BatchSpec,
    (k, n): (u32, u32),
    out: PathBuf,
    force: bool,
    threads: usize,
) -> Result<(), Failure> {
    let scenario = &loaded.scenario;
    let range = crate::shard::shard_range(k, n, spec.runs);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let manifest = crate::shard::ShardManifest {
        entente_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_path: scenario_path.display().to_string(),
        scenario_sha256: sha256_hex(loaded.source.as_bytes()),
        seed: spec.seed,
        runs: spec.runs,
        policies: spec
            .policies
            .iter()
            .map(|&p| scenario.policies[p].id.clone())
            .collect(),
        baseline: scenario.policies[scenario.baseline].id.clone(),
        shard: k,
        shards: n,
        first_run: range.start,
        end_run: range.end,
    };
    let chunk = montecarlo::chunk_runs(scenario, spec.policies.len());
    let written = crate::shard::write_shard(&out, force, &manifest, |writer| {
        let finished = pool.install(|| {
            montecarlo::stream(
                scenario,
                &spec,
                range.clone(),
                chunk,
                &|_| {},
                &INTERRUPTED,
                |_, runs| writer.write(&runs),
            )
        })?;
        if finished {
            Ok(())
        } else {
            Err(output::OutputError::Interrupted)
        }
    });
    match written {
        Err(output::OutputError::Interrupted) => {
            return Err(Failure {
                message: "interrupted: no results were written".into(),
                code: 130,
            });
        }
        other => other?,
    }
    println!(
        "shard {k}/{n}: runs {}..{} of {} written to {}/; combine the shards with `entente merge`",
        range.start,
        range.end,
        spec.runs,
        out.display()
    );
    Ok(())
}

fn merge_command(args: MergeArgs, argv: &[String]) -> Result<(), Failure> {
    let MergeArgs {
        shards,
        results:
            ResultsArgs {
                out,
                threads,
                force,
                no_charts,
                exact_runs,
            },
    } = args;
    let mut read = Vec::new();
    for dir in &shards {
        read.push(crate::shard::read_shard(dir).map_err(|e| Failure::new(format!("error: {e}")))?);
    }
    let mut read =
        crate::shard::assemble(read, &shards).map_err(|e| Failure::new(format!("error: {e}")))?;
    let manifest = read[0].manifest.clone();
    let scenario_path = PathBuf::from(&manifest.scenario_path);
    let loaded = load_or_fail(&scenario_path)?;
    let actual = sha256_hex(loaded.source.as_bytes());
    if actual != manifest.scenario_sha256 {
        return Err(Failure::new(format!(
            "error: `{}` changed since the shards were run (SHA-256 {actual}, shards {})",
            scenario_path.display(),
            manifest.scenario_sha256
        )));
    }
    let scenario = &loaded.scenario;
    let mut policies = Vec::new();
    for id in &manifest.policies {
        policies.push(scenario.policy_index(id).ok_or_else(|| {
            Failure::new(format!(
                "error: policy `{id}` of the shards is not in the scenario"
            ))
        })?);
    }
    let baseline = scenario.policy_index(&manifest.baseline).ok_or_else(|| {
        Failure::new(format!(
            "error: baseline `{}` of the shards is not in the scenario",
            manifest.baseline
        ))
    })?;
    let spec = BatchSpec {
        policies,
        runs: manifest.runs,
        seed: manifest.seed,
    };
    let expected_values =
        (scenario.turns as usize + 1) * crate::engine::series_names(scenario).len();
    let chunk = montecarlo::chunk_runs(scenario, spec.policies.len()) as usize;
    let out = out.unwrap_or_else(|| default_out(&scenario_path));
    let study = Study {
        out,
        scenario_path,
        spec,
        baseline,
        auto_runs: false,
        charts: !no_charts,
        threads: threads_or_all(threads),
        force,
        loaded,
        exact_runs,
    };
    if study.out.exists() && !study.force {
        return Err(output::OutputError::Exists(study.out.clone()).into());
    }
    check_memory(&study)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(study.threads)
        .build()?;
    let mut done = None;
    write_study(&study, &pool, argv, &mut done, &mut |sink: &mut Sink| {
        // Each chunk is read while the one before it is folded, on the merge's threads; the
        // chunks are still taken one after another, in run order.
        let mut shards = read.iter_mut();
        let mut current = shards.next();
        let mut first = current.as_ref().map_or(0, |shard| shard.manifest.first_run);
        pool.install(|| {
            montecarlo::pipelined(
                || loop {
                    let Some(shard) = current.as_mut() else {
                        return Ok(None);
                    };
                    let runs = shard.next_runs(chunk).map_err(output::OutputError::Other)?;
                    if runs.is_empty() {
                        current = shards.next();
                        first = current.as_ref().map_or(0, |shard| shard.manifest.first_run);
                        continue;
                    }
                    if runs
                        .iter()
                        .flatten()
                        .any(|t| t.values.len() != expected_values)
                    {
                        return Err(output::OutputError::Other(
                            "the shards' trajectories do not match the scenario's turns and outcomes"
                                .into(),
                        ));
                    }
                    let start = first;
                    first += runs.len() as u32;
                    return Ok(Some((start, runs)));
                },
                |(first, runs)| sink.take(first, runs),
            )
        })
    })?;
    let done =
        done.ok_or_else(|| Failure::new("error: internal: the merge produced no results"))?;
    print_results(&study, &done);
    Ok(())
}

/// The files whose bytes must be identical when a run is repeated.
pub const REPRODUCIBLE_FILES: &[&str] = &[
    "comparison.json",
    "comparison.csv",
    "tripwires.csv",
    "summary.json",
    "timeseries.csv",
    "runs.csv",
    "actors.csv",
    "affinity.csv",
];

fn rerun_command(args: RerunArgs, argv: &[String]) -> Result<(), Failure> {
    let manifest_path = args.results.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        Failure::new(format!(
            "error: cannot read `{}`: {e}",
            manifest_path.display()
        ))
    })?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Failure::new(format!(
            "error: `{}` is not valid JSON: {e}",
            manifest_path.display()
        ))
    })?;
    let field = |key: &str| -> Result<&serde_json::Value, Failure> {
        manifest.get(key).ok_or_else(|| {
            Failure::new(format!(
                "error: `{}` has no `{key}`",
                manifest_path.display()
            ))
        })
    };
    let scenario_path = PathBuf::from(field("scenario_path")?.as_str().unwrap_or_default());
    let expected_sha = field("scenario_sha256")?
        .as_str()
        .unwrap_or_default()
        .to_string();
    let seed = field("seed")?
        .as_u64()
        .ok_or_else(|| Failure::new("error: `seed` in the manifest is not an integer"))?;
    let runs = field("runs")?
        .as_u64()
        .filter(|r| (1..=MAX_RUNS as u64).contains(r))
        .ok_or_else(|| {
            Failure::new("error: `runs` in the manifest is not a valid number of runs")
        })? as u32;
    // Older manifests have no `exact_runs`; they were written with the default.
    let exact_runs = manifest
        .get("exact_runs")
        .and_then(serde_json::Value::as_u64)
        .map(|r| r.min(u32::MAX as u64) as u32);
    let policy_ids: Vec<String> = field("policies")?
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let loaded = load::load_file(&scenario_path).map_err(|error| {
        Failure::new(format!(
            "{}\n  = help: the manifest names `{}`; run `entente rerun` from the folder the original run was started in",
            error.render(&scenario_path.display().to_string()).trim_end(),
            scenario_path.display()
        ))
    })?;
    let actual_sha = sha256_hex(loaded.source.as_bytes());
    if actual_sha != expected_sha {
        return Err(Failure::new(format!(
            "error: `{}` changed since the run (SHA-256 {actual_sha}, manifest {expected_sha}); the results cannot be reproduced from it",
            scenario_path.display()
        )));
    }
    let mut policies = Vec::new();
    for id in &policy_ids {
        match loaded.scenario.policy_index(id) {
            Some(idx) => policies.push(idx),
            None => {
                return Err(Failure::new(format!(
                    "error: policy `{id}` of the manifest is not in the scenario"
                )));
            }
        }
    }
    let out = args.out.clone().unwrap_or_else(|| {
        let mut name = args
            .results
            .file_name()
            .map_or("results".into(), |n| n.to_os_string());
        name.push("-rerun");
        args.results.with_file_name(name)
    });
    let baseline_id = field("baseline")?.as_str().unwrap_or_default().to_string();
    let baseline = loaded.scenario.policy_index(&baseline_id).ok_or_else(|| {
        Failure::new(format!(
            "error: baseline `{baseline_id}` of the manifest is not in the scenario"
        ))
    })?;
    let study = Study {
        scenario_path,
        baseline,
        auto_runs: false,
        charts: false,
        loaded,
        spec: BatchSpec {
            policies,
            runs,
            seed,
        },
        threads: threads_or_all(args.threads),
        out,
        force: args.force,
        exact_runs,
    };
    execute(&study, argv)?;
    let mut differ = Vec::new();
    for file in REPRODUCIBLE_FILES {
        let before = std::fs::read(args.results.join(file));
        let after = std::fs::read(study.out.join(file));
        match (before, after) {
            (Ok(a), Ok(b)) if a == b => {}
            (Err(_), _) => differ.push(format!("{file} (missing in the original folder)")),
            _ => differ.push(file.to_string()),
        }
    }
    let mut stdout = std::io::stdout().lock();
    if differ.is_empty() {
        let _ = writeln!(
            stdout,
            "reproduced: {} are byte-identical in `{}` and `{}`",
            REPRODUCIBLE_FILES.join(", "),
            args.results.display(),
            study.out.display()
        );
        Ok(())
    } else {
        Err(Failure::new(format!(
            "error: the rerun in `{}` differs from `{}` in {}",
            study.out.display(),
            args.results.display(),
            differ.join(", ")
        )))
    }
}

fn select_policies(scenario: &Scenario, names: &[String]) -> Result<Vec<usize>, Failure> {
    if names.is_empty() {
        return Ok((0..scenario.policies.len()).collect());
    }
    let mut chosen = vec![scenario.baseline];
    for name in names {
        let idx = policy_by_name(scenario, name, "--policy")?;
        if !chosen.contains(&idx) {
            chosen.push(idx);
        }
    }
    chosen.sort_unstable();
    Ok(chosen)
}

/// Resolves a policy id given on the command line, suggesting a close one.
fn policy_by_name(scenario: &Scenario, name: &str, flag: &str) -> Result<usize, Failure> {
    if let Some(idx) = scenario.policy_index(name) {
        return Ok(idx);
    }
    let ids: Vec<&str> = scenario.policies.iter().map(|p| p.id.as_str()).collect();
    let hint = match suggest(name, ids.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!(
            "policies are {}",
            ids.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Err(Failure::new(format!(
        "error: unknown policy `{name}` in `{flag}`\n  = help: {hint}"
    )))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The ranking printed after a run: policies by mean composite, each weighed outcome's mean and
/// 90% interval over runs at the final turn.
pub fn ranking_table(
    scenario: &Scenario,
    runs: usize,
    seed: u64,
    last: usize,
    summaries: &[PolicySummary],
) -> String {
    let mut out = String::new();
    let focal = &scenario.actors[scenario.focal];
    out.push_str(&format!(
        "{}: options of {} ({}), {} runs per option, seed {}\n",
        scenario.name, focal.name, focal.id, runs, seed
    ));
    out.push_str(&format!(
        "Outcomes at {} (turn {last}); mean with 90% interval [5th, 95th percentile] over runs.\n",
        scenario.turn_date(last as u32)
    ));
    out.push_str("composite = weighted change from the start (higher is better): ");
    out.push_str(
        &Outcome::WEIGHED
            .iter()
            .zip(scenario.outcomes.weights)
            .map(|(o, w)| format!("{} {:.2}", o.name(), w))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("\n\n");
    let columns: Vec<(usize, &str)> = std::iter::once((summary::composite_series(), "composite"))
        .chain(
            Outcome::WEIGHED
                .iter()
                .map(|o| (Outcome::ALL.iter().position(|x| x == o).unwrap(), o.name())),
        )
        .collect();
    let name_width = summaries
        .iter()
        .map(|s| scenario.policies[s.policy].id.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let cell_width = 24;
    out.push_str(&format!("{:<4} {:<name_width$}", "rank", "policy"));
    for (_, name) in &columns {
        out.push_str(&format!("  {name:<cell_width$}"));
    }
    out.push('\n');
    let mut sorted: Vec<&PolicySummary> = summaries.iter().collect();
    sorted.sort_by_key(|s| s.rank);
    for s in sorted {
        let id = &scenario.policies[s.policy].id;
        let marker = if s.policy == scenario.baseline {
            "*"
        } else {
            " "
        };
        out.push_str(&format!(
            "{:<4} {:<name_width$}",
            format!("{}{marker}", s.rank),
            id
        ));
        for (series, _) in &columns {
            let f = &s.finals[*series];
            let cell = format!("{:+.3} [{:+.3}, {:+.3}]", f.mean, f.p05, f.p95);
            out.push_str(&format!("  {cell:<cell_width$}"));
        }
        out.push('\n');
    }
    out.push_str(
        "* baseline. Prosperity is the change in total trade as a share of the start; the other\n",
    );
    out.push_str("  outcomes are indices in [0, 1]. Intervals show the spread of outcomes across runs, not\n");
    out.push_str(
        "  the uncertainty of the difference between options (runs share random numbers).\n",
    );
    out
}

#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// Morris elementary effects (a cheap screen) or Sobol' indices with bootstrap intervals
    #[arg(long, value_enum, default_value_t = SensitivityMethod::Morris)]
    pub method: SensitivityMethod,
    /// Sobol' base samples N (cost N x (k + 2) points) or Morris trajectories r (r x (k + 1))
    /// [default: 128 for sobol, 30 for morris]
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
    /// Report only this outcome (repeatable) [default: every outcome]
    #[arg(long = "outcome", value_name = "NAME")]
    pub outcomes: Vec<String>,
    /// Seed of the design, the bootstrap and the runs [default: the scenario's `seed`]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Monte-Carlo runs per design point, the same seeds at every point
    #[arg(long, value_name = "N", default_value_t = crate::sensitivity::DEFAULT_RUNS)]
    pub runs: usize,
    /// Morris grid levels p (even)
    #[arg(long, value_name = "P", default_value_t = crate::sensitivity::DEFAULT_LEVELS)]
    pub levels: usize,
    /// Also vary every model parameter that is not a range, over ±BAND of its value
    #[arg(long)]
    pub params: bool,
    /// Relative band of `--params`
    #[arg(long, value_name = "BAND", allow_negative_numbers = true, default_value_t = crate::sensitivity::DEFAULT_BAND)]
    pub band: f64,
    /// Results folder [default: output/SCENARIO-STEM-sensitivity]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all cores]; results do not depend on it
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Replace an existing folder written by `entente sensitivity`
    #[arg(long)]
    pub force: bool,
}

/// The `--method` of `entente sensitivity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SensitivityMethod {
    Morris,
    Sobol,
}

fn sensitivity_command(args: SensitivityArgs, argv: &[String]) -> Result<(), Failure> {
    use crate::sensitivity::{self, Method};
    let loaded = load_or_fail(&args.scenario)?;
    note_warnings(&loaded, &args.scenario);
    let scenario = &loaded.scenario;
    let method = match args.method {
        SensitivityMethod::Morris => Method::Morris,
        SensitivityMethod::Sobol => Method::Sobol,
    };
    let mut config = sensitivity::Config::new(method, args.seed.unwrap_or(scenario.seed));
    if let Some(samples) = args.samples {
        config.samples = samples;
    }
    if !args.outcomes.is_empty() {
        config.outcomes.clear();
        for name in &args.outcomes {
            let outcome = sensitivity::outcome_by_name(name)
                .map_err(|m| Failure::new(format!("error: {m}")))?;
            if !config.outcomes.contains(&outcome) {
                config.outcomes.push(outcome);
            }
        }
    }
    config.runs = args.runs;
    config.levels = args.levels;
    config.params = args.params;
    config.band = args.band;
    let out = args.out.clone().unwrap_or_else(|| {
        let mut dir = default_out(&args.scenario).into_os_string();
        dir.push("-sensitivity");
        PathBuf::from(dir)
    });
    if out.exists() && !args.force {
        return Err(output::OutputError::Exists(out).into());
    }
    let threads = threads_or_all(args.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let plan =
        sensitivity::plan(scenario, &config).map_err(|e| Failure::new(format!("error: {e}")))?;
    let bar = indicatif::ProgressBar::new(plan.points());
    if std::io::stderr().is_terminal() {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} points, {eta} left",
            )
            .expect("static template"),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = std::time::Instant::now();
    let analysis = pool
        .install(|| sensitivity::analyse(scenario, &config, &|k| bar.inc(k), &INTERRUPTED))
        .map_err(|e| Failure::new(format!("error: {e}")))?;
    bar.finish_and_clear();
    let Some(analysis) = analysis else {
        return Err(Failure {
            message: "interrupted: no results were written".into(),
            code: 130,
        });
    };
    let provenance = sensitivity::output::Provenance {
        scenario_path: args.scenario.display().to_string(),
        scenario_sha256: sha256_hex(loaded.source.as_bytes()),
        command: argv.to_vec(),
        threads,
    };
    pool.install(|| {
        sensitivity::output::write_sensitivity(&out, args.force, scenario, &analysis, &provenance)
    })?;
    let mut stdout = std::io::stdout().lock();
    let _ = write!(
        stdout,
        "{}",
        sensitivity::render_summary(scenario, &analysis, 8)
    );
    let _ = writeln!(
        stdout,
        "\nresults: {}/ (sensitivity.json, sensitivity.csv, flip_map.csv, sensitivity_manifest.json, charts/) in {:.1} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
