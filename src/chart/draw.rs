//! The charts: what each takes from the results folder ([`prepare_all`]) and how it is drawn
//! ([`render`]). Preparing decides which charts can be drawn and copies their data; rendering is
//! the same for the SVG and the PNG backend.

use std::collections::BTreeMap;

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::data::{Band, ComparedOutcome, Results, Stat};
use super::layout::*;
use super::{ChartError, ChartOptions, policy_colour};
use crate::scenario::Outcome;

/// One chart ready to draw.
pub(crate) struct Chart {
    /// File name without extension, e.g. `outcome_composite`.
    pub stem: String,
    pub title: String,
    /// What the chart shows and how to read it, for the report.
    pub caption: String,
    pub size: (u32, u32),
    subtitle: String,
    legend: Vec<Item>,
    body: Body,
}

/// Whether `stem` names a chart this module draws.
pub(crate) fn is_chart_stem(stem: &str) -> bool {
    stem.strip_prefix("outcome_")
        .is_some_and(|o| OUTCOMES.contains(&o))
        || matches!(
            stem,
            "finals"
                | "differences"
                | "p_best"
                | "tripwires"
                | "alignment"
                | "affinity_start"
                | "affinity_end"
                | "trade"
        )
}

/// The outcomes drawn over time, in report order.
const OUTCOMES: [&str; 9] = [
    "composite",
    "prosperity",
    "security",
    "autonomy",
    "standing",
    "stability",
    "tension",
    "threat",
    "crisis",
];

/// The outcomes of the final-outcome and difference panels: the composite and what it weighs.
const WEIGHED: [&str; 6] = [
    "composite",
    "prosperity",
    "security",
    "autonomy",
    "standing",
    "stability",
];

/// Most trade partners drawn.
const MAX_PARTNERS: usize = 12;

#[derive(Debug, Clone)]
struct Pol {
    id: String,
    colour: RGBColor,
    baseline: bool,
}

impl Pol {
    fn label(&self) -> String {
        if self.baseline {
            format!("{} (baseline)", self.id)
        } else {
            self.id.clone()
        }
    }
}

enum Body {
    Trajectory(Trajectory),
    Boxes(Vec<BoxPanel>),
    Differences(Vec<DiffPanel>),
    PBest(Vec<(Pol, f64, Option<f64>)>),
    Tripwires(Tripwires),
    Alignment(Alignment),
    Affinity(Affinity),
    Trade(Trade),
}

struct Trajectory {
    /// A yes/no series (crisis so far): its mean over runs is a probability, drawn as a line per
    /// policy; percentiles of a 0/1 value say nothing.
    share: bool,
    y_desc: String,
    series: Vec<(Pol, Vec<Band>)>,
    dates: BTreeMap<u32, String>,
}

/// One panel of a row chart: a value per policy, one row each.
struct RowPanel<T> {
    title: String,
    x_desc: String,
    rows: Vec<(Pol, T)>,
}

type BoxPanel = RowPanel<Stat>;
type DiffPanel = RowPanel<ComparedOutcome>;

/// A tripwire's id, name, and per policy its probability by turn.
type TripwirePanel = (String, String, Vec<(Pol, Vec<(u32, f64)>)>);
/// An actor's id and, per turn: turn, p05, p50, p95 of its position.
type ActorPath = (String, Vec<(u32, f64, f64, f64)>);
/// A trade partner's id and each policy's bands of trade with it.
type PartnerPanel = (String, Vec<(Pol, Vec<Band>)>);

struct Tripwires {
    dates: BTreeMap<u32, String>,
    panels: Vec<TripwirePanel>,
}

struct Alignment {
    dates: BTreeMap<u32, String>,
    pol: Pol,
    focal: String,
    /// Actor id, and per turn: turn, p05, p50, p95.
    actors: Vec<ActorPath>,
}

struct Affinity {
    actors: Vec<String>,
    /// Row-major `from × to` means; `None` on the diagonal or when missing.
    values: Vec<Option<f64>>,
}

struct Trade {
    dates: BTreeMap<u32, String>,
    focal: String,
    panels: Vec<PartnerPanel>,
}

/// What every chart needs to know about the folder.
struct Ctx<'a> {
    r: &'a Results,
    pols: Vec<Pol>,
    chosen: Pol,
    runs: u64,
    dates: BTreeMap<u32, String>,
}

impl Ctx<'_> {
    fn baseline(&self) -> Option<&Pol> {
        self.pols.iter().find(|p| p.baseline)
    }

    fn policy_items(&self, swatch: fn(RGBColor) -> Swatch) -> Vec<Item> {
        let mut items = vec![Item::new("Policy", Swatch::Heading)];
        items.extend(
            self.pols
                .iter()
                .map(|p| Item::new(p.label(), swatch(p.colour))),
        );
        items
    }

    fn final_date(&self) -> String {
        self.dates
            .values()
            .next_back()
            .map_or_else(|| "the final turn".to_string(), |d| d.clone())
    }
}

/// Every chart the folder has data for, in report order.
pub(crate) fn prepare_all(
    results: &Results,
    options: &ChartOptions,
) -> Result<Vec<Chart>, ChartError> {
    let manifest = &results.manifest;
    let baseline = results.baseline().to_string();
    let pols: Vec<Pol> = manifest
        .policies
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let [r, g, b] = policy_colour(i);
            Pol {
                id: id.clone(),
                colour: RGBColor(r, g, b),
                baseline: *id == baseline,
            }
        })
        .collect();
    let chosen_id = options.policy.clone().unwrap_or_else(|| baseline.clone());
    let chosen = match pols.iter().find(|p| p.id == chosen_id) {
        Some(p) => p.clone(),
        None if options.policy.is_some() || !pols.is_empty() => {
            if options.policy.is_some() {
                return Err(ChartError::UnknownPolicy {
                    policy: chosen_id,
                    manifest: results.dir.join("manifest.json"),
                    known: manifest.policies.join(", "),
                });
            }
            pols[0].clone()
        }
        None => Pol {
            id: chosen_id,
            colour: RGBColor(0, 0x72, 0xB2),
            baseline: true,
        },
    };
    let ctx = Ctx {
        r: results,
        pols,
        chosen,
        runs: manifest.runs,
        dates: results
            .timeseries
            .as_ref()
            .map(|t| t.dates.clone())
            .unwrap_or_default(),
    };

    let mut charts = Vec::new();
    for outcome in OUTCOMES {
        charts.extend(trajectory(&ctx, outcome));
    }
    charts.extend(finals(&ctx));
    charts.extend(differences(&ctx));
    charts.extend(p_best(&ctx));
    charts.extend(tripwires(&ctx));
    charts.extend(alignment(&ctx));
    for when in ["start", "end"] {
        charts.extend(affinity(&ctx, when));
    }
    charts.extend(trade(&ctx));
    Ok(charts)
}

/// Draws `chart` on `root`.
pub(crate) fn render<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> Res
where
    DB::ErrorType: 'static,
{
    match &chart.body {
        Body::Trajectory(t) => render_trajectory(root, chart, t),
        Body::Boxes(panels) => render_boxes(root, chart, panels),
        Body::Differences(panels) => render_differences(root, chart, panels),
        Body::PBest(rows) => render_p_best(root, chart, rows),
        Body::Tripwires(t) => render_tripwires(root, chart, t),
        Body::Alignment(a) => render_alignment(root, chart, a),
        Body::Affinity(a) => render_affinity(root, chart, a),
        Body::Trade(t) => render_trade(root, chart, t),
    }
}

// ------------------------------------------------------------------------------------------------
// Preparing

