//! A small builder that runs the real binary in a temporary folder and checks what it did.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The project root (where `Cargo.toml` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// One invocation of `entente`.
#[must_use]
pub struct Test {
    args: Vec<String>,
    dir: tempfile::TempDir,
    status: i32,
}

impl Test {
    pub fn new() -> Test {
        Test {
            args: Vec::new(),
            dir: tempfile::tempdir().expect("temp dir"),
            status: 0,
        }
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Test {
        for arg in args {
            self.args.push(arg.as_ref().to_string());
        }
        self
    }

    pub fn status(mut self, status: i32) -> Test {
        self.status = status;
        self
    }

    /// The temporary working folder of the run.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the binary, checks the exit status, and returns its output and working folder.
    #[track_caller]
    pub fn run(self) -> Ran {
        let output = Command::cargo_bin("entente")
            .expect("binary")
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run entente");
        let ran = Ran {
            output,
            dir: self.dir,
        };
        assert_eq!(
            ran.output.status.code(),
            Some(self.status),
            "exit status of `entente {}`\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            ran.stdout(),
            ran.stderr()
        );
        ran
    }
}

/// What a finished run left.
pub struct Ran {
    pub output: Output,
    pub dir: tempfile::TempDir,
}

impl Ran {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }
}
