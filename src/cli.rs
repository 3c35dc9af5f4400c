//! The command line: the only module that knows about argv, the terminal and exit codes.
//!
//! Exit codes: 0 success; 1 bad input or failure (a message on stderr); 2 usage error (from clap).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};

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
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// Monte-Carlo runs per policy [default: the scenario's `runs`]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_RUNS))]
    pub runs: Option<u32>,
    /// Seed of the study [default: the scenario's `seed`]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Results folder [default: output/<scenario file stem>]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only this policy (repeatable); the baseline is always included
    #[arg(long = "policy", value_name = "NAME")]
    pub policies: Vec<String>,
    /// Worker threads [default: all cores]; results do not depend on it
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Replace an existing results folder written by entente
    #[arg(long)]
    pub force: bool,
}

/// A failure that ends the command with exit code 1; the text is ready to print.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure(format!("error: {error}"))
    }
}

/// Runs a parsed command line. `argv` is recorded in the manifest.
pub fn run(cli: Cli, argv: &[String]) -> Result<(), Failure> {
    match cli.command {
        Command::Validate { files } => validate(&files),
        Command::Run(args) => run_command(args, argv),
    }
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
                    "{display}: ok ({} actors, {} policies, {} turns; {} warning{})",
                    s.actors.len(),
                    s.policies.len(),
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
        return Err(Failure(format!(
            "error: {failed} of {} file{} failed validation",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

fn load_or_fail(path: &Path) -> Result<Loaded, Failure> {
    load::load_file(path).map_err(|error| Failure(error.render(&path.display().to_string())))
}

fn run_command(args: RunArgs, argv: &[String]) -> Result<(), Failure> {
    let loaded = load_or_fail(&args.scenario)?;
    if !loaded.warnings.is_empty() {
        eprintln!(
            "note: {} warning{} in `{}`; `entente validate` shows them",
            loaded.warnings.len(),
            if loaded.warnings.len() == 1 { "" } else { "s" },
            args.scenario.display()
        );
    }
    let scenario = &loaded.scenario;
    let policies = select_policies(scenario, &args.policies)?;
    let runs = args.runs.unwrap_or(scenario.runs);
    let seed = args.seed.unwrap_or(scenario.seed);
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |t| t as usize,
    );
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .scenario
            .file_stem()
            .map_or("results".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("output").join(stem)
    });
    if out_dir.exists() && !args.force {
        return Err(output::OutputError::Exists(out_dir).into());
    }

    let spec = BatchSpec {
        policies,
        runs,
        seed,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let total = runs as u64 * spec.policies.len() as u64;
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
    let batch = pool.install(|| montecarlo::run_batch(scenario, &spec, &|k| bar.inc(k)));
    bar.finish_and_clear();
    let summaries = summary::final_summaries(&batch);

    let manifest = Manifest {
        entente_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_path: args.scenario.display().to_string(),
        scenario_sha256: sha256_hex(loaded.source.as_bytes()),
        scenario_name: scenario.name.clone(),
        seed,
        runs,
        turns: scenario.turns,
        turn_months: scenario.turn_months,
        start: scenario.start.to_string(),
        focal: scenario.actors[scenario.focal].id.clone(),
        baseline: scenario.policies[scenario.baseline].id.clone(),
        policies: spec.policies.iter().map(|&p| scenario.policies[p].id.clone()).collect(),
        threads,
        command: argv.to_vec(),
        generator: "ChaCha8 (rand 0.10); run seed = splitmix64(seed ^ splitmix64(run + 0x5EED0FE17E17E)); stream 0 samples ranges, stream t+1 drives turn t".into(),
        series: batch.series.clone(),
    };
    output::write_results(
        &out_dir, args.force, scenario, &batch, &summaries, &manifest,
    )?;

    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", ranking_table(scenario, &batch, &summaries));
    let _ = writeln!(
        stdout,
        "results: {}/ (manifest.json, summary.json, timeseries.csv, runs.csv, actors.csv, affinity.csv)",
        out_dir.display()
    );
    Ok(())
}

fn select_policies(scenario: &Scenario, names: &[String]) -> Result<Vec<usize>, Failure> {
    if names.is_empty() {
        return Ok((0..scenario.policies.len()).collect());
    }
    let mut chosen = vec![scenario.baseline];
    for name in names {
        match scenario.policy_index(name) {
            Some(idx) => {
                if !chosen.contains(&idx) {
                    chosen.push(idx);
                }
            }
            None => {
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
                return Err(Failure(format!(
                    "error: unknown policy `{name}` in `--policy`\n  = help: {hint}"
                )));
            }
        }
    }
    chosen.sort_unstable();
    Ok(chosen)
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
    batch: &crate::montecarlo::Batch,
    summaries: &[PolicySummary],
) -> String {
    let last = batch.n_points() - 1;
    let mut out = String::new();
    let focal = &scenario.actors[scenario.focal];
    out.push_str(&format!(
        "{}: options of {} ({}), {} runs per option, seed {}\n",
        scenario.name, focal.name, focal.id, batch.spec.runs, batch.spec.seed
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