fn outcome_meta(name: &str) -> (String, String, Option<bool>) {
    let label = capitalise(name);
    match Outcome::ALL.iter().find(|o| o.name() == name) {
        Some(o) => (label, o.unit().to_string(), Some(o.higher_is_better())),
        None => (label, String::new(), None),
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn direction(higher_is_better: Option<bool>) -> &'static str {
    match higher_is_better {
        Some(true) => "; higher is better",
        Some(false) => "; lower is better",
        None => "",
    }
}

fn trajectory(ctx: &Ctx, outcome: &str) -> Option<Chart> {
    let ts = ctx.r.timeseries.as_ref()?;
    let series: Vec<(Pol, Vec<Band>)> = ctx
        .pols
        .iter()
        .filter_map(|p| Some((p.clone(), ts.get(&p.id, outcome)?.to_vec())))
        .filter(|(_, b)| !b.is_empty())
        .collect();
    if series.is_empty() {
        return None;
    }
    let (label, unit, better) = outcome_meta(outcome);
    if outcome == "crisis" {
        return Some(Chart {
            stem: format!("outcome_{outcome}"),
            title: "Crisis so far, by policy".into(),
            caption: format!(
                "The share of the {} runs in which the stability theatre has been in crisis at \
                 least once by each date, under each policy (lower is better). A crisis is a \
                 yes-or-no state, so the chart shows the probability rather than percentiles. \
                 Where lines coincide, the policy listed first is drawn on top.",
                ctx.runs
            ),
            subtitle: format!(
                "Share of {} runs in which the stability theatre has been in crisis at least once \
                 so far; lower is better. Where lines coincide, the policy listed first is drawn \
                 on top.",
                ctx.runs
            ),
            size: (1000, 600),
            legend: ctx.policy_items(|c| Swatch::Line(c, 2)),
            body: Body::Trajectory(Trajectory {
                share: true,
                y_desc: "share of runs with a crisis so far".into(),
                series,
                dates: ctx.dates.clone(),
            }),
        });
    }
    let mut legend = ctx.policy_items(Swatch::Band);
    legend.push(Item::new("", Swatch::Heading));
    legend.push(Item::new("Key", Swatch::Heading));
    legend.push(Item::new("median", Swatch::Line(NEUTRAL, 2)));
    legend.push(Item::new("50% band (p25–p75)", Swatch::Fill(NEUTRAL, 0.40)));
    legend.push(Item::new("90% band (p05–p95)", Swatch::Fill(NEUTRAL, 0.18)));
    if series.len() > 3 && ctx.baseline().is_some() {
        let b = ctx.baseline().map_or(NEUTRAL, |b| b.colour);
        legend.push(Item::new("baseline median", Swatch::Dashed(b)));
    }
    let title = format!("{label} over time, by policy");
    Some(Chart {
        stem: format!("outcome_{outcome}"),
        caption: format!(
            "{label} of the focal actor at each turn under each policy ({unit}{}). The line is the \
             median over {} runs; the darker band holds the middle 50% of runs and the lighter band \
             90%. Wide bands mean the outcome depends heavily on chance and on the uncertain \
             inputs; overlapping bands do not by themselves mean two policies are equivalent, \
             since runs are paired (see the differences chart).",
            direction(better),
            ctx.runs
        ),
        subtitle: format!(
            "{}{}. Line: median of {} runs; dark band: 25th–75th percentile; light band: \
             5th–95th percentile.{}",
            capitalise(&unit),
            direction(better),
            ctx.runs,
            if series.len() > 3 {
                ""
            } else {
                " Where lines coincide, the policy listed first is drawn on top."
            }
        ),
        title,
        size: if series.len() > 3 {
            (1200, 720)
        } else {
            (1000, 600)
        },
        legend,
        body: Body::Trajectory(Trajectory {
            share: false,
            y_desc: if unit.is_empty() {
                label
            } else {
                format!("{label} ({unit})")
            },
            series,
            dates: ctx.dates.clone(),
        }),
    })
}

fn finals(ctx: &Ctx) -> Option<Chart> {
    let summary = ctx.r.summary.as_ref()?;
    let mut panels = Vec::new();
    for outcome in WEIGHED {
        let rows: Vec<(Pol, Stat)> = ctx
            .pols
            .iter()
            .filter_map(|p| {
                let s = summary.policies.iter().find(|s| s.id == p.id)?;
                Some((p.clone(), s.outcome(outcome)?.clone()))
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let (label, unit, better) = outcome_meta(outcome);
        panels.push(BoxPanel {
            title: format!(
                "{label}{}",
                if better == Some(true) {
                    " (higher is better)"
                } else {
                    ""
                }
            ),
            x_desc: unit,
            rows,
        });
    }
    if panels.is_empty() {
        return None;
    }
    let date = if summary.final_date.is_empty() {
        ctx.final_date()
    } else {
        summary.final_date.clone()
    };
    let mut legend = ctx.policy_items(|c| Swatch::Fill(c, 0.45));
    legend.push(Item::new("", Swatch::Heading));
    legend.push(Item::new("Key", Swatch::Heading));
    legend.push(Item::new("box: p25–p75", Swatch::Fill(NEUTRAL, 0.45)));
    legend.push(Item::new("whiskers: p05–p95", Swatch::Line(NEUTRAL, 2)));
    legend.push(Item::new("bar: median", Swatch::Line(INK, 3)));
    legend.push(Item::new("dot: mean", Swatch::Interval(INK)));
    let weights: Vec<String> = summary
        .weights
        .iter()
        .map(|w| format!("{} {}", w.outcome, number(w.weight, 2)))
        .collect();
    let rows = panels.iter().map(|p| p.rows.len()).max().unwrap_or(1);
    Some(Chart {
        stem: "finals".into(),
        title: format!("Final outcomes by policy ({date})"),
        caption: format!(
            "The focal actor's outcomes at the final turn ({date}), one box per policy. The box \
             spans the middle 50% of {} runs, the whiskers 90%; the thick bar is the median and \
             the dot the mean. The composite, used for the ranking, is the weighted change from \
             the start ({}). Boxes show the spread across runs, not the uncertainty of a \
             difference between policies.",
            ctx.runs,
            weights.join(", ")
        ),
        subtitle: format!(
            "Spread over {} runs at the final turn. The composite is the weighted change from the \
             start ({}); the others are levels.",
            ctx.runs,
            weights.join(", ")
        ),
        size: (1200, (420 + 2 * 34 * rows as u32).clamp(700, 1400)),
        legend,
        body: Body::Boxes(panels),
    })
}

fn differences(ctx: &Ctx) -> Option<Chart> {
    let comparison = ctx.r.comparison.as_ref()?;
    let baseline = ctx.baseline()?.id.clone();
    let mut panels = Vec::new();
    for outcome in WEIGHED {
        let rows: Vec<(Pol, ComparedOutcome)> = ctx
            .pols
            .iter()
            .filter(|p| !p.baseline)
            .filter_map(|p| {
                Some((
                    p.clone(),
                    comparison.policy(&p.id)?.outcome(outcome)?.clone(),
                ))
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let (label, unit, _) = outcome_meta(outcome);
        panels.push(DiffPanel {
            title: label,
            x_desc: format!("difference ({unit})"),
            rows,
        });
    }
    if panels.is_empty() {
        return None;
    }
    let confidence = if comparison.confidence.is_finite() {
        format!("{:.0}%", 100.0 * comparison.confidence)
    } else {
        "95%".to_string()
    };
    let mut legend = ctx.policy_items(Swatch::Interval);
    legend.push(Item::new("", Swatch::Heading));
    legend.push(Item::new("Key", Swatch::Heading));
    legend.push(Item::new(
        format!("mean, {confidence} CI"),
        Swatch::Interval(NEUTRAL),
    ));
    legend.push(Item::new("no difference", Swatch::Dashed(NEUTRAL)));
    let rows = panels.iter().map(|p| p.rows.len()).max().unwrap_or(1);
    let date = if comparison.final_date.is_empty() {
        ctx.final_date()
    } else {
        comparison.final_date.clone()
    };
    Some(Chart {
        stem: "differences".into(),
        title: format!("Difference from the baseline `{baseline}` at {date}"),
        caption: format!(
            "Each policy minus the baseline `{baseline}`, run by run (runs share their random \
             numbers, so the pairing removes the noise they share), averaged over {} runs, with a \
             {confidence} paired-t interval. Right of the dashed line is better than the baseline \
             (more is better for each of these outcomes). An interval that crosses the line means \
             the runs cannot tell the policy from the baseline; the interval covers Monte-Carlo \
             noise only, not model error.",
            comparison.runs
        ),
        subtitle: format!(
            "Mean paired difference (policy − baseline) over {} runs with its {confidence} \
             confidence interval (Monte-Carlo noise only). Right of the dashed line = better than \
             the baseline.",
            comparison.runs
        ),
        size: (1200, (420 + 2 * 34 * rows as u32).clamp(640, 1400)),
        legend,
        body: Body::Differences(panels),
    })
}

fn p_best(ctx: &Ctx) -> Option<Chart> {
    let comparison = ctx.r.comparison.as_ref()?;
    let shares = comparison.weight_sensitivity.as_ref();
    let rows: Vec<(Pol, f64, Option<f64>)> = ctx
        .pols
        .iter()
        .filter_map(|p| {
            let c = comparison.policy(&p.id)?;
            let share = shares.and_then(|s| s.best_share.iter().find(|x| x.policy == p.id));
            Some((p.clone(), c.p_best, share.map(|s| s.share)))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let with_shares = rows.iter().any(|r| r.2.is_some());
    let mut legend = ctx.policy_items(Swatch::Bar);
    legend.push(Item::new("", Swatch::Heading));
    legend.push(Item::new("Key", Swatch::Heading));
    legend.push(Item::new("share of runs", Swatch::Bar(NEUTRAL)));
    if with_shares {
        legend.push(Item::new("share of weightings", Swatch::Outline(NEUTRAL)));
    }
    let grid = shares.map_or(0, |s| s.grid_points);
    Some(Chart {
        stem: "p_best".into(),
        title: "Probability of being the best policy".into(),
        caption: format!(
            "Filled bars: the share of the {} runs in which each policy has the highest composite \
             of all policies (ties shared), at the scenario's outcome weights. {}A policy that is \
             best in most runs and under most weightings is a robust choice; one that is best \
             only under the scenario's own weights depends on them.",
            comparison.runs,
            if with_shares {
                format!(
                    "Outlined bars: the share of {grid} outcome weightings (every split of the \
                     weights in steps of 0.05) under which the policy has the highest mean \
                     composite. "
                )
            } else {
                String::new()
            }
        ),
        subtitle: format!(
            "Filled: share of {} runs in which the policy has the highest composite (ties \
             shared).{}",
            comparison.runs,
            if with_shares {
                format!(
                    " Outlined: share of {grid} outcome weightings under which it is best on average."
                )
            } else {
                String::new()
            }
        ),
        size: (1000, (200 + 56 * rows.len() as u32).clamp(420, 1200)),
        legend,
        body: Body::PBest(rows),
    })
}

fn tripwires(ctx: &Ctx) -> Option<Chart> {
    let rows = ctx.r.tripwires.as_ref()?;
    let mut order: Vec<String> = Vec::new();
    let mut lines: BTreeMap<(String, String), Vec<(u32, f64)>> = BTreeMap::new();
    let mut dates = ctx.dates.clone();
    for row in rows {
        if !order.contains(&row.tripwire) {
            order.push(row.tripwire.clone());
        }
        dates.entry(row.turn).or_insert_with(|| row.date.clone());
        lines
            .entry((row.tripwire.clone(), row.policy.clone()))
            .or_default()
            .push((row.turn, row.probability));
    }
    let names = |id: &str| -> String {
        ctx.r
            .comparison
            .as_ref()
            .and_then(|c| c.tripwires.iter().find(|t| t.tripwire == id))
            .map_or(String::new(), |t| t.name.clone())
    };
    let panels: Vec<TripwirePanel> = order
        .iter()
        .map(|id| {
            let curves = ctx
                .pols
                .iter()
                .filter_map(|p| {
                    let mut points = lines.get(&(id.clone(), p.id.clone()))?.clone();
                    points.sort_by_key(|&(t, _)| t);
                    Some((p.clone(), points))
                })
                .collect();
            (id.clone(), names(id), curves)
        })
        .filter(|(_, _, curves): &(String, String, Vec<_>)| !curves.is_empty())
        .collect();
    if panels.is_empty() {
        return None;
    }
    let cols = if panels.len() <= 4 { 2 } else { 3 };
    let rows_n = panels.len().div_ceil(cols) as u32;
    Some(Chart {
        stem: "tripwires".into(),
        title: "Tripwires: probability of having been crossed, by date".into(),
        caption: format!(
            "For each tripwire (a threshold the analyst watches), the share of {} runs in which it \
             has been crossed at least once by each date, per policy. A curve that rises early \
             and high marks a risk the policy does not contain; curves that lie on top of each \
             other mean the policies do not change that risk.",
            ctx.runs
        ),
        subtitle: format!(
            "Cumulative share of {} runs in which the tripwire was crossed at least once by each \
             date, per policy. Where lines coincide, the policy listed first is drawn on top.",
            ctx.runs
        ),
        size: (1200, 150 + 300 * rows_n),
        legend: ctx.policy_items(|c| Swatch::Line(c, 2)),
        body: Body::Tripwires(Tripwires { dates, panels }),
    })
}

fn alignment(ctx: &Ctx) -> Option<Chart> {
    let rows = ctx.r.actors.as_ref()?;
    let pol = ctx.chosen.clone();
    let mut actors: Vec<ActorPath> = Vec::new();
    let mut dates = ctx.dates.clone();
    for row in rows.iter().filter(|r| r.policy == pol.id) {
        dates.entry(row.turn).or_insert_with(|| row.date.clone());
        let point = (
            row.turn,
            row.position_p05,
            row.position_p50,
            row.position_p95,
        );
        match actors.iter_mut().find(|(a, _)| *a == row.actor) {
            Some((_, points)) => points.push(point),
            None => actors.push((row.actor.clone(), vec![point])),
        }
    }
    if actors.is_empty() {
        return None;
    }
    for (_, points) in &mut actors {
        points.sort_by_key(|p| p.0);
    }
    let focal = ctx.r.manifest.focal.clone();
    let legend = vec![
        Item::new("Policy", Swatch::Heading),
        Item::new(pol.label(), Swatch::Band(pol.colour)),
        Item::new("", Swatch::Heading),
        Item::new("Key", Swatch::Heading),
        Item::new(format!("focal actor {focal}"), Swatch::Line(pol.colour, 3)),
        Item::new("other actors", Swatch::Line(NEUTRAL, 2)),
        Item::new("90% band (p05–p95)", Swatch::Fill(NEUTRAL, 0.18)),
    ];
    Some(Chart {
        stem: "alignment".into(),
        title: format!("Alignment of the actors over time under `{}`", pol.id),
        caption: format!(
            "Each actor's position on the alignment dimension (the UN General Assembly \
             ideal-point scale) over time under the policy `{}`: the median over {} runs, with a \
             band holding 90% of runs. The focal actor {focal} is drawn in the policy's colour. \
             Lines that converge show actors drawing together; a line moving away from its \
             partners shows drift.",
            pol.id, ctx.runs
        ),
        subtitle: format!(
            "Median position over {} runs (line) and 90% band, on the UNGA ideal-point scale. \
             Labels give each actor's id at the start and at the end.",
            ctx.runs
        ),
        size: (1000, 620),
        legend,
        body: Body::Alignment(Alignment {
            dates,
            pol,
            focal,
            actors,
        }),
    })
}

fn affinity(ctx: &Ctx, when: &str) -> Option<Chart> {
    let rows = ctx.r.affinity.as_ref()?;
    let pol = ctx.chosen.clone();
    let rows: Vec<_> = rows
        .iter()
        .filter(|r| r.policy == pol.id && r.when == when)
        .collect();
    if rows.is_empty() {
        return None;
    }
    // Actor order: as in actors.csv if it has them, else first appearance here.
    let mut actors: Vec<String> = Vec::new();
    if let Some(a) = &ctx.r.actors {
        for row in a.iter().filter(|r| r.policy == pol.id) {
            if !actors.contains(&row.actor) {
                actors.push(row.actor.clone());
            }
        }
    }
    for row in &rows {
        for id in [&row.from, &row.to] {
            if !actors.contains(id) {
                actors.push(id.clone());
            }
        }
    }
    let n = actors.len();
    let mut values = vec![None; n * n];
    for row in &rows {
        let i = actors.iter().position(|a| *a == row.from);
        let j = actors.iter().position(|a| *a == row.to);
        if let (Some(i), Some(j)) = (i, j) {
            if i != j && row.mean.is_finite() {
                values[i * n + j] = Some(row.mean);
            }
        }
    }
    let date = if when == "start" {
        ctx.dates.values().next().cloned().unwrap_or_default()
    } else {
        ctx.final_date()
    };
    let at = if when == "start" {
        "at the start"
    } else {
        "at the end"
    };
    let legend = vec![
        Item::new("Policy", Swatch::Heading),
        Item::new(pol.label(), Swatch::Bar(pol.colour)),
        Item::new("", Swatch::Heading),
        Item::new("Affinity (row toward column)", Swatch::Heading),
    ];
    let side = (90 + 64 * n as u32).clamp(420, 760);
    Some(Chart {
        stem: format!("affinity_{when}"),
        title: format!(
            "Affinity between actors {at} ({}) under `{}`",
            month(&date),
            pol.id
        ),
        caption: format!(
            "How each actor (row) regards each other actor (column) {at} ({}), from −1 (hostile, \
             red) through 0 (indifferent, white) to +1 (friendly, blue): the mean over {} runs \
             under the policy `{}`. Affinity is directed, so the matrix need not be symmetric. \
             Compare the start and end maps to see which relations the policy warms or cools.",
            month(&date),
            ctx.runs,
            pol.id
        ),
        subtitle: format!(
            "Mean affinity of the row actor toward the column actor over {} runs, from −1 \
             (hostile) to +1 (friendly).",
            ctx.runs
        ),
        size: (1000, side + 150),
        legend,
        body: Body::Affinity(Affinity { actors, values }),
    })
}

fn trade(ctx: &Ctx) -> Option<Chart> {
    let ts = ctx.r.timeseries.as_ref()?;
    let mut partners: Vec<String> = ctx
        .r
        .manifest
        .series
        .iter()
        .filter_map(|s| s.strip_prefix("trade_").map(str::to_string))
        .collect();
    if partners.is_empty() {
        partners = ts
            .outcomes()
            .iter()
            .filter_map(|s| s.strip_prefix("trade_").map(str::to_string))
            .collect();
    }
    let reference = ctx.baseline().or(ctx.pols.first())?.id.clone();
    let start_level = |partner: &str| -> f64 {
        ts.get(&reference, &format!("trade_{partner}"))
            .and_then(|b| b.first())
            .map_or(f64::NEG_INFINITY, |b| {
                if b.p50.is_finite() {
                    b.p50
                } else {
                    f64::NEG_INFINITY
                }
            })
    };
    // Largest partners first (stable for ties: series order).
    partners.sort_by(|a, b| start_level(b).total_cmp(&start_level(a)));
    let total = partners.len();
    partners.truncate(MAX_PARTNERS);
    let panels: Vec<PartnerPanel> = partners
        .iter()
        .map(|partner| {
            let lines = ctx
                .pols
                .iter()
                .filter_map(|p| {
                    let bands = ts.get(&p.id, &format!("trade_{partner}"))?;
                    (!bands.is_empty()).then(|| (p.clone(), bands.to_vec()))
                })
                .collect();
            (partner.clone(), lines)
        })
        .filter(|(_, lines): &(String, Vec<_>)| !lines.is_empty())
        .collect();
    if panels.is_empty() {
        return None;
    }
    let focal = if ctx.r.manifest.focal.is_empty() {
        "the focal actor".to_string()
    } else {
        ctx.r.manifest.focal.clone()
    };
    let mut legend = ctx.policy_items(|c| Swatch::Line(c, 2));
    legend.push(Item::new("", Swatch::Heading));
    legend.push(Item::new("Key", Swatch::Heading));
    legend.push(Item::new("median", Swatch::Line(NEUTRAL, 2)));
    legend.push(Item::new(
        "90% band, baseline",
        Swatch::Fill(ctx.baseline().map_or(NEUTRAL, |b| b.colour), 0.16),
    ));
    let more = if total > MAX_PARTNERS {
        format!(" The {MAX_PARTNERS} largest of {total} partners are shown.")
    } else {
        String::new()
    };
    let cols = panels.len().clamp(1, 3);
    let rows_n = panels.len().div_ceil(cols) as u32;
    Some(Chart {
        stem: "trade".into(),
        title: format!("Trade of {focal} by partner"),
        caption: format!(
            "The focal actor {focal}'s goods trade with each partner (both directions, USD billion \
             per year) over time: the median over {} runs under each policy, and the 90% band \
             under the baseline for scale. Partners are ordered by trade at the start; each panel \
             has its own scale.{more}",
            ctx.runs
        ),
        subtitle: format!(
            "Goods trade with each partner, USD billion per year: median of {} runs per policy; \
             shaded: 5th–95th percentile under the baseline. Each panel has its own scale; where \
             lines coincide, the policy listed first is drawn on top.{more}",
            ctx.runs
        ),
        size: (1200, 150 + 260 * rows_n),
        legend,
        body: Body::Trade(Trade {
            dates: ctx.dates.clone(),
            focal,
            panels,
        }),
    })
}

// ------------------------------------------------------------------------------------------------
// Rendering

type TimeCoord = Cartesian2d<Keyed, RangedCoordf64>;
type RowCoord = Cartesian2d<RangedCoordf64, Keyed>;

/// A linear f64 axis whose ticks are exactly `keys` (plotters' `WithKeyPoints` over f64 lacks a
/// value formatter, so the mesh cannot be configured on it).
#[derive(Debug, Clone)]
pub(super) struct Keyed {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl Keyed {
    pub(super) fn new(range: (f64, f64), keys: Vec<f64>) -> Keyed {
        Keyed {
            lo: range.0,
            hi: range.1,
            keys,
        }
    }
}

impl Ranged for Keyed {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (limit.0 + limit.1) / 2;
        }
        let share = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (share * (limit.1 - limit.0) as f64 + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// How tick labels of a value axis read.
#[derive(Clone, Copy)]
enum Ticks {
    Number(usize),
    /// Shares shown as percentages with this many decimals.
    Percent(usize),
}

impl Ticks {
    fn format(self, v: f64) -> String {
        match self {
            Ticks::Number(d) => number(v, d),
            Ticks::Percent(d) => format!("{}%", number(100.0 * v, d)),
        }
    }
}

/// A value axis: range and tick format (as many decimals as the tick step needs, for about six
/// ticks, as plotters places them).
fn value_axis(lo: f64, hi: f64) -> ((f64, f64), Ticks) {
    ((lo, hi), Ticks::Number(step_decimals((hi - lo) / 6.0)))
}

/// Decimals needed to write multiples of the "nice" step (1, 2 or 5 times a power of ten) nearest
/// above `raw`.
fn step_decimals(raw: f64) -> usize {
    if !raw.is_finite() || raw <= 0.0 {
        return 2;
    }
    (-(nice_step(raw).log10() + 1e-9).floor()).max(0.0) as usize
}

/// The "nice" step (1, 2 or 5 times a power of ten) nearest above `raw` (positive and finite).
pub(super) fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&s| s >= raw * 0.999)
        .unwrap_or(10.0 * power)
}

/// The widest tick label of a value axis, in pixels.
fn ticks_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    range: (f64, f64),
    ticks: Ticks,
) -> Res<i32>
where
    DB::ErrorType: 'static,
{
    let style = font(TICK_SIZE, INK);
    let mut w = 0;
    for k in 0..=10 {
        let v = range.0 + (range.1 - range.0) * k as f64 / 10.0;
        w = w.max(text_width(area, &ticks.format(v), &style)?);
    }
    Ok(w)
}

/// A panel caption at the top left of `area`; returns the area below it.
fn caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    colour: RGBColor,
    indent: i32,
) -> Res<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let style = anchored(LABEL_SIZE, colour, HPos::Left, VPos::Top);
    let text = truncate(area, text, &style, w as i32 - indent - 8)?;
    area.draw(&Text::new(text, (indent, 6), style))?;
    Ok(area.clone().shrink((0, 26), (w, h.saturating_sub(26))))
}

/// A panel caption (`title`) with a note of up to two lines under it in smaller grey text;
/// returns the area below.
fn caption_with_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    note: &str,
    indent: i32,
) -> Res<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    if note.is_empty() {
        return caption(area, title, INK, indent);
    }
    let (w, h) = area.dim_in_pixel();
    let width = w as i32 - indent - 8;
    let style = anchored(LABEL_SIZE, INK, HPos::Left, VPos::Top);
    area.draw(&Text::new(
        truncate(area, title, &style, width)?,
        (indent, 4),
        style,
    ))?;
    let note_style = anchored(TICK_SIZE, MUTED, HPos::Left, VPos::Top);
    let mut lines = wrap(area, note, &note_style, width)?;
    if lines.len() > 2 {
        let rest = lines[1..].join(" ");
        lines.truncate(1);
        lines.push(truncate(area, &rest, &note_style, width)?);
    }
    for (k, line) in lines.iter().enumerate() {
        area.draw(&Text::new(
            line.clone(),
            (indent, 23 + 16 * k as i32),
            note_style.clone(),
        ))?;
    }
    let used = 26 + 16 * lines.len() as u32;
    Ok(area.clone().shrink((0, used), (w, h.saturating_sub(used))))
}

/// What a time panel shows on its axes.
struct TimeAxes<'s> {
    x: (f64, f64),
    dates: &'s BTreeMap<u32, String>,
    y: (f64, f64),
    y_ticks: Ticks,
    y_desc: Option<&'s str>,
    x_desc: bool,
    y_label_width: i32,
}

/// Builds a time chart on `area` and draws its grid and axes.
fn time_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    axes: &TimeAxes,
) -> Res<ChartContext<'a, DB, TimeCoord>>
where
    DB::ErrorType: 'static,
{
    let y_area = axes.y_label_width + 12 + if axes.y_desc.is_some() { 24 } else { 0 };
    // About one date label per 85 pixels ("2025-01" is about 55 wide).
    let (width, _) = area.dim_in_pixel();
    let room = (width as i32 - y_area - 22) / 85;
    let ticks = time_ticks(axes.dates, room.clamp(2, 9) as usize);
    let mut chart = ChartBuilder::on(area)
        .margin_top(6)
        .margin_right(18)
        .margin_left(4)
        .x_label_area_size(if axes.x_desc { 50 } else { 28 })
        .y_label_area_size(y_area)
        .build_cartesian_2d(Keyed::new(axes.x, ticks), axes.y.0..axes.y.1)?;
    let dates = axes.dates;
    let x_fmt = |v: &f64| -> String {
        if *v < 0.0 {
            return String::new();
        }
        dates
            .get(&(v.round() as u32))
            .map_or_else(String::new, |d| month(d))
    };
    let y_ticks = axes.y_ticks;
    let y_fmt = move |v: &f64| y_ticks.format(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_labels(6)
        .label_style(font(TICK_SIZE, INK))
        .axis_desc_style(font(LABEL_SIZE, INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS);
    if axes.x_desc {
        mesh.x_desc("date (start of turn)");
    }
    if let Some(desc) = axes.y_desc {
        mesh.y_desc(desc);
    }
    mesh.draw()?;
    Ok(chart)
}

fn finite_band(b: &Band) -> bool {
    [b.p05, b.p25, b.p50, b.p75, b.p95]
        .iter()
        .all(|v| v.is_finite())
}

/// A translucent band between two edges of the bands.
fn band_polygon<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, TimeCoord>,
    bands: &[Band],
    lower: fn(&Band) -> f64,
    upper: fn(&Band) -> f64,
    style: ShapeStyle,
) -> Res
where
    DB::ErrorType: 'static,
{
    let points: Vec<&Band> = bands.iter().filter(|b| finite_band(b)).collect();
    if points.len() < 2 {
        return Ok(());
    }
    let mut outline: Vec<(f64, f64)> = points.iter().map(|b| (b.turn as f64, upper(b))).collect();
    outline.extend(points.iter().rev().map(|b| (b.turn as f64, lower(b))));
    chart.draw_series(std::iter::once(Polygon::new(outline, style)))?;
    Ok(())
}

fn median_points(bands: &[Band]) -> Vec<(f64, f64)> {
    bands
        .iter()
        .filter(|b| b.p50.is_finite())
        .map(|b| (b.turn as f64, b.p50))
        .collect()
}

fn x_range(dates: &BTreeMap<u32, String>, bands: &[&[Band]]) -> (f64, f64) {
    let turns = dates
        .keys()
        .map(|&t| t as f64)
        .chain(bands.iter().flat_map(|b| b.iter().map(|x| x.turn as f64)));
    let (lo, hi) = turns.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
        (lo.min(t), hi.max(t))
    });
    if !lo.is_finite() || hi <= lo {
        (0.0, 1.0)
    } else {
        (lo, hi)
    }
}

