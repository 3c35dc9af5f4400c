//! Loading: a file's bytes → TOML tree → raw tables → a validated [`Scenario`], reporting every
//! problem at once.
//!
//! Syntax errors stop the load (what follows them cannot be trusted). Otherwise each section and
//! each element of an array of tables is read on its own, so a typo in one actor does not hide a
//! wrong type in a treaty; then every reference, range and bound is checked.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use toml::value::Datetime;

use super::file::*;
use super::*;
use crate::diagnostic::{Diagnostic, Severity, suggest};
use crate::params::{self, SPECS};

/// Largest scenario file accepted, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Most actors in a scenario.
pub const MAX_ACTORS: usize = 500;
/// Most turns in a scenario.
pub const MAX_TURNS: i64 = 1200;
/// Most Monte-Carlo runs.
pub const MAX_RUNS: i64 = 1_000_000;
/// Most policies.
pub const MAX_POLICIES: usize = 64;

/// A scenario that loaded, with its warnings.
#[derive(Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub warnings: Vec<Diagnostic>,
    pub source: String,
}

/// A file that did not load: its text (if any) and every problem.
#[derive(Debug)]
pub struct LoadError {
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Every diagnostic rendered against the file.
    pub fn render(&self, path: &str) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(path, &self.source))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The scenario of a file in the repository (`relative` to its root), for unit tests.
#[cfg(test)]
pub(crate) fn load_repository_file(relative: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    match load_file(&path) {
        Ok(loaded) => loaded.scenario,
        Err(error) => panic!("{}", error.render(relative)),
    }
}

/// Reads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let fail = |message: String| LoadError {
        source: String::new(),
        diagnostics: vec![Diagnostic::error(None, message)],
    };
    let display = path.display();
    let metadata = std::fs::metadata(path)
        .map_err(|e| fail(format!("cannot read `{display}`: {}", io_reason(&e))))?;
    if metadata.is_dir() {
        return Err(fail(format!(
            "`{display}` is a directory, not a scenario file"
        )));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "`{display}` is {} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes",
            metadata.len()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| fail(format!("cannot read `{display}`: {}", io_reason(&e))))?;
    let source = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            return Err(fail(format!(
                "`{display}` is not UTF-8 text (invalid byte at offset {offset})"
            )));
        }
    };
    load_str(&source)
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

/// Validates scenario text.
pub fn load_str(source: &str) -> Result<Loaded, LoadError> {
    let mut cx = Cx {
        diags: Vec::new(),
        ..Cx::default()
    };
    let scenario = build(source, &mut cx);
    let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = cx
        .diags
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    match scenario {
        Some(scenario) if errors.is_empty() => Ok(Loaded {
            scenario,
            warnings,
            source: source.to_string(),
        }),
        _ => {
            let mut diagnostics = errors;
            diagnostics.extend(warnings);
            diagnostics.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Err(LoadError {
                source: source.to_string(),
                diagnostics,
            })
        }
    }
}

const SECTIONS: &[&str] = &[
    "simulation",
    "model",
    "actors",
    "relations",
    "treaties",
    "theatres",
    "events",
    "random_events",
    "policies",
    "outcomes",
    "tripwires",
];

#[derive(Default)]
struct Cx {
    diags: Vec<Diagnostic>,
    actor_ids: Vec<String>,
    actor_kinds: Vec<ActorKind>,
    treaty_ids: Vec<String>,
    theatre_ids: Vec<String>,
}

#[derive(Default)]
struct Raw {
    simulation: Option<(SimulationFile, Range<usize>)>,
    model: Vec<(Spanned<String>, SNum)>,
    actors: Vec<(usize, ActorFile, Range<usize>)>,
    relations: Vec<(usize, RelationFile, Range<usize>)>,
    treaties: Vec<(usize, TreatyFile, Range<usize>)>,
    theatres: Vec<(usize, TheatreFile, Range<usize>)>,
    events: Vec<(usize, EventFile, Range<usize>)>,
    random_events: Vec<(usize, RandomEventFile, Range<usize>)>,
    policies: Vec<(usize, PolicyFile, Range<usize>)>,
    outcomes: Option<(OutcomesFile, Range<usize>)>,
    tripwires: Vec<(usize, TripwireFile, Range<usize>)>,
    /// Ids (with spans) of every element of the id-bearing sections, read from the TOML tree so
    /// that an element with a mistake elsewhere still declares its id.
    ids: std::collections::HashMap<&'static str, Vec<(String, Range<usize>)>>,
    /// For each declared actor, whether it says `kind = "bloc"`.
    actor_is_bloc: Vec<bool>,
    /// The top-level keys present in the file.
    sections: HashSet<String>,
}

fn build(source: &str, cx: &mut Cx) -> Option<Scenario> {
    let (root, syntax_errors) = DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        for error in syntax_errors {
            cx.diags.push(toml_diagnostic(&error));
        }
        return None;
    }
    let raw = read_sections(root.into_inner(), cx);
    validate(raw, source.len(), cx)
}

fn read_sections(root: DeTable<'_>, cx: &mut Cx) -> Raw {
    let mut raw = Raw::default();
    for (key, value) in root {
        let name: &str = key.get_ref();
        let span = value.span();
        raw.sections.insert(name.to_string());
        match name {
            "simulation" => raw.simulation = de_one(&value, cx).map(|v| (v, span)),
            "outcomes" => raw.outcomes = de_one(&value, cx).map(|v| (v, span)),
            "model" => match value.get_ref().as_table() {
                Some(table) => {
                    for (param_key, param_value) in table {
                        let key = Spanned::new(param_key.span(), param_key.get_ref().to_string());
                        if let Some(num) = de_one::<RawNum>(param_value, cx) {
                            raw.model.push((key, Spanned::new(param_value.span(), num)));
                        }
                    }
                }
                None => cx.diags.push(Diagnostic::error(
                    Some(span),
                    "`model` must be a table of parameter overrides",
                )),
            },
            "actors" => {
                raw.ids.insert("actor", declared_ids(&value));
                raw.actor_is_bloc = value.get_ref().as_array().map_or(Vec::new(), |items| {
                    items
                        .iter()
                        .map(|item| {
                            item.get_ref()
                                .as_table()
                                .and_then(|t| t.get("kind"))
                                .and_then(|k| k.get_ref().as_str())
                                == Some("bloc")
                        })
                        .collect()
                });
                raw.actors = de_many(name, &value, cx)
            }
            "relations" => raw.relations = de_many(name, &value, cx),
            "treaties" => {
                raw.ids.insert("treaty", declared_ids(&value));
                raw.treaties = de_many(name, &value, cx)
            }
            "theatres" => {
                raw.ids.insert("theatre", declared_ids(&value));
                raw.theatres = de_many(name, &value, cx)
            }
            "events" => raw.events = de_many(name, &value, cx),
            "random_events" => raw.random_events = de_many(name, &value, cx),
            "policies" => {
                raw.ids.insert("policy", declared_ids(&value));
                raw.policies = de_many(name, &value, cx)
            }
            "tripwires" => {
                raw.ids.insert("tripwire", declared_ids(&value));
                raw.tripwires = de_many(name, &value, cx)
            }
            other => {
                let mut diagnostic =
                    Diagnostic::error(Some(key.span()), format!("unknown section `{other}`"));
                diagnostic = match suggest(other, SECTIONS.iter().copied()) {
                    Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
                    None => diagnostic.with_help(format!("sections are {}", backticked(SECTIONS))),
                };
                cx.diags.push(diagnostic);
            }
        }
    }
    raw
}

