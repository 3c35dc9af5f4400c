//! The `entente` binary: parse the command line, call the library, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = entente::cli::Cli::parse();
    match entente::cli::run(cli, &argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.0.trim_end());
            ExitCode::from(1)
        }
    }
}
