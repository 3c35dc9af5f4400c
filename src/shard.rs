//! Sharding a study across machines: `entente run --shard K/N` runs only its share of the runs
//! (seeds still derive from the global run index) and writes the raw trajectories as they finish;
//! `entente merge` streams the shards, in run order, through the same aggregation as a
//! single-machine run, so its results are identical byte for byte and its memory stays flat.
//!
//! Shard `K` of `N` over `R` runs covers the global runs `floor((K-1)R/N) .. floor(KR/N)`. A shard
//! folder holds `shard.json` (what was run) and `trajectories.bin`: a header line
//! `entente-trajectories 2`, seven little-endian u32 (slots, runs, values, series, tripwires,
//! positions, affinities per trajectory), then for each run and each slot the values, the
//! positions, the tripwire turns (i64, -1 for never), and the start and end affinity matrices,
//! every float as the little-endian bits of its f64, so a merge reproduces every number exactly.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Trajectory;
use crate::output::{self, OutputError, io_err};

/// `shard.json`: what a shard ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardManifest {
    pub entente_version: String,
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub seed: u64,
    /// Runs of the whole study.
    pub runs: u32,
    pub policies: Vec<String>,
    pub baseline: String,
    pub shard: u32,
    pub shards: u32,
    pub first_run: u32,
    pub end_run: u32,
}

/// A shard opened for reading: its manifest, and its trajectories read run by run.
#[derive(Debug)]
pub struct Shard {
    pub manifest: ShardManifest,
    reader: TrajectoryReader,
}

impl Shard {
    /// Reads the next runs, at most `max` (`out[k][slot]`); empty at the end of the shard.
    pub fn next_runs(&mut self, max: usize) -> Result<Vec<Vec<Trajectory>>, String> {
        self.reader.next_runs(max)
    }
}

/// The global runs of shard `k` (from 1) of `n` over `runs` runs.
pub fn shard_range(k: u32, n: u32, runs: u32) -> std::ops::Range<u32> {
    let start = ((k as u64 - 1) * runs as u64 / n as u64) as u32;
    let end = (k as u64 * runs as u64 / n as u64) as u32;
    start..end
}

/// Parses `K/N` with `1 <= K <= N`.
pub fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((k, n)) if k >= 1 && k <= n => Ok((k, n)),
        _ => Err(format!(
            "`--shard` is `{text}`; write `K/N` with 1 <= K <= N, e.g. `2/4`"
        )),
    }
}

const MAGIC: &[u8] = b"entente-trajectories 2\n";

/// Writes a shard folder atomically: `fill` receives a [`TrajectoryWriter`] for
/// `trajectories.bin` and writes the runs into it (it may stream them).
pub fn write_shard(
    dir: &Path,
    force: bool,
    manifest: &ShardManifest,
    fill: impl FnOnce(&mut TrajectoryWriter) -> Result<(), OutputError>,
) -> Result<(), OutputError> {
    output::write_folder(
        dir,
        force,
        |d| d.join("shard.json").is_file(),
        |d| {
            OutputError::Other(format!(
                "`{}` exists and is not an entente shard (no `shard.json`); refusing to replace it",
                d.display()
            ))
        },
        |tmp| {
            let path = tmp.join("shard.json");
            let text = serde_json::to_string_pretty(manifest)
                .map_err(|e| OutputError::Other(e.to_string()))?;
            fs::write(&path, text + "\n").map_err(io_err(&path))?;
            let path = tmp.join("trajectories.bin");
            let file = fs::File::create(&path).map_err(io_err(&path))?;
            let mut writer = TrajectoryWriter {
                path: path.clone(),
                out: io::BufWriter::new(file),
                slots: manifest.policies.len(),
                runs: (manifest.end_run.saturating_sub(manifest.first_run)) as usize,
                written: 0,
                dims: None,
            };
            fill(&mut writer)?;
            writer.finish()
        },
    )
}

