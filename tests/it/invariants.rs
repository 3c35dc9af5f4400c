//! Property tests: over random valid scenarios (extreme values included), the invariants of
//! `docs/model.md` hold at every turn of every run: affinity in [-1, 1], trade never negative,
//! tension in [0, 1], nothing NaN or infinite.

use entente::engine::{RunSpec, Simulation};
use entente::rng;
use entente::scenario::load::load_str;
use proptest::prelude::*;

fn scenario_text(
    actors: &[(f64, f64, f64, f64, f64)],
    pairs: &[(usize, usize, f64, f64, f64)],
    actions: &[(usize, usize, f64)],
    tension: f64,
    turns: u32,
) -> String {
    let n = actors.len();
    let mut text = format!(
        "[simulation]\nname = \"prop\"\nstart = 2024-01-01\nturns = {turns}\nfocal = \"A0\"\n\n"
    );
    for (i, (gdp, capability, position, balancing, reciprocity)) in actors.iter().enumerate() {
        text += &format!(
            "[[actors]]\nid = \"A{i}\"\nname = \"Actor {i}\"\ngdp = {gdp:e}\ncapability = {capability}\nposition = {position}\n[actors.doctrine]\nbalancing = {balancing}\nreciprocity = {reciprocity}\nsecondary_sanctions = [\"A{}\"]\n\n",
            (i + 1) % n
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (a, b, trade, affinity, proximity) in pairs {
        let (a, b) = (a % n, b % n);
        if a == b || !seen.insert((a.min(b), a.max(b))) {
            continue;
        }
        text += &format!(
            "[[relations]]\npair = [\"A{a}\", \"A{b}\"]\ntrade = {trade:e}\naffinity = {affinity}\nproximity = {proximity}\n\n"
        );
    }
    text += &format!(
        "[[treaties]]\nid = \"t\"\nname = \"t\"\nkind = \"defence\"\nparties = [\"A1\", \"A{}\"]\n\n",
        n - 1
    );
    text += &format!(
        "[[theatres]]\nid = \"h\"\nname = \"h\"\nside_a = [\"A1\"]\nside_b = [\"A{}\"]\ninitial_tension = {tension}\nincident_rate_hot = 20\n\n",
        n - 1
    );
    let kinds = [
        "engage",
        "trade_deal",
        "defence_cooperation",
        "arms_purchase",
        "sanction",
        "condemn",
        "mediate",
        "align",
        "disengage",
    ];
    text += "[[policies]]\nid = \"p\"\nname = \"p\"\nactions = [";
    let mut first = true;
    for (kind, target, intensity) in actions {
        let kind = kinds[kind % kinds.len()];
        let target = 1 + target % (n - 1);
        if !first {
            text += ", ";
        }
        first = false;
        if kind == "mediate" {
            text += &format!("{{ kind = \"mediate\", theatre = \"h\", intensity = {intensity} }}");
        } else {
            text += &format!(
                "{{ kind = \"{kind}\", targets = [\"A{target}\"], intensity = {intensity} }}"
            );
        }
    }
    text += "]\n\n[outcomes]\nbloc_a = [\"A1\"]\nbloc_b = [\"A1\"]\nweights = { prosperity = 1, security = 1, autonomy = 1, standing = 1, stability = 1 }\n";
    text
}

fn edge(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    prop_oneof![Just(lo), Just(hi), lo..=hi]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_every_turn(
        actors in prop::collection::vec((1e6f64..1e14, edge(0.0, 100.0), edge(-3.0, 3.0), edge(-1.0, 1.0), edge(0.0, 1.0)), 3..7),
        pairs in prop::collection::vec((0usize..7, 0usize..7, edge(0.0, 1e12), edge(-1.0, 1.0), edge(0.0, 1.0)), 0..12),
        actions in prop::collection::vec((0usize..9, 0usize..7, edge(0.0, 1.0)), 0..6),
        tension in edge(0.0, 1.0),
        seed in any::<u64>(),
    ) {
        let mut actors = actors;
        actors[0].1 = actors[0].1.max(1.0); // at least some capability
        let text = scenario_text(&actors, &pairs, &actions, tension, 36);
        let loaded = load_str(&text).map_err(|e| TestCaseError::fail(e.render("prop.toml")))?;
        let scenario = loaded.scenario.sample(&mut rng::sample_rng(seed));
        let mut simulation = Simulation::new(&scenario, RunSpec { policy: 0, run_seed: seed });
        while simulation.turn() < scenario.turns {
            simulation.step();
            let w = simulation.world();
            for &a in &w.affinity {
                prop_assert!(a.is_finite() && (-1.0..=1.0).contains(&a), "affinity {a}");
            }
            for &t in &w.trade {
                prop_assert!(t.is_finite() && t >= 0.0, "trade {t}");
            }
            for &t in &w.tension {
                prop_assert!((0.0..=1.0).contains(&t), "tension {t}");
            }
            for &x in w.position.iter().chain(&w.gdp).chain(&w.capability).chain(&w.threat) {
                prop_assert!(x.is_finite(), "non-finite state {x}");
            }
        }
        let trajectory = simulation.finish();
        prop_assert!(trajectory.values.iter().all(|v| v.is_finite()));
    }
}
