//! The scaling measurement of `docs/performance.md` (issue #7): how the cost of one run grows with
//! the number of actors.
//!
//! `cargo run --release --example scaling` times whole single-thread runs of one policy (policy 1,
//! run seed 1, as `benches/sim.rs`) of synthetic scenarios of 8 to 193 actors (120 turns,
//! generator seed 1, sampled once with seed 1), each size for about 1.5 s in all, in three
//! interleaved rounds (each after one untimed run), and writes:
//!
//! * `docs/perf/scaling.csv`: one row per size, with the fastest and the median time per run and
//!   the throughput in ordered actor-pair-turns per second;
//! * `docs/perf/scaling.svg` and `.png`: the chart, drawn by entente's own chart module.
//!
//! Timings depend on the machine and on what else runs on it; the load average is printed before
//! and after.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use entente::chart::{XyAxis, XyChart, XyPanel, XySeries, XyStyle, draw_xy};
use entente::engine::{self, RunSpec};
use entente::scenario::Scenario;
use entente::scenario::load::load_str;
use entente::{rng, synthetic};

/// Scenario sizes, in actors.
const SIZES: [usize; 6] = [8, 16, 32, 64, 128, 193];
const TURNS: u32 = 120;
/// Time spent on each size, in total.
const BUDGET: Duration = Duration::from_millis(1500);
/// The sizes are timed in turn this many times, each for a share of the budget, so that a busy
/// spell of the machine falls on several sizes rather than on one.
const ROUNDS: usize = 3;
/// Fewest timed runs per size and round.
const MIN_RUNS: usize = 2;

/// One size: its sampled scenario and the times of its runs so far, in seconds.
struct Size {
    actors: usize,
    scenario: Scenario,
    times: Vec<f64>,
}

/// The timing of one size.
struct Row {
    actors: usize,
    pair_turns: u64,
    runs: usize,
    fastest: f64,
    median: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/perf");
    let mut sizes: Vec<Size> = SIZES.iter().map(|&n| prepare(n)).collect();
    println!("load average before: {}", load_average());
    for _ in 0..ROUNDS {
        for size in &mut sizes {
            time_runs(size, BUDGET / ROUNDS as u32);
        }
    }
    println!("load average after:  {}", load_average());
    let rows: Vec<Row> = sizes.into_iter().map(summarise).collect();
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("scaling.csv"), csv(&rows))?;
    for path in draw_xy(&chart(&rows), &out)? {
        println!("wrote {}", path.display());
    }
    println!("wrote {}", out.join("scaling.csv").display());
    Ok(())
}

/// The synthetic scenario of `actors` actors, sampled once.
fn prepare(actors: usize) -> Size {
    let text = synthetic::scenario_text(actors, TURNS, 1);
    let scenario = load_str(&text)
        .expect("the synthetic generator writes valid scenarios")
        .scenario
        .sample(&mut rng::sample_rng(1));
    Size {
        actors,
        scenario,
        times: Vec::new(),
    }
}

/// Times runs of `size` for about `budget` (at least [`MIN_RUNS`]), after one untimed run.
fn time_runs(size: &mut Size, budget: Duration) {
    let spec = RunSpec {
        policy: 1,
        run_seed: 1,
    };
    black_box(engine::run(black_box(&size.scenario), spec));
    let before = size.times.len();
    let round = Instant::now();
    while size.times.len() - before < MIN_RUNS || round.elapsed() < budget {
        let start = Instant::now();
        black_box(engine::run(black_box(&size.scenario), spec));
        size.times.push(start.elapsed().as_secs_f64());
    }
}

/// The fastest and median run of a size.
fn summarise(mut size: Size) -> Row {
    size.times.sort_by(f64::total_cmp);
    let n = size.actors as u64;
    let row = Row {
        actors: size.actors,
        pair_turns: n * (n - 1) * TURNS as u64,
        runs: size.times.len(),
        fastest: size.times[0],
        median: entente::stats::quantile_sorted(&size.times, 0.5),
    };
    println!(
        "{:>4} actors: {:>5} runs, fastest {:.3} ms, median {:.3} ms, {:.1} M pair-turns/s (fastest)",
        row.actors,
        row.runs,
        row.fastest * 1e3,
        row.median * 1e3,
        row.pair_turns as f64 / row.fastest / 1e6
    );
    row
}

fn csv(rows: &[Row]) -> String {
    let mut text = String::from(
        "actors,turns,pair_turns,runs_timed,fastest_s,median_s,pair_turns_per_s_fastest,pair_turns_per_s_median\n",
    );
    for r in rows {
        let _ = writeln!(
            text,
            "{},{TURNS},{},{},{:.6e},{:.6e},{:.4e},{:.4e}",
            r.actors,
            r.pair_turns,
            r.runs,
            r.fastest,
            r.median,
            r.pair_turns as f64 / r.fastest,
            r.pair_turns as f64 / r.median
        );
    }
    text
}

fn chart(rows: &[Row]) -> XyChart {
    let series = |label: &str, colour: usize, style: XyStyle, y: &dyn Fn(&Row) -> f64| XySeries {
        label: label.into(),
        colour,
        style,
        points: rows.iter().map(|r| (r.actors as f64, y(r))).collect(),
    };
    let actors_axis = XyAxis {
        ticks: SIZES.iter().map(|&n| n as f64).collect(),
        ..XyAxis::log("actors (log scale)")
    };
    // A reference of constant cost per pair-turn, through the largest size's fastest run.
    let last = rows.last().expect("at least one size");
    let per_pair_turn = last.fastest / last.pair_turns as f64;
    XyChart {
        stem: "scaling".into(),
        title: "Cost of one run by number of actors".into(),
        subtitle: format!(
            "Synthetic scenarios (entente gen-bench, seed 1), {TURNS} monthly turns, one policy, one \
             thread, release build. Fastest and median of repeated runs on a shared 2-core machine; \
             a pair-turn is one ordered pair of actors for one turn, n(n − 1) per turn."
        ),
        size: (1200, 560),
        panels: vec![
            XyPanel {
                title: "Time per run".into(),
                x: actors_axis.clone(),
                y: XyAxis::log("time per run (ms, log scale)"),
                series: vec![
                    series("fastest run", 0, XyStyle::LinePoints, &|r| r.fastest * 1e3),
                    series("median run", 1, XyStyle::Points, &|r| r.median * 1e3),
                    series(
                        "constant cost per pair-turn (∝ n(n − 1))",
                        6,
                        XyStyle::Dashed,
                        &|r| r.pair_turns as f64 * per_pair_turn * 1e3,
                    ),
                ],
            },
            XyPanel {
                title: "Throughput per core".into(),
                x: actors_axis,
                y: XyAxis {
                    from_zero: true,
                    ..XyAxis::linear("million pair-turns per second")
                },
                series: vec![
                    series("fastest run", 0, XyStyle::LinePoints, &|r| {
                        r.pair_turns as f64 / r.fastest / 1e6
                    }),
                    series("median run", 1, XyStyle::Points, &|r| {
                        r.pair_turns as f64 / r.median / 1e6
                    }),
                ],
            },
        ],
    }
}

/// The 1-, 5- and 15-minute load averages (Linux), or "unknown".
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
