//! `entente explain`: the scenario as the engine sees it — every setting and number with its value
//! or range, whether it is a model default, and its source.

use std::fmt::Write as _;

use crate::params::SPECS;
use crate::scenario::{Num, Scenario};

/// The explanation of a validated scenario, as plain text.
pub fn explain(scenario: &Scenario) -> String {
    let mut out = String::new();
    let s = scenario;
    let _ = writeln!(out, "{}", s.name);
    if let Some(question) = &s.question {
        let _ = writeln!(out, "question: {question}");
    }
    let _ = writeln!(
        out,
        "period: {} to {} ({} turns of {} month{}); {} runs by default, seed {}",
        s.start,
        s.turn_date(s.turns),
        s.turns,
        s.turn_months,
        if s.turn_months == 1 { "" } else { "s" },
        s.runs,
        s.seed
    );
    let _ = writeln!(
        out,
        "focal actor: {} ({}); baseline option: `{}`\n",
        s.actors[s.focal].name, s.actors[s.focal].id, s.policies[s.baseline].id
    );

    let _ = writeln!(out, "Model parameters (docs/model.md §7)");
    for (spec, num) in SPECS.iter().zip(&s.params) {
        let origin = if !num.is_range() && num.low == spec.default && num.source.is_none() {
            "default".to_string()
        } else {
            format!("set in the scenario (default {})", spec.default)
        };
        let _ = writeln!(
            out,
            "  {:<34} {:<22} {origin}{}",
            spec.key,
            show(num),
            provenance(num)
        );
    }

    let _ = writeln!(out, "\nActors");
    for (i, a) in s.actors.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {} ({}){}",
            a.id,
            a.name,
            if a.members.is_empty() {
                String::new()
            } else {
                format!(", bloc of {}", names(s, &a.members))
            }
        );
        for (key, num) in [
            ("gdp", &a.gdp),
            ("gdp_growth", &a.gdp_growth),
            ("capability", &a.capability),
            ("position", &a.position),
        ] {
            let _ = writeln!(out, "    {key:<22} {:<22}{}", show(num), provenance(num));
        }
        let d = &a.doctrine;
        for (key, num) in [
            ("reciprocity", &d.reciprocity),
            ("balancing", &d.balancing),
            ("sanction_enforcement", &d.sanction_enforcement),
            ("susceptibility", &d.susceptibility),
        ] {
            let _ = writeln!(out, "    {key:<22} {:<22}{}", show(num), provenance(num));
        }
        let volatility = d.position_volatility.as_ref().map_or_else(
            || "model default".to_string(),
            |n| format!("{}{}", show(n), provenance(n)),
        );
        let politicisation = d.trade_politicisation.as_ref().map_or_else(
            || "model default".to_string(),
            |n| format!("{}{}", show(n), provenance(n)),
        );
        let _ = writeln!(out, "    {:<22} {volatility}", "position_volatility");
        let _ = writeln!(out, "    {:<22} {politicisation}", "trade_politicisation");
        if !d.secondary_sanctions.is_empty() {
            let _ = writeln!(
                out,
                "    secondary sanctions on buyers of arms from {}",
                names(s, &d.secondary_sanctions)
            );
        }
        if i == s.focal && !a.actions.is_empty() {
            let _ = writeln!(
                out,
                "    (standing actions ignored: the focal actor follows the policy)"
            );
        }
    }

    let _ = writeln!(
        out,
        "\nRelations given in the file (other pairs: no trade, affinity from positions, default proximity)"
    );
    let r = &s.relations;
    for i in 0..r.n {
        for j in (i + 1)..r.n {
            let (ij, ji) = (r.idx(i, j), r.idx(j, i));
            let given =
                r.trade[ij].high > 0.0 || r.affinity[ij].is_some() || r.proximity[ij].is_some();
            if !given {
                continue;
            }
            let _ = writeln!(out, "  {}-{}", s.actors[i].id, s.actors[j].id);
            let _ = writeln!(
                out,
                "    {:<22} {:<22}{}",
                "trade (USD/yr)",
                show(&r.trade[ij]),
                provenance(&r.trade[ij])
            );
            if let Some(a) = &r.affinity[ij] {
                let _ = writeln!(
                    out,
                    "    {:<22} {:<22}{}",
                    "affinity",
                    show(a),
                    provenance(a)
                );
            }
            if !r.affinity_mirrored[ij] {
                if let Some(a) = &r.affinity[ji] {
                    let _ = writeln!(
                        out,
                        "    {:<22} {:<22}{}",
                        "affinity (reverse)",
                        show(a),
                        provenance(a)
                    );
                }
            }
            if let Some(p) = &r.proximity[ij] {
                let _ = writeln!(
                    out,
                    "    {:<22} {:<22}{}",
                    "proximity",
                    show(p),
                    provenance(p)
                );
            }
            if r.agreement[ij] {
                let _ = writeln!(out, "    trade agreement in force at the start");
            }
        }
    }

    let _ = writeln!(out, "\nTreaties");
    for t in &s.treaties {
        let credibility = t.credibility.as_ref().map_or_else(
            || "model default".to_string(),
            |n| format!("{}{}", show(n), provenance(n)),
        );
        let _ = writeln!(
            out,
            "  {} ({}, {}): {}; in force from turn {}; credibility {credibility}",
            t.id,
            t.name,
            t.kind.name(),
            names(s, &t.parties),
            t.in_force_turn
        );
    }
    let _ = writeln!(out, "\nTheatres");
    for h in &s.theatres {
        let _ = writeln!(
            out,
            "  {} ({}): {} vs {}; initial tension {}{}",
            h.id,
            h.name,
            names(s, &h.side_a),
            names(s, &h.side_b),
            show(&h.initial_tension),
            provenance(&h.initial_tension)
        );
    }
    let _ = writeln!(out, "\nScheduled events");
    for e in &s.events {
        let _ = writeln!(
            out,
            "  {} (turn {}): {} ({} effect{}){}",
            e.date,
            e.turn,
            e.name,
            e.effects.len(),
            if e.effects.len() == 1 { "" } else { "s" },
            e.source
                .as_ref()
                .map_or(String::new(), |src| format!("; source: {src}"))
        );
    }
    let _ = writeln!(out, "\nOptions of {}", s.actors[s.focal].id);
    for p in &s.policies {
        let _ = writeln!(
            out,
            "  {}{}: {} ({} action{})",
            p.id,
            if std::ptr::eq(p, &s.policies[s.baseline]) {
                " (baseline)"
            } else {
                ""
            },
            p.name,
            p.actions.len(),
            if p.actions.len() == 1 { "" } else { "s" }
        );
    }
    let weights: Vec<String> = crate::scenario::Outcome::WEIGHED
        .iter()
        .zip(s.outcomes.weights)
        .map(|(o, w)| format!("{} {w:.2}", o.name()))
        .collect();
    let _ = writeln!(
        out,
        "\nComposite weights (normalised): {}",
        weights.join(", ")
    );
    out
}

