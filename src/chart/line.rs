//! A general chart of numeric series against a numeric x: [`draw_xy`] draws one or more panels
//! side by side, each with its own axes (linear or logarithmic) and series (lines, points or
//! both), in the frame, font and palette of the other charts, as PNG and SVG.
//!
//! It knows nothing of results folders; the caller gives every point, label and unit (the
//! scaling chart of `docs/performance.md` is drawn with it by `examples/scaling.rs`).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{Keyed, nice_step};
use super::layout::*;
use super::{ChartError, policy_colour, register_embedded_font};

/// A chart of one or more panels of (x, y) series, side by side, sharing one legend.
#[derive(Debug, Clone)]
pub struct XyChart {
    /// File name without extension: [`draw_xy`] writes `<stem>.png` and `<stem>.svg`.
    pub stem: String,
    pub title: String,
    /// A sentence or two under the title: what was measured, how to read the chart.
    pub subtitle: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
    pub panels: Vec<XyPanel>,
}

/// One panel: two axes and the series drawn on them.
#[derive(Debug, Clone)]
pub struct XyPanel {
    /// Drawn above the plot area; may be empty.
    pub title: String,
    pub x: XyAxis,
    pub y: XyAxis,
    pub series: Vec<XySeries>,
}

/// One axis of a panel.
#[derive(Debug, Clone)]
pub struct XyAxis {
    /// The axis title, with its unit, e.g. "time per run (ms, log scale)".
    pub label: String,
    /// Logarithmic (base 10) if true; non-positive values are then not drawn.
    pub log: bool,
    /// Whether a linear axis starts at zero whatever the data.
    pub from_zero: bool,
    /// The values labelled on the axis; empty: 1, 2 and 5 times powers of ten (log, the axis then
    /// ends on such values) or about six evenly spaced round values (linear).
    pub ticks: Vec<f64>,
}

/// One series of points, drawn in order.
#[derive(Debug, Clone)]
pub struct XySeries {
    /// The legend entry; a label already used by an earlier series (of any panel) is listed once.
    pub label: String,
    /// Position in the Okabe–Ito [`PALETTE`](super::PALETTE) (repeats from the ninth).
    pub colour: usize,
    pub style: XyStyle,
    pub points: Vec<(f64, f64)>,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XyStyle {
    /// A solid line through the points.
    Line,
    /// A solid line with a dot at each point.
    LinePoints,
    /// Dots only.
    Points,
    /// A dashed line (for references such as a slope).
    Dashed,
}

impl XyAxis {
    /// A linear axis with automatic ticks, not forced to start at zero.
    pub fn linear(label: impl Into<String>) -> XyAxis {
        XyAxis {
            label: label.into(),
            log: false,
            from_zero: false,
            ticks: Vec::new(),
        }
    }