fn de_one<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, cx: &mut Cx) -> Option<T> {
    // On an error, the offending key is removed and the element read again, so that one element
    // reports all of its unknown keys and wrong types, not just the first. A key missing after such
    // a removal is a consequence, not a new problem, and is not reported.
    let mut value = value.clone();
    for attempt in 0..32 {
        let deserializer = toml::de::ValueDeserializer::from(value.clone());
        let error = match T::deserialize(deserializer) {
            Ok(parsed) => return Some(parsed),
            Err(error) => error,
        };
        let mut diagnostic = toml_diagnostic(&error);
        let missing = error.message().starts_with("missing field");
        if !(missing && attempt > 0) {
            if diagnostic.span.is_none() {
                diagnostic.span = Some(value.span());
            }
            cx.diags.push(diagnostic);
        }
        match error.span() {
            Some(span) if !missing && prune(value.get_mut(), &span) => continue,
            _ => return None,
        }
    }
    None
}

/// Removes the innermost key or array item whose key or value is at `span`.
fn prune(value: &mut DeValue<'_>, span: &Range<usize>) -> bool {
    let covers = |outer: &Range<usize>| outer.start <= span.start && span.end <= outer.end;
    match value {
        DeValue::Table(table) => {
            let mut found = None;
            for (key, item) in table.iter_mut() {
                if key.span() == *span || covers(&item.span()) {
                    if item.span() != *span && key.span() != *span && prune(item.get_mut(), span) {
                        return true;
                    }
                    found = Some(key.span());
                    break;
                }
            }
            match found {
                Some(key_span) => {
                    let kept: DeTable<'_> = table
                        .iter()
                        .filter(|(key, _)| key.span() != key_span)
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    *table = kept;
                    true
                }
                None => false,
            }
        }
        DeValue::Array(array) => {
            let Some(idx) = array.iter().position(|item| covers(&item.span())) else {
                return false;
            };
            let items: &mut [Spanned<DeValue<'_>>] = array;
            if items[idx].span() != *span && prune(items[idx].get_mut(), span) {
                return true;
            }
            let kept: toml::de::DeArray<'_> = array
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != idx)
                .map(|(_, item)| item.clone())
                .collect();
            *array = kept;
            true
        }
        _ => false,
    }
}

fn de_many<T: DeserializeOwned>(
    name: &str,
    value: &Spanned<DeValue<'_>>,
    cx: &mut Cx,
) -> Vec<(usize, T, Range<usize>)> {
    let Some(array) = value.get_ref().as_array() else {
        cx.diags.push(
            Diagnostic::error(
                Some(value.span()),
                format!("`{name}` must be an array of tables"),
            )
            .with_help(format!(
                "write each entry under its own `[[{name}]]` header"
            )),
        );
        return Vec::new();
    };
    array
        .iter()
        .enumerate()
        .filter_map(|(idx, item)| de_one(item, cx).map(|parsed| (idx, parsed, item.span())))
        .collect()
}

const MISSING_ID: &str = "\u{0}";

/// The `id` of every table of an array, as written ([`MISSING_ID`] if missing).
fn declared_ids(value: &Spanned<DeValue<'_>>) -> Vec<(String, Range<usize>)> {
    value.get_ref().as_array().map_or(Vec::new(), |items| {
        items
            .iter()
            .map(
                |item| match item.get_ref().as_table().and_then(|t| t.get("id")) {
                    Some(id) => (id.get_ref().as_str().unwrap_or("").to_string(), id.span()),
                    None => (MISSING_ID.to_string(), item.span()),
                },
            )
            .collect()
    })
}

/// Turns a toml/serde error into a diagnostic, adding a "did you mean" for unknown keys and
/// variants.
fn toml_diagnostic(error: &toml::de::Error) -> Diagnostic {
    let message = error.message().trim().to_string();
    let mut diagnostic = Diagnostic::error(error.span(), message.clone());
    for (prefix, noun) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some((word, tail)) = rest.split_once('`') else {
            continue;
        };
        let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        diagnostic.message = format!("unknown {noun} `{word}`");
        diagnostic.help = Some(match suggest(word, expected.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if expected.is_empty() => "this table takes no keys".to_string(),
            None => format!("expected one of {}", backticked(&expected)),
        });
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            let expected = match expected {
                "i64" | "u64" | "u32" | "i32" | "usize" => "an integer",
                "f64" | "f32" => "a number",
                "a boolean" | "bool" => "`true` or `false`",
                other => other,
            };
            diagnostic.message = match found
                .strip_prefix("integer `")
                .and_then(|rest| rest.split_once('`'))
            {
                Some((digits, _)) if expected == "an integer" || expected == "a number" => {
                    format!("integer `{digits}` is too large")
                }
                _ => format!("wrong type: found {found}, expected {expected}"),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        if let Some((word, _)) = rest.split_once('`') {
            diagnostic.message = format!("missing key `{word}`");
        }
    }
    diagnostic
}

fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Cx {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(Some(span), message));
    }

    fn error_help(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::error(Some(span), message).with_help(help));
    }

    /// Resolves an actor id, reporting an unknown one with a suggestion.
    fn actor(&mut self, id: &SStr, place: &str) -> Option<usize> {
        if let Some(idx) = self
            .actor_ids
            .iter()
            .position(|known| known == id.get_ref())
        {
            return Some(idx);
        }
        let help = match suggest(id.get_ref(), self.actor_ids.iter().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "actors are {}",
                backticked(
                    &self
                        .actor_ids
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                )
            ),
        };
        self.error_help(
            id.span(),
            format!("unknown actor `{}` in `{place}`", id.get_ref()),
            help,
        );
        None
    }

    fn actors(&mut self, ids: &[SStr], place: &str) -> Vec<usize> {
        ids.iter().filter_map(|id| self.actor(id, place)).collect()
    }

    fn named(&mut self, id: &SStr, known_kind: &str, place: &str) -> Option<usize> {
        let known = match known_kind {
            "treaty" => &self.treaty_ids,
            _ => &self.theatre_ids,
        };
        if let Some(idx) = known.iter().position(|k| k == id.get_ref()) {
            return Some(idx);
        }
        let help = match suggest(id.get_ref(), known.iter().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None if known.is_empty() => format!("the scenario defines no {known_kind}"),
            None => format!(
                "known: {}",
                backticked(&known.iter().map(String::as_str).collect::<Vec<_>>())
            ),
        };
        self.error_help(
            id.span(),
            format!("unknown {known_kind} `{}` in `{place}`", id.get_ref()),
            help,
        );
        None
    }

    /// Validates a number: point or range, finite, `low <= high`, within `[min, max]`.
    fn num(&mut self, raw: &SNum, place: &str, min: f64, max: f64) -> Num {
        let span = raw.span();
        let n = raw.get_ref();
        let fallback = Num::point(min.max(0.0).min(max));
        let (low, high) = match (n.value, n.low, n.high) {
            (Some(value), None, None) => (value, value),
            (None, Some(low), Some(high)) => (low, high),
            (Some(_), _, _) => {
                self.error_help(
                    span,
                    format!("`{place}` gives both `value` and a range"),
                    "give either `value` or `low` and `high`",
                );
                return fallback;
            }
            (None, Some(_), None) | (None, None, Some(_)) => {
                self.error_help(
                    span,
                    format!("`{place}` gives only one end of a range"),
                    "give both `low` and `high`",
                );
                return fallback;
            }
            (None, None, None) => {
                self.error_help(
                    span,
                    format!("`{place}` has no number"),
                    "give `value`, or `low` and `high`",
                );
                return fallback;
            }
        };
        for x in [low, high] {
            if !x.is_finite() {
                let what = if x.is_nan() { "NaN" } else { "infinite" };
                self.error_help(
                    span.clone(),
                    format!("`{place}` is {what}"),
                    "give a finite number",
                );
                return fallback;
            }
        }
        if low > high {
            self.error_help(
                span,
                format!("`{place}` has `low` {low} above `high` {high}"),
                "swap the ends of the range",
            );
            return fallback;
        }
        if low < min || high > max {
            self.error_help(
                span,
                format!("`{place}` is out of bounds: {}", show_range(low, high)),
                format!("it must lie in [{min}, {max}]"),
            );
            return fallback;
        }
        Num {
            low,
            high,
            source: n.source.as_deref().map(std::sync::Arc::from),
            year: n.year,
            note: n.note.as_deref().map(std::sync::Arc::from),
        }
    }

    fn opt_num(
        &mut self,
        raw: &Option<SNum>,
        place: &str,
        min: f64,
        max: f64,
        default: f64,
    ) -> Num {
        match raw {
            Some(raw) => self.num(raw, place, min, max),
            None => Num::point(default),
        }
    }

    /// A threshold must be a point.
    fn threshold(&mut self, raw: &Option<SNum>, place: &str) -> Option<f64> {
        let raw = raw.as_ref()?;
        let num = self.num(raw, place, f64::MIN, f64::MAX);
        if num.is_range() {
            self.error(
                raw.span(),
                format!("`{place}` must be a single number, not a range"),
            );
        }
        Some(num.low)
    }

    fn date(&mut self, raw: &Spanned<Datetime>, place: &str) -> Option<Date> {
        let dt = raw.get_ref();
        let parsed = match (&dt.date, &dt.time, &dt.offset) {
            (Some(d), None, None) => Date::new(d.year as i32, d.month as u32, d.day as u32),
            _ => None,
        };
        if parsed.is_none() {
            self.error_help(
                raw.span(),
                format!("`{place}` must be a date"),
                "write a TOML date such as 2024-06-19",
            );
        }
        parsed
    }

    fn warn_unsourced(&mut self, raw: &Option<SNum>, place: &str) {
        if let Some(raw) = raw {
            self.warn_unsourced_num(raw, place);
        }
    }

    fn warn_unsourced_num(&mut self, raw: &SNum, place: &str) {
        if raw.get_ref().source.is_none() && raw.get_ref().note.is_none() {
            self.diags.push(
                Diagnostic::warning(Some(raw.span()), format!("`{place}` has no `source`"))
                    .with_help("write it as `{ value = ..., source = \"...\", year = ... }`, or give a judgement range with a `note` saying why, so readers can check it"),
            );
        }
    }
}

fn show_range(low: f64, high: f64) -> String {
    if low == high {
        format!("{low}")
    } else {
        format!("[{low}, {high}]")
    }
}

fn int_in(cx: &mut Cx, raw: &Spanned<i64>, place: &str, min: i64, max: i64) -> Option<i64> {
    let value = *raw.get_ref();
    if value < min || value > max {
        cx.error_help(
            raw.span(),
            format!("`{place}` is {value}"),
            format!("it must lie in [{min}, {max}]"),
        );
        return None;
    }
    Some(value)
}

fn check_unique(cx: &mut Cx, ids: &[(String, Range<usize>)], what: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    for (id, span) in ids {
        if id == MISSING_ID {
            continue; // reported as a missing key
        }
        if id.is_empty() {
            cx.error(span.clone(), format!("{what} id is empty"));
        } else if !seen.insert(id.clone()) {
            cx.error(span.clone(), format!("duplicate {what} id `{id}`"));
        }
    }
    ids.iter().map(|(id, _)| id.clone()).collect()
}

