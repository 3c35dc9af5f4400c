//! Charts of a sensitivity analysis, as PNG and SVG, drawn with plotters.
//!
//! | file | what |
//! |---|---|
//! | `tornado_<outcome>` | the best policy's outcome: each input alone at its low and its high end, the others at nominal (change from nominal) |
//! | `tornado_top_two_difference` | the same for the composite of the best policy minus the second |
//! | `sobol_composite`, `sobol_top_two_difference` | first-order and total indices with 95% bootstrap intervals (Sobol' runs) |
//! | `morris_composite`, `morris_top_two_difference` | mu* with its 95% interval, and sigma (Morris runs) |
//! | `flip_map` | the best policy on a grid of the two inputs that move the top-two difference most |
//!
//! Bar charts show the 15 most important inputs, most important on top. Policies keep the colour
//! of their position in the scenario in the Okabe–Ito palette. Text is drawn with DejaVu Sans,
//! embedded in the binary, so no system font is needed; SVGs name the family with fallbacks.
//! Each file is written under a temporary name and renamed into place once complete.

use std::fs;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::scenario::{Outcome, Scenario};
use crate::sensitivity::{
    Analysis, Indices, Series, SeriesResult, Target, ranked_inputs, short_name,
};

/// The font family charts are drawn in (the embedded DejaVu Sans, with fallbacks for SVG viewers).
pub use crate::chart::FONT_FAMILY;

/// The Okabe–Ito colour-blind-safe palette; policy `p` (scenario order) takes entry `p % 8`.
pub const PALETTE: [[u8; 3]; 8] = [
    [0x00, 0x72, 0xB2],
    [0xE6, 0x9F, 0x00],
    [0x00, 0x9E, 0x73],
    [0xD5, 0x5E, 0x00],
    [0x56, 0xB4, 0xE9],
    [0xCC, 0x79, 0xA7],
    [0x00, 0x00, 0x00],
    [0xF0, 0xE4, 0x42],
];

/// Inputs shown in a bar chart.
pub const TOP_INPUTS: usize = 15;

/// Draws every chart of `analysis` into `dir` (created if needed); returns the files written.
pub fn draw_all(
    dir: &Path,
    scenario: &Scenario,
    analysis: &Analysis,
) -> Result<Vec<PathBuf>, String> {
    register_embedded_font()?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let mut written = Vec::new();
    for chart in charts(scenario, analysis) {
        written.extend(write_chart(dir, &chart)?);
    }
    Ok(written)
}

/// One chart, as data.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Bars(BarChart),
    Flip(FlipChart),
}

impl Chart {
    pub fn stem(&self) -> &str {
        match self {
            Chart::Bars(c) => &c.stem,
            Chart::Flip(c) => &c.stem,
        }
    }
}

/// Horizontal bars: one row per label, one thin bar per group in each row.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub stem: String,
    pub title: String,
    pub x_label: String,
    /// Row labels, top row first.
    pub labels: Vec<String>,
    pub groups: Vec<BarGroup>,
}

/// One kind of bar (say, "first-order index"), with a value per row.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    pub name: String,
    pub colour: [u8; 3],
    /// `(from, to)` of each row's bar; `None`: no bar.
    pub bars: Vec<Option<(f64, f64)>>,
    /// A whisker (interval) for each row.
    pub whiskers: Vec<Option<(f64, f64)>>,
}

/// The best policy over a grid of two inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct FlipChart {
    pub stem: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Cell edges in input units (`grid + 1` each).
    pub x_edges: Vec<f64>,
    pub y_edges: Vec<f64>,
    /// Best policy of each cell, `iy * grid + ix`.
    pub best: Vec<usize>,
    /// Policy ids and colours, scenario order.
    pub policies: Vec<(String, [u8; 3])>,
    pub nominal: (f64, f64),
}

