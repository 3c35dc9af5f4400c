//! Report-ready charts of a results folder, as PNG and SVG, drawn with plotters.
//!
//! [`draw_all`] reads only the files of a results folder (so `entente chart DIR` redraws without
//! simulating) and writes every chart it has the data for into `DIR/charts/`, each as
//! `<name>.png` (for documents and slides) and `<name>.svg` (for the HTML report):
//!
//! | file | from | what |
//! |---|---|---|
//! | `outcome_<outcome>` | `timeseries.csv` | one outcome over time: median, 50% and 90% bands per policy |
//! | `finals` | `summary.json` | final outcomes per policy: box (p25–p75), whiskers (p05–p95), median, mean |
//! | `differences` | `comparison.json` | forest plot: paired difference from the baseline with 95% CI |
//! | `p_best` | `comparison.json` | probability of being best on the composite |
//! | `tripwires` | `tripwires.csv` | cumulative probability that each tripwire has been crossed |
//! | `alignment` | `actors.csv` | every actor's position over time under one policy |
//! | `affinity_start`, `affinity_end` | `affinity.csv` | affinity matrix heat maps under one policy |
//! | `trade` | `timeseries.csv` | the focal actor's trade with each partner, per policy |
//!
//! Charts whose file is absent (an older results folder, or no comparison) are skipped, not
//! failed. Every chart has a title, axis labels with units and a legend naming the policies by
//! id; each policy keeps one colour of the Okabe–Ito palette ([`PALETTE`], in the order of
//! `manifest.json`) in every chart. Text is drawn with DejaVu Sans, embedded in the binary, so no
//! system font is needed. The same folder always gives byte-identical SVGs.
//!
//! Each file is written under a temporary name and renamed into place once complete, so a chart
//! that exists is whole. Known chart files that were not redrawn (their data is gone) are removed.
//!
//! [`draw_xy`] draws a general chart of numeric (x, y) series, with linear or log axes, in the same
//! style, for callers with data of their own (the scaling chart of `docs/performance.md`).

mod data;
mod draw;
mod layout;
mod line;

pub(crate) use data::{Results, Stat};
pub(crate) use draw::{Chart, prepare_all};
pub use line::{XyAxis, XyChart, XyPanel, XySeries, XyStyle, draw_xy};

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use rayon::prelude::*;

/// The font family charts are drawn in. The embedded DejaVu Sans is registered under this name, and
/// SVGs carry it verbatim as `font-family`, so a viewer without DejaVu falls back to Verdana or any
/// sans-serif.
pub const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

/// The Okabe–Ito colour-blind-safe palette, in the order policies take it (the order of
/// `manifest.json`); from the ninth policy on, colours repeat. Each entry: name, RGB.
pub const PALETTE: [(&str, [u8; 3]); 8] = [
    ("blue", [0x00, 0x72, 0xB2]),
    ("orange", [0xE6, 0x9F, 0x00]),
    ("bluish green", [0x00, 0x9E, 0x73]),
    ("vermillion", [0xD5, 0x5E, 0x00]),
    ("sky blue", [0x56, 0xB4, 0xE9]),
    ("reddish purple", [0xCC, 0x79, 0xA7]),
    ("black", [0x00, 0x00, 0x00]),
    ("yellow", [0xF0, 0xE4, 0x42]),
];

/// Choices for [`draw_all_with`].
#[derive(Debug, Clone, Default)]
pub struct ChartOptions {
    /// The policy whose alignment map and affinity heat maps are drawn; `None`: the baseline.
    pub policy: Option<String>,
}

/// Why charts could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("`{0}` is missing; is this an entente results folder?")]
    Missing(PathBuf),
    #[error("cannot read `{path}`: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("`{}`{}: {message}", .path.display(), line_suffix(*.line))]
    Malformed {
        path: PathBuf,
        line: Option<u64>,
        message: String,
    },
    #[error("policy `{policy}` is not in `{}` (policies: {known})", .manifest.display())]
    UnknownPolicy {
        policy: String,
        manifest: PathBuf,
        known: String,
    },
    #[error("cannot load the embedded chart font `assets/fonts/DejaVuSans.ttf`")]
    Font,
    #[error("cannot draw `{path}`: {message}")]
    Draw { path: PathBuf, message: String },
    #[error("cannot write `{path}`: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// Draws every chart the results folder `results_dir` has data for into `results_dir/charts/`,