fn validate(raw: Raw, source_len: usize, cx: &mut Cx) -> Option<Scenario> {
    let whole = 0..source_len.min(1);
    for name in ["simulation", "actors", "policies", "outcomes"] {
        let written = raw.sections.contains(name);
        let empty = match name {
            "actors" => raw.ids.get("actor").is_none_or(|ids| ids.is_empty()),
            "policies" => raw.ids.get("policy").is_none_or(|ids| ids.is_empty()),
            _ => false,
        };
        if written && empty {
            cx.error_help(
                whole.clone(),
                format!("`{name}` is empty"),
                format!("the scenario needs at least one entry in `{name}`"),
            );
        }
        if !written {
            let header = if name == "actors" || name == "policies" {
                format!("[[{name}]]")
            } else {
                format!("[{name}]")
            };
            cx.error_help(
                whole.clone(),
                format!("missing section `{name}`"),
                format!("add a `{header}` section"),
            );
        }
    }
    let declared = |kind: &str| raw.ids.get(kind).cloned().unwrap_or_default();
    let actor_decl = declared("actor");
    if actor_decl.len() > MAX_ACTORS {
        cx.error(
            actor_decl[MAX_ACTORS].1.clone(),
            format!("{} actors; the limit is {MAX_ACTORS}", actor_decl.len()),
        );
        return None;
    }
    if raw.policies.len() > MAX_POLICIES {
        cx.error(
            raw.policies[MAX_POLICIES].2.clone(),
            format!(
                "{} policies; the limit is {MAX_POLICIES}",
                raw.policies.len()
            ),
        );
        return None;
    }

    // Names first, so that references anywhere can be resolved.
    cx.actor_ids = check_unique(cx, &actor_decl, "actor");
    cx.actor_kinds = raw
        .actor_is_bloc
        .iter()
        .map(|&bloc| {
            if bloc {
                ActorKind::Bloc
            } else {
                ActorKind::State
            }
        })
        .collect();
    cx.treaty_ids = check_unique(cx, &declared("treaty"), "treaty");
    cx.theatre_ids = check_unique(cx, &declared("theatre"), "theatre");
    let policy_ids = check_unique(cx, &declared("policy"), "policy");
    check_unique(cx, &declared("tripwire"), "tripwire");

    // Simulation settings.
    let mut start = Date::new(2000, 1, 1).unwrap();
    let mut turn_months = 1u32;
    let mut turns = 1u32;
    let mut runs = 1000u32;
    let mut seed = 0u64;
    let mut focal = 0usize;
    let mut baseline = 0usize;
    let (mut name, mut description, mut question) = (String::new(), None, None);
    if let Some((sim, _)) = &raw.simulation {
        name = sim.name.clone();
        description = sim.description.clone();
        question = sim.question.clone();
        if let Some(date) = cx.date(&sim.start, "simulation.start") {
            start = date;
        }
        if let Some(raw_months) = &sim.turn_months {
            if let Some(v) = int_in(cx, raw_months, "simulation.turn_months", 1, 12) {
                turn_months = v as u32;
            }
        }
        if let Some(v) = int_in(cx, &sim.turns, "simulation.turns", 1, MAX_TURNS) {
            turns = v as u32;
        }
        if let Some(raw_runs) = &sim.runs {
            if let Some(v) = int_in(cx, raw_runs, "simulation.runs", 1, MAX_RUNS) {
                runs = v as u32;
            }
        }
        if let Some(raw_seed) = &sim.seed {
            if let Some(v) = int_in(cx, raw_seed, "simulation.seed", 0, i64::MAX) {
                seed = v as u64;
            }
        }
        if let Some(idx) = cx.actor(&sim.focal, "simulation.focal") {
            focal = idx;
            if cx.actor_kinds[idx] == ActorKind::Bloc {
                cx.error(
                    sim.focal.span(),
                    format!(
                        "focal actor `{}` is a bloc; the focal actor must be a state",
                        sim.focal.get_ref()
                    ),
                );
            }
        }
        if let Some(id) = &sim.baseline {
            match policy_ids.iter().position(|p| p == id.get_ref()) {
                Some(idx) => baseline = idx,
                None => {
                    let help = match suggest(id.get_ref(), policy_ids.iter().map(String::as_str)) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!(
                            "policies are {}",
                            backticked(&policy_ids.iter().map(String::as_str).collect::<Vec<_>>())
                        ),
                    };
                    cx.error_help(
                        id.span(),
                        format!("unknown policy `{}` in `simulation.baseline`", id.get_ref()),
                        help,
                    );
                }
            }
        }
    }
    let date_to_turn =
        |date: Date| -> i64 { start.months_until(date).div_euclid(turn_months as i64) };

    // Model parameters.
    let mut params = default_params();
    let mut seen_params = HashSet::new();
    for (key, value) in &raw.model {
        let Some(spec) = params::spec_by_key(key.get_ref()) else {
            let help = match suggest(key.get_ref(), SPECS.iter().map(|s| s.key)) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "docs/model.md lists every parameter".to_string(),
            };
            cx.error_help(
                key.span(),
                format!("unknown model parameter `{}`", key.get_ref()),
                help,
            );
            continue;
        };
        if !seen_params.insert(spec.key) {
            cx.error(
                key.span(),
                format!("model parameter `{}` is set twice", spec.key),
            );
        }
        params[spec.param as usize] =
            cx.num(value, &format!("model.{}", spec.key), spec.min, spec.max);
    }

    // Actors.
    let mut actors = Vec::new();
    let mut parsed_actors: Vec<Option<(&ActorFile, &Range<usize>)>> =
        vec![None; cx.actor_ids.len()];
    for (idx, a, span) in &raw.actors {
        parsed_actors[*idx] = Some((a, span));
    }
    for (idx, parsed) in parsed_actors.into_iter().enumerate() {
        let Some((a, span)) = parsed else {
            // This actor did not parse (its errors are reported); hold its place.
            actors.push(placeholder_actor(&cx.actor_ids[idx], cx.actor_kinds[idx]));
            continue;
        };
        let place = |field: &str| format!("actors[{idx}].{field}");
        let kind = cx.actor_kinds[idx];
        let members = match (&a.members, kind) {
            (Some(ids), ActorKind::Bloc) => {
                let members = cx.actors(ids, &place("members"));
                if ids.is_empty() {
                    cx.error(
                        span.clone(),
                        format!("bloc `{}` has no members", a.id.get_ref()),
                    );
                }
                for (m, id) in members.iter().zip(ids) {
                    if *m == idx || cx.actor_kinds[*m] == ActorKind::Bloc {
                        cx.error(
                            id.span(),
                            format!(
                                "bloc `{}` lists `{}`, which is not a state",
                                a.id.get_ref(),
                                id.get_ref()
                            ),
                        );
                    }
                }
                members
            }
            (None, ActorKind::Bloc) => {
                cx.error_help(
                    span.clone(),
                    format!("bloc `{}` has no members", a.id.get_ref()),
                    "add `members = [...]`",
                );
                Vec::new()
            }
            (Some(ids), ActorKind::State) => {
                if let Some(first) = ids.first() {
                    cx.error_help(
                        first.span(),
                        format!("state `{}` cannot have members", a.id.get_ref()),
                        "set `kind = \"bloc\"` for a bloc",
                    );
                }
                Vec::new()
            }
            (None, ActorKind::State) => Vec::new(),
        };
        let gdp = match (&a.gdp, kind) {
            (Some(raw), _) => cx.num(raw, &place("gdp"), 0.0, 1e15),
            (None, ActorKind::Bloc) => Num::point(0.0),
            (None, ActorKind::State) => {
                cx.error_help(
                    span.clone(),
                    format!("state `{}` has no `gdp`", a.id.get_ref()),
                    "give nominal GDP in USD per year",
                );
                Num::point(0.0)
            }
        };
        cx.warn_unsourced(&a.gdp, &place("gdp"));
        cx.warn_unsourced_num(&a.capability, &place("capability"));
        cx.warn_unsourced_num(&a.position, &place("position"));
        let gdp_growth = cx.opt_num(&a.gdp_growth, &place("gdp_growth"), -0.5, 0.5, 0.0);
        let capability = cx.num(&a.capability, &place("capability"), 0.0, 1e15);
        let position = cx.num(&a.position, &place("position"), -10.0, 10.0);
        let empty = DoctrineFile::default();
        let d = a.doctrine.as_ref().unwrap_or(&empty);
        let doctrine = Doctrine {
            reciprocity: cx.opt_num(
                &d.reciprocity,
                &place("doctrine.reciprocity"),
                0.0,
                1.0,
                0.5,
            ),
            balancing: cx.opt_num(&d.balancing, &place("doctrine.balancing"), -1.0, 1.0, 0.5),
            sanction_enforcement: cx.opt_num(
                &d.sanction_enforcement,
                &place("doctrine.sanction_enforcement"),
                0.0,
                1.0,
                1.0,
            ),
            susceptibility: cx.opt_num(
                &d.susceptibility,
                &place("doctrine.susceptibility"),
                0.0,
                1.0,
                1.0,
            ),
            position_volatility: d
                .position_volatility
                .as_ref()
                .map(|raw| cx.num(raw, &place("doctrine.position_volatility"), 0.0, 1.0)),
            trade_politicisation: d
                .trade_politicisation
                .as_ref()
                .map(|raw| cx.num(raw, &place("doctrine.trade_politicisation"), 0.0, 5.0)),
            secondary_sanctions: d.secondary_sanctions.as_ref().map_or(Vec::new(), |ids| {
                cx.actors(ids, &place("doctrine.secondary_sanctions"))
            }),
        };
        if let (Some(list), Some((sim, _))) = (&a.actions, &raw.simulation) {
            if !list.is_empty() && sim.focal.get_ref() == a.id.get_ref() {
                cx.diags.push(
                    Diagnostic::warning(Some(list[0].span()), format!("the focal actor `{}` has standing `actions`; they are ignored", a.id.get_ref()))
                        .with_help("the focal actor's actions come from the policy under evaluation; put them in each `[[policies]]`"),
                );
            }
        }
        let actions = a.actions.as_ref().map_or(Vec::new(), |list| {
            list.iter()
                .enumerate()
                .filter_map(|(k, act)| action(cx, act, idx, &place(&format!("actions[{k}]"))))
                .collect()
        });
        actors.push(Actor {
            id: a.id.get_ref().clone(),
            name: a.name.clone(),
            kind,
            members,
            gdp,
            gdp_growth,
            capability,
            position,
            doctrine,
            actions,
        });
    }
    if !actors.is_empty() && actors.iter().all(|a| a.capability.high <= 0.0) {
        cx.error(
            actor_decl[0].1.clone(),
            "every actor has zero capability; threat and standing need some power",
        );
    }

    // Relations.
    let n = actors.len();
    let mut relations = Relations {
        n,
        trade: vec![Num::point(0.0); n * n],
        affinity: vec![None; n * n],
        proximity: vec![None; n * n],
        affinity_mirrored: vec![false; n * n],
        agreement: vec![false; n * n],
    };
    let mut seen_pairs = HashSet::new();
    for &(idx, ref r, ref span) in &raw.relations {
        let place = |field: &str| format!("relations[{idx}].{field}");
        let ids = r.pair.get_ref();
        if ids.len() != 2 {
            cx.error_help(
                r.pair.span(),
                format!("`{}` names {} actors", place("pair"), ids.len()),
                "a pair names exactly two actors",
            );
            continue;
        }
        let (Some(i), Some(j)) = (
            cx.actor(&ids[0], &place("pair")),
            cx.actor(&ids[1], &place("pair")),
        ) else {
            continue;
        };
        if i == j {
            cx.error(
                r.pair.span(),
                format!(
                    "`{}` pairs `{}` with itself",
                    place("pair"),
                    ids[0].get_ref()
                ),
            );
            continue;
        }
        if !seen_pairs.insert((i.min(j), i.max(j))) {
            cx.error(
                r.pair.span(),
                format!(
                    "the pair `{}`-`{}` is described twice",
                    ids[0].get_ref(),
                    ids[1].get_ref()
                ),
            );
        }
        let (ij, ji) = (relations.idx(i, j), relations.idx(j, i));
        if let Some(trade) = &r.trade {
            if cx.actor_kinds[i] == ActorKind::Bloc || cx.actor_kinds[j] == ActorKind::Bloc {
                cx.error_help(
                    trade.span(),
                    format!("`{}` gives trade with a bloc", place("trade")),
                    "give trade with the bloc's member states instead",
                );
            }
            cx.warn_unsourced_num(trade, &place("trade"));
            let value = cx.num(trade, &place("trade"), 0.0, 1e14);
            relations.trade[ij] = value.clone();
            relations.trade[ji] = value;
        }
        if let Some(affinity) = &r.affinity {
            let value = cx.num(affinity, &place("affinity"), -1.0, 1.0);
            relations.affinity[ij] = Some(value.clone());
            relations.affinity[ji] = Some(value);
            relations.affinity_mirrored[ij] = r.affinity_reverse.is_none();
            relations.affinity_mirrored[ji] = r.affinity_reverse.is_none();
        }
        if let Some(back) = &r.affinity_reverse {
            if r.affinity.is_none() {
                cx.error_help(
                    back.span(),
                    format!("`{}` without `affinity`", place("affinity_reverse")),
                    "give `affinity` (first toward second) too",
                );
            }
            relations.affinity[ji] = Some(cx.num(back, &place("affinity_reverse"), -1.0, 1.0));
        }
        if let Some(proximity) = &r.proximity {
            let value = cx.num(proximity, &place("proximity"), 0.0, 1.0);
            relations.proximity[ij] = Some(value.clone());
            relations.proximity[ji] = Some(value);
        }
        if r.trade_agreement == Some(true) {
            relations.agreement[ij] = true;
            relations.agreement[ji] = true;
        }
        let _ = span;
    }

    // Treaties.
    let mut treaties = Vec::new();
    for &(idx, ref t, _) in &raw.treaties {
        let place = |field: &str| format!("treaties[{idx}].{field}");
        let parties = cx.actors(t.parties.get_ref(), &place("parties"));
        for (k, party) in parties.iter().enumerate() {
            if parties[..k].contains(party) {
                cx.error(
                    t.parties.span(),
                    format!(
                        "treaty `{}` lists `{}` twice",
                        t.id.get_ref(),
                        cx.actor_ids[*party]
                    ),
                );
            }
        }
        if t.parties.get_ref().len() < 2 {
            cx.error_help(
                t.parties.span(),
                format!("treaty `{}` has fewer than two parties", t.id.get_ref()),
                "a treaty binds at least two actors",
            );
        }
        let in_force_turn = match &t.in_force {
            Some(raw_date) => match cx.date(raw_date, &place("in_force")) {
                Some(date) => {
                    let turn = date_to_turn(date);
                    if turn >= turns as i64 {
                        cx.diags.push(
                            Diagnostic::warning(
                                Some(raw_date.span()),
                                format!(
                                    "treaty `{}` enters into force after the last turn",
                                    t.id.get_ref()
                                ),
                            )
                            .with_help("it will have no effect in this run"),
                        );
                    }
                    turn.max(0) as u32
                }
                None => 0,
            },
            None => 0,
        };
        let kind = match t.kind.get_ref() {
            TreatyKindFile::Defence => TreatyKind::Defence,
            TreatyKindFile::Offence => TreatyKind::Offence,
            TreatyKindFile::Neutrality => TreatyKind::Neutrality,
            TreatyKindFile::NonAggression => TreatyKind::NonAggression,
            TreatyKindFile::Consultation => TreatyKind::Consultation,
        };
        let credibility = t
            .credibility
            .as_ref()
            .map(|raw| cx.num(raw, &place("credibility"), 0.0, 1.0));
        let activation = t
            .activation
            .as_ref()
            .and_then(|c| condition(cx, c, &place("activation")));
        treaties.push(Treaty {
            id: t.id.get_ref().clone(),
            name: t.name.clone(),
            kind,
            parties,
            in_force_turn,
            in_force: t.in_force.as_ref().and_then(date_of),
            credibility,
            activation,
            source: t.source.clone(),
        });
    }

    // Theatres.
    let mut theatres = Vec::new();
    for &(idx, ref t, ref span) in &raw.theatres {
        let place = |field: &str| format!("theatres[{idx}].{field}");
        let side_a = cx.actors(t.side_a.get_ref(), &place("side_a"));
        let side_b = cx.actors(t.side_b.get_ref(), &place("side_b"));
        if t.side_a.get_ref().is_empty() || t.side_b.get_ref().is_empty() {
            cx.error(
                span.clone(),
                format!(
                    "theatre `{}` needs at least one actor on each side",
                    t.id.get_ref()
                ),
            );
        }
        if let Some(both) = side_a.iter().find(|a| side_b.contains(a)) {
            cx.error(
                t.side_b.span(),
                format!(
                    "`{}` is on both sides of theatre `{}`",
                    actors[*both].id,
                    t.id.get_ref()
                ),
            );
        }
        let initial_tension = cx.num(&t.initial_tension, &place("initial_tension"), 0.0, 1.0);
        let baseline_tension = t
            .baseline_tension
            .as_ref()
            .map(|raw| cx.num(raw, &place("baseline_tension"), 0.0, 1.0));
        theatres.push(Theatre {
            id: t.id.get_ref().clone(),
            name: t.name.clone(),
            side_a,
            side_b,
            initial_tension,
            baseline_tension,
            reversion: cx.opt_num(&t.reversion, &place("reversion"), 0.0, 1.0, 0.1),
            crisis_threshold: cx.opt_num(
                &t.crisis_threshold,
                &place("crisis_threshold"),
                0.0,
                1.0,
                0.8,
            ),
            incident_rate_calm: cx.opt_num(
                &t.incident_rate_calm,
                &place("incident_rate_calm"),
                0.0,
                1000.0,
                0.0,
            ),
            incident_rate_hot: cx.opt_num(
                &t.incident_rate_hot,
                &place("incident_rate_hot"),
                0.0,
                1000.0,
                2.83,
            ),
            incident_dispersion: cx.opt_num(
                &t.incident_dispersion,
                &place("incident_dispersion"),
                0.01,
                1000.0,
                0.66,
            ),
            incident_tension: cx.opt_num(
                &t.incident_tension,
                &place("incident_tension"),
                0.0,
                1.0,
                0.02,
            ),
            incident_affinity: cx.opt_num(
                &t.incident_affinity,
                &place("incident_affinity"),
                0.0,
                1.0,
                0.01,
            ),
        });
    }

    // Scheduled events.
    let mut events = Vec::new();
    for &(idx, ref e, _) in &raw.events {
        let place = |field: &str| format!("events[{idx}].{field}");
        let Some(date) = cx.date(&e.date, &place("date")) else {
            continue;
        };
        let turn = date_to_turn(date);
        let effects = effects(cx, &e.effects, &place("effects"));
        if raw.simulation.is_none() {
            continue; // the period is unknown: `[simulation]` did not parse
        }
        if turn < 0 || turn >= turns as i64 || date < start {
            let end = start.add_months(turns * turn_months);
            cx.error_help(
                e.date.span(),
                format!("event `{}` is dated {date}, outside the simulated period", e.name),
                format!("the simulation covers {start} to {end} (exclusive); move the date or change `simulation.start`/`turns`"),
            );
            continue;
        }
        events.push(Event {
            name: e.name.clone(),
            date,
            turn: turn as u32,
            source: e.source.clone(),
            effects,
        });
    }
    events.sort_by_key(|e| e.turn);

    // Random events.
    let mut random_events = Vec::new();
    for &(idx, ref e, _) in &raw.random_events {
        let place = |field: &str| format!("random_events[{idx}].{field}");
        let rate = cx.num(&e.rate, &place("rate"), 0.0, 1000.0);
        let from_turn = e
            .from
            .as_ref()
            .and_then(|d| cx.date(d, &place("from")))
            .map_or(0, |d| date_to_turn(d).clamp(0, turns as i64) as u32);
        let until_turn = e
            .until
            .as_ref()
            .and_then(|d| cx.date(d, &place("until")))
            .map_or(turns, |d| date_to_turn(d).clamp(0, turns as i64) as u32);
        if let (Some(from), Some(until)) = (&e.from, &e.until) {
            if from.get_ref().to_string() >= until.get_ref().to_string() {
                cx.error_help(
                    until.span(),
                    format!("`{}` is not after `from`", place("until")),
                    "the event can occur only between `from` and `until`",
                );
            }
        }
        let when = e
            .when
            .as_ref()
            .and_then(|c| condition(cx, c, &place("when")));
        let effects = effects(cx, &e.effects, &place("effects"));
        random_events.push(RandomEvent {
            name: e.name.clone(),
            rate,
            from_turn,
            until_turn,
            from: e.from.as_ref().and_then(date_of),
            until: e.until.as_ref().and_then(date_of),
            when,
            source: e.source.clone(),
            effects,
        });
    }

    // Policies.
    let mut policies = Vec::new();
    let baseline_id = raw
        .simulation
        .as_ref()
        .and_then(|(sim, _)| sim.baseline.as_ref().map(|b| b.get_ref().clone()));
    for &(idx, ref p, ref span) in &raw.policies {
        let is_baseline = match &baseline_id {
            Some(id) => id == p.id.get_ref(),
            None => idx == 0,
        };
        if p.actions.is_empty() && !is_baseline {
            cx.diags.push(
                Diagnostic::warning(
                    Some(span.clone()),
                    format!("policy `{}` has no actions", p.id.get_ref()),
                )
                .with_help("the focal actor will only react through the world's dynamics"),
            );
        }
        let actions = p
            .actions
            .iter()
            .enumerate()
            .filter_map(|(k, act)| action(cx, act, focal, &format!("policies[{idx}].actions[{k}]")))
            .collect();
        policies.push(Policy {
            id: p.id.get_ref().clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            actions,
        });
    }

    // Outcomes.
    let mut outcome_spec = OutcomeSpec {
        bloc_a: Vec::new(),
        bloc_b: Vec::new(),
        bloc_a_name: "bloc A".into(),
        bloc_b_name: "bloc B".into(),
        stability_theatre: None,
        weights: [0.2; 5],
        raw_weights: [1.0; 5],
    };
    if let Some((o, _)) = &raw.outcomes {
        outcome_spec.bloc_a = cx.actors(o.bloc_a.get_ref(), "outcomes.bloc_a");
        outcome_spec.bloc_b = cx.actors(o.bloc_b.get_ref(), "outcomes.bloc_b");
        for (bloc, raw_bloc, key) in [
            (&outcome_spec.bloc_a, &o.bloc_a, "bloc_a"),
            (&outcome_spec.bloc_b, &o.bloc_b, "bloc_b"),
        ] {
            if raw_bloc.get_ref().is_empty() {
                cx.error(raw_bloc.span(), format!("`outcomes.{key}` is empty"));
            }
            if bloc.contains(&focal) && raw.simulation.is_some() {
                cx.error(
                    raw_bloc.span(),
                    format!("`outcomes.{key}` contains the focal actor"),
                );
            }
        }
        outcome_spec.bloc_a_name = o.bloc_a_name.clone().unwrap_or_else(|| "bloc A".into());
        outcome_spec.bloc_b_name = o.bloc_b_name.clone().unwrap_or_else(|| "bloc B".into());
        outcome_spec.stability_theatre = o
            .stability_theatre
            .as_ref()
            .and_then(|id| cx.named(id, "theatre", "outcomes.stability_theatre"));
        let w = o.weights.get_ref();
        let mut weights = [0.0; 5];
        for (slot, (raw_w, key)) in [
            (&w.prosperity, "prosperity"),
            (&w.security, "security"),
            (&w.autonomy, "autonomy"),
            (&w.standing, "standing"),
            (&w.stability, "stability"),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(raw_w) = raw_w {
                let num = cx.num(raw_w, &format!("outcomes.weights.{key}"), 0.0, 1e6);
                if num.is_range() {
                    cx.error(raw_w.span(), format!("`outcomes.weights.{key}` must be a single number; weights are judgements, varied by `entente compare`"));
                }
                weights[slot] = num.low;
            }
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            cx.error_help(
                o.weights.span(),
                "the outcome weights are all zero",
                "give at least one positive weight",
            );
        } else {
            outcome_spec.raw_weights = weights;
            let mut normalised = weights;
            for w in &mut normalised {
                *w /= total;
            }
            outcome_spec.weights = normalised;
        }
    }
    if theatres.is_empty() {
        outcome_spec.stability_theatre = None;
    } else if outcome_spec.stability_theatre.is_none() {
        outcome_spec.stability_theatre = Some(0);
    }

    // Tripwires.
    let tripwires = raw
        .tripwires
        .iter()
        .filter_map(|(idx, t, _)| {
            condition(cx, &t.when, &format!("tripwires[{idx}].when")).map(|when| Tripwire {
                id: t.id.get_ref().clone(),
                name: t.name.clone(),
                when,
            })
        })
        .collect();

    if cx.diags.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    Some(Scenario {
        name,
        description,
        question,
        start,
        turn_months,
        turns,
        runs,
        seed,
        focal,
        baseline,
        actors,
        relations,
        treaties,
        theatres,
        events,
        random_events,
        policies,
        outcomes: outcome_spec,
        tripwires,
        params,
    })
}