fn show(num: &Num) -> String {
    if num.is_range() {
        format!("[{}, {}]", num.low, num.high)
    } else {
        format!("{}", num.low)
    }
}

fn provenance(num: &Num) -> String {
    let mut parts = Vec::new();
    if let Some(source) = &num.source {
        parts.push(format!("source: {source}"));
    }
    if let Some(year) = num.year {
        parts.push(format!("{year}"));
    }
    if let Some(note) = &num.note {
        parts.push(format!("note: {note}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  ({})", parts.join("; "))
    }
}

fn names(s: &Scenario, actors: &[usize]) -> String {
    actors
        .iter()
        .map(|&a| s.actors[a].id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn explains_defaults_overrides_and_sources() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/small.toml"
        ))
        .unwrap();
        let scenario = crate::scenario::load::load_str(&text).unwrap().scenario;
        let out = super::explain(&scenario);
        assert!(out.contains("trade_noise                        [0.005, 0.02]          set in the scenario (default 0.01)"), "{out}");
        assert!(
            out.contains("fta_multiplier                     2.1                    default"),
            "{out}"
        );
        assert!(
            out.contains("gdp                    1000000000000           (source: test)"),
            "{out}"
        );
        assert!(out.contains("wait (baseline): Wait and see"), "{out}");
    }
}