/// Draws one y-axis title (rotated, on the left) and one x-axis title (at the bottom) for a grid
/// of panels, and splits the rest into the grid (see [`grid`]).
fn titled_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: usize,
    cols: usize,
    y_desc: &str,
    x_desc: &str,
) -> Res<Vec<DrawingArea<DB, Shift>>>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let rotated =
        anchored(LABEL_SIZE, INK, HPos::Center, VPos::Top).transform(FontTransform::Rotate270);
    area.draw(&Text::new(y_desc.to_string(), (2, h / 2), rotated))?;
    area.draw(&Text::new(
        x_desc.to_string(),
        (w / 2, h - 20),
        anchored(LABEL_SIZE, INK, HPos::Center, VPos::Top),
    ))?;
    let inner = area.clone().shrink((24, 0), (w - 24, h - 26));
    Ok(grid(&inner, n, cols))
}

/// Splits `area` into a grid of `n` panels with `cols` columns (row-major).
fn grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: usize,
    cols: usize,
) -> Vec<DrawingArea<DB, Shift>> {
    let cols = cols.max(1);
    let rows = n.div_ceil(cols).max(1);
    let mut panels = area.split_evenly((rows, cols));
    panels.truncate(n);
    if rows > 1 {
        // A gap between rows, so an axis title never touches the caption below it.
        panels = panels.into_iter().map(|p| p.margin(0, 12, 0, 0)).collect();
    }
    panels
}