fn effect_kind_name(kind: EffectKindFile) -> &'static str {
    match kind {
        EffectKindFile::Tension => "tension",
        EffectKindFile::Affinity => "affinity",
        EffectKindFile::Position => "position",
        EffectKindFile::Capability => "capability",
        EffectKindFile::Sanction => "sanction",
        EffectKindFile::TradeShock => "trade_shock",
    }
}

/// The date of a TOML date value (already checked where it was read).
fn date_of(raw: &Spanned<Datetime>) -> Option<Date> {
    match (&raw.get_ref().date, &raw.get_ref().time) {
        (Some(d), None) => Date::new(d.year as i32, d.month as u32, d.day as u32),
        _ => None,
    }
}

fn action_kind_name(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Engage => "engage",
        ActionKind::TradeDeal => "trade_deal",
        ActionKind::DefenceCooperation => "defence_cooperation",
        ActionKind::ArmsPurchase => "arms_purchase",
        ActionKind::Sanction => "sanction",
        ActionKind::Condemn => "condemn",
        ActionKind::Mediate => "mediate",
        ActionKind::Align => "align",
        ActionKind::Disengage => "disengage",
    }
}

fn placeholder_actor(id: &str, kind: ActorKind) -> Actor {
    let zero = Num::point(0.0);
    Actor {
        id: id.to_string(),
        name: id.to_string(),
        kind,
        members: Vec::new(),
        gdp: zero.clone(),
        gdp_growth: zero.clone(),
        capability: zero.clone(),
        position: zero.clone(),
        doctrine: Doctrine {
            reciprocity: zero.clone(),
            balancing: zero.clone(),
            sanction_enforcement: zero.clone(),
            susceptibility: zero.clone(),
            position_volatility: None,
            trade_politicisation: None,
            secondary_sanctions: Vec::new(),
        },
        actions: Vec::new(),
    }
}

