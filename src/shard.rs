//! Sharding a study across machines: `entente run --shard K/N` runs only its share of the runs
//! (seeds still derive from the global run index) and writes the raw trajectories; `entente merge`
//! reassembles the shards into a batch identical to a single-machine run.
//!
//! Shard `K` of `N` over `R` runs covers the global runs `floor((K-1)R/N) .. floor(KR/N)`. A shard
//! folder holds `shard.json` (what was run) and `trajectories.bin`: a header line
//! `entente-trajectories 1`, seven little-endian u32 (slots, runs, values, series, tripwires,
//! positions, affinities per trajectory), then for each slot and run the values, the tripwire turns
//! (i64, -1 for never), the positions, and the start and end affinity matrices, every float as the
//! little-endian bits of its f64, so a merge reproduces every number exactly.

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

/// A shard read back from its folder.
#[derive(Debug)]
pub struct Shard {
    pub manifest: ShardManifest,
    /// `trajectories[policy_slot][run - first_run]`.
    pub trajectories: Vec<Vec<Trajectory>>,
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

const MAGIC: &[u8] = b"entente-trajectories 1\n";

/// Writes a shard folder atomically.
pub fn write_shard(
    dir: &Path,
    force: bool,
    manifest: &ShardManifest,
    trajectories: &[Vec<Trajectory>],
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
            let mut writer = io::BufWriter::new(file);
            encode(&mut writer, trajectories).map_err(io_err(&path))?;
            writer.flush().map_err(io_err(&path))
        },
    )
}

fn encode(out: &mut impl Write, trajectories: &[Vec<Trajectory>]) -> io::Result<()> {
    out.write_all(MAGIC)?;
    let first = trajectories.first().and_then(|runs| runs.first());
    let dims = [
        trajectories.len(),
        trajectories.first().map_or(0, Vec::len),
        first.map_or(0, |t| t.values.len()),
        first.map_or(0, |t| t.n_series),
        first.map_or(0, |t| t.tripwire_turns.len()),
        first.map_or(0, |t| t.positions.len()),
        first.map_or(0, |t| t.affinity_start.len()),
    ];
    for d in dims {
        out.write_all(&(d as u32).to_le_bytes())?;
    }
    for runs in trajectories {
        for t in runs {
            for v in t.values.iter().chain(&t.positions) {
                out.write_all(&v.to_le_bytes())?;
            }
            for turn in &t.tripwire_turns {
                out.write_all(&turn.map_or(-1i64, i64::from).to_le_bytes())?;
            }
            for v in t.affinity_start.iter().chain(&t.affinity_end) {
                out.write_all(&v.to_le_bytes())?;
            }
        }
    }
    Ok(())
}

/// Reads a shard folder, checking its sizes.
pub fn read_shard(dir: &Path) -> Result<Shard, String> {
    let path = dir.join("shard.json");
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let manifest: ShardManifest = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not a shard manifest: {e}", path.display()))?;
    let path = dir.join("trajectories.bin");
    let mut bytes = Vec::new();
    fs::File::open(&path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let bad = || {
        format!(
            "`{}` is truncated or not an entente trajectories file",
            path.display()
        )
    };
    let body = bytes.strip_prefix(MAGIC).ok_or_else(bad)?;
    if body.len() < 28 {
        return Err(bad());
    }
    let (header, mut rest) = body.split_at(28);
    let dims: Vec<usize> = header
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
    let per_trajectory = 8 * (values + positions + tripwires + 2 * affinities);
    if per_trajectory.checked_mul(slots * runs) != Some(rest.len()) {
        return Err(bad());
    }
    // Sizes are checked above, so the reads below cannot run past the end.
    let mut words = |n: usize| -> Vec<[u8; 8]> {
        let (head, tail) = rest.split_at(8 * n);
        rest = tail;
        head.chunks_exact(8)
            .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
            .collect()
    };
    let mut trajectories = Vec::with_capacity(slots);
    for _ in 0..slots {
        let mut list = Vec::with_capacity(runs);
        for _ in 0..runs {
            let floats: Vec<f64> = words(values + positions)
                .into_iter()
                .map(f64::from_le_bytes)
                .collect();
            let (vals, pos) = floats.split_at(values);
            let turns: Vec<Option<u32>> = words(tripwires)
                .into_iter()
                .map(|w| u32::try_from(i64::from_le_bytes(w)).ok())
                .collect();
            let aff: Vec<f64> = words(2 * affinities)
                .into_iter()
                .map(f64::from_le_bytes)
                .collect();
            let (start, end) = aff.split_at(affinities);
            list.push(Trajectory {
                values: vals.to_vec(),
                n_series: n_series.max(1),
                tripwire_turns: turns,
                positions: pos.to_vec(),
                affinity_start: start.to_vec(),
                affinity_end: end.to_vec(),
            });
        }
        trajectories.push(list);
    }
    Ok(Shard {
        manifest,
        trajectories,
    })
}

/// Checks that shards belong to one study and cover its runs exactly once; returns them in run
/// order with the trajectories concatenated (`[policy_slot][run]`).
pub fn assemble(
    mut shards: Vec<Shard>,
    dirs: &[PathBuf],
) -> Result<(ShardManifest, Vec<Vec<Trajectory>>), String> {
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
    let slots = first.policies.len();
    let mut all: Vec<Vec<Trajectory>> = (0..slots)
        .map(|_| Vec::with_capacity(first.runs as usize))
        .collect();
    for s in shards {
        for (slot, runs) in s.trajectories.into_iter().enumerate() {
            all[slot].extend(runs);
        }
    }
    Ok((first, all))
}
