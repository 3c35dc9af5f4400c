//! The `entente` binary: parse the command line, call the library, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: a study allocates each run's trajectories on a
/// worker thread and frees them on the thread that folds them, a pattern glibc's malloc handles
/// with arena locks and consolidation (7% of a Korea study's CPU time); results do not depend on
/// the allocator. Built without transparent huge pages (`no_thp`): with them, each 2 MiB page
/// that mimalloc had returned to the system was zeroed again on its next touch (13% of the
/// default Korea study's samples in the kernel's `clear_page`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = entente::cli::Cli::parse();
    entente::cli::install_interrupt_handler();
    match entente::cli::run(cli, &argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message.trim_end());
            ExitCode::from(failure.code)
        }
    }
}