    /// A logarithmic axis with automatic ticks.
    pub fn log(label: impl Into<String>) -> XyAxis {
        XyAxis {
            log: true,
            ..XyAxis::linear(label)
        }
    }
}

/// Draws `chart` into `dir` (created if needed) as `<stem>.png` and `<stem>.svg`, each written
/// under a temporary name and renamed into place once complete; returns the two paths.
pub fn draw_xy(chart: &XyChart, dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
    register_embedded_font()?;
    std::fs::create_dir_all(dir).map_err(|source| ChartError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    super::write_svg_png(
        dir,
        &chart.stem,
        chart.size,
        |root| render(chart, root),
        |root| render(chart, root),
    )
}

/// Where a value goes on an axis: its base-10 logarithm on a log axis (`None` if not positive).
fn place(axis: &XyAxis, v: f64) -> Option<f64> {
    match (axis.log, v.is_finite()) {
        (true, true) if v > 0.0 => Some(v.log10()),
        (false, true) => Some(v),
        _ => None,
    }
}

/// The drawn range (in placed units) and the ticks (data values) of an axis showing `values`.
fn extent(axis: &XyAxis, values: impl Iterator<Item = f64>) -> ((f64, f64), Vec<f64>) {
    let (lo, hi) = padded_range(values.filter_map(|v| place(axis, v)), 0.06);
    let (lo, hi) = if axis.log && axis.ticks.is_empty() {
        // Out to the nearest 1, 2 or 5 times a power of ten, so the data lies between ticks.
        let snap = |v: f64, down: bool| {
            let d = v.floor();
            let steps = [0.0, 2f64.log10(), 5f64.log10(), 1.0].map(|m| d + m);
            let found = if down {
                steps.iter().rev().find(|&&t| t <= v + 1e-9)
            } else {
                steps.iter().find(|&&t| t >= v - 1e-9)
            };
            found.copied().unwrap_or(v)
        };
        (snap(lo, true), snap(hi, false))
    } else if axis.from_zero && !axis.log {
        (lo.min(0.0), hi.max(0.0))
    } else {
        (lo, hi)
    };
    let ticks = if !axis.ticks.is_empty() {
        axis.ticks.clone()
    } else if axis.log {
        log_ticks(lo, hi)
    } else {
        linear_ticks(lo, hi)
    };
    let ticks = ticks
        .into_iter()
        .filter(|&t| place(axis, t).is_some_and(|p| p >= lo - 1e-9 && p <= hi + 1e-9))
        .collect();
    ((lo, hi), ticks)
}

/// 1, 2 and 5 times the powers of ten between `10^lo` and `10^hi`; powers of ten only if that
/// gives more than ten.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = (lo.floor() as i32)..=(hi.ceil() as i32);
    let all: Vec<f64> = decades
        .clone()
        .flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d)))
        .filter(|t| (lo..=hi).contains(&t.log10()))
        .collect();
    if all.len() <= 10 {
        all
    } else {
        decades.map(|d| 10f64.powi(d)).collect()
    }
}

/// Multiples of a round step (1, 2 or 5 times a power of ten) between `lo` and `hi`, about six.
fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 6.0;
    if !raw.is_finite() || raw <= 0.0 {
        return vec![lo];
    }
    let step = nice_step(raw);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A tick label: the value to four significant digits, in its shortest form ("0.1", "200").
fn tick_label(v: f64) -> String {
    let rounded: f64 = format!("{v:.3e}").parse().unwrap_or(v);
    let s = format!("{rounded}");
    if s == "-0" { "0".into() } else { s }
}

fn render<DB: DrawingBackend>(chart: &XyChart, root: &DrawingArea<DB, Shift>) -> Res
where
    DB::ErrorType: 'static,
{
    let mut legend: Vec<Item> = Vec::new();
    for s in chart.panels.iter().flat_map(|p| &p.series) {
        if !legend.iter().any(|i| i.label == s.label) {
            let c = colour(s.colour);
            let swatch = match s.style {
                XyStyle::Line => Swatch::Line(c, 2),
                XyStyle::LinePoints | XyStyle::Points => Swatch::Interval(c),
                XyStyle::Dashed => Swatch::Dashed(c),
            };
            legend.push(Item::new(&s.label, swatch));
        }
    }
    let f = frame(root, &chart.title, &chart.subtitle, &legend, 0)?;
    let area = f.plot.margin(0, 8, 8, 0);
    let panels = area.split_evenly((1, chart.panels.len().max(1)));
    for (area, panel) in panels.iter().zip(&chart.panels) {
        render_panel(area, panel)?;
    }
    Ok(())
}

fn colour(index: usize) -> RGBColor {
    let [r, g, b] = policy_colour(index);
    RGBColor(r, g, b)
}