/// Every chart of an analysis, as data.
pub fn charts(scenario: &Scenario, analysis: &Analysis) -> Vec<Chart> {
    let mut out = Vec::new();
    let id = |p: usize| scenario.policies[p].id.clone();
    let Some(&best) = analysis.ranking.first() else {
        return out;
    };
    for &outcome in &analysis.config.outcomes {
        if let Some(result) = analysis.result(Series {
            target: Target::Policy(best),
            outcome,
        }) {
            out.push(Chart::Bars(tornado(
                analysis,
                result,
                format!("tornado_{}", outcome.name()),
                format!(
                    "{} of `{}` (best on the composite)",
                    outcome.name(),
                    id(best)
                ),
                outcome,
            )));
        }
    }
    let difference = analysis.result(Series {
        target: Target::TopTwoDifference,
        outcome: Outcome::Composite,
    });
    let what_difference = analysis
        .top_two
        .map(|(b, s)| format!("composite of `{}` minus `{}`", id(b), id(s)));
    if let (Some(result), Some(what)) = (difference, &what_difference) {
        out.push(Chart::Bars(tornado(
            analysis,
            result,
            "tornado_top_two_difference".into(),
            what.clone(),
            Outcome::Composite,
        )));
    }
    let prefix = analysis.config.method.name();
    if let Some(result) = analysis.best_composite() {
        out.push(Chart::Bars(indices_chart(
            analysis,
            result,
            format!("{prefix}_composite"),
            format!("composite of `{}`", id(best)),
        )));
    }
    if let (Some(result), Some(what)) = (difference, what_difference) {
        out.push(Chart::Bars(indices_chart(
            analysis,
            result,
            format!("{prefix}_top_two_difference"),
            what,
        )));
    }
    if let Some(map) = &analysis.flip_map {
        let (x, y) = (&analysis.inputs[map.x], &analysis.inputs[map.y]);
        let grid = map.x_values.len();
        let edges = |input: &crate::sensitivity::Input| -> Vec<f64> {
            (0..=grid)
                .map(|i| input.value_at(i as f64 / grid as f64))
                .collect()
        };
        out.push(Chart::Flip(FlipChart {
            stem: "flip_map".into(),
            title: format!(
                "Best policy on the composite ({} runs a cell, other inputs at nominal)",
                analysis.config.runs
            ),
            x_label: x.name.clone(),
            y_label: y.name.clone(),
            x_edges: edges(x),
            y_edges: edges(y),
            best: map.best.clone(),
            policies: scenario
                .policies
                .iter()
                .enumerate()
                .map(|(p, policy)| (policy.id.clone(), PALETTE[p % PALETTE.len()]))
                .collect(),
            nominal: (x.nominal, y.nominal),
        }));
    }
    out
}

fn tornado(
    analysis: &Analysis,
    result: &SeriesResult,
    stem: String,
    what: String,
    outcome: Outcome,
) -> BarChart {
    let t = &result.tornado;
    let k = analysis.inputs.len();
    let mut order: Vec<usize> = (0..k).collect();
    let span = |i: usize| {
        let (a, b) = (t.low[i], t.high[i]);
        a.max(b).max(0.0) - a.min(b).min(0.0)
    };
    order.sort_by(|&a, &b| span(b).total_cmp(&span(a)).then(a.cmp(&b)));
    order.truncate(TOP_INPUTS);
    let bar = |v: f64| Some((0.0, v));
    BarChart {
        stem,
        title: format!("Tornado: {what}"),
        x_label: format!(
            "change from nominal ({:+.4}); {}",
            t.nominal,
            outcome.unit()
        ),
        labels: order
            .iter()
            .map(|&i| analysis.inputs[i].name.clone())
            .collect(),
        groups: vec![
            BarGroup {
                name: "input at its low end".into(),
                colour: PALETTE[0],
                bars: order.iter().map(|&i| bar(t.low[i])).collect(),
                whiskers: vec![None; order.len()],
            },
            BarGroup {
                name: "input at its high end".into(),
                colour: PALETTE[3],
                bars: order.iter().map(|&i| bar(t.high[i])).collect(),
                whiskers: vec![None; order.len()],
            },
        ],
    }
}