/// Writes trajectories run by run into `trajectories.bin` (see the module doc).
pub struct TrajectoryWriter {
    path: PathBuf,
    out: io::BufWriter<fs::File>,
    slots: usize,
    runs: usize,
    written: usize,
    dims: Option<[usize; 7]>,
}

impl TrajectoryWriter {
    /// Appends runs (`runs[k][slot]`).
    pub fn write(&mut self, runs: &[Vec<Trajectory>]) -> Result<(), OutputError> {
        let path = self.path.clone();
        self.write_io(runs).map_err(io_err(&path))
    }

    fn write_io(&mut self, runs: &[Vec<Trajectory>]) -> io::Result<()> {
        for run in runs {
            if run.len() != self.slots {
                return Err(io::Error::other(
                    "a run does not have one trajectory per policy",
                ));
            }
            for t in run {
                let dims = [
                    self.slots,
                    self.runs,
                    t.values.len(),
                    t.n_series,
                    t.tripwire_turns.len(),
                    t.positions.len(),
                    t.affinity_start.len(),
                ];
                match self.dims {
                    None => {
                        self.out.write_all(MAGIC)?;
                        for d in dims {
                            self.out.write_all(&(d as u32).to_le_bytes())?;
                        }
                        self.dims = Some(dims);
                    }
                    Some(expected) if expected != dims || t.affinity_end.len() != dims[6] => {
                        return Err(io::Error::other("trajectories of different sizes"));
                    }
                    Some(_) => {}
                }
                for v in t.values.iter().chain(&t.positions) {
                    self.out.write_all(&v.to_le_bytes())?;
                }
                for turn in &t.tripwire_turns {
                    self.out
                        .write_all(&turn.map_or(-1i64, i64::from).to_le_bytes())?;
                }
                for v in t.affinity_start.iter().chain(&t.affinity_end) {
                    self.out.write_all(&v.to_le_bytes())?;
                }
            }
            self.written += 1;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), OutputError> {
        if self.written != self.runs {
            return Err(OutputError::Other(format!(
                "internal: {} of {} runs were written to the shard",
                self.written, self.runs
            )));
        }
        if self.dims.is_none() {
            self.out.write_all(MAGIC).map_err(io_err(&self.path))?;
            for d in [self.slots, 0, 0, 0, 0, 0, 0] {
                self.out
                    .write_all(&(d as u32).to_le_bytes())
                    .map_err(io_err(&self.path))?;
            }
        }
        self.out.flush().map_err(io_err(&self.path))
    }
}

/// Reads `trajectories.bin` run by run.
#[derive(Debug)]
struct TrajectoryReader {
    path: PathBuf,
    input: io::BufReader<fs::File>,
    slots: usize,
    runs_left: usize,
    values: usize,
    n_series: usize,
    tripwires: usize,
    positions: usize,
    affinities: usize,
}

impl TrajectoryReader {
    fn next_runs(&mut self, max: usize) -> Result<Vec<Vec<Trajectory>>, String> {
        let take = max.min(self.runs_left);
        let mut out = Vec::with_capacity(take);
        let mut bytes = Vec::new();
        for _ in 0..take {
            let mut run = Vec::with_capacity(self.slots);
            for _ in 0..self.slots {
                let floats = self.words(&mut bytes, self.values + self.positions)?;
                let (vals, pos) = floats.split_at(self.values);
                let turns: Vec<Option<u32>> = self
                    .words(&mut bytes, self.tripwires)?
                    .into_iter()
                    .map(|w| u32::try_from(w.to_bits() as i64).ok())
                    .collect();
                let aff = self.words(&mut bytes, 2 * self.affinities)?;
                let (start, end) = aff.split_at(self.affinities);
                run.push(Trajectory {
                    values: vals.to_vec(),
                    n_series: self.n_series.max(1),
                    tripwire_turns: turns,
                    positions: pos.to_vec(),
                    affinity_start: start.to_vec(),
                    affinity_end: end.to_vec(),
                });
            }
            out.push(run);
        }
        self.runs_left -= take;
        Ok(out)
    }

