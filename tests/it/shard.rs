//! Sharding: `run --shard K/N` on every shard, then `merge`, gives byte-identical results to one
//! run; incomplete or mixed shards are refused.

use crate::support::{Test, fixture};

#[test]
fn shards_merge_into_byte_identical_results() {
    shards_merge_and_are_checked(&[]);
}

#[test]
fn shards_merge_into_byte_identical_results_beyond_the_exact_limit() {
    // Percentiles from the sketch (5 exact runs of 23): the merge folds the same values in the
    // same order, so the sketched summaries are byte-identical too.
    shards_merge_and_are_checked(&["--exact-runs", "5"]);
}

/// Runs a 23-run study whole and in three shards, with `extra` arguments for `run` and `merge`,
/// and checks the merge.
fn shards_merge_and_are_checked(extra: &[&str]) {
    let test = Test::new();
    std::fs::copy(fixture("small.toml"), test.dir().join("small.toml")).unwrap();
    let mut args = vec![
        "run",
        "small.toml",
        "--runs",
        "23",
        "--out",
        "full",
        "--no-charts",
    ];
    args.extend_from_slice(extra);
    let ran = test.args(args).run();
    let quantiles = ran.read("full/manifest.json");
    assert_eq!(
        quantiles.contains("DDSketch"),
        !extra.is_empty(),
        "{quantiles}"
    );
    let dir = ran.dir.path().to_path_buf();
    let entente = |args: &[&str]| {
        let output = assert_cmd::Command::cargo_bin("entente")
            .unwrap()
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    for (k, threads) in [("1/3", "2"), ("2/3", "1"), ("3/3", "2")] {
        let (code, text) = entente(&[
            "run",
            "small.toml",
            "--runs",
            "23",
            "--shard",
            k,
            "--threads",
            threads,
        ]);
        assert_eq!(code, Some(0), "{text}");
    }
    // Any order of folders, on one thread or all of them (the merge reads a chunk while it folds
    // the one before).
    for (out, threads) in [("merged", None), ("merged-1", Some("1"))] {
        let mut args = vec![
            "merge",
            "output/small-shard-2-of-3",
            "output/small-shard-3-of-3",
            "output/small-shard-1-of-3",
            "--out",
            out,
            "--no-charts",
        ];
        args.extend_from_slice(extra);
        if let Some(threads) = threads {
            args.extend_from_slice(&["--threads", threads]);
        }
        let (code, text) = entente(&args);
        assert_eq!(code, Some(0), "{text}");
        for file in entente::cli::REPRODUCIBLE_FILES {
            let full = std::fs::read(dir.join("full").join(file)).unwrap();
            let merged = std::fs::read(dir.join(out).join(file)).unwrap();
            assert!(
                full == merged,
                "{file} differs after merging shards into `{out}`"
            );
        }
    }
    // A missing shard and a shard of another study are refused.
    let (code, text) = entente(&[
        "merge",
        "output/small-shard-1-of-3",
        "output/small-shard-3-of-3",
        "--out",
        "m2",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        text.contains("runs 10..20 are missing") || text.contains("missing"),
        "{text}"
    );
    let (code, _) = entente(&[
        "run",
        "small.toml",
        "--runs",
        "23",
        "--seed",
        "99",
        "--shard",
        "2/3",
        "--out",
        "other",
    ]);
    assert_eq!(code, Some(0));
    let (code, text) = entente(&[
        "merge",
        "output/small-shard-1-of-3",
        "other",
        "output/small-shard-3-of-3",
        "--out",
        "m3",
    ]);
    assert_eq!(code, Some(1));
    assert!(text.contains("is a shard of another study"), "{text}");
    let (code, text) = entente(&["run", "small.toml", "--shard", "4/3"]);
    assert_eq!(code, Some(1));
    assert!(text.contains("write `K/N` with 1 <= K <= N"), "{text}");
}