fn action(cx: &mut Cx, raw: &Spanned<ActionFile>, actor: usize, place: &str) -> Option<Action> {
    let a = raw.get_ref();
    let kind = match a.kind.get_ref() {
        ActionKindFile::Engage => ActionKind::Engage,
        ActionKindFile::TradeDeal => ActionKind::TradeDeal,
        ActionKindFile::DefenceCooperation => ActionKind::DefenceCooperation,
        ActionKindFile::ArmsPurchase => ActionKind::ArmsPurchase,
        ActionKindFile::Sanction => ActionKind::Sanction,
        ActionKindFile::Condemn => ActionKind::Condemn,
        ActionKindFile::Mediate => ActionKind::Mediate,
        ActionKindFile::Align => ActionKind::Align,
        ActionKindFile::Disengage => ActionKind::Disengage,
    };
    let intensity = cx.num(&a.intensity, &format!("{place}.intensity"), 0.0, 1.0);
    let targets = a.targets.as_ref().map_or(Vec::new(), |ids| {
        cx.actors(ids, &format!("{place}.targets"))
    });
    let theatre = a
        .theatre
        .as_ref()
        .and_then(|id| cx.named(id, "theatre", &format!("{place}.theatre")));
    let when = a
        .when
        .as_ref()
        .and_then(|c| condition(cx, c, &format!("{place}.when")));
    let kind_name = action_kind_name(kind);
    if kind == ActionKind::Mediate && a.targets.is_some() {
        cx.error_help(
            raw.span(),
            format!("`{place}` mediates and takes no `targets`"),
            "mediation acts on the two sides of its `theatre`",
        );
    }
    if kind != ActionKind::Mediate && a.theatre.is_some() {
        cx.error_help(
            raw.span(),
            format!("`{place}` ({kind_name}) takes no `theatre`"),
            "only `mediate` acts on a theatre",
        );
    }
    if kind == ActionKind::Mediate {
        if a.theatre.is_none() {
            cx.error_help(
                raw.span(),
                format!("`{place}` mediates without a `theatre`"),
                "name the theatre to mediate in",
            );
        }
    } else {
        if a.targets.as_ref().is_none_or(|t| t.is_empty()) {
            cx.error_help(
                raw.span(),
                format!("`{place}` ({kind_name}) has no `targets`"),
                "name the actors it acts on, e.g. `targets = [\"KOR\"]`",
            );
        }
        if let Some(pos) = targets.iter().position(|t| *t == actor) {
            cx.error(
                a.targets.as_ref().unwrap()[pos].span(),
                format!("`{place}` targets its own actor"),
            );
        }
    }
    (!targets.is_empty() || kind == ActionKind::Mediate).then_some(Action {
        kind,
        targets,
        theatre,
        intensity,
        when,
    })
}