fn render_trajectory<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    t: &Trajectory,
) -> Res
where
    DB::ErrorType: 'static,
{
    let f = frame(root, &chart.title, &chart.subtitle, &chart.legend, 0)?;
    if t.share {
        return render_share(&f.plot, t);
    }
    let (lo, hi) = padded_range(
        t.series
            .iter()
            .flat_map(|(_, b)| b.iter().flat_map(|b| [b.p05, b.p95, b.p50])),
        0.05,
    );
    let (y, y_ticks) = value_axis(lo, hi);
    let all: Vec<&[Band]> = t.series.iter().map(|(_, b)| b.as_slice()).collect();
    let x = x_range(&t.dates, &all);
    let n = t.series.len();
    let y_label_width = ticks_width(root, y, y_ticks)?;

    if n <= 3 {
        let area = f.plot.margin(0, 10, 10, 0);
        let axes = TimeAxes {
            x,
            dates: &t.dates,
            y,
            y_ticks,
            y_desc: Some(&t.y_desc),
            x_desc: true,
            y_label_width,
        };
        let mut c = time_chart(&area, &axes)?;
        for (pol, bands) in &t.series {
            band_polygon(
                &mut c,
                bands,
                |b| b.p05,
                |b| b.p95,
                pol.colour.mix(0.13).filled(),
            )?;
        }
        for (pol, bands) in &t.series {
            band_polygon(
                &mut c,
                bands,
                |b| b.p25,
                |b| b.p75,
                pol.colour.mix(0.28).filled(),
            )?;
        }
        // The first policy last, so it stays on top where lines coincide.
        for (pol, bands) in t.series.iter().rev() {
            c.draw_series(LineSeries::new(
                median_points(bands),
                pol.colour.stroke_width(3),
            ))?;
        }
        return Ok(());
    }

    let cols = if n <= 4 {
        2
    } else if n <= 6 {
        3
    } else {
        4
    };
    let reference = t.series.iter().find(|(p, _)| p.baseline);
    let area = f.plot.margin(0, 8, 8, 0);
    let panels = titled_grid(&area, n, cols, &t.y_desc, "date (start of turn)")?;
    for (panel, (pol, bands)) in panels.iter().zip(&t.series) {
        let body = caption(panel, &pol.label(), pol.colour, y_label_width + 20)?;
        let axes = TimeAxes {
            x,
            dates: &t.dates,
            y,
            y_ticks,
            y_desc: None,
            x_desc: false,
            y_label_width,
        };
        let mut c = time_chart(&body, &axes)?;
        band_polygon(
            &mut c,
            bands,
            |b| b.p05,
            |b| b.p95,
            pol.colour.mix(0.18).filled(),
        )?;
        band_polygon(
            &mut c,
            bands,
            |b| b.p25,
            |b| b.p75,
            pol.colour.mix(0.38).filled(),
        )?;
        if let Some((base, base_bands)) = reference {
            if !pol.baseline {
                c.draw_series(DashedLineSeries::new(
                    median_points(base_bands),
                    6,
                    4,
                    base.colour.stroke_width(2),
                ))?;
            }
        }
        c.draw_series(LineSeries::new(
            median_points(bands),
            pol.colour.stroke_width(2),
        ))?;
    }
    Ok(())
}

