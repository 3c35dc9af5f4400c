//! `entente new`: a minimal valid scenario to start from, with comments that explain each section.
//!
//! Every number is a placeholder written as a judgement range with a `note`, so the file validates
//! without warnings and says plainly what must be replaced by sourced figures.

use std::fmt::Write as _;

/// The text of a new scenario named `name` for focal actor `focal` among `others` (at least one).
pub fn scenario_text(name: &str, focal: &str, others: &[String]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# {name}: a scenario scaffold written by `entente new`.\n\
         # Replace every placeholder range with a sourced figure: `{{ value = ..., source = \"...\", year = ... }}`.\n\
         # The format is documented in scenarios/README.md; the model in docs/model.md.\n"
    );
    let _ = writeln!(
        t,
        "# Settings of the study: a monthly turn, 36 turns, 1000 Monte-Carlo runs per option.\n\
         [simulation]\nname = \"{name}\"\nquestion = \"Which option serves {focal} best?\"\nstart = 2025-01-01\nturns = 36\nruns = 1000\nseed = 1\nfocal = \"{focal}\"\nbaseline = \"status_quo\"\n"
    );
    let placeholder = "note = \"placeholder: replace with a sourced figure\"";
    let _ = writeln!(
        t,
        "# Actors: GDP in current USD per year (World Bank), capability on any positive scale (e.g.\n\
         # the Lowy Asia Power Index), position = UNGA ideal point (Bailey, Strezhnev & Voeten)."
    );
    for id in std::iter::once(focal.to_string()).chain(others.iter().cloned()) {
        let _ = writeln!(
            t,
            "[[actors]]\nid = \"{id}\"\nname = \"{id}\"\ngdp = {{ low = 1e11, high = 1e12, {placeholder} }}\ncapability = {{ low = 10, high = 50, {placeholder} }}\nposition = {{ low = -1, high = 1, {placeholder} }}\n"
        );
    }
    let _ = writeln!(
        t,
        "# Relations: goods trade (USD per year), affinity in [-1, 1] (first toward second, and back),\n\
         # proximity in [0, 1]. Pairs not listed have no trade and an affinity derived from positions."
    );
    for id in others {
        let _ = writeln!(
            t,
            "[[relations]]\npair = [\"{focal}\", \"{id}\"]\ntrade = {{ low = 1e9, high = 1e10, {placeholder} }}\naffinity = {{ low = 0.0, high = 0.4, {placeholder} }}\nproximity = {{ low = 0.2, high = 0.6, {placeholder} }}\n"
        );
    }
    let (a, b) = match others {
        [] => (focal.to_string(), focal.to_string()),
        [one] => (one.clone(), one.clone()),
        [first, second, ..] => (first.clone(), second.clone()),
    };
    if others.len() >= 2 {
        let _ = writeln!(
            t,
            "# A theatre: a region with tension in [0, 1] between two sides, and random incidents.\n\
             [[theatres]]\nid = \"region\"\nname = \"The region\"\nside_a = [\"{a}\"]\nside_b = [\"{b}\"]\ninitial_tension = {{ low = 0.3, high = 0.5, {placeholder} }}\n"
        );
    }
    let _ = writeln!(
        t,
        "# The focal actor's options: each a bundle of actions with an intensity in [0, 1].\n\
         # Kinds: engage, trade_deal, defence_cooperation, arms_purchase, sanction, condemn,\n\
         # mediate (with `theatre`), align, disengage; any may be conditional with `when`.\n\
         [[policies]]\nid = \"status_quo\"\nname = \"Status quo\"\nactions = []\n"
    );
    if let Some(first) = others.first() {
        let targets: Vec<String> = others.iter().map(|id| format!("\"{id}\"")).collect();
        let _ = writeln!(
            t,
            "[[policies]]\nid = \"engage_all\"\nname = \"Engage every partner\"\nactions = [{{ kind = \"engage\", targets = [{}], intensity = 0.5 }}]\n\n\
             [[policies]]\nid = \"trade_first\"\nname = \"Trade deal with {first}\"\nactions = [{{ kind = \"trade_deal\", targets = [\"{first}\"], intensity = 0.5 }}]\n",
            targets.join(", ")
        );
    }
    let stability = if others.len() >= 2 {
        "stability_theatre = \"region\"\n"
    } else {
        ""
    };
    let _ = writeln!(
        t,
        "# Outcomes: autonomy measures how evenly the focal actor stands between two blocs; the\n\
         # composite weighs the changes of five outcomes (a judgement: `entente compare` shows where\n\
         # the ranking flips).\n\
         [outcomes]\nbloc_a = [\"{a}\"]\nbloc_b = [\"{b}\"]\n{stability}weights = {{ prosperity = 0.2, security = 0.2, autonomy = 0.2, standing = 0.2, stability = 0.2 }}"
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffolds_validate_without_warnings() {
        for others in [
            vec!["KOR".to_string()],
            vec!["KOR".into(), "PRK".into(), "USA".into()],
        ] {
            let text = scenario_text("test", "IDN", &others);
            let loaded = crate::scenario::load::load_str(&text)
                .unwrap_or_else(|e| panic!("{}", e.render("new")));
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
            assert_eq!(loaded.scenario.actors.len(), 1 + others.len());
        }
    }
}
