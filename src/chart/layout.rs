//! The frame every chart shares: white background, title and subtitle at the top, a legend in a
//! strip on the right (so it never covers data), and helpers for text, ranges and date ticks.

use std::collections::BTreeMap;
use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::FONT_FAMILY;

/// What drawing returns: plotters' errors are boxed (they differ per backend).
pub(super) type Res<T = ()> = Result<T, Box<dyn Error>>;

/// Body text.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (subtitles, notes).
pub(super) const MUTED: RGBColor = RGBColor(0x59, 0x59, 0x59);
/// Grid lines.
pub(super) const GRID: RGBColor = RGBColor(0xE6, 0xE6, 0xE6);
/// Axis lines.
pub(super) const AXIS: RGBColor = RGBColor(0x80, 0x80, 0x80);
/// Neutral marks (key swatches, other actors).
pub(super) const NEUTRAL: RGBColor = RGBColor(0x6E, 0x6E, 0x6E);

pub(super) const TITLE_SIZE: u32 = 22;
pub(super) const SUBTITLE_SIZE: u32 = 14;
pub(super) const LABEL_SIZE: u32 = 14;
pub(super) const TICK_SIZE: u32 = 12;
pub(super) const LEGEND_SIZE: u32 = 13;

const PAD: i32 = 20;
const LINE_GAP: i32 = 19;
const SWATCH: i32 = 26;
const ITEM_HEIGHT: i32 = 22;

/// A text style in the chart font.
pub(super) fn font(size: u32, colour: RGBColor) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&colour)
}

/// A text style anchored at `h`, `v`.
pub(super) fn anchored(size: u32, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(size, colour).pos(Pos::new(h, v))
}

/// Width in pixels of `text` drawn in `style`.
pub(super) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Res<i32>
where
    DB::ErrorType: 'static,
{
    Ok(area.estimate_text_size(text, style)?.0 as i32)
}

/// `text` broken into lines no wider than `width` pixels (at spaces).
pub(super) fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: i32,
) -> Res<Vec<String>>
where
    DB::ErrorType: 'static,
{
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && text_width(area, &candidate, style)? > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// `text` cut with an ellipsis to fit `width` pixels.
pub(super) fn truncate<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: i32,
) -> Res<String>
where
    DB::ErrorType: 'static,
{
    if text_width(area, text, style)? <= width {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 0 {
        n -= 1;
        let cut: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if text_width(area, &cut, style)? <= width {
            return Ok(cut);
        }
    }
    Ok(String::new())
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    /// A solid line.
    Line(RGBColor, u32),
    /// A dashed line.
    Dashed(RGBColor),
    /// A translucent band with the median line through it.
    Band(RGBColor),
    /// A translucent band only, at this opacity.
    Fill(RGBColor, f64),
    /// A solid bar.
    Bar(RGBColor),
    /// An outlined bar.
    Outline(RGBColor),
    /// A dot with a horizontal interval.
    Interval(RGBColor),
    /// No swatch: a heading.
    Heading,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub label: String,
    pub swatch: Swatch,
}

impl Item {
    pub(super) fn new(label: impl Into<String>, swatch: Swatch) -> Item {
        Item {
            label: label.into(),
            swatch,
        }
    }
}

/// The areas of a framed chart.
pub(super) struct Frame<DB: DrawingBackend> {
    /// Where the plot goes (below the header, left of the legend).
    pub plot: DrawingArea<DB, Shift>,
    /// Top-left corner of the free space under the legend, in root pixels.
    pub below_legend: (i32, i32),
}

/// Fills the background, draws the title, the subtitle (wrapped) and the legend on the right, and
/// returns the areas left for the plot.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[Item],
    min_legend_width: i32,
) -> Res<Frame<DB>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);

    let title_style = anchored(TITLE_SIZE, INK, HPos::Left, VPos::Top);
    let mut y = 16;
    for line in wrap(root, title, &title_style, width - 2 * PAD)? {
        root.draw(&Text::new(line, (PAD, y), title_style.clone()))?;
        y += 28;
    }
    y += 4;
    let sub_style = anchored(SUBTITLE_SIZE, MUTED, HPos::Left, VPos::Top);
    for line in wrap(root, subtitle, &sub_style, width - 2 * PAD)? {
        root.draw(&Text::new(line, (PAD, y), sub_style.clone()))?;
        y += LINE_GAP;
    }
    let top = y + 10;

    let label_style = anchored(LEGEND_SIZE, INK, HPos::Left, VPos::Center);
    let mut legend_width = min_legend_width;
    for item in legend {
        let w = text_width(root, &item.label, &label_style)?;
        legend_width = legend_width.max(w + SWATCH + 8 + 40);
    }
    legend_width = legend_width.min(width / 3);
    let x = width - legend_width + 10;
    let mut ly = top + 12;
    for item in legend {
        draw_legend_item(root, item, x, ly, legend_width - 20)?;
        ly += ITEM_HEIGHT;
    }

    let plot = root
        .clone()
        .shrink((0, top), (width - legend_width, height - top));
    Ok(Frame {
        plot,
        below_legend: (x, ly + 8),
    })
}