fn indices_chart(
    analysis: &Analysis,
    result: &SeriesResult,
    stem: String,
    what: String,
) -> BarChart {
    let k = analysis.inputs.len();
    let mut order = ranked_inputs(&result.indices, k);
    order.truncate(TOP_INPUTS);
    let labels = order
        .iter()
        .map(|&i| analysis.inputs[i].name.clone())
        .collect();
    let bar = |v: Option<f64>| v.map(|v| (0.0, v));
    match &result.indices {
        Indices::Sobol(all) => BarChart {
            stem,
            title: format!("Sobol' indices: {what}"),
            x_label: format!(
                "share of the output's variance ({} base samples; lines: 95% bootstrap intervals)",
                analysis.config.samples
            ),
            labels,
            groups: vec![
                BarGroup {
                    name: "total index ST".into(),
                    colour: PALETTE[4],
                    bars: order.iter().map(|&i| bar(all[i].total.value)).collect(),
                    whiskers: order.iter().map(|&i| all[i].total.ci).collect(),
                },
                BarGroup {
                    name: "first-order index S".into(),
                    colour: PALETTE[0],
                    bars: order.iter().map(|&i| bar(all[i].first.value)).collect(),
                    whiskers: order.iter().map(|&i| all[i].first.ci).collect(),
                },
            ],
        },
        Indices::Morris(all) => BarChart {
            stem,
            title: format!("Morris elementary effects: {what}"),
            x_label: format!(
                "change of the output over the input's range ({} trajectories; lines: 95% bootstrap intervals)",
                analysis.config.samples
            ),
            labels,
            groups: vec![
                BarGroup {
                    name: "mu* (mean |effect|)".into(),
                    colour: PALETTE[0],
                    bars: order.iter().map(|&i| bar(all[i].mu_star.value)).collect(),
                    whiskers: order.iter().map(|&i| all[i].mu_star.ci).collect(),
                },
                BarGroup {
                    name: "sigma (SD of effects)".into(),
                    colour: PALETTE[1],
                    bars: order.iter().map(|&i| bar(all[i].sigma.value)).collect(),
                    whiskers: vec![None; order.len()],
                },
            ],
        },
    }
}

/// Registers the chart font (embedded once, in `crate::chart`).
fn register_embedded_font() -> Result<(), String> {
    crate::chart::register_embedded_font().map_err(|e| e.to_string())
}

/// Draws one chart as SVG and PNG, each under a temporary name first.
fn write_chart(dir: &Path, chart: &Chart) -> Result<Vec<PathBuf>, String> {
    let size = size(chart);
    let svg = dir.join(format!("{}.svg", chart.stem()));
    let png = dir.join(format!("{}.png", chart.stem()));
    let fail = |path: &Path, e: String| format!("cannot draw `{}`: {e}", path.display());
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        render(chart, &root).map_err(|e| fail(&svg, e))?;
        root.present().map_err(|e| fail(&svg, e.to_string()))?;
    }
    let tmp_svg = dir.join(format!(".{}.partial.svg", chart.stem()));
    fs::write(&tmp_svg, text).map_err(|e| fail(&svg, e.to_string()))?;
    fs::rename(&tmp_svg, &svg).map_err(|e| fail(&svg, e.to_string()))?;
    let tmp_png = dir.join(format!(".{}.partial.png", chart.stem()));
    {
        let root = BitMapBackend::new(&tmp_png, size).into_drawing_area();
        render(chart, &root).map_err(|e| fail(&png, e))?;
        root.present().map_err(|e| fail(&png, e.to_string()))?;
    }
    fs::rename(&tmp_png, &png).map_err(|e| fail(&png, e.to_string()))?;
    Ok(vec![png, svg])
}

/// Width and height in pixels.
fn size(chart: &Chart) -> (u32, u32) {
    match chart {
        Chart::Bars(c) => {
            let row = 10 * c.groups.len() as u32 + 14;
            (1200, 150 + row * c.labels.len().max(1) as u32)
        }
        Chart::Flip(_) => (1000, 800),
    }
}

fn render<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    match chart {
        Chart::Bars(c) => render_bars(c, root),
        Chart::Flip(c) => render_flip(c, root),
    }
}

/// Longest label drawn, in characters.
const LABEL_CHARS: usize = 56;

fn shorten(label: &str) -> String {
    short_name(label, LABEL_CHARS)
}

fn rgb(c: [u8; 3]) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