fn render_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &XyPanel) -> Res
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let body = if panel.title.is_empty() {
        area.clone()
    } else {
        let style = anchored(LABEL_SIZE, INK, HPos::Center, VPos::Top);
        let text = truncate(area, &panel.title, &style, w as i32 - 16)?;
        area.draw(&Text::new(text, (w as i32 / 2, 4), style))?;
        area.clone().shrink((0, 26), (w, h.saturating_sub(26)))
    };
    let points = || panel.series.iter().flat_map(|s| &s.points);
    let (x_range, x_ticks) = extent(&panel.x, points().map(|p| p.0));
    let (y_range, y_ticks) = extent(&panel.y, points().map(|p| p.1));
    let tick_style = font(TICK_SIZE, INK);
    let mut y_label_width = 0;
    for &t in &y_ticks {
        y_label_width = y_label_width.max(text_width(&body, &tick_label(t), &tick_style)?);
    }
    let keys = |axis: &XyAxis, ticks: &[f64]| -> Vec<f64> {
        ticks.iter().filter_map(|&t| place(axis, t)).collect()
    };
    let mut c = ChartBuilder::on(&body)
        .margin_top(6)
        .margin_right(18)
        .margin_left(4)
        .x_label_area_size(50)
        .y_label_area_size(y_label_width + 12 + 24)
        .build_cartesian_2d(
            Keyed::new(x_range, keys(&panel.x, &x_ticks)),
            Keyed::new(y_range, keys(&panel.y, &y_ticks)),
        )?;
    let unplace = |axis: &XyAxis, v: f64| if axis.log { 10f64.powf(v) } else { v };
    let x_fmt = |v: &f64| tick_label(unplace(&panel.x, *v));
    let y_fmt = |v: &f64| tick_label(unplace(&panel.y, *v));
    c.configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(tick_style.clone())
        .axis_desc_style(font(LABEL_SIZE, INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS)
        .x_desc(panel.x.label.as_str())
        .y_desc(panel.y.label.as_str())
        .draw()?;
    // The first series last, so it stays on top where series coincide.
    for s in panel.series.iter().rev() {
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|&(x, y)| Some((place(&panel.x, x)?, place(&panel.y, y)?)))
            .collect();
        let c_colour = colour(s.colour);
        match s.style {
            XyStyle::Line | XyStyle::LinePoints => {
                c.draw_series(LineSeries::new(points.clone(), c_colour.stroke_width(2)))?;
            }
            XyStyle::Dashed => {
                c.draw_series(DashedLineSeries::new(
                    points.clone(),
                    6,
                    4,
                    c_colour.stroke_width(2),
                ))?;
            }
            XyStyle::Points => {}
        }
        if matches!(s.style, XyStyle::LinePoints | XyStyle::Points) {
            c.draw_series(points.iter().map(|&p| Circle::new(p, 4, c_colour.filled())))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_values_inside_the_range() {
        assert_eq!(
            log_ticks(0.0, 2.0),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        );
        assert_eq!(log_ticks(-4.0, 1.0), vec![1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0]);
        assert_eq!(linear_ticks(0.0, 41.0), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
        assert_eq!(tick_label(193.0), "193");
        assert_eq!(tick_label(2e-4), "0.0002");
    }

    #[test]
    fn draws_a_log_log_chart_with_a_legend() {
        let dir = tempfile::tempdir().unwrap();
        let chart = XyChart {
            stem: "xy".into(),
            title: "Cost by size".into(),
            subtitle: "Invented numbers.".into(),
            size: (900, 500),
            panels: vec![XyPanel {
                title: "time".into(),
                x: XyAxis {
                    ticks: vec![8.0, 64.0, 193.0],
                    ..XyAxis::log("actors (log scale)")
                },
                y: XyAxis::log("time per run (ms, log scale)"),
                series: vec![XySeries {
                    label: "fastest".into(),
                    colour: 0,
                    style: XyStyle::LinePoints,
                    points: vec![(8.0, 0.3), (64.0, 12.0), (193.0, 113.0), (0.0, 1.0)],
                }],
            }],
        };
        let written = draw_xy(&chart, dir.path()).unwrap();
        assert_eq!(written.len(), 2);
        let svg = std::fs::read_to_string(dir.path().join("xy.svg")).unwrap();
        // Text elements hold their text on a line of its own.
        for text in [
            "Cost by size",
            "fastest",
            "actors (log scale)",
            "\n193\n",
            "\n100\n",
        ] {
            assert!(svg.contains(text), "{text} missing from the SVG");
        }
        assert!(dir.path().join("xy.png").is_file());
    }
}