/// A probability over time: the mean of a 0/1 series, one line per policy, on one panel.
fn render_share<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, t: &Trajectory) -> Res
where
    DB::ErrorType: 'static,
{
    let top = t
        .series
        .iter()
        .flat_map(|(_, b)| b.iter().map(|b| b.mean))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let y = (0.0, (top * 1.15).clamp(0.05, 1.0));
    let all: Vec<&[Band]> = t.series.iter().map(|(_, b)| b.as_slice()).collect();
    let area = area.margin(0, 10, 10, 0);
    let axes = TimeAxes {
        x: x_range(&t.dates, &all),
        dates: &t.dates,
        y,
        y_ticks: Ticks::Percent(step_decimals(100.0 * y.1 / 6.0)),
        y_desc: Some(&t.y_desc),
        x_desc: true,
        y_label_width: ticks_width(&area, y, Ticks::Percent(step_decimals(100.0 * y.1 / 6.0)))?,
    };
    let mut c = time_chart(&area, &axes)?;
    // The first policy last, so it stays on top where lines coincide.
    for (pol, bands) in t.series.iter().rev() {
        let line: Vec<(f64, f64)> = bands
            .iter()
            .filter(|b| b.mean.is_finite())
            .map(|b| (b.turn as f64, b.mean))
            .collect();
        c.draw_series(LineSeries::new(line, pol.colour.stroke_width(3)))?;
    }
    Ok(())
}