fn draw_legend_item<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    item: &Item,
    x: i32,
    y: i32,
    width: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let (x1, mid) = (x + SWATCH, y);
    match item.swatch {
        Swatch::Line(c, w) => {
            root.draw(&PathElement::new(
                vec![(x, mid), (x1, mid)],
                c.stroke_width(w),
            ))?;
        }
        Swatch::Dashed(c) => {
            for k in 0..3 {
                let a = x + k * 10;
                root.draw(&PathElement::new(
                    vec![(a, mid), (a + 6, mid)],
                    c.stroke_width(2),
                ))?;
            }
        }
        Swatch::Band(c) => {
            root.draw(&Rectangle::new(
                [(x, mid - 7), (x1, mid + 7)],
                c.mix(0.25).filled(),
            ))?;
            root.draw(&PathElement::new(
                vec![(x, mid), (x1, mid)],
                c.stroke_width(2),
            ))?;
        }
        Swatch::Fill(c, opacity) => {
            root.draw(&Rectangle::new(
                [(x, mid - 7), (x1, mid + 7)],
                c.mix(opacity).filled(),
            ))?;
        }
        Swatch::Bar(c) => {
            root.draw(&Rectangle::new([(x, mid - 6), (x1, mid + 6)], c.filled()))?;
        }
        Swatch::Outline(c) => {
            root.draw(&Rectangle::new(
                [(x, mid - 4), (x1, mid + 4)],
                c.stroke_width(2),
            ))?;
        }
        Swatch::Interval(c) => {
            root.draw(&PathElement::new(
                vec![(x, mid), (x1, mid)],
                c.stroke_width(2),
            ))?;
            root.draw(&Circle::new((x + SWATCH / 2, mid), 4, c.filled()))?;
        }
        Swatch::Heading => {}
    }
    let (text_x, colour) = match item.swatch {
        Swatch::Heading => (x, MUTED),
        _ => (x1 + 8, INK),
    };
    let style = anchored(LEGEND_SIZE, colour, HPos::Left, VPos::Center);
    let label = truncate(root, &item.label, &style, width - (text_x - x))?;
    root.draw(&Text::new(label, (text_x, mid), style))?;
    Ok(())
}

/// A range covering the finite `values`, padded by `pad` of its span on each side; (0, 1) if
/// there are none, and widened around a single value.
pub(super) fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= 1e-12 * lo.abs().max(1.0) {
        let half = 0.05 * lo.abs().max(0.2);
        return (lo - half, hi + half);
    }
    (lo - pad * span, hi + pad * span)
}

/// `v` with `d` decimals, without a negative zero.
pub(super) fn number(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// `YYYY-MM` of a `YYYY-MM-DD` date.
pub(super) fn month(date: &str) -> String {
    date.get(..7).unwrap_or(date).to_string()
}

/// Turns to label on a time axis: those whose month index is a multiple of the smallest step
/// (1, 2, 3, 6, 12, 24, 60 or 120 months) giving between 2 and `max` labels; evenly spaced turns
/// if no step does.
pub(super) fn time_ticks(dates: &BTreeMap<u32, String>, max: usize) -> Vec<f64> {
    let months: Vec<(u32, i64)> = dates
        .iter()
        .filter_map(|(&turn, date)| {
            let year: i64 = date.get(..4)?.parse().ok()?;
            let m: i64 = date.get(5..7)?.parse().ok()?;
            Some((turn, year * 12 + m - 1))
        })
        .collect();
    for step in [1, 2, 3, 6, 12, 24, 60, 120] {
        let ticks: Vec<f64> = months
            .iter()
            .filter(|(_, m)| m % step == 0)
            .map(|&(t, _)| t as f64)
            .collect();
        if ticks.len() >= 2 && ticks.len() <= max {
            return ticks;
        }
    }
    let turns: Vec<u32> = dates.keys().copied().collect();
    if turns.is_empty() {
        return Vec::new();
    }
    let every = turns.len().div_ceil(max.max(1)).max(1);
    turns.iter().step_by(every).map(|&t| t as f64).collect()
}