fn effects(cx: &mut Cx, raw: &[Spanned<EffectFile>], place: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for (k, raw_effect) in raw.iter().enumerate() {
        let e = raw_effect.get_ref();
        let place = format!("{place}[{k}]");
        let span = raw_effect.span();
        let need_actor = |cx: &mut Cx, field: &Option<SStr>, key: &str| -> Option<usize> {
            match field {
                Some(id) => cx.actor(id, &format!("{place}.{key}")),
                None => {
                    cx.error(span.clone(), format!("`{place}` needs `{key}`"));
                    None
                }
            }
        };
        let need_num =
            |cx: &mut Cx, field: &Option<SNum>, key: &str, min: f64, max: f64| -> Option<Num> {
                match field {
                    Some(raw) => Some(cx.num(raw, &format!("{place}.{key}"), min, max)),
                    None => {
                        cx.error(span.clone(), format!("`{place}` needs `{key}`"));
                        None
                    }
                }
            };
        let allowed: &[&str] = match e.kind.get_ref() {
            EffectKindFile::Tension => &["theatre", "delta"],
            EffectKindFile::Affinity => &["from", "to", "delta", "mutual"],
            EffectKindFile::Position => &["actor", "delta"],
            EffectKindFile::Capability => &["actor", "factor"],
            EffectKindFile::Sanction => &["from", "to", "intensity"],
            EffectKindFile::TradeShock => &["from", "to", "factor"],
        };
        let given = [
            ("actor", e.actor.is_some()),
            ("from", e.from.is_some()),
            ("to", e.to.is_some()),
            ("theatre", e.theatre.is_some()),
            ("delta", e.delta.is_some()),
            ("factor", e.factor.is_some()),
            ("intensity", e.intensity.is_some()),
            ("mutual", e.mutual.is_some()),
        ];
        for (key, present) in given {
            if present && !allowed.contains(&key) {
                cx.error_help(
                    span.clone(),
                    format!(
                        "`{place}`: a `{}` effect takes no `{key}`",
                        effect_kind_name(*e.kind.get_ref())
                    ),
                    format!("it takes {}", backticked(allowed)),
                );
            }
        }
        let effect = match e.kind.get_ref() {
            EffectKindFile::Tension => {
                let theatre = match &e.theatre {
                    Some(id) => cx.named(id, "theatre", &format!("{place}.theatre")),
                    None => {
                        cx.error(span.clone(), format!("`{place}` needs `theatre`"));
                        None
                    }
                };
                let delta = need_num(cx, &e.delta, "delta", -1.0, 1.0);
                theatre
                    .zip(delta)
                    .map(|(theatre, delta)| Effect::Tension { theatre, delta })
            }
            EffectKindFile::Affinity => {
                let from = need_actor(cx, &e.from, "from");
                let to = need_actor(cx, &e.to, "to");
                let delta = need_num(cx, &e.delta, "delta", -2.0, 2.0);
                match (from, to, delta) {
                    (Some(from), Some(to), Some(delta)) => Some(Effect::Affinity {
                        from,
                        to,
                        delta,
                        mutual: e.mutual.unwrap_or(false),
                    }),
                    _ => None,
                }
            }
            EffectKindFile::Position => {
                let actor = need_actor(cx, &e.actor, "actor");
                let delta = need_num(cx, &e.delta, "delta", -10.0, 10.0);
                actor
                    .zip(delta)
                    .map(|(actor, delta)| Effect::Position { actor, delta })
            }
            EffectKindFile::Capability => {
                let actor = need_actor(cx, &e.actor, "actor");
                let factor = need_num(cx, &e.factor, "factor", 0.0, 100.0);
                actor
                    .zip(factor)
                    .map(|(actor, factor)| Effect::Capability { actor, factor })
            }
            EffectKindFile::Sanction => {
                let from = need_actor(cx, &e.from, "from");
                let to = need_actor(cx, &e.to, "to");
                let intensity = need_num(cx, &e.intensity, "intensity", 0.0, 1.0);
                match (from, to, intensity) {
                    (Some(from), Some(to), Some(intensity)) => Some(Effect::Sanction {
                        from,
                        to,
                        intensity,
                    }),
                    _ => None,
                }
            }
            EffectKindFile::TradeShock => {
                let from = need_actor(cx, &e.from, "from");
                let to = need_actor(cx, &e.to, "to");
                let factor = need_num(cx, &e.factor, "factor", 0.0, 100.0);
                match (from, to, factor) {
                    (Some(from), Some(to), Some(factor)) => {
                        Some(Effect::TradeShock { from, to, factor })
                    }
                    _ => None,
                }
            }
        };
        if let (
            Some(
                Effect::Affinity { from, to, .. }
                | Effect::Sanction { from, to, .. }
                | Effect::TradeShock { from, to, .. },
            ),
            Some(id),
        ) = (&effect, &e.to)
        {
            if from == to {
                cx.error(
                    id.span(),
                    format!("`{place}` has the same actor as `from` and `to`"),
                );
            }
        }
        out.extend(effect);
    }
    out
}