/// Builds a chart with one row per category (top to bottom), a value axis along x, and draws its
/// grid; `labels` are shown only when `show_labels`.
fn row_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: (f64, f64),
    x_ticks: Ticks,
    labels: &[String],
    label_width: i32,
    show_labels: bool,
    x_desc: &str,
) -> Res<ChartContext<'a, DB, RowCoord>>
where
    DB::ErrorType: 'static,
{
    let n = labels.len().max(1);
    let keys: Vec<f64> = (0..n).map(|k| k as f64).collect();
    let mut chart = ChartBuilder::on(area)
        .margin_top(4)
        .margin_right(18)
        .margin_left(4)
        .x_label_area_size(if x_desc.is_empty() { 28 } else { 48 })
        .y_label_area_size(if show_labels { label_width + 14 } else { 6 })
        .build_cartesian_2d(x.0..x.1, Keyed::new((-0.6, n as f64 - 0.4), keys))?;
    let y_fmt = |v: &f64| -> String {
        if !show_labels {
            return String::new();
        }
        let k = v.round() as usize;
        labels
            .get(n.saturating_sub(1).saturating_sub(k))
            .cloned()
            .unwrap_or_default()
    };
    let x_fmt = move |v: &f64| x_ticks.format(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_labels(5)
        .label_style(font(TICK_SIZE, INK))
        .axis_desc_style(font(LABEL_SIZE - 1, INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS);
    if !x_desc.is_empty() {
        mesh.x_desc(x_desc);
    }
    mesh.draw()?;
    Ok(chart)
}

/// The y coordinate of row `k` of `n` (row 0 at the top).
fn row_y(k: usize, n: usize) -> f64 {
    (n - 1 - k) as f64
}

fn id_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, ids: &[String]) -> Res<i32>
where
    DB::ErrorType: 'static,
{
    let style = font(TICK_SIZE, INK);
    let mut w = 0;
    for id in ids {
        w = w.max(text_width(area, id, &style)?);
    }
    Ok(w)
}

fn render_boxes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    panels: &[BoxPanel],
) -> Res
where
    DB::ErrorType: 'static,
{
    let extent = |s: &Stat| vec![s.p05, s.p95, s.mean, s.p50];
    render_row_panels(root, chart, panels, 0.06, extent, |c, data| {
        let n = data.rows.len();
        for (k, (pol, s)) in data.rows.iter().enumerate() {
            let y = row_y(k, n);
            let whisker = pol.colour.stroke_width(2);
            if s.p05.is_finite() && s.p95.is_finite() {
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(s.p05, y), (s.p95, y)],
                    whisker,
                )))?;
                for end in [s.p05, s.p95] {
                    c.draw_series(std::iter::once(PathElement::new(
                        vec![(end, y - 0.15), (end, y + 0.15)],
                        whisker,
                    )))?;
                }
            }
            if s.p25.is_finite() && s.p75.is_finite() {
                c.draw_series(std::iter::once(Rectangle::new(
                    [(s.p25, y - 0.3), (s.p75, y + 0.3)],
                    pol.colour.mix(0.45).filled(),
                )))?;
                c.draw_series(std::iter::once(Rectangle::new(
                    [(s.p25, y - 0.3), (s.p75, y + 0.3)],
                    pol.colour.stroke_width(1),
                )))?;
            }
            if s.p50.is_finite() {
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(s.p50, y - 0.34), (s.p50, y + 0.34)],
                    INK.stroke_width(3),
                )))?;
            }
            if s.mean.is_finite() {
                c.draw_series(std::iter::once(Circle::new((s.mean, y), 4, WHITE.filled())))?;
                c.draw_series(std::iter::once(Circle::new(
                    (s.mean, y),
                    4,
                    INK.stroke_width(2),
                )))?;
            }
        }
        Ok(())
    })
}

fn render_differences<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    panels: &[DiffPanel],
) -> Res
where
    DB::ErrorType: 'static,
{
    let extent = |o: &ComparedOutcome| {
        [Some(0.0), Some(o.diff_mean), o.ci_low, o.ci_high]
            .into_iter()
            .flatten()
            .collect()
    };
    render_row_panels(root, chart, panels, 0.08, extent, |c, data| {
        let n = data.rows.len();
        c.draw_series(DashedLineSeries::new(
            vec![(0.0, -0.6), (0.0, n as f64 - 0.4)],
            5,
            4,
            NEUTRAL.stroke_width(1),
        ))?;
        for (k, (pol, o)) in data.rows.iter().enumerate() {
            let y = row_y(k, n);
            if let (Some(a), Some(b)) = (o.ci_low, o.ci_high) {
                if a.is_finite() && b.is_finite() {
                    let style = pol.colour.stroke_width(3);
                    c.draw_series(std::iter::once(PathElement::new(
                        vec![(a, y), (b, y)],
                        style,
                    )))?;
                    for end in [a, b] {
                        c.draw_series(std::iter::once(PathElement::new(
                            vec![(end, y - 0.18), (end, y + 0.18)],
                            pol.colour.stroke_width(2),
                        )))?;
                    }
                }
            }
            if o.diff_mean.is_finite() {
                c.draw_series(std::iter::once(Circle::new(
                    (o.diff_mean, y),
                    6,
                    pol.colour.filled(),
                )))?;
                c.draw_series(std::iter::once(Circle::new(
                    (o.diff_mean, y),
                    6,
                    WHITE.stroke_width(1),
                )))?;
            }
        }
        Ok(())
    })
}

/// Lays out one row chart per panel, up to three columns, the policy ids labelling the rows of
/// the first column. Each panel's x range covers the values `extent` gives for its rows (padded
/// by `pad`); `draw` then draws the panel's rows.
fn render_row_panels<DB: DrawingBackend, T>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    panels: &[RowPanel<T>],
    pad: f64,
    extent: impl Fn(&T) -> Vec<f64>,
    mut draw: impl FnMut(&mut ChartContext<'_, DB, RowCoord>, &RowPanel<T>) -> Res,
) -> Res
where
    DB::ErrorType: 'static,
{
    let f = frame(root, &chart.title, &chart.subtitle, &chart.legend, 0)?;
    let cols = panels.len().clamp(1, 3);
    let area = f.plot.margin(0, 8, 8, 0);
    let all_ids: Vec<String> = panels
        .iter()
        .flat_map(|p| p.rows.iter().map(|(pol, _)| pol.id.clone()))
        .collect();
    let label_width = id_width(root, &all_ids)?;
    for (i, (panel, data)) in grid(&area, panels.len(), cols)
        .iter()
        .zip(panels)
        .enumerate()
    {
        let first_col = i % cols == 0;
        let indent = if first_col { label_width + 22 } else { 14 };
        let body = caption(panel, &data.title, INK, indent)?;
        let (lo, hi) = padded_range(data.rows.iter().flat_map(|(_, v)| extent(v)), pad);
        let ((lo, hi), ticks) = value_axis(lo, hi);
        let labels: Vec<String> = data.rows.iter().map(|(p, _)| p.id.clone()).collect();
        let mut c = row_chart(
            &body,
            (lo, hi),
            ticks,
            &labels,
            label_width,
            first_col,
            &data.x_desc,
        )?;
        draw(&mut c, data)?;
    }
    Ok(())
}

