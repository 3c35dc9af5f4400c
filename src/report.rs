//! The analyst brief: `report.html`, one self-contained file that reads well on screen and on
//! paper.
//!
//! [`write_report`] reads a results folder (the same files as [`crate::chart`], plus the charts
//! already drawn in `charts/*.svg`) and the scenario file named in `manifest.json`, if it still
//! exists, and writes `report.html` beside them. The page holds:
//!
//! * the scenario's name (also the `<title>`), description and question, and the policies;
//! * key findings, the ranking table with 90% intervals, and the comparison with the baseline
//!   (paired differences with 95% intervals, P(best), regret, when the ranking flips) when
//!   `comparison.json` is present;
//! * the charts, inlined as SVG, each with a caption saying how to read it;
//! * the tripwires;
//! * an assumptions-and-sources table built from the provenance (`source`, `year`, `note`) of the
//!   scenario's numbers;
//! * what the model leaves out (after `docs/model.md` §8), and the manifest needed to reproduce
//!   the run.
//!
//! The file fetches nothing: CSS is inline, there is no script, no link and no image reference;
//! the inlined SVGs lose their (unfetched) `xmlns` URL, and any `://` in the scenario's text is
//! written as `&#58;//`, so the file holds no URL at all. A missing scenario file or comparison
//! leaves a note in place of what it would have given.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::chart::{self, ChartError, ChartOptions, Results};
use crate::params::SPECS;
use crate::scenario::{ActionKind, Effect, Num, Scenario};

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Results(#[from] ChartError),
    #[error("cannot write `{path}`: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// Writes `results_dir/report.html` from the results folder and the charts in
/// `results_dir/charts/` (draw them first with [`chart::draw_all`]); returns its path.
pub fn write_report(results_dir: &Path) -> Result<PathBuf, ReportError> {
    write_report_with(results_dir, &ChartOptions::default())
}

/// [`write_report`] for charts drawn with [`chart::draw_all_with`] and the same `options` (so
/// the captions name the policy the alignment map shows).
pub fn write_report_with(
    results_dir: &Path,
    options: &ChartOptions,
) -> Result<PathBuf, ReportError> {
    let results = Results::load(results_dir)?;
    let charts = chart::prepare_all(&results, options)?;
    let scenario = ScenarioFile::find(&results);
    let html = render(&results, &charts, &scenario);
    let path = results_dir.join("report.html");
    let tmp = results_dir.join(".report.html.partial");
    let write_err = |source| ReportError::Write {
        path: path.clone(),
        source,
    };
    fs::write(&tmp, html.as_bytes()).map_err(write_err)?;
    if let Err(e) = fs::rename(&tmp, &path) {
        let _ = fs::remove_file(&tmp);
        return Err(write_err(e));
    }
    Ok(path)
}

/// What became of the scenario file named in the manifest.
enum ScenarioFile {
    /// Loaded; `changed` if its SHA-256 differs from the manifest's.
    Loaded {
        scenario: Box<Scenario>,
        path: PathBuf,
        changed: bool,
    },
    /// Not found, or not valid any more.
    Missing { reason: String },
}

impl ScenarioFile {
    /// Looks for the scenario at its manifest path: as written (relative to the working folder),
    /// then relative to the results folder and up to three of its parents.
    fn find(results: &Results) -> ScenarioFile {
        let named = PathBuf::from(&results.manifest.scenario_path);
        if results.manifest.scenario_path.is_empty() {
            return ScenarioFile::Missing {
                reason: "the manifest names no scenario file".into(),
            };
        }
        let mut candidates = vec![named.clone()];
        if named.is_relative() {
            let mut dir = Some(results.dir.as_path());
            for _ in 0..4 {
                let Some(d) = dir else { break };
                candidates.push(d.join(&named));
                dir = d.parent();
            }
        }
        let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
            return ScenarioFile::Missing {
                reason: format!(
                    "the scenario file `{}` was not found",
                    results.manifest.scenario_path
                ),
            };
        };
        match crate::scenario::load::load_file(&path) {
            Ok(loaded) => {
                let digest = Sha256::digest(loaded.source.as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                let changed = !results.manifest.scenario_sha256.is_empty()
                    && hex != results.manifest.scenario_sha256;
                ScenarioFile::Loaded {
                    scenario: Box::new(loaded.scenario),
                    path,
                    changed,
                }
            }
            Err(_) => ScenarioFile::Missing {
                reason: format!("the scenario file `{}` no longer validates", path.display()),
            },
        }
    }

    fn scenario(&self) -> Option<&Scenario> {
        match self {
            ScenarioFile::Loaded { scenario, .. } => Some(scenario),
            ScenarioFile::Missing { .. } => None,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The page

const STYLE: &str = r#"
:root { --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --soft: #f6f8fa; --accent: #0072b2; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, sans-serif; line-height: 1.55; }
main { max-width: 1120px; margin: 0 auto; padding: 2.5rem 2rem 4rem; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .78rem; color: var(--muted); margin: 0; }
h1 { font-size: 2rem; line-height: 1.25; margin: .3rem 0 1rem; }
h2 { font-size: 1.4rem; margin: 3rem 0 .8rem; padding-bottom: .3rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.1rem; margin: 2rem 0 .6rem; }
p, li { max-width: 52rem; }
.question { border-left: 4px solid var(--accent); background: var(--soft); padding: .8rem 1rem; margin: 1.2rem 0; font-size: 1.05rem; }
.facts { color: var(--muted); font-size: .92rem; }
.note { border: 1px solid #d4a72c; background: #fff8c5; padding: .6rem .9rem; border-radius: 4px; font-size: .92rem; }
.findings { background: var(--soft); border: 1px solid var(--rule); border-radius: 6px; padding: .4rem 1.4rem; }
nav ol { columns: 2; font-size: .95rem; padding-left: 1.2rem; }
nav a { color: var(--accent); text-decoration: none; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .88em; background: var(--soft); padding: 0 .25em; border-radius: 3px; }
.wide { overflow-x: auto; margin: .8rem 0 1.2rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
td.id { white-space: nowrap; }
table.manifest th { white-space: nowrap; width: 1%; }
th.policy { font-size: .8rem; font-weight: 600; }
table.sources { table-layout: fixed; font-size: .85rem; }
table.sources td { overflow-wrap: anywhere; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { background: var(--soft); font-weight: 600; border-bottom: 2px solid var(--rule); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .range { display: block; color: var(--muted); font-size: .82rem; }
tr.baseline td { background: #fbfbfb; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .4em; vertical-align: -.05em; }
figure { margin: 1.5rem 0 2.5rem; page-break-inside: avoid; break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--rule); border-radius: 4px; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .5rem; max-width: 52rem; }
figcaption strong { color: var(--ink); }
.small { font-size: .82rem; color: var(--muted); }
footer { margin-top: 4rem; padding-top: 1rem; border-top: 1px solid var(--rule); color: var(--muted); font-size: .85rem; }
@media print { main { padding: 0; max-width: none; } h2 { break-after: avoid; } nav { display: none; } }
"#;

/// Where each chart goes in the report (charts not listed go under "More charts").
const PLACES: [(&str, &str); 9] = [
    ("p_best", "comparison"),
    ("differences", "comparison"),
    ("finals", "ranking"),
    ("outcome_composite", "ranking"),
    ("tripwires", "tripwires"),
    ("alignment", "relations"),
    ("affinity_start", "relations"),
    ("affinity_end", "relations"),
    ("trade", "trade"),
];

fn render(results: &Results, charts: &[chart::Chart], scenario: &ScenarioFile) -> String {
    let m = &results.manifest;
    let s = scenario.scenario();
    let name = s
        .map(|s| s.name.clone())
        .filter(|n| !n.is_empty())
        .or_else(|| (!m.scenario_name.is_empty()).then(|| m.scenario_name.clone()))
        .unwrap_or_else(|| "entente results".to_string());
    let figures = Figures::load(results, charts);

    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>{}</title>", esc(&name));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");

    // Header.
    h.push_str("<header>\n<p class=\"kicker\">entente · analyst brief</p>\n");
    let _ = writeln!(h, "<h1>{}</h1>", esc(&name));
    if let Some(d) = s.and_then(|s| s.description.as_deref()) {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }
    if let Some(q) = s.and_then(|s| s.question.as_deref()) {
        let _ = writeln!(
            h,
            "<p class=\"question\"><strong>Question.</strong> {}</p>",
            esc(q)
        );
    }
    let _ = writeln!(h, "<p class=\"facts\">{}</p>", facts(results, s));
    match scenario {
        ScenarioFile::Missing { reason } => {
            let _ = writeln!(
                h,
                "<p class=\"note\">{}, so the question, the policies' descriptions and the \
                 assumptions table are missing from this brief.</p>",
                code(&capitalise(reason))
            );
        }
        ScenarioFile::Loaded {
            changed: true,
            path,
            ..
        } => {
            let _ = writeln!(
                h,
                "<p class=\"note\">The scenario file <code>{}</code> has changed since this run \
                 (its SHA-256 differs from the manifest's): the text and the assumptions below \
                 describe the file as it is now, not necessarily the run.</p>",
                esc(&path.display().to_string())
            );
        }
        ScenarioFile::Loaded { .. } => {}
    }
    h.push_str("</header>\n");

    // Contents.
    let mut sections: Vec<(&str, &str)> = vec![
        ("findings", "Key findings"),
        ("policies", "The policies"),
        ("ranking", "Ranking"),
        ("comparison", "Comparison with the baseline"),
        ("tripwires", "Tripwires"),
        ("outcomes", "Outcomes over time"),
        ("relations", "Alignment and relations"),
        ("trade", "Trade"),
        ("assumptions", "Assumptions and sources"),
        ("caveats", "What the model leaves out"),
        ("reproduce", "Reproducing these results"),
    ];
    if !figures.has_place("trade") {
        sections.retain(|(id, _)| *id != "trade");
    }
    if !figures.has_place("relations") {
        sections.retain(|(id, _)| *id != "relations");
    }
    h.push_str("<nav><ol>\n");
    for (id, title) in &sections {
        let _ = writeln!(h, "<li><a href=\"#{id}\">{title}</a></li>");
    }
    h.push_str("</ol></nav>\n");

    findings(&mut h, results);
    policies(&mut h, results, s);
    ranking(&mut h, results);
    figures.place(&mut h, "ranking");
    comparison(&mut h, results);
    figures.place(&mut h, "comparison");
    tripwires(&mut h, results, s);
    figures.place(&mut h, "tripwires");
    h.push_str("<section id=\"outcomes\">\n<h2>Outcomes over time</h2>\n");
    h.push_str(
        "<p>Each chart follows one outcome of the focal actor over the simulated period under \
         every policy. Outcomes with <em>higher is better</em> in their subtitle favour the \
         focal actor as they rise; tension, threat and crisis favour it as they fall.</p>\n",
    );
    figures.place(&mut h, "outcomes");
    figures.place(&mut h, "other");
    h.push_str("</section>\n");
    if figures.has_place("relations") {
        h.push_str("<section id=\"relations\">\n<h2>Alignment and relations</h2>\n");
        figures.place(&mut h, "relations");
        h.push_str("</section>\n");
    }
    if figures.has_place("trade") {
        h.push_str("<section id=\"trade\">\n<h2>Trade</h2>\n");
        figures.place(&mut h, "trade");
        h.push_str("</section>\n");
    }
    if figures.figures.is_empty() {
        h.push_str(
            "<p class=\"note\">No charts were found in <code>charts/</code>: draw them with \
             <code>entente chart</code> on this results folder, then write the report again.</p>\n",
        );
    }
    sensitivity(&mut h, &results.dir);
    assumptions(&mut h, scenario);
    caveats(&mut h);
    reproduce(&mut h, results);
    // The folder's final name: `entente run` writes the report before renaming its temporary
    // folder into place.
    let folder = crate::output::final_dir(&results.dir);
    let _ = writeln!(
        h,
        "<footer>Written by entente {} from the results folder <code>{}</code>. Every number \
         in this brief comes from that folder; the charts are its <code>charts/*.svg</code>.\
         </footer>",
        esc(&m.entente_version),
        esc(&folder.file_name().map_or_else(
            || folder.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        ))
    );
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// The sensitivity analysis, when `entente sensitivity` has written its folder beside this one
/// (`<results>-sensitivity/`, its default): the tornado of the top-two difference and the flip map.
fn sensitivity(h: &mut String, results_dir: &Path) {
    let results_dir = crate::output::final_dir(results_dir);
    let name = results_dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let dir = results_dir.with_file_name(format!("{name}-sensitivity"));
    let charts = dir.join("charts");
    let figures: Vec<(&str, String)> = [
        (
            "tornado_top_two_difference",
            "Which inputs move the difference between the two best options",
        ),
        ("tornado_composite", "Which inputs move the composite"),
        (
            "flip_map",
            "Best option over the two most influential inputs",
        ),
    ]
    .into_iter()
    .filter_map(|(stem, caption)| {
        let text = std::fs::read_to_string(charts.join(format!("{stem}.svg"))).ok()?;
        inline_svg(&text).map(|svg| (caption, svg))
    })
    .collect();
    if figures.is_empty() {
        return;
    }
    h.push_str("<section id=\"sensitivity\">\n<h2>Which assumptions drive the answer</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">From <code>entente sensitivity</code> in <code>{}</code> (see its \
         <code>sensitivity.csv</code> for every index with its interval).</p>",
        esc(&dir
            .file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy().into_owned()))
    );
    for (caption, svg) in figures {
        let _ = writeln!(
            h,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(caption)
        );
    }
    h.push_str("</section>\n");
}

/// The one-line summary of the run under the question.
fn facts(results: &Results, s: Option<&Scenario>) -> String {
    let m = &results.manifest;
    let mut parts = Vec::new();
    let focal = s
        .and_then(|s| s.actors.get(s.focal))
        .map(|a| format!("{} ({})", esc(&a.name), esc(&a.id)))
        .unwrap_or_else(|| esc(&m.focal));
    if !focal.is_empty() {
        parts.push(format!("Focal actor: {focal}"));
    }
    let baseline = results.baseline();
    if !baseline.is_empty() {
        parts.push(format!("baseline policy <code>{}</code>", esc(baseline)));
    }
    parts.push(format!(
        "{} {}, {} runs each",
        m.policies.len(),
        plural(m.policies.len(), "policy", "policies"),
        thousands(m.runs)
    ));
    let first = results
        .timeseries
        .as_ref()
        .and_then(|t| t.dates.values().next().cloned())
        .unwrap_or_else(|| m.start.clone());
    let last = results
        .timeseries
        .as_ref()
        .and_then(|t| t.dates.values().next_back().cloned());
    if let Some(last) = last {
        let unit = if m.turn_months == 1 {
            "monthly".to_string()
        } else {
            format!("{}-month", m.turn_months)
        };
        parts.push(format!(
            "{} to {} ({} {unit} turns)",
            esc(&first),
            esc(&last),
            m.turns
        ));
    }
    parts.push(format!("seed {}", m.seed));
    parts.join(" · ")
}

fn findings(h: &mut String, results: &Results) {
    h.push_str("<section id=\"findings\">\n<h2>Key findings</h2>\n<div class=\"findings\"><ul>\n");
    let mut any = false;
    if let Some(summary) = &results.summary {
        let mut ranked: Vec<_> = summary.policies.iter().collect();
        ranked.sort_by_key(|p| p.rank);
        if let Some(top) = ranked.first() {
            any = true;
            let _ = writeln!(
                h,
                "<li><code>{}</code>{} has the highest mean composite at {}: {} (90% of runs \
                 between {} and {}).</li>",
                esc(&top.id),
                named(&top.name),
                esc(&summary.final_date),
                signed(top.composite.mean, 3),
                signed(top.composite.p05, 3),
                signed(top.composite.p95, 3)
            );
        }
        if let (Some(top), Some(last)) = (ranked.first(), ranked.last()) {
            if ranked.len() > 2 {
                let _ = writeln!(
                    h,
                    "<li><code>{}</code> ranks last, with a mean composite of {}.</li>",
                    esc(&last.id),
                    signed(last.composite.mean, 3)
                );
            }
            let _ = top;
        }
    }
    if let Some(c) = &results.comparison {
        if let Some(sep) = &c.separation {
            any = true;
            match &sep.warning {
                Some(w) => {
                    let _ = writeln!(h, "<li><strong>Caution:</strong> {}.</li>", code(w));
                }
                None => {
                    let _ = writeln!(
                        h,
                        "<li><code>{}</code> leads <code>{}</code> beyond Monte-Carlo noise: \
                         composite difference {} (95% CI {} to {}).</li>",
                        esc(&sep.top),
                        esc(&sep.runner_up),
                        signed(sep.diff_mean, 4),
                        opt_signed(sep.ci_low, 4),
                        opt_signed(sep.ci_high, 4)
                    );
                }
            }
        }
        let mut best: Vec<_> = c.policies.iter().collect();
        best.sort_by(|a, b| b.p_best.total_cmp(&a.p_best));
        if let Some(b) = best.first() {
            any = true;
            let _ = writeln!(
                h,
                "<li><code>{}</code> is the best policy in {} of runs (P(best)).</li>",
                esc(&b.id),
                percent(b.p_best)
            );
        }
        if let Some(ws) = &c.weight_sensitivity {
            let mut shares: Vec<_> = ws.best_share.iter().filter(|s| s.share > 0.0).collect();
            shares.sort_by(|a, b| b.share.total_cmp(&a.share));
            if !shares.is_empty() {
                any = true;
                let list: Vec<String> = shares
                    .iter()
                    .map(|s| format!("<code>{}</code> {}", esc(&s.policy), percent(s.share)))
                    .collect();
                let _ = writeln!(
                    h,
                    "<li>Across {} ways of weighting the outcomes, the best policy on average is: \
                     {}.</li>",
                    thousands(ws.grid_points),
                    list.join(", ")
                );
            }
        }
    }
    if !any {
        h.push_str("<li>No summary is available in this results folder.</li>\n");
    }
    h.push_str("</ul></div>\n</section>\n");
}

fn policies(h: &mut String, results: &Results, s: Option<&Scenario>) {
    h.push_str("<section id=\"policies\">\n<h2>The policies</h2>\n");
    h.push_str(
        "<p>Each policy is an option of the focal actor. Every policy was run on the same random \
         numbers, so differences between them come from the policies. The colour is the \
         policy's colour in every chart.</p>\n",
    );
    h.push_str("<div class=\"wide\"><table>\n<thead><tr><th>Policy</th><th>Name</th><th>What it does</th></tr></thead>\n<tbody>\n");
    for (i, id) in results.manifest.policies.iter().enumerate() {
        let [r, g, b] = chart::policy_colour(i);
        let policy = s.and_then(|s| s.policies.iter().find(|p| p.id == *id));
        let name = policy.map(|p| p.name.clone()).or_else(|| {
            results
                .summary
                .as_ref()
                .and_then(|sum| sum.policies.iter().find(|p| p.id == *id))
                .map(|p| p.name.clone())
        });
        let what = match policy {
            Some(p) => {
                let mut parts = Vec::new();
                if let Some(d) = &p.description {
                    parts.push(esc(d));
                }
                let actions: Vec<String> = p
                    .actions
                    .iter()
                    .map(|a| {
                        let targets: Vec<&str> = a
                            .targets
                            .iter()
                            .filter_map(|&t| s.and_then(|s| s.actors.get(t)).map(|x| x.id.as_str()))
                            .collect();
                        format!(
                            "{}{} at {}{}",
                            action_name(a.kind),
                            if targets.is_empty() {
                                String::new()
                            } else {
                                format!(" → {}", esc(&targets.join(", ")))
                            },
                            number_text(a.intensity.mid()),
                            if a.when.is_some() {
                                " (conditional)"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect();
                if actions.is_empty() {
                    parts.push("<span class=\"small\">no actions</span>".into());
                } else {
                    parts.push(format!(
                        "<span class=\"small\">Actions: {}.</span>",
                        actions.join("; ")
                    ));
                }
                parts.join("<br>")
            }
            None => String::new(),
        };
        let base = if id == results.baseline() {
            " <span class=\"small\">(baseline)</span>"
        } else {
            ""
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"id\"><span class=\"swatch\" \
             style=\"background:#{r:02x}{g:02x}{b:02x}\"></span><code>{}</code>{base}</td>\
             <td>{}</td><td>{what}</td></tr>",
            esc(id),
            esc(name.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

const WEIGHED: [&str; 5] = [
    "prosperity",
    "security",
    "autonomy",
    "standing",
    "stability",
];

fn ranking(h: &mut String, results: &Results) {
    h.push_str("<section id=\"ranking\">\n<h2>Ranking</h2>\n");
    let Some(summary) = &results.summary else {
        h.push_str("<p class=\"note\">This results folder has no <code>summary.json</code>.</p>\n</section>\n");
        return;
    };
    let weights: Vec<String> = summary
        .weights
        .iter()
        .map(|w| format!("{} {}", esc(&w.outcome), number_text(w.weight)))
        .collect();
    let _ = writeln!(
        h,
        "<p>Policies ranked by their mean composite at {} over {} runs. The composite is the \
         weighted change of the five outcomes from the start (weights: {}), so it rewards what a \
         policy changes. Each cell gives the mean and, below it, the range holding 90% of runs \
         (5th to 95th percentile): the spread of outcomes, not the uncertainty of a difference \
         between policies (for that, see the comparison).</p>",
        esc(&summary.final_date),
        thousands(summary.runs),
        weights.join(", ")
    );
    h.push_str("<div class=\"wide\"><table>\n<thead><tr><th class=\"num\">Rank</th><th>Policy</th><th class=\"num\">Composite</th>");
    for o in WEIGHED {
        let _ = write!(h, "<th class=\"num\">{}</th>", capitalise(o));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let mut ranked: Vec<_> = summary.policies.iter().collect();
    ranked.sort_by_key(|p| p.rank);
    for p in ranked {
        let base = p.id == results.baseline();
        let _ = write!(
            h,
            "<tr{}><td class=\"num\">{}</td><td><code>{}</code>{}</td>",
            if base { " class=\"baseline\"" } else { "" },
            p.rank,
            esc(&p.id),
            if base {
                " <span class=\"small\">(baseline)</span>"
            } else {
                ""
            }
        );
        let cell = |s: Option<&chart::Stat>| match s {
            Some(s) => format!(
                "<td class=\"num\">{}<span class=\"range\">{} to {}</span></td>",
                signed(s.mean, 3),
                signed(s.p05, 3),
                signed(s.p95, 3)
            ),
            None => "<td class=\"num\">–</td>".to_string(),
        };
        h.push_str(&cell(p.outcome("composite")));
        for o in WEIGHED {
            h.push_str(&cell(p.outcome(o)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
    h.push_str(
        "<p class=\"small\">Prosperity is the change in the focal actor's total trade as a share \
         of the start; security, autonomy, standing and stability are indices from 0 to 1 \
         (levels at the final turn).</p>\n</section>\n",
    );
}

fn comparison(h: &mut String, results: &Results) {
    h.push_str("<section id=\"comparison\">\n<h2>Comparison with the baseline</h2>\n");
    let Some(c) = &results.comparison else {
        h.push_str(
            "<p class=\"note\">This results folder has no <code>comparison.json</code>, so the \
             paired differences, P(best) and regret are not shown.</p>\n</section>\n",
        );
        return;
    };
    let confidence = if c.confidence.is_finite() {
        format!("{:.0}%", 100.0 * c.confidence)
    } else {
        "95%".into()
    };
    let _ = writeln!(
        h,
        "<p>Every policy met the same random numbers in each of the {} runs, so run by run it can \
         be set against the baseline <code>{}</code>. The difference is the mean over runs of \
         (policy composite − baseline composite) with its {confidence} interval ({}); it covers \
         Monte-Carlo noise only, not model error. P(beats baseline) is the share of runs in which \
         the policy's composite is higher; P(best) the share in which it is the highest of all \
         policies; regret is the run's best composite minus the policy's (mean and 95th \
         percentile).</p>",
        thousands(c.runs),
        esc(&c.baseline),
        esc(&c.interval_method)
    );
    h.push_str(
        "<div class=\"wide\"><table>\n<thead><tr><th class=\"num\">Rank</th><th>Policy</th>\
         <th class=\"num\">Composite − baseline</th><th class=\"num\">P(beats baseline)</th>\
         <th class=\"num\">P(best)</th><th class=\"num\">Mean rank</th>\
         <th class=\"num\">Regret, mean</th><th class=\"num\">Regret, p95</th></tr></thead>\n<tbody>\n",
    );
    let mut ranked: Vec<_> = c.policies.iter().collect();
    ranked.sort_by_key(|p| p.rank);
    for p in ranked {
        let base = p.is_baseline || p.id == c.baseline;
        let d = &p.composite;
        let (diff, beats) = if base {
            (
                "<span class=\"small\">baseline</span>".to_string(),
                "–".to_string(),
            )
        } else {
            let ci = match (d.ci_low, d.ci_high) {
                (Some(lo), Some(hi)) => format!(
                    "<span class=\"range\">{confidence} CI {} to {}</span>",
                    signed(lo, 4),
                    signed(hi, 4)
                ),
                _ => "<span class=\"range\">no interval (fewer than 2 runs)</span>".into(),
            };
            (
                format!("{}{ci}", signed(d.diff_mean, 4)),
                percent(d.p_beats_baseline),
            )
        };
        let _ = writeln!(
            h,
            "<tr{}><td class=\"num\">{}</td><td><code>{}</code></td><td class=\"num\">{diff}</td>\
             <td class=\"num\">{beats}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if base { " class=\"baseline\"" } else { "" },
            p.rank,
            esc(&p.id),
            percent(p.p_best),
            number(p.mean_rank, 2),
            number(p.regret_mean, 4),
            number(p.regret_p95, 4)
        );
    }
    h.push_str("</tbody></table></div>\n");
    if let Some(sep) = &c.separation {
        match &sep.warning {
            Some(w) => {
                let _ = writeln!(
                    h,
                    "<p class=\"note\"><strong>Caution.</strong> {}.</p>",
                    code(w)
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<p><code>{}</code> leads <code>{}</code> beyond Monte-Carlo noise: composite \
                     difference {} ({confidence} CI {} to {}).</p>",
                    esc(&sep.top),
                    esc(&sep.runner_up),
                    signed(sep.diff_mean, 4),
                    opt_signed(sep.ci_low, 4),
                    opt_signed(sep.ci_high, 4)
                );
            }
        }
    }
    if let Some(ws) = &c.weight_sensitivity {
        h.push_str("<h3>When does the ranking flip?</h3>\n");
        let _ = writeln!(
            h,
            "<p>The composite's weights are a judgement. Moving one weight at a time (the others \
             keep their proportions), the top policy changes as follows; across all {} \
             weightings on a grid of step {}, each policy is best on average in the share \
             shown in the P(best) chart's outlined bars.</p>",
            thousands(ws.grid_points),
            number_text(ws.grid_step)
        );
        if ws.flips.is_empty() {
            h.push_str("<p>No single weight changes the top policy.</p>\n");
        } else {
            h.push_str("<ul>\n");
            for f in &ws.flips {
                let _ = writeln!(h, "<li>{}</li>", code(&f.sentence));
            }
            h.push_str("</ul>\n");
        }
    }
    h.push_str("</section>\n");
}

fn tripwires(h: &mut String, results: &Results, s: Option<&Scenario>) {
    h.push_str("<section id=\"tripwires\">\n<h2>Tripwires</h2>\n");
    // (id, name, per policy: probability by the end)
    type Row = (String, String, Vec<(String, f64)>);
    let mut rows: Vec<Row> = Vec::new();
    if let Some(c) = results
        .comparison
        .as_ref()
        .filter(|c| !c.tripwires.is_empty())
    {
        for t in &c.tripwires {
            match rows.iter_mut().find(|r| r.0 == t.tripwire) {
                Some(row) => row.2.push((t.policy.clone(), t.by_end)),
                None => rows.push((
                    t.tripwire.clone(),
                    t.name.clone(),
                    vec![(t.policy.clone(), t.by_end)],
                )),
            }
        }
    } else if let Some(csv) = &results.tripwires {
        for row in csv {
            let entry = match rows.iter_mut().position(|r| r.0 == row.tripwire) {
                Some(k) => &mut rows[k],
                None => {
                    let name = s
                        .and_then(|s| s.tripwires.iter().find(|t| t.id == row.tripwire))
                        .map_or(String::new(), |t| t.name.clone());
                    rows.push((row.tripwire.clone(), name, Vec::new()));
                    rows.last_mut().expect("just pushed")
                }
            };
            // Rows come in turn order: the last one of a policy is its value by the end.
            match entry.2.iter_mut().find(|(p, _)| *p == row.policy) {
                Some(slot) => slot.1 = row.probability,
                None => entry.2.push((row.policy.clone(), row.probability)),
            }
        }
    }
    if rows.is_empty() {
        h.push_str(
            "<p>No tripwire results in this results folder (the scenario defines none, or the \
             comparison was not written).</p>\n</section>\n",
        );
        return;
    }
    let end = results
        .timeseries
        .as_ref()
        .and_then(|t| t.dates.values().next_back().cloned())
        .unwrap_or_else(|| "the end".into());
    let _ = writeln!(
        h,
        "<p>A tripwire is a threshold the analyst watches. The table gives the share of runs in \
         which each was crossed at least once by {}; the chart shows how that share grows over \
         time.</p>",
        esc(&end)
    );
    let policies = &results.manifest.policies;
    h.push_str("<div class=\"wide\"><table>\n<thead><tr><th>Tripwire</th>");
    for id in policies {
        // Let long ids break after their underscores.
        let _ = write!(
            h,
            "<th class=\"num policy\">{}</th>",
            esc(id).replace('_', "_<wbr>")
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (id, name, values) in &rows {
        let _ = write!(
            h,
            "<tr><td><code>{}</code>{}</td>",
            esc(id),
            if name.is_empty() {
                String::new()
            } else {
                format!("<br><span class=\"small\">{}</span>", esc(name))
            }
        );
        for p in policies {
            let v = values.iter().find(|(q, _)| q == p).map(|(_, v)| *v);
            let _ = write!(
                h,
                "<td class=\"num\">{}</td>",
                v.map_or_else(|| "–".to_string(), percent)
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn assumptions(h: &mut String, scenario: &ScenarioFile) {
    h.push_str("<section id=\"assumptions\">\n<h2>Assumptions and sources</h2>\n");
    let Some(s) = scenario.scenario() else {
        h.push_str(
            "<p class=\"note\">The scenario file is not available, so its sources cannot be \
             listed.</p>\n</section>\n",
        );
        return;
    };
    let rows = provenance(s);
    h.push_str(
        "<p>Every number of the scenario that carries a source, a year or a note, and every \
         number given as a range (drawn uniformly once per run, the same draw for every policy). \
         Model parameters appear when the scenario sets them; the others keep the defaults \
         documented with their sources in <code>docs/model.md</code> §7.</p>\n",
    );
    if rows.is_empty() {
        h.push_str("<p>The scenario gives no sources.</p>\n</section>\n");
        return;
    }
    let ranges = rows.iter().filter(|r| r.num.is_range()).count();
    let sourced = rows.iter().filter(|r| r.num.source.is_some()).count();
    let _ = writeln!(
        h,
        "<p class=\"small\">{} numbers: {sourced} with a source, {ranges} ranges.</p>",
        rows.len()
    );
    h.push_str(
        "<div class=\"wide\"><table class=\"sources\">\n<colgroup><col style=\"width:13%\">\
         <col style=\"width:15%\"><col style=\"width:12%\"><col style=\"width:30%\">\
         <col style=\"width:6%\"><col style=\"width:24%\"></colgroup>\n\
         <thead><tr><th>Where</th><th>Quantity</th>\
         <th class=\"num\">Value</th><th>Source</th><th class=\"num\">Year</th><th>Note</th>\
         </tr></thead>\n<tbody>\n",
    );
    for (k, r) in rows.iter().enumerate() {
        // One "Where" cell for each run of rows about the same element.
        let where_cell = if k > 0 && rows[k - 1].place == r.place {
            String::new()
        } else {
            let span = rows[k..].iter().take_while(|x| x.place == r.place).count();
            format!("<td rowspan=\"{span}\">{}</td>", esc(&r.place))
        };
        let value = if r.num.is_range() {
            format!(
                "{} to {}<span class=\"range\">uniform range</span>",
                value_text(r.num.low, r.usd),
                value_text(r.num.high, r.usd)
            )
        } else {
            value_text(r.num.low, r.usd)
        };
        let source = r.num.source.as_deref().or(r.fallback_source.as_deref());
        let _ = writeln!(
            h,
            "<tr>{where_cell}<td>{}</td><td class=\"num\">{value}</td><td>{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&r.quantity),
            esc(source.unwrap_or("")),
            r.num.year.map_or(String::new(), |y| y.to_string()),
            esc(r.num.note.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

fn caveats(h: &mut String) {
    h.push_str("<section id=\"caveats\">\n<h2>What the model leaves out</h2>\n");
    h.push_str(
        "<p>entente is a simplified model of relations between states; read its numbers as \
         consequences of the scenario's assumptions, not as forecasts. In particular \
         (<code>docs/model.md</code> §8):</p>\n<ul>\n",
    );
    for item in [
        "One alignment dimension (the UN General Assembly ideal point): there are no \
         issue-specific positions.",
        "No war: crises raise tension, disrupt trade and activate treaties, but there is no model \
         of combat.",
        "Trade is goods trade between the modelled actors; trade with the rest of the world, \
         trade diversion and general-equilibrium effects are not modelled, and pairs that do not \
         trade at the start never do.",
        "GDP does not respond to trade or sanctions.",
        "Actors other than the focal one follow fixed doctrines; they do not optimise or learn.",
        "Most effect sizes of actions have no published estimate: they are marked as assumed and \
         should be varied (as ranges) before conclusions are drawn.",
        "The intervals and probabilities describe the Monte-Carlo runs (chance events and the \
         inputs written as ranges), not the error of the model itself.",
        "The composite's weights are a judgement; the comparison shows how far they can move \
         before the ranking changes.",
    ] {
        let _ = writeln!(h, "<li>{item}</li>");
    }
    h.push_str("</ul>\n</section>\n");
}

fn reproduce(h: &mut String, results: &Results) {
    let m = &results.manifest;
    h.push_str("<section id=\"reproduce\">\n<h2>Reproducing these results</h2>\n");
    h.push_str(
        "<p>The same entente version, scenario file (checked by its SHA-256), seed and number of \
         runs give the same results, whatever the number of threads.</p>\n<div class=\"wide\"><table class=\"manifest\">\n<tbody>\n",
    );
    let command: Vec<String> = m.command.iter().map(|a| shell_word(a)).collect();
    let rows: Vec<(&str, String)> = vec![
        ("entente version", esc(&m.entente_version)),
        (
            "Scenario",
            format!(
                "{}<br><code>{}</code>",
                esc(&m.scenario_name),
                esc(&m.scenario_path)
            ),
        ),
        (
            "Scenario SHA-256",
            format!("<code>{}</code>", esc(&m.scenario_sha256)),
        ),
        ("Seed", m.seed.to_string()),
        ("Runs per policy", thousands(m.runs)),
        (
            "Turns",
            format!(
                "{} of {} month(s), from {}",
                m.turns,
                m.turn_months,
                esc(&m.start)
            ),
        ),
        ("Focal actor", format!("<code>{}</code>", esc(&m.focal))),
        ("Baseline", format!("<code>{}</code>", esc(&m.baseline))),
        (
            "Policies",
            m.policies
                .iter()
                .map(|p| format!("<code>{}</code>", esc(p)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Threads", m.threads.to_string()),
        ("Random numbers", esc(&m.generator)),
        (
            "Command",
            format!("<code>{}</code>", esc(&command.join(" "))),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    h.push_str("</tbody></table></div>\n</section>\n");
}

// ------------------------------------------------------------------------------------------------
// Charts

struct Figure {
    place: &'static str,
    html: String,
}

struct Figures {
    figures: Vec<Figure>,
}

impl Figures {
    /// The charts whose SVG exists, in chart order, each as a `<figure>`.
    fn load(results: &Results, charts: &[chart::Chart]) -> Figures {
        let dir = chart::charts_dir(&results.dir);
        let mut figures = Vec::new();
        for c in charts {
            let Ok(svg) = fs::read_to_string(dir.join(format!("{}.svg", c.stem))) else {
                continue;
            };
            let Some(svg) = inline_svg(&svg) else {
                continue;
            };
            let place = PLACES
                .iter()
                .find(|(stem, _)| *stem == c.stem)
                .map(|(_, place)| *place)
                .unwrap_or(if c.stem.starts_with("outcome_") {
                    "outcomes"
                } else {
                    "other"
                });
            figures.push(Figure {
                place,
                html: format!(
                    "<figure id=\"chart-{}\">\n{svg}\n<figcaption><strong>{}.</strong> {}</figcaption>\n</figure>\n",
                    esc(&c.stem),
                    code(&c.title),
                    code(&c.caption)
                ),
            });
        }
        Figures { figures }
    }

    fn has_place(&self, place: &str) -> bool {
        self.figures.iter().any(|f| f.place == place)
    }

    fn place(&self, h: &mut String, place: &str) {
        for f in self.figures.iter().filter(|f| f.place == place) {
            h.push_str(&f.html);
        }
    }
}

/// An SVG file made fit to inline: from its `<svg` on, without the `xmlns` URL (inline SVG in
/// HTML needs none); `None` if it is not an SVG or holds a script or a link.
fn inline_svg(text: &str) -> Option<String> {
    let start = text.find("<svg")?;
    let body = &text[start..];
    let lower = body.to_ascii_lowercase();
    if lower.contains("<script") || lower.contains("href") || lower.contains("<foreignobject") {
        return None;
    }
    let body = body
        .replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replace("xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "");
    if body.contains("://") {
        return None;
    }
    Some(body.trim_end().to_string())
}

// ------------------------------------------------------------------------------------------------
// Provenance

/// One number of the scenario in the assumptions table.
struct Provenance {
    place: String,
    quantity: String,
    num: Num,
    /// A source given on the enclosing element (a treaty or event), used when the number has none.
    fallback_source: Option<String>,
    /// Whether the value is in USD (GDP, trade), shown in billions.
    usd: bool,
}

/// The numbers worth listing: those with a source, year or note (or whose enclosing element has a
/// source), and ranges. Walks the scenario in the order of [`Scenario::for_each_num_mut`].
fn provenance(s: &Scenario) -> Vec<Provenance> {
    let mut all = Vec::new();
    let mut push = |place: String, quantity: &str, num: &Num, fallback: Option<&String>, usd| {
        all.push(Provenance {
            place,
            quantity: quantity.to_string(),
            num: num.clone(),
            fallback_source: fallback.cloned(),
            usd,
        });
    };
    for (num, spec) in s.params.iter().zip(SPECS) {
        if num.low != spec.default || num.high != spec.default || has_provenance(num) {
            push(
                "model".into(),
                &format!("{} ({})", spec.key, spec.unit),
                num,
                None,
                false,
            );
        }
    }
    let actor_name = |k: usize| {
        s.actors
            .get(k)
            .map_or_else(|| format!("actor {k}"), |a| a.id.clone())
    };
    for a in &s.actors {
        let place = format!("{} ({})", a.id, a.name);
        push(place.clone(), "GDP (USD/yr)", &a.gdp, None, true);
        push(
            place.clone(),
            "GDP growth (per year)",
            &a.gdp_growth,
            None,
            false,
        );
        push(
            place.clone(),
            "capability (index)",
            &a.capability,
            None,
            false,
        );
        push(
            place.clone(),
            "position (UNGA ideal point)",
            &a.position,
            None,
            false,
        );
        let d = &a.doctrine;
        push(
            place.clone(),
            "doctrine: reciprocity",
            &d.reciprocity,
            None,
            false,
        );
        push(
            place.clone(),
            "doctrine: balancing",
            &d.balancing,
            None,
            false,
        );
        push(
            place.clone(),
            "doctrine: sanction enforcement",
            &d.sanction_enforcement,
            None,
            false,
        );
        push(
            place.clone(),
            "doctrine: susceptibility",
            &d.susceptibility,
            None,
            false,
        );
        if let Some(num) = &d.position_volatility {
            push(
                place.clone(),
                "doctrine: position volatility",
                num,
                None,
                false,
            );
        }
        if let Some(num) = &d.trade_politicisation {
            push(
                place.clone(),
                "doctrine: trade politicisation",
                num,
                None,
                false,
            );
        }
        for action in &a.actions {
            push(
                place.clone(),
                &action_label(s, action.kind, &action.targets),
                &action.intensity,
                None,
                false,
            );
        }
    }
    // Symmetric quantities once per pair; a mirrored affinity (one number both ways) once.
    let r = &s.relations;
    for i in 0..r.n {
        for j in 0..r.n {
            let idx = r.idx(i, j);
            let pair = format!("{}–{}", actor_name(i), actor_name(j));
            if i < j {
                if let Some(t) = r.trade.get(idx) {
                    push(pair.clone(), "trade (USD/yr)", t, None, true);
                }
                if let Some(Some(p)) = r.proximity.get(idx) {
                    push(pair.clone(), "proximity (0–1)", p, None, false);
                }
            }
            let mirrored_here = |a: usize, b: usize| {
                r.affinity_mirrored
                    .get(r.idx(a, b))
                    .copied()
                    .unwrap_or(false)
            };
            if i == j || (i > j && mirrored_here(j, i)) {
                continue;
            }
            if let Some(Some(a)) = r.affinity.get(idx) {
                let arrow = if i < j && mirrored_here(i, j) {
                    "↔"
                } else {
                    "toward"
                };
                push(
                    format!("{} {arrow} {}", actor_name(i), actor_name(j)),
                    "affinity (−1 to 1)",
                    a,
                    None,
                    false,
                );
            }
        }
    }
    for t in &s.treaties {
        if let Some(num) = &t.credibility {
            push(
                format!("treaty {}", t.id),
                "credibility (0–1)",
                num,
                t.source.as_ref(),
                false,
            );
        }
    }
    for t in &s.theatres {
        let place = format!("theatre {}", t.id);
        if let Some(num) = &t.baseline_tension {
            push(place.clone(), "baseline tension", num, None, false);
        }
        for (q, num) in [
            ("initial tension", &t.initial_tension),
            ("reversion (per month)", &t.reversion),
            ("crisis threshold", &t.crisis_threshold),
            ("incident rate when calm (per month)", &t.incident_rate_calm),
            ("incident rate when hot (per month)", &t.incident_rate_hot),
            ("incident dispersion", &t.incident_dispersion),
            ("tension per incident", &t.incident_tension),
            ("affinity per incident", &t.incident_affinity),
        ] {
            push(place.clone(), q, num, None, false);
        }
    }
    for e in &s.events {
        let place = format!("event “{}” ({})", e.name, e.date);
        for effect in &e.effects {
            let (q, num) = effect_label(s, effect);
            push(place.clone(), &q, num, e.source.as_ref(), false);
        }
    }
    for e in &s.random_events {
        let place = format!("random event “{}”", e.name);
        push(
            place.clone(),
            "rate (per year)",
            &e.rate,
            e.source.as_ref(),
            false,
        );
        for effect in &e.effects {
            let (q, num) = effect_label(s, effect);
            push(place.clone(), &q, num, e.source.as_ref(), false);
        }
    }
    for p in &s.policies {
        for action in &p.actions {
            push(
                format!("policy {}", p.id),
                &action_label(s, action.kind, &action.targets),
                &action.intensity,
                None,
                false,
            );
        }
    }
    all.retain(|p| has_provenance(&p.num) || p.num.is_range() || p.fallback_source.is_some());
    all
}

fn has_provenance(num: &Num) -> bool {
    num.source.is_some() || num.year.is_some() || num.note.is_some()
}

fn action_name(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Engage => "engage",
        ActionKind::TradeDeal => "trade deal",
        ActionKind::DefenceCooperation => "defence cooperation",
        ActionKind::ArmsPurchase => "arms purchase",
        ActionKind::Sanction => "sanction",
        ActionKind::Condemn => "condemn",
        ActionKind::Mediate => "mediate",
        ActionKind::Align => "align",
        ActionKind::Disengage => "disengage",
    }
}

fn action_label(s: &Scenario, kind: ActionKind, targets: &[usize]) -> String {
    let ids: Vec<&str> = targets
        .iter()
        .filter_map(|&t| s.actors.get(t).map(|a| a.id.as_str()))
        .collect();
    if ids.is_empty() {
        format!("{} intensity", action_name(kind))
    } else {
        format!("{} → {} intensity", action_name(kind), ids.join(", "))
    }
}

fn effect_label<'a>(s: &Scenario, effect: &'a Effect) -> (String, &'a Num) {
    let id = |k: &usize| s.actors.get(*k).map_or("?", |a| a.id.as_str()).to_string();
    let theatre = |k: &usize| {
        s.theatres
            .get(*k)
            .map_or("?", |t| t.id.as_str())
            .to_string()
    };
    match effect {
        Effect::Tension { theatre: t, delta } => {
            (format!("tension change in {}", theatre(t)), delta)
        }
        Effect::Affinity {
            from,
            to,
            delta,
            mutual,
        } => (
            format!(
                "affinity change {} {} {}",
                id(from),
                if *mutual { "↔" } else { "→" },
                id(to)
            ),
            delta,
        ),
        Effect::Position { actor, delta } => (format!("position change of {}", id(actor)), delta),
        Effect::Capability { actor, factor } => {
            (format!("capability factor of {}", id(actor)), factor)
        }
        Effect::Sanction {
            from,
            to,
            intensity,
        } => (
            format!("sanction {} → {} intensity", id(from), id(to)),
            intensity,
        ),
        Effect::TradeShock { from, to, factor } => {
            (format!("trade factor {}–{}", id(from), id(to)), factor)
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Text

/// HTML-escaped text; `://` becomes `&#58;//` so the file holds no URL (it reads the same).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out.replace("://", "&#58;//")
}

/// Escaped text with `` `spans` `` set as code.
fn code(text: &str) -> String {
    let escaped = esc(text);
    let mut out = String::new();
    for (k, part) in escaped.split('`').enumerate() {
        if k % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn named(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!(" ({})", esc(name))
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn number(v: f64, d: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let s = format!("{v:.d$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn signed(v: f64, d: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let s = number(v, d);
    match s.strip_prefix('-') {
        Some(digits) => format!("−{digits}"),
        None => format!("+{s}"),
    }
}

fn opt_signed(v: Option<f64>, d: usize) -> String {
    v.map_or_else(|| "–".to_string(), |v| signed(v, d))
}

fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{}%", number(100.0 * share, 1))
    } else {
        "–".into()
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A plain number with up to four significant digits, trailing zeros dropped.
fn number_text(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-4..9).contains(&magnitude) {
        return format!("{v:.3e}");
    }
    let d = (3 - magnitude).max(0) as usize;
    let s = format!("{v:.d$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    match s.strip_prefix('-') {
        Some(digits) => format!("−{digits}"),
        None => s,
    }
}

/// A value of the assumptions table: USD amounts in billions with thousands separators.
fn value_text(v: f64, usd: bool) -> String {
    if usd && v.is_finite() {
        let bn = v / 1e9;
        let whole = bn.abs().trunc() as u64;
        let frac = format!("{:.1}", bn.abs().fract());
        let frac = frac.trim_start_matches('0');
        let sign = if bn < 0.0 { "−" } else { "" };
        // A fraction that rounds to 1.0 carries into the whole part.
        let (whole, frac) = if frac.starts_with("1.") {
            (whole + 1, ".0".to_string())
        } else {
            (whole, frac.to_string())
        };
        format!("USD {sign}{}{frac} bn", thousands(whole))
    } else {
        number_text(v)
    }
}

/// An argument as a POSIX shell word (quoted if needed).
fn shell_word(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_urls_out() {
        assert_eq!(esc("a <b> & \"c\""), "a &lt;b&gt; &amp; &quot;c&quot;");
        assert_eq!(esc("see https://x.org"), "see https&#58;//x.org");
        assert_eq!(code("`a` beats `b`"), "<code>a</code> beats <code>b</code>");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(signed(-0.0001, 3), "+0.000");
        assert_eq!(signed(-0.25, 2), "−0.25");
        assert_eq!(number_text(0.300), "0.3");
        assert_eq!(number_text(1371.23), "1371");
        assert_eq!(value_text(1.3712e12, true), "USD 1,371.2 bn");
        assert_eq!(value_text(4.99e9, true), "USD 5.0 bn");
        assert_eq!(value_text(0.0, true), "USD 0.0 bn");
        assert_eq!(shell_word("run"), "run");
        assert_eq!(shell_word("a b"), "'a b'");
    }

    #[test]
    fn inline_svg_drops_the_namespace_url_and_refuses_scripts() {
        let svg = "<?xml?>\n<svg width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\">\n<text>t</text>\n</svg>\n";
        let inlined = inline_svg(svg).unwrap();
        assert!(inlined.starts_with("<svg width"));
        assert!(!inlined.contains("http"));
        assert!(inline_svg("<svg><script>alert(1)</script></svg>").is_none());
        assert!(inline_svg("<svg><a href=\"x\">x</a></svg>").is_none());
        assert!(inline_svg("no svg here").is_none());
    }

    #[test]
    fn provenance_walk_matches_the_scenarios_own_order_of_numbers() {
        // Every number the scenario holds is visited by `provenance` before filtering: count
        // them against `for_each_num_mut` (symmetric pairs listed once, the diagonal skipped).
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small.toml"),
        )
        .unwrap();
        let loaded = crate::scenario::load::load_str(&text).unwrap();
        let mut s = loaded.scenario.clone();
        let mut sourced = 0usize;
        s.for_each_num_mut(|n| {
            if has_provenance(n) || n.is_range() {
                sourced += 1;
            }
        });
        let rows = provenance(&loaded.scenario);
        assert!(sourced > 0);
        s.for_each_num_mut(|n| {
            if has_provenance(n) || n.is_range() {
                assert!(rows.iter().any(|r| r.num == *n), "not listed: {n:?}");
            }
        });
        assert!(
            rows.iter()
                .any(|r| r.place.starts_with("CCC") && r.num.is_range())
        );
        assert!(rows.iter().any(|r| r.quantity.starts_with("trade_noise")));
    }
}