/// PNG and SVG, and returns the files written (PNG then SVG for each chart, in a fixed order).
pub fn draw_all(results_dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
    draw_all_with(results_dir, &ChartOptions::default())
}

/// [`draw_all`] with choices (which policy the alignment map and heat maps show).
pub fn draw_all_with(
    results_dir: &Path,
    options: &ChartOptions,
) -> Result<Vec<PathBuf>, ChartError> {
    let results = Results::load(results_dir)?;
    register_embedded_font()?;
    let charts = prepare_all(&results, options)?;
    let out = charts_dir(results_dir);
    fs::create_dir_all(&out).map_err(|source| ChartError::Write {
        path: out.clone(),
        source,
    })?;
    // Charts are independent (each its own data, drawing and files), so they are drawn in
    // parallel on the current rayon pool; the list of files keeps the charts' order.
    let written: Vec<Vec<PathBuf>> = charts
        .par_iter()
        .map(|chart| write_chart(&out, chart))
        .collect::<Result<_, _>>()?;
    remove_stale(&out, &charts);
    Ok(written.into_iter().flatten().collect())
}

/// The folder charts are written to: `results_dir/charts`.
pub fn charts_dir(results_dir: &Path) -> PathBuf {
    results_dir.join("charts")
}

/// The colour of the policy at position `index` of `manifest.json`.
pub fn policy_colour(index: usize) -> [u8; 3] {
    PALETTE[index % PALETTE.len()].1
}

fn line_suffix(line: Option<u64>) -> String {
    line.map_or(String::new(), |l| format!(" line {l}"))
}

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded DejaVu Sans under [`FONT_FAMILY`], once per process (also used by the
/// sensitivity charts, so the font is embedded once).
pub(crate) fn register_embedded_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// Draws one chart as SVG and PNG; each goes to a temporary name first.
fn write_chart(out: &Path, chart: &Chart) -> Result<Vec<PathBuf>, ChartError> {
    write_svg_png(
        out,
        &chart.stem,
        chart.size,
        |root| draw::render(chart, root),
        |root| draw::render(chart, root),
    )
}

/// Writes `out/<stem>.svg` and `out/<stem>.png` of `size` pixels, drawn by `svg` and `png` (one
/// drawing, once per backend); each goes to a temporary name first. Returns the PNG then the SVG.
fn write_svg_png(
    out: &Path,
    stem: &str,
    size: (u32, u32),
    svg_drawing: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> layout::Res,
    png_drawing: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> layout::Res,
) -> Result<Vec<PathBuf>, ChartError> {
    let png = out.join(format!("{stem}.png"));
    let svg = out.join(format!("{stem}.svg"));
    let draw_err = |path: &Path, message: String| ChartError::Draw {
        path: path.to_path_buf(),
        message,
    };

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        svg_drawing(&root).map_err(|e| draw_err(&svg, e.to_string()))?;
        root.present().map_err(|e| draw_err(&svg, e.to_string()))?;
    }
    let tmp_svg = out.join(format!(".{stem}.partial.svg"));
    fs::write(&tmp_svg, text.as_bytes()).map_err(|source| ChartError::Write {
        path: svg.clone(),
        source,
    })?;
    rename(&tmp_svg, &svg)?;

    // The image encoder picks the format from the extension, so the temporary name ends in .png.
    let tmp_png = out.join(format!(".{stem}.partial.png"));
    let drawn = (|| -> Result<(), String> {
        let root = BitMapBackend::new(&tmp_png, size).into_drawing_area();
        png_drawing(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    })();
    if let Err(message) = drawn {
        let _ = fs::remove_file(&tmp_png);
        return Err(draw_err(&png, message));
    }
    rename(&tmp_png, &png)?;
    Ok(vec![png, svg])
}

fn rename(from: &Path, to: &Path) -> Result<(), ChartError> {
    fs::rename(from, to).map_err(|source| {
        let _ = fs::remove_file(from);
        ChartError::Write {
            path: to.to_path_buf(),
            source,
        }
    })
}

/// Removes chart files of known names that this drawing did not produce (their data is gone).
fn remove_stale(out: &Path, charts: &[Chart]) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let Some((stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        if (ext == "png" || ext == "svg")
            && draw::is_chart_stem(stem)
            && !charts.iter().any(|c| c.stem == stem)
        {
            let _ = fs::remove_file(out.join(&name));
        }
    }
}