fn render_p_best<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    rows: &[(Pol, f64, Option<f64>)],
) -> Res
where
    DB::ErrorType: 'static,
{
    let f = frame(root, &chart.title, &chart.subtitle, &chart.legend, 0)?;
    let area = f.plot.margin(4, 10, 10, 10);
    let labels: Vec<String> = rows.iter().map(|(p, _, _)| p.id.clone()).collect();
    let label_width = id_width(root, &labels)?;
    let with_shares = rows.iter().any(|r| r.2.is_some());
    let mut c = row_chart(
        &area,
        (0.0, 1.0),
        Ticks::Percent(0),
        &labels,
        label_width,
        true,
        "probability of being best (%)",
    )?;
    let n = rows.len();
    let value_style = anchored(TICK_SIZE, INK, HPos::Left, VPos::Center);
    for (k, (pol, p, share)) in rows.iter().enumerate() {
        let y = row_y(k, n);
        let p = if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (top, bottom) = if with_shares {
            (y + 0.36, y + 0.02)
        } else {
            (y + 0.3, y - 0.3)
        };
        if p > 0.0 {
            c.draw_series(std::iter::once(Rectangle::new(
                [(0.0, bottom), (p, top)],
                pol.colour.filled(),
            )))?;
        }
        let (px, py) = c.backend_coord(&(p, 0.5 * (top + bottom)));
        root.draw(&Text::new(
            format!("{}%", number(100.0 * p, 1)),
            (px + 6, py),
            value_style.clone(),
        ))?;
        if let Some(s) = share.filter(|s| s.is_finite()) {
            let s = s.clamp(0.0, 1.0);
            let (top, bottom) = (y - 0.04, y - 0.3);
            if s > 0.0 {
                c.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, bottom), (s, top)],
                    pol.colour.stroke_width(2),
                )))?;
            }
            let (px, py) = c.backend_coord(&(s, 0.5 * (top + bottom)));
            root.draw(&Text::new(
                format!("{}% of weightings", number(100.0 * s, 1)),
                (px + 6, py),
                anchored(TICK_SIZE - 1, MUTED, HPos::Left, VPos::Center),
            ))?;
        }
    }
    Ok(())
}

fn render_tripwires<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    t: &Tripwires,
) -> Res
where
    DB::ErrorType: 'static,
{
    let f = frame(root, &chart.title, &chart.subtitle, &chart.legend, 0)?;
    let cols = if t.panels.len() <= 4 { 2 } else { 3 };
    let cols = cols.min(t.panels.len()).max(1);
    let area = f.plot.margin(0, 8, 8, 0);
    let y = (0.0, 1.0);
    let y_label_width = ticks_width(root, y, Ticks::Percent(0))?;
    let n = t.panels.len();
    let x = {
        let lo = t.dates.keys().next().copied().unwrap_or(0) as f64;
        let hi = t.dates.keys().next_back().copied().unwrap_or(1) as f64;
        if hi > lo { (lo, hi) } else { (0.0, 1.0) }
    };
    let panels = titled_grid(
        &area,
        n,
        cols,
        "probability crossed",
        "date (start of turn)",
    )?;
    for (panel, (id, name, curves)) in panels.iter().zip(&t.panels) {
        let indent = y_label_width + 20;
        let body = caption_with_note(panel, id, name, indent)?;
        let axes = TimeAxes {
            x,
            dates: &t.dates,
            y,
            y_ticks: Ticks::Percent(0),
            y_desc: None,
            x_desc: false,
            y_label_width,
        };
        let mut c = time_chart(&body, &axes)?;
        // The first policy last, so it stays on top where curves coincide.
        for (pol, points) in curves.iter().rev() {
            let line: Vec<(f64, f64)> = points
                .iter()
                .filter(|(_, p)| p.is_finite())
                .map(|&(turn, p)| (turn as f64, p))
                .collect();
            c.draw_series(LineSeries::new(line, pol.colour.stroke_width(2)))?;
        }
    }
    Ok(())
}

/// Spreads label positions (pixels, any order) so neighbours are at least `gap` apart, keeping them
/// within `[lo, hi]` where possible; returns them in the input order.
fn spread(positions: &[i32], gap: i32, lo: i32, hi: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..positions.len()).collect();
    order.sort_by_key(|&k| (positions[k], k));
    let mut placed: Vec<i32> = order.iter().map(|&k| positions[k]).collect();
    for k in 1..placed.len() {
        placed[k] = placed[k].max(placed[k - 1] + gap);
    }
    if let Some(&last) = placed.last() {
        if last > hi {
            let shift = last - hi;
            for p in &mut placed {
                *p -= shift;
            }
            for k in (0..placed.len().saturating_sub(1)).rev() {
                placed[k] = placed[k].min(placed[k + 1] - gap);
            }
        }
    }
    if let Some(&first) = placed.first() {
        if first < lo {
            let shift = lo - first;
            for p in &mut placed {
                *p += shift;
            }
        }
    }
    let mut out = vec![0; positions.len()];
    for (slot, &k) in order.iter().enumerate() {
        out[k] = placed[slot];
    }
    out
}

fn render_alignment<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    a: &Alignment,
) -> Res
where
    DB::ErrorType: 'static,
{
    let f = frame(root, &chart.title, &chart.subtitle, &chart.legend, 0)?;
    let ids: Vec<String> = a.actors.iter().map(|(id, _)| id.clone()).collect();
    let id_w = id_width(root, &ids)? + 4;
    let (lo, hi) = padded_range(
        a.actors
            .iter()
            .flat_map(|(_, p)| p.iter().flat_map(|&(_, l, m, h)| [l, m, h])),
        0.05,
    );
    let (y, y_ticks) = value_axis(lo, hi);
    let y_label_width = ticks_width(root, y, y_ticks)?;
    let (t0, t1) = {
        let turns = a.actors.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
        let lo = turns.clone().min().unwrap_or(0) as f64;
        let hi = turns.max().unwrap_or(1) as f64;
        if hi > lo { (lo, hi) } else { (lo, lo + 1.0) }
    };
    // Room on the left, inside the plot, for the start labels.
    let (plot_w, _) = f.plot.dim_in_pixel();
    let inner = (plot_w as i32 - y_label_width - 36 - id_w - 40).max(100) as f64;
    let pad = (id_w + 14) as f64 / inner * (t1 - t0);
    let area = f.plot.margin(0, 10, 10, id_w + 16);
    let axes = TimeAxes {
        x: (t0 - pad, t1),
        dates: &a.dates,
        y,
        y_ticks,
        y_desc: Some("position (UNGA ideal-point scale)"),
        x_desc: true,
        y_label_width,
    };
    let mut c = time_chart(&area, &axes)?;
    let focal_last: Vec<&ActorPath> = a
        .actors
        .iter()
        .filter(|(id, _)| *id != a.focal)
        .chain(a.actors.iter().filter(|(id, _)| *id == a.focal))
        .collect();
    for (id, points) in &focal_last {
        let colour = if *id == a.focal {
            a.pol.colour
        } else {
            NEUTRAL
        };
        let pts: Vec<&(u32, f64, f64, f64)> = points
            .iter()
            .filter(|p| p.1.is_finite() && p.3.is_finite())
            .collect();
        if pts.len() >= 2 {
            let mut outline: Vec<(f64, f64)> = pts.iter().map(|p| (p.0 as f64, p.3)).collect();
            outline.extend(pts.iter().rev().map(|p| (p.0 as f64, p.1)));
            let opacity = if *id == a.focal { 0.2 } else { 0.08 };
            c.draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(opacity).filled(),
            )))?;
        }
    }
    for (id, points) in &focal_last {
        let (colour, width) = if *id == a.focal {
            (a.pol.colour, 3)
        } else {
            (NEUTRAL, 2)
        };
        let line: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.2.is_finite())
            .map(|p| (p.0 as f64, p.2))
            .collect();
        c.draw_series(LineSeries::new(line, colour.stroke_width(width)))?;
    }

    // Labels at both ends, spread so they do not overlap.
    let (_, top) = c.backend_coord(&(t0, y.1));
    let (_, bottom) = c.backend_coord(&(t0, y.0));
    for at_end in [false, true] {
        let ends: Vec<(String, (i32, i32))> = a
            .actors
            .iter()
            .filter_map(|(id, points)| {
                let mut finite = points.iter().filter(|p| p.2.is_finite());
                let p = if at_end {
                    finite.next_back()
                } else {
                    finite.next()
                }?;
                Some((id.clone(), c.backend_coord(&(p.0 as f64, p.2))))
            })
            .collect();
        let ys: Vec<i32> = ends.iter().map(|(_, (_, y))| *y).collect();
        let placed = spread(&ys, 15, top + 6, bottom - 6);
        for ((id, (px, py)), ly) in ends.iter().zip(placed) {
            let colour = if *id == a.focal { a.pol.colour } else { INK };
            let (lx, h) = if at_end {
                (px + 10, HPos::Left)
            } else {
                (px - 10, HPos::Right)
            };
            root.draw(&PathElement::new(
                vec![(*px, *py), (if at_end { px + 7 } else { px - 7 }, ly)],
                colour.mix(0.6).stroke_width(1),
            ))?;
            root.draw(&Text::new(
                id.clone(),
                (lx, ly),
                anchored(TICK_SIZE + 1, colour, h, VPos::Center),
            ))?;
        }
    }
    Ok(())
}

