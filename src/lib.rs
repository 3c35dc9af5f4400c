//! # entente
//!
//! A diplomatic scenario simulator. An analyst writes a scenario as a TOML file: actors (states
//! and blocs) with GDP, capability, alignment and doctrines; relations with trade, affinity and
//! proximity; treaties typed like ATOP; theatres with tension and incidents; events; and the policy
//! options of one focal state. entente runs every option over many Monte-Carlo runs on common
//! random numbers and reports the focal state's outcomes.
//!
//! ```text
//! scenarios/x.toml
//!   │  scenario::file     serde mirror of the TOML ("what the user wrote")
//!   ▼
//! scenario::load ──▶ Scenario            every problem reported at once, file:line:col
//!   ▼
//! montecarlo::stream: chunks of runs (parallel); for each run r: sample ranges, then every
//!   policy on shared draws: engine::run_policies_in(sampled, policies, run seed) ──▶ Trajectory
//!   per policy (outcomes per turn)
//!   ▼
//! aggregate::Aggregate: every run folded in run order (memory flat in the number of runs)
//!   ▼
//! output (manifest.json, summary.json, timeseries.csv, runs.csv, ...), compare, chart, report
//! ```
//!
//! A complete example, from text to a ranked summary:
//!
//! ```
//! use entente::{montecarlo, scenario, summary};
//!
//! let text = r#"
//! [simulation]
//! name = "two states"
//! start = 2024-01-01
//! turns = 12
//! focal = "AAA"
//!
//! [[actors]]
//! id = "AAA"
//! name = "Alpha"
//! gdp = { value = 1e12, source = "example" }
//! capability = { value = 1.0, source = "example" }
//! position = { value = 0.0, source = "example" }
//!
//! [[actors]]
//! id = "BBB"
//! name = "Beta"
//! gdp = { value = 2e12, source = "example" }
//! capability = { value = 2.0, source = "example" }
//! position = { value = 1.0, source = "example" }
//!
//! [[relations]]
//! pair = ["AAA", "BBB"]
//! trade = { value = 5e10, source = "example" }
//!
//! [[policies]]
//! id = "wait"
//! name = "Wait and see"
//! actions = []
//!
//! [[policies]]
//! id = "engage"
//! name = "Engage Beta"
//! actions = [{ kind = "engage", targets = ["BBB"], intensity = 1.0 }]
//!
//! [outcomes]
//! bloc_a = ["BBB"]
//! bloc_b = ["BBB"]
//! weights = { standing = 1.0 }
//! "#;
//! let loaded = scenario::load::load_str(text).expect("valid scenario");
//! let spec = montecarlo::BatchSpec { policies: vec![0, 1], runs: 20, seed: 1 };
//! let batch = montecarlo::run_batch(&loaded.scenario, &spec, &|_| {});
//! let ranked = summary::final_summaries(&batch);
//! // Engaging Beta raises Beta's regard for Alpha, so it ranks first on standing.
//! assert_eq!(ranked[1].rank, 1);
//!
//! // A batch keeps every trajectory. For many runs, stream chunks of runs into an `Aggregate`
//! // instead: the same summaries, in memory that does not grow with the number of runs.
//! use entente::{aggregate::Aggregate, engine};
//! use std::sync::atomic::AtomicBool;
//! let series = engine::series_names(&loaded.scenario);
//! let mut aggregate = Aggregate::new(&loaded.scenario, &spec.policies, 0, &series, 1_000, 20);
//! let never = AtomicBool::new(false);
//! let finished = montecarlo::stream(&loaded.scenario, &spec, 0..spec.runs, 8, &|_| {}, &never,
//!     |_first, runs| -> Result<(), ()> {
//!         aggregate.push(&runs);
//!         Ok(())
//!     });
//! assert_eq!(finished, Ok(true));
//! let summaries = aggregate.finish();
//! assert_eq!(summaries.finals[1].rank, ranked[1].rank);
//! ```

pub mod aggregate;
pub mod chart;
pub mod cli;
pub mod compare;
pub mod date;
pub mod diagnostic;
pub mod engine;
pub mod exp;
pub mod explain;
pub mod montecarlo;
pub mod output;
pub mod params;
pub mod report;
pub mod rng;
pub mod scaffold;
pub mod scenario;
pub mod schema;
pub mod sensitivity;
pub mod shard;
pub mod sketch;
pub mod stats;
pub mod summary;
pub mod synthetic;