fn render_bars<DB: DrawingBackend>(
    c: &BarChart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let rows = c.labels.len().max(1);
    let mut lo: f64 = 0.0;
    let mut hi: f64 = 0.0;
    for g in &c.groups {
        for (from, to) in g.bars.iter().flatten().chain(g.whiskers.iter().flatten()) {
            lo = lo.min(*from).min(*to);
            hi = hi.max(*from).max(*to);
        }
    }
    if hi - lo <= f64::EPSILON * (1.0 + hi.abs()) {
        hi = lo + 1.0;
    }
    let pad = 0.06 * (hi - lo);
    let (lo, hi) = (if lo < 0.0 { lo - pad } else { lo }, hi + pad);
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT_FAMILY, 20))
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(420)
        .build_cartesian_2d(lo..hi, 0.0..rows as f64)
        .map_err(|e| err(&e))?;
    let blank = |_: &f64| String::new();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .y_label_formatter(&blank)
        .x_labels(8)
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
        .x_desc(c.x_label.as_str())
        .label_style((FONT_FAMILY, 13))
        .axis_desc_style((FONT_FAMILY, 14))
        .draw()
        .map_err(|e| err(&e))?;
    // Zero line.
    chart
        .draw_series(LineSeries::new(
            [(0.0, 0.0), (0.0, rows as f64)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| err(&e))?;
    let n_groups = c.groups.len().max(1) as f64;
    let slot = 0.8 / n_groups;
    for (g, group) in c.groups.iter().enumerate() {
        let colour = rgb(group.colour);
        // Row 0 is drawn at the top: it spans y in [rows - 1, rows].
        let top = |row: usize| (rows - row) as f64 - 0.1 - g as f64 * slot;
        let rects: Vec<Rectangle<(f64, f64)>> = group
            .bars
            .iter()
            .enumerate()
            .filter_map(|(row, bar)| {
                bar.map(|(from, to)| {
                    Rectangle::new(
                        [(from, top(row) - 0.1 * slot), (to, top(row) - 0.9 * slot)],
                        colour.filled(),
                    )
                })
            })
            .collect();
        let legend_colour = colour;
        chart
            .draw_series(rects)
            .map_err(|e| err(&e))?
            .label(group.name.as_str())
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 14, y + 5)], legend_colour.filled())
            });
        let whiskers: Vec<PathElement<(f64, f64)>> = group
            .whiskers
            .iter()
            .enumerate()
            .filter_map(|(row, w)| {
                w.map(|(a, b)| {
                    let y = top(row) - 0.5 * slot;
                    PathElement::new(vec![(a, y), (b, y)], BLACK.stroke_width(1))
                })
            })
            .collect();
        chart.draw_series(whiskers).map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT_FAMILY, 13))
        .draw()
        .map_err(|e| err(&e))?;
    let style = TextStyle::from((FONT_FAMILY, 13).into_font())
        .pos(Pos::new(HPos::Right, VPos::Center))
        .color(&BLACK);
    for (row, label) in c.labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(lo, (rows - row) as f64 - 0.5));
        root.draw(&Text::new(shorten(label), (x - 8, y), style.clone()))
            .map_err(|e| err(&e))?;
    }
    Ok(())
}