    /// The next `n` 8-byte words, as f64 bits.
    fn words(&mut self, bytes: &mut Vec<u8>, n: usize) -> Result<Vec<f64>, String> {
        bytes.resize(8 * n, 0);
        self.input.read_exact(bytes).map_err(|e| {
            format!(
                "cannot read `{}`: {e}; is it truncated?",
                self.path.display()
            )
        })?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }
}

/// Opens a shard folder, checking its header and that its size matches it.
pub fn read_shard(dir: &Path) -> Result<Shard, String> {
    let path = dir.join("shard.json");
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let manifest: ShardManifest = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not a shard manifest: {e}", path.display()))?;
    let path = dir.join("trajectories.bin");
    let bad = || {
        format!(
            "`{}` is truncated or not an entente trajectories file",
            path.display()
        )
    };
    let file =
        fs::File::open(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        .len();
    let mut input = io::BufReader::new(file);
    let mut head = vec![0u8; MAGIC.len() + 28];
    input.read_exact(&mut head).map_err(|_| bad())?;
    if &head[..MAGIC.len()] != MAGIC {
        return Err(bad());
    }
    let dims: Vec<usize> = head[MAGIC.len()..]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let [
        slots,
        runs,
        values,
        n_series,
        tripwires,
        positions,
        affinities,
    ] = dims[..]
    else {
        return Err(bad());
    };
    if slots != manifest.policies.len()
        || runs != (manifest.end_run.saturating_sub(manifest.first_run)) as usize
    {
        return Err(format!("`{}` does not match `shard.json`", path.display()));
    }
    let per_trajectory = 8 * (values + positions + tripwires + 2 * affinities) as u64;
    let body = len - head.len() as u64;
    if per_trajectory.checked_mul((slots * runs) as u64) != Some(body) {
        return Err(bad());
    }
    Ok(Shard {
        manifest,
        reader: TrajectoryReader {
            path,
            input,
            slots,
            runs_left: runs,
            values,
            n_series,
            tripwires,
            positions,
            affinities,
        },
    })
}

/// Checks that shards belong to one study and cover its runs exactly once; returns them in run
/// order.
pub fn assemble(mut shards: Vec<Shard>, dirs: &[PathBuf]) -> Result<Vec<Shard>, String> {
    if shards.is_empty() {
        return Err("no shard folders given".into());
    }
    let first = shards[0].manifest.clone();
    for (shard, dir) in shards.iter().zip(dirs) {
        let m = &shard.manifest;
        let same = m.scenario_sha256 == first.scenario_sha256
            && m.seed == first.seed
            && m.runs == first.runs
            && m.policies == first.policies
            && m.baseline == first.baseline
            && m.shards == first.shards
            && m.entente_version == first.entente_version;
        if !same {
            return Err(format!(
                "`{}` is a shard of another study (scenario, seed, runs, policies, baseline, shard count or entente version differ from `{}`)",
                dir.display(),
                dirs[0].display()
            ));
        }
    }
    shards.sort_by_key(|s| s.manifest.first_run);
    let mut expected = 0;
    for s in &shards {
        if s.manifest.first_run != expected {
            return Err(format!(
                "the shards do not cover the runs exactly once: runs {}..{} are {}",
                expected.min(s.manifest.first_run),
                expected.max(s.manifest.first_run),
                if s.manifest.first_run > expected {
                    "missing"
                } else {
                    "given twice"
                }
            ));
        }
        expected = s.manifest.end_run;
    }
    if expected != first.runs {
        return Err(format!(
            "the shards cover runs 0..{expected} of {}; some shards are missing",
            first.runs
        ));
    }
    Ok(shards)
}