/// The diverging colour of an affinity in [-1, 1]: ColorBrewer RdBu (colour-blind safe), red for
/// hostile, white for 0, blue for friendly.
pub(super) fn affinity_colour(v: f64) -> RGBColor {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (-1.0, [178.0, 24.0, 43.0]),
        (-0.5, [239.0, 138.0, 98.0]),
        (0.0, [247.0, 247.0, 247.0]),
        (0.5, [103.0, 169.0, 207.0]),
        (1.0, [33.0, 102.0, 172.0]),
    ];
    let v = if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let k = STOPS
        .windows(2)
        .position(|w| v <= w[1].0)
        .unwrap_or(STOPS.len() - 2);
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    let t = (v - a.0) / (b.0 - a.0);
    let c = |i: usize| (a.1[i] + t * (b.1[i] - a.1[i])).round() as u8;
    RGBColor(c(0), c(1), c(2))
}

fn render_affinity<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    a: &Affinity,
) -> Res
where
    DB::ErrorType: 'static,
{
    let f = frame(root, &chart.title, &chart.subtitle, &chart.legend, 170)?;
    let n = a.actors.len().max(1);
    let label_width = id_width(root, &a.actors)?;
    let (w, h) = f.plot.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let label_area = label_width + 40;
    let side = (w - label_area - 40).min(h - 70).max(100);
    let left = ((w - side - label_area) / 2).max(0);
    let area = f
        .plot
        .clone()
        .shrink((left, 0), (side + label_area + 20, side + 70));
    let keys: Vec<f64> = (0..n).map(|k| k as f64 + 0.5).collect();
    let mut c = ChartBuilder::on(&area)
        .margin_top(4)
        .margin_right(16)
        .x_label_area_size(58)
        .y_label_area_size(label_area)
        .build_cartesian_2d(
            Keyed::new((0.0, n as f64), keys.clone()),
            Keyed::new((0.0, n as f64), keys),
        )?;
    let actors = &a.actors;
    let x_fmt = |v: &f64| actors.get(v.floor() as usize).cloned().unwrap_or_default();
    let y_fmt = |v: &f64| {
        actors
            .get(n.saturating_sub(1).saturating_sub(v.floor() as usize))
            .cloned()
            .unwrap_or_default()
    };
    c.configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(font(TICK_SIZE + 1, INK))
        .axis_desc_style(font(LABEL_SIZE, INK))
        .x_desc("toward (column)")
        .y_desc("affinity of (row)")
        .disable_mesh()
        .axis_style(AXIS)
        .draw()?;
    let cell_px = side / n as i32;
    let show_values = cell_px >= 34;
    let value_size = if cell_px >= 56 {
        TICK_SIZE + 1
    } else {
        TICK_SIZE - 1
    };
    for i in 0..n {
        for j in 0..n {
            let (x0, y0) = (j as f64, (n - 1 - i) as f64);
            let value = a.values.get(i * n + j).copied().flatten();
            let fill = match value {
                Some(v) => affinity_colour(v),
                None => RGBColor(0xDD, 0xDD, 0xDD),
            };
            c.draw_series(std::iter::once(Rectangle::new(
                [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                fill.filled(),
            )))?;
            c.draw_series(std::iter::once(Rectangle::new(
                [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                WHITE.stroke_width(1),
            )))?;
            if let (Some(v), true) = (value, show_values) {
                let colour = if v.abs() >= 0.55 { WHITE } else { INK };
                c.draw_series(std::iter::once(Text::new(
                    number(v, 2),
                    (x0 + 0.5, y0 + 0.5),
                    anchored(value_size, colour, HPos::Center, VPos::Center),
                )))?;
            }
        }
    }
    colour_bar(root, f.below_legend, 22, 220)?;
    Ok(())
}

/// A vertical colour bar for affinity from -1 (bottom) to +1 (top) at `(x, y)`.
fn colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    width: i32,
    height: i32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let y = y - 4;
    for k in 0..height {
        let v = 1.0 - 2.0 * (k as f64 + 0.5) / height as f64;
        root.draw(&Rectangle::new(
            [(x, y + k), (x + width, y + k + 1)],
            affinity_colour(v).filled(),
        ))?;
    }
    root.draw(&Rectangle::new(
        [(x, y), (x + width, y + height)],
        AXIS.stroke_width(1),
    ))?;
    let style = anchored(TICK_SIZE, INK, HPos::Left, VPos::Center);
    for (v, text) in [
        (1.0, "+1 friendly"),
        (0.5, "+0.5"),
        (0.0, "0"),
        (-0.5, "−0.5"),
        (-1.0, "−1 hostile"),
    ] {
        let ty = y + ((1.0 - v) / 2.0 * height as f64).round() as i32;
        root.draw(&PathElement::new(
            vec![(x + width, ty), (x + width + 4, ty)],
            AXIS.stroke_width(1),
        ))?;
        root.draw(&Text::new(text, (x + width + 8, ty), style.clone()))?;
    }
    let note = anchored(TICK_SIZE - 1, MUTED, HPos::Left, VPos::Top);
    root.draw(&Text::new("grey: no value", (x, y + height + 12), note))?;
    Ok(())
}

fn render_trade<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart, t: &Trade) -> Res
where
    DB::ErrorType: 'static,
{
    let f = frame(root, &chart.title, &chart.subtitle, &chart.legend, 0)?;
    let n = t.panels.len();
    let cols = n.clamp(1, 3);
    let area = f.plot.margin(0, 8, 8, 0);
    let all: Vec<&[Band]> = t
        .panels
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|(_, b)| b.as_slice()))
        .collect();
    let x = x_range(&t.dates, &all);
    // Each panel has its own scale; the tick labels get one width so the panels line up.
    let mut ranges = Vec::with_capacity(n);
    let mut y_label_width = 0;
    for (_, lines) in &t.panels {
        let baseline = lines.iter().find(|(p, _)| p.baseline);
        let (lo, hi) = padded_range(
            lines
                .iter()
                .flat_map(|(_, b)| b.iter().map(|b| b.p50))
                .chain(
                    baseline
                        .iter()
                        .flat_map(|(_, b)| b.iter().flat_map(|b| [b.p05, b.p95])),
                ),
            0.06,
        );
        let (y, y_ticks) = value_axis(lo, hi);
        y_label_width = y_label_width.max(ticks_width(root, y, y_ticks)?);
        ranges.push((y, y_ticks));
    }
    let panels = titled_grid(&area, n, cols, "trade (USD bn/yr)", "date (start of turn)")?;
    for ((panel, (partner, lines)), &(y, y_ticks)) in panels.iter().zip(&t.panels).zip(&ranges) {
        let baseline = lines.iter().find(|(p, _)| p.baseline);
        let body = caption(
            panel,
            &format!("{}–{partner}", t.focal),
            INK,
            y_label_width + 20,
        )?;
        let axes = TimeAxes {
            x,
            dates: &t.dates,
            y,
            y_ticks,
            y_desc: None,
            x_desc: false,
            y_label_width,
        };
        let mut c = time_chart(&body, &axes)?;
        if let Some((pol, bands)) = baseline {
            band_polygon(
                &mut c,
                bands,
                |b| b.p05,
                |b| b.p95,
                pol.colour.mix(0.16).filled(),
            )?;
        }
        for (pol, bands) in lines.iter().rev() {
            c.draw_series(LineSeries::new(
                median_points(bands),
                pol.colour.stroke_width(2),
            ))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_order_and_gap() {
        let placed = spread(&[100, 102, 101, 300], 15, 0, 1000);
        assert_eq!(placed, vec![100, 130, 115, 300]);
        let placed = spread(&[995, 996], 15, 0, 1000);
        assert_eq!(placed, vec![985, 1000]);
    }

    #[test]
    fn affinity_scale_ends_and_middle() {
        assert_eq!(affinity_colour(-1.0), RGBColor(178, 24, 43));
        assert_eq!(affinity_colour(0.0), RGBColor(247, 247, 247));
        assert_eq!(affinity_colour(1.0), RGBColor(33, 102, 172));
        assert_eq!(affinity_colour(f64::NAN), RGBColor(247, 247, 247));
    }

    #[test]
    fn tick_decimals_follow_the_step() {
        assert_eq!(step_decimals(0.19 / 6.0), 2); // step 0.05
        assert_eq!(step_decimals(0.015), 2); // step 0.02
        assert_eq!(step_decimals(0.09), 1); // step 0.1
        assert_eq!(step_decimals(1.2), 0); // step 2
        assert_eq!(step_decimals(0.0004), 4); // step 0.0005
    }

    #[test]
    fn chart_stems() {
        assert!(is_chart_stem("outcome_composite"));
        assert!(is_chart_stem("affinity_end"));
        assert!(!is_chart_stem("outcome_trade_KOR"));
        assert!(!is_chart_stem("my_notes"));
    }
}