fn render_flip<DB: DrawingBackend>(
    c: &FlipChart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let grid = c.x_edges.len().saturating_sub(1);
    let (x0, x1) = (c.x_edges[0], c.x_edges[grid]);
    let (y0, y1) = (c.y_edges[0], c.y_edges[grid]);
    let (width, _) = root.dim_in_pixel();
    let (plot, legend) = root.split_horizontally(width.saturating_sub(230));
    let mut chart = ChartBuilder::on(&plot)
        .caption(&c.title, (FONT_FAMILY, 18))
        .margin(14)
        .x_label_area_size(55)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(shorten(&c.x_label))
        .y_desc(shorten(&c.y_label))
        .label_style((FONT_FAMILY, 13))
        .axis_desc_style((FONT_FAMILY, 14))
        .draw()
        .map_err(|e| err(&e))?;
    let present: Vec<usize> = (0..c.policies.len())
        .filter(|p| c.best.contains(p))
        .collect();
    for &p in &present {
        let colour = rgb(c.policies[p].1);
        let cells: Vec<Rectangle<(f64, f64)>> = c
            .best
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == p)
            .map(|(cell, _)| {
                let (ix, iy) = (cell % grid, cell / grid);
                Rectangle::new(
                    [
                        (c.x_edges[ix], c.y_edges[iy]),
                        (c.x_edges[ix + 1], c.y_edges[iy + 1]),
                    ],
                    colour.filled(),
                )
            })
            .collect();
        chart.draw_series(cells).map_err(|e| err(&e))?;
    }
    chart
        .draw_series(std::iter::once(Cross::new(
            c.nominal,
            8,
            WHITE.stroke_width(5),
        )))
        .map_err(|e| err(&e))?;
    chart
        .draw_series(std::iter::once(Cross::new(
            c.nominal,
            7,
            BLACK.stroke_width(2),
        )))
        .map_err(|e| err(&e))?;
    // The legend, beside the map: every policy that is best somewhere, then the nominal marker.
    let text = TextStyle::from((FONT_FAMILY, 13).into_font()).color(&BLACK);
    legend
        .draw(&Text::new("best policy", (10, 60), text.clone()))
        .map_err(|e| err(&e))?;
    let mut y = 88;
    for &p in &present {
        let colour = rgb(c.policies[p].1);
        legend
            .draw(&Rectangle::new([(10, y - 7), (28, y + 7)], colour.filled()))
            .map_err(|e| err(&e))?;
        legend
            .draw(&Text::new(
                shorten(&c.policies[p].0),
                (36, y),
                text.clone().pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(|e| err(&e))?;
        y += 24;
    }
    legend
        .draw(&Cross::new((19, y), 6, BLACK.stroke_width(2)))
        .map_err(|e| err(&e))?;
    legend
        .draw(&Text::new(
            "nominal point",
            (36, y),
            text.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sensitivity::{Config, Method, analyse};
    use std::sync::atomic::AtomicBool;

    fn small_analysis(method: Method) -> (Scenario, Analysis) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/small.toml");
        let scenario = crate::scenario::load::load_file(Path::new(path))
            .unwrap()
            .scenario;
        let mut config = Config::new(method, 1);
        config.samples = 4;
        config.runs = 1;
        config.bootstrap = 10;
        config.grid = 4;
        config.outcomes = vec![Outcome::Composite, Outcome::Security];
        let never = AtomicBool::new(false);
        let analysis = analyse(&scenario, &config, &|_| {}, &never)
            .unwrap()
            .unwrap();
        (scenario, analysis)
    }

    #[test]
    fn every_chart_is_drawn_with_its_inputs_and_policies() {
        for method in [Method::Sobol, Method::Morris] {
            let (scenario, analysis) = small_analysis(method);
            let all = charts(&scenario, &analysis);
            let stems: Vec<&str> = all.iter().map(Chart::stem).collect();
            let prefix = method.name();
            assert_eq!(
                stems,
                [
                    "tornado_composite",
                    "tornado_security",
                    "tornado_top_two_difference",
                    &format!("{prefix}_composite"),
                    &format!("{prefix}_top_two_difference"),
                    "flip_map",
                ]
            );
            let names: Vec<&str> = analysis.inputs.iter().map(|i| i.name.as_str()).collect();
            for chart in &all {
                match chart {
                    Chart::Bars(c) => {
                        assert_eq!(c.labels.len(), names.len().min(TOP_INPUTS));
                        assert!(c.labels.iter().all(|l| names.contains(&l.as_str())));
                        assert!(c.groups.iter().all(|g| g.bars.len() == c.labels.len()));
                    }
                    Chart::Flip(c) => {
                        assert_eq!(c.best.len(), 16);
                        assert_eq!(c.x_edges.len(), 5);
                        assert_eq!(c.policies.len(), scenario.policies.len());
                    }
                }
            }
            let dir = tempfile::tempdir().unwrap();
            let written = draw_all(dir.path(), &scenario, &analysis).unwrap();
            assert_eq!(written.len(), 2 * all.len());
            let svg = fs::read_to_string(dir.path().join("flip_map.svg")).unwrap();
            assert!(svg.contains("nominal point"));
            for id in analysis.flip_map.as_ref().unwrap().best.iter() {
                assert!(svg.contains(&scenario.policies[*id].id));
            }
        }
    }
}
