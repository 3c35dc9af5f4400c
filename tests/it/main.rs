//! The integration tests: one binary, one module per area. They run the real `entente` binary
//! (through `support::Test`) or the library's public API.
//!
//! - `cli`: each subcommand end to end, exit codes, outputs.
//! - `validation`: broken fixtures give exactly the expected diagnostics.
//! - `determinism`: same scenario and seed give byte-identical results, whatever the threads.
//! - `scenarios`: every file in `scenarios/` validates and runs.
//! - `invariants`: property tests of the engine's invariants over random scenarios.
//! - `robustness`: limits, fuzzing (proptest) and the regression corpus, interrupts, rerun.
//! - `sensitivity`: `entente sensitivity` end to end.
//! - `schema`: `entente schema` is current and agrees with the parser.

mod charts;
mod cli;
mod determinism;
mod invariants;
mod robustness;
mod scenarios;
mod schema;
mod sensitivity;
mod shard;
mod support;
mod validation;
