//! Writing a validated scenario back to the file format (TOML 1.0).
//!
//! Every setting is written explicitly, so loading the text gives the same [`Scenario`]: the round
//! trip `load → to_toml → load` is the identity (a test runs it on every shipped scenario). The
//! output keeps numbers' provenance (`source`, `year`, `note`) but not the original comments.

use std::fmt::Write as _;

use super::*;
use crate::params::SPECS;

/// The scenario as TOML text.
pub fn to_toml(s: &Scenario) -> String {
    let mut t = String::new();
    let id = |i: usize| quote(&s.actors[i].id);
    let ids = |list: &[usize]| {
        format!(
            "[{}]",
            list.iter().map(|&i| id(i)).collect::<Vec<_>>().join(", ")
        )
    };

    t.push_str("[simulation]\n");
    let _ = writeln!(t, "name = {}", quote(&s.name));
    if let Some(d) = &s.description {
        let _ = writeln!(t, "description = {}", quote(d));
    }
    if let Some(q) = &s.question {
        let _ = writeln!(t, "question = {}", quote(q));
    }
    let _ = writeln!(t, "start = {}", s.start);
    let _ = writeln!(t, "turn_months = {}", s.turn_months);
    let _ = writeln!(t, "turns = {}", s.turns);
    let _ = writeln!(t, "runs = {}", s.runs);
    let _ = writeln!(t, "seed = {}", s.seed);
    let _ = writeln!(t, "focal = {}", id(s.focal));
    let _ = writeln!(t, "baseline = {}\n", quote(&s.policies[s.baseline].id));

    t.push_str("[model]\n");
    for (spec, num) in SPECS.iter().zip(&s.params) {
        let _ = writeln!(t, "{} = {}", spec.key, num_text(num));
    }
    t.push('\n');

    for a in &s.actors {
        t.push_str("[[actors]]\n");
        let _ = writeln!(t, "id = {}", quote(&a.id));
        let _ = writeln!(t, "name = {}", quote(&a.name));
        match a.kind {
            ActorKind::State => t.push_str("kind = \"state\"\n"),
            ActorKind::Bloc => {
                t.push_str("kind = \"bloc\"\n");
                let _ = writeln!(t, "members = {}", ids(&a.members));
            }
        }
        let _ = writeln!(t, "gdp = {}", num_text(&a.gdp));
        let _ = writeln!(t, "gdp_growth = {}", num_text(&a.gdp_growth));
        let _ = writeln!(t, "capability = {}", num_text(&a.capability));
        let _ = writeln!(t, "position = {}", num_text(&a.position));
        if !a.actions.is_empty() {
            let list: Vec<String> = a.actions.iter().map(|x| action_text(s, x)).collect();
            let _ = writeln!(t, "actions = [{}]", list.join(", "));
        }
        let d = &a.doctrine;
        t.push_str("[actors.doctrine]\n");
        let _ = writeln!(t, "reciprocity = {}", num_text(&d.reciprocity));
        let _ = writeln!(t, "balancing = {}", num_text(&d.balancing));
        let _ = writeln!(
            t,
            "sanction_enforcement = {}",
            num_text(&d.sanction_enforcement)
        );
        let _ = writeln!(t, "susceptibility = {}", num_text(&d.susceptibility));
        if let Some(n) = &d.position_volatility {
            let _ = writeln!(t, "position_volatility = {}", num_text(n));
        }
        if let Some(n) = &d.trade_politicisation {
            let _ = writeln!(t, "trade_politicisation = {}", num_text(n));
        }
        if !d.secondary_sanctions.is_empty() {
            let _ = writeln!(t, "secondary_sanctions = {}", ids(&d.secondary_sanctions));
        }
        t.push('\n');
    }

    let r = &s.relations;
    for i in 0..r.n {
        for j in (i + 1)..r.n {
            let (ij, ji) = (r.idx(i, j), r.idx(j, i));
            let trade_given = r.trade[ij] != Num::point(0.0);
            let given = trade_given
                || r.affinity[ij].is_some()
                || r.affinity[ji].is_some()
                || r.proximity[ij].is_some()
                || r.agreement[ij];
            if !given {
                continue;
            }
            t.push_str("[[relations]]\n");
            let _ = writeln!(t, "pair = [{}, {}]", id(i), id(j));
            if trade_given {
                let _ = writeln!(t, "trade = {}", num_text(&r.trade[ij]));
            }
            match (&r.affinity[ij], &r.affinity[ji]) {
                (Some(forward), Some(back)) => {
                    let _ = writeln!(t, "affinity = {}", num_text(forward));
                    if !r.affinity_mirrored[ij] {
                        let _ = writeln!(t, "affinity_reverse = {}", num_text(back));
                    }
                }
                (Some(forward), None) => {
                    let _ = writeln!(t, "affinity = {}", num_text(forward));
                }
                // Only the reverse direction was given: write the pair the other way round.
                (None, Some(_)) | (None, None) => {}
            }
            if let Some(p) = &r.proximity[ij] {
                let _ = writeln!(t, "proximity = {}", num_text(p));
            }
            if r.agreement[ij] {
                t.push_str("trade_agreement = true\n");
            }
            t.push('\n');
        }
    }

    for tr in &s.treaties {
        t.push_str("[[treaties]]\n");
        let _ = writeln!(t, "id = {}", quote(&tr.id));
        let _ = writeln!(t, "name = {}", quote(&tr.name));
        let _ = writeln!(t, "kind = \"{}\"", tr.kind.name());
        let _ = writeln!(t, "parties = {}", ids(&tr.parties));
        if let Some(date) = tr.in_force {
            let _ = writeln!(t, "in_force = {date}");
        }
        if let Some(c) = &tr.credibility {
            let _ = writeln!(t, "credibility = {}", num_text(c));
        }
        if let Some(c) = &tr.activation {
            let _ = writeln!(t, "activation = {}", condition_text(s, c));
        }
        if let Some(src) = &tr.source {
            let _ = writeln!(t, "source = {}", quote(src));
        }
        t.push('\n');
    }

    for h in &s.theatres {
        t.push_str("[[theatres]]\n");
        let _ = writeln!(t, "id = {}", quote(&h.id));
        let _ = writeln!(t, "name = {}", quote(&h.name));
        let _ = writeln!(t, "side_a = {}", ids(&h.side_a));
        let _ = writeln!(t, "side_b = {}", ids(&h.side_b));
        let _ = writeln!(t, "initial_tension = {}", num_text(&h.initial_tension));
        if let Some(b) = &h.baseline_tension {
            let _ = writeln!(t, "baseline_tension = {}", num_text(b));
        }
        for (key, num) in [
            ("reversion", &h.reversion),
            ("crisis_threshold", &h.crisis_threshold),
            ("incident_rate_calm", &h.incident_rate_calm),
            ("incident_rate_hot", &h.incident_rate_hot),
            ("incident_dispersion", &h.incident_dispersion),
            ("incident_tension", &h.incident_tension),
            ("incident_affinity", &h.incident_affinity),
        ] {
            let _ = writeln!(t, "{key} = {}", num_text(num));
        }
        t.push('\n');
    }

    for e in &s.events {
        t.push_str("[[events]]\n");
        let _ = writeln!(t, "name = {}", quote(&e.name));
        let _ = writeln!(t, "date = {}", e.date);
        if let Some(src) = &e.source {
            let _ = writeln!(t, "source = {}", quote(src));
        }
        let list: Vec<String> = e.effects.iter().map(|x| effect_text(s, x)).collect();
        let _ = writeln!(t, "effects = [{}]\n", list.join(", "));
    }

    for e in &s.random_events {
        t.push_str("[[random_events]]\n");
        let _ = writeln!(t, "name = {}", quote(&e.name));
        let _ = writeln!(t, "rate = {}", num_text(&e.rate));
        if let Some(d) = e.from {
            let _ = writeln!(t, "from = {d}");
        }
        if let Some(d) = e.until {
            let _ = writeln!(t, "until = {d}");
        }
        if let Some(c) = &e.when {
            let _ = writeln!(t, "when = {}", condition_text(s, c));
        }
        if let Some(src) = &e.source {
            let _ = writeln!(t, "source = {}", quote(src));
        }
        let list: Vec<String> = e.effects.iter().map(|x| effect_text(s, x)).collect();
        let _ = writeln!(t, "effects = [{}]\n", list.join(", "));
    }

    for p in &s.policies {
        t.push_str("[[policies]]\n");
        let _ = writeln!(t, "id = {}", quote(&p.id));
        let _ = writeln!(t, "name = {}", quote(&p.name));
        if let Some(d) = &p.description {
            let _ = writeln!(t, "description = {}", quote(d));
        }
        let list: Vec<String> = p.actions.iter().map(|x| action_text(s, x)).collect();
        let _ = writeln!(t, "actions = [{}]\n", list.join(", "));
    }

    let o = &s.outcomes;
    t.push_str("[outcomes]\n");
    let _ = writeln!(t, "bloc_a = {}", ids(&o.bloc_a));
    let _ = writeln!(t, "bloc_b = {}", ids(&o.bloc_b));
    let _ = writeln!(t, "bloc_a_name = {}", quote(&o.bloc_a_name));
    let _ = writeln!(t, "bloc_b_name = {}", quote(&o.bloc_b_name));
    if let Some(h) = o.stability_theatre {
        let _ = writeln!(t, "stability_theatre = {}", quote(&s.theatres[h].id));
    }
    let weights: Vec<String> = Outcome::WEIGHED
        .iter()
        .zip(o.raw_weights)
        .map(|(outcome, w)| format!("{} = {}", outcome.name(), float(w)))
        .collect();
    let _ = writeln!(t, "weights = {{ {} }}\n", weights.join(", "));

    for tw in &s.tripwires {
        t.push_str("[[tripwires]]\n");
        let _ = writeln!(t, "id = {}", quote(&tw.id));
        let _ = writeln!(t, "name = {}", quote(&tw.name));
        let _ = writeln!(t, "when = {}\n", condition_text(s, &tw.when));
    }
    t
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A float that reads back to the same bits: Rust's `{:?}` is the shortest text that round-trips,
/// and for finite values it is valid TOML (`0.5`, `1e20`, `1.5e-7`).
fn float(value: f64) -> String {
    format!("{value:?}")
}

fn num_text(num: &Num) -> String {
    let mut parts = if num.is_range() {
        vec![
            format!("low = {}", float(num.low)),
            format!("high = {}", float(num.high)),
        ]
    } else {
        vec![format!("value = {}", float(num.low))]
    };
    if let Some(src) = &num.source {
        parts.push(format!("source = {}", quote(src)));
    }
    if let Some(year) = num.year {
        parts.push(format!("year = {year}"));
    }
    if let Some(note) = &num.note {
        parts.push(format!("note = {}", quote(note)));
    }
    format!("{{ {} }}", parts.join(", "))
}

fn action_text(s: &Scenario, a: &Action) -> String {
    let kind = match a.kind {
        ActionKind::Engage => "engage",
        ActionKind::TradeDeal => "trade_deal",
        ActionKind::DefenceCooperation => "defence_cooperation",
        ActionKind::ArmsPurchase => "arms_purchase",
        ActionKind::Sanction => "sanction",
        ActionKind::Condemn => "condemn",
        ActionKind::Mediate => "mediate",
        ActionKind::Align => "align",
        ActionKind::Disengage => "disengage",
    };
    let mut parts = vec![format!("kind = \"{kind}\"")];
    if !a.targets.is_empty() {
        let targets: Vec<String> = a.targets.iter().map(|&i| quote(&s.actors[i].id)).collect();
        parts.push(format!("targets = [{}]", targets.join(", ")));
    }
    if let Some(h) = a.theatre {
        parts.push(format!("theatre = {}", quote(&s.theatres[h].id)));
    }
    parts.push(format!("intensity = {}", num_text(&a.intensity)));
    if let Some(c) = &a.when {
        parts.push(format!("when = {}", condition_text(s, c)));
    }
    format!("{{ {} }}", parts.join(", "))
}

fn condition_text(s: &Scenario, c: &Condition) -> String {
    let actor = |i: usize| quote(&s.actors[i].id);
    let mut parts = Vec::new();
    match c.metric {
        Metric::Tension { theatre } | Metric::Crisis { theatre } => {
            let name = if matches!(c.metric, Metric::Tension { .. }) {
                "tension"
            } else {
                "crisis"
            };
            parts.push(format!("metric = \"{name}\""));
            if let Some(h) = theatre {
                parts.push(format!("theatre = {}", quote(&s.theatres[h].id)));
            }
        }
        Metric::Affinity { from, to } => {
            parts.push("metric = \"affinity\"".to_string());
            parts.push(format!("from = {}, to = {}", actor(from), actor(to)));
        }
        Metric::Trade { from, to } => {
            parts.push("metric = \"trade\"".to_string());
            parts.push(format!("from = {}, to = {}", actor(from), actor(to)));
        }
        Metric::Threat => parts.push("metric = \"threat\"".to_string()),
        Metric::TreatyActivated { treaty } => {
            parts.push("metric = \"treaty_activated\"".to_string());
            parts.push(format!("treaty = {}", quote(&s.treaties[treaty].id)));
        }
    }
    if let Some(a) = c.above {
        parts.push(format!("above = {}", float(a)));
    }
    if let Some(b) = c.below {
        parts.push(format!("below = {}", float(b)));
    }
    format!("{{ {} }}", parts.join(", "))
}

fn effect_text(s: &Scenario, e: &Effect) -> String {
    let actor = |i: usize| quote(&s.actors[i].id);
    match e {
        Effect::Tension { theatre, delta } => {
            format!(
                "{{ kind = \"tension\", theatre = {}, delta = {} }}",
                quote(&s.theatres[*theatre].id),
                num_text(delta)
            )
        }
        Effect::Affinity {
            from,
            to,
            delta,
            mutual,
        } => format!(
            "{{ kind = \"affinity\", from = {}, to = {}, delta = {}, mutual = {mutual} }}",
            actor(*from),
            actor(*to),
            num_text(delta)
        ),
        Effect::Position { actor: a, delta } => {
            format!(
                "{{ kind = \"position\", actor = {}, delta = {} }}",
                actor(*a),
                num_text(delta)
            )
        }
        Effect::Capability { actor: a, factor } => {
            format!(
                "{{ kind = \"capability\", actor = {}, factor = {} }}",
                actor(*a),
                num_text(factor)
            )
        }
        Effect::Sanction {
            from,
            to,
            intensity,
        } => format!(
            "{{ kind = \"sanction\", from = {}, to = {}, intensity = {} }}",
            actor(*from),
            actor(*to),
            num_text(intensity)
        ),
        Effect::TradeShock { from, to, factor } => format!(
            "{{ kind = \"trade_shock\", from = {}, to = {}, factor = {} }}",
            actor(*from),
            actor(*to),
            num_text(factor)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shipped scenario and the test fixture survive `load → to_toml → load` unchanged.
    #[test]
    fn round_trip_is_the_identity() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(format!("{root}/scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.push(format!("{root}/tests/fixtures/small.toml").into());
        assert!(files.len() >= 5);
        for path in files {
            let first = load::load_file(&path)
                .unwrap_or_else(|e| panic!("{}", e.render("x")))
                .scenario;
            let text = to_toml(&first);
            let second = load::load_str(&text)
                .unwrap_or_else(|e| {
                    panic!(
                        "{}: written text does not load:\n{}",
                        path.display(),
                        e.render("written")
                    )
                })
                .scenario;
            assert!(
                first == second,
                "{}: the round trip changed the scenario",
                path.display()
            );
            // And writing again gives the same text.
            assert_eq!(text, to_toml(&second), "{}", path.display());
        }
    }
}