fn condition(cx: &mut Cx, raw: &Spanned<ConditionFile>, place: &str) -> Option<Condition> {
    let c = raw.get_ref();
    let span = raw.span();
    let above = cx.threshold(&c.above, &format!("{place}.above"));
    let below = cx.threshold(&c.below, &format!("{place}.below"));
    let metric_name = match c.metric.get_ref() {
        MetricFile::Tension => "tension",
        MetricFile::Crisis => "crisis",
        MetricFile::Affinity => "affinity",
        MetricFile::Trade => "trade",
        MetricFile::Threat => "threat",
        MetricFile::TreatyActivated => "treaty_activated",
    };
    let unused = |cx: &mut Cx, present: bool, key: &str| {
        if present {
            cx.error(
                span.clone(),
                format!("`{place}`: metric `{metric_name}` takes no `{key}`"),
            );
        }
    };
    let pair = |cx: &mut Cx| -> Option<(usize, usize)> {
        match (&c.from, &c.to) {
            (Some(from), Some(to)) => {
                let from_idx = cx.actor(from, &format!("{place}.from"));
                let to_idx = cx.actor(to, &format!("{place}.to"));
                if from_idx.is_some() && from_idx == to_idx {
                    cx.error(
                        to.span(),
                        format!("`{place}` has the same actor as `from` and `to`"),
                    );
                    return None;
                }
                from_idx.zip(to_idx)
            }
            _ => {
                cx.error_help(
                    span.clone(),
                    format!("`{place}`: metric `{metric_name}` needs `from` and `to`"),
                    "name the two actors",
                );
                None
            }
        }
    };
    let theatre = |cx: &mut Cx| {
        c.theatre
            .as_ref()
            .and_then(|id| cx.named(id, "theatre", &format!("{place}.theatre")))
    };
    let (metric, needs_threshold) = match c.metric.get_ref() {
        MetricFile::Tension => {
            unused(cx, c.from.is_some() || c.to.is_some(), "from/to");
            unused(cx, c.treaty.is_some(), "treaty");
            (
                Metric::Tension {
                    theatre: theatre(cx),
                },
                true,
            )
        }
        MetricFile::Crisis => {
            unused(cx, c.from.is_some() || c.to.is_some(), "from/to");
            unused(cx, c.treaty.is_some(), "treaty");
            (
                Metric::Crisis {
                    theatre: theatre(cx),
                },
                false,
            )
        }
        MetricFile::Affinity => {
            unused(cx, c.theatre.is_some(), "theatre");
            unused(cx, c.treaty.is_some(), "treaty");
            let (from, to) = pair(cx)?;
            (Metric::Affinity { from, to }, true)
        }
        MetricFile::Trade => {
            unused(cx, c.theatre.is_some(), "theatre");
            unused(cx, c.treaty.is_some(), "treaty");
            let (from, to) = pair(cx)?;
            (Metric::Trade { from, to }, true)
        }
        MetricFile::Threat => {
            unused(cx, c.from.is_some() || c.to.is_some(), "from/to");
            unused(cx, c.theatre.is_some(), "theatre");
            (Metric::Threat, true)
        }
        MetricFile::TreatyActivated => {
            unused(cx, c.from.is_some() || c.to.is_some(), "from/to");
            unused(cx, c.theatre.is_some(), "theatre");
            let treaty = match &c.treaty {
                Some(id) => cx.named(id, "treaty", &format!("{place}.treaty"))?,
                None => {
                    cx.error(
                        span.clone(),
                        format!("`{place}`: metric `treaty_activated` needs `treaty`"),
                    );
                    return None;
                }
            };
            (Metric::TreatyActivated { treaty }, false)
        }
    };
    if let (Some(a), Some(b)) = (above, below) {
        if a >= b {
            cx.error_help(
                span.clone(),
                format!("`{place}` can never hold: `above` {a} is not below `below` {b}"),
                "a value must be above `above` and below `below` at once",
            );
            return None;
        }
    }
    if needs_threshold && above.is_none() && below.is_none() {
        cx.error_help(
            span.clone(),
            format!("`{place}`: metric `{metric_name}` needs `above` or `below`"),
            "e.g. `above = 0.8`",
        );
        return None;
    }
    if !needs_threshold && (above.is_some() || below.is_some()) {
        cx.error(
            span,
            format!("`{place}`: metric `{metric_name}` is yes/no and takes no `above`/`below`"),
        );
        return None;
    }
    Some(Condition {
        metric,
        above,
        below,
    })
}
