//! A seeded generator of synthetic scenarios, for benchmarks and scaling studies.
//!
//! `scenario_text(actors, turns, seed)` writes a valid scenario of any size: `actors` states with
//! log-normal GDP (median USD 100 bn, log SD 1.5), capability proportional to GDP to the power
//! 0.8 times a log-normal factor, positions uniform in [-2, 2], goods trade between every pair
//! from a gravity law `2e-3 * sqrt(Y_i Y_j)` times a log-normal factor (a third of the pairs have
//! none), proximity uniform in [0.1, 1], one theatre between the two most distant actors, a
//! defence treaty on each side, and four policies of actor `S000`: wait; engage (engage and a
//! trade deal with a partner); mediate (in the theatre); arms (buy arms from the partner and
//! sanction it). The partner is side a of the theatre, or side b when side a is `S000`.
//! The same arguments always give the same text. The numbers are invented: they exercise the
//! engine, they do not describe the world.

use std::fmt::Write as _;

use rand::SeedableRng;

use crate::rng::{self, SimRng};

/// The text of a synthetic scenario.
pub fn scenario_text(actors: usize, turns: u32, seed: u64) -> String {
    let actors = actors.max(3);
    let mut rng = SimRng::seed_from_u64(seed);
    let mut normal = || {
        let mut out = [0.0];
        rng::fill_normals(&mut rng, &mut out);
        out[0]
    };
    let gdp: Vec<f64> = (0..actors).map(|_| 1e11 * (1.5 * normal()).exp()).collect();
    let capability: Vec<f64> = gdp
        .iter()
        .map(|y| (y / 1e9).powf(0.8) * (0.5 * normal()).exp())
        .collect();
    let mut rng = SimRng::seed_from_u64(seed ^ 0xA5A5);
    let mut uniform = move || rng::uniform(&mut rng);
    let position: Vec<f64> = (0..actors).map(|_| -2.0 + 4.0 * uniform()).collect();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Synthetic scenario: {actors} actors, {turns} turns, generator seed {seed} (entente gen-bench).\n# The numbers are invented; see src/synthetic.rs.\n"
    );
    let _ = writeln!(
        text,
        "[simulation]\nname = \"synthetic {actors}\"\nstart = 2024-01-01\nturns = {turns}\nruns = 100\nseed = {seed}\nfocal = \"S000\"\nbaseline = \"wait\"\n"
    );
    let note = "note = \"synthetic\"";
    for i in 0..actors {
        let _ = writeln!(
            text,
            "[[actors]]\nid = \"S{i:03}\"\nname = \"State {i}\"\ngdp = {{ value = {:e}, {note} }}\ncapability = {{ value = {:.4}, {note} }}\nposition = {{ value = {:.4}, {note} }}\n[actors.doctrine]\nbalancing = {:.3}\nreciprocity = {:.3}\n",
            gdp[i],
            capability[i],
            position[i],
            -1.0 + 2.0 * uniform(),
            uniform()
        );
    }
    for i in 0..actors {
        for j in (i + 1)..actors {
            let trades = uniform() > 1.0 / 3.0;
            let trade = if trades {
                2e-3 * (gdp[i] * gdp[j]).sqrt() * (normal_from(uniform(), uniform())).exp()
            } else {
                0.0
            };
            let _ = writeln!(
                text,
                "[[relations]]\npair = [\"S{i:03}\", \"S{j:03}\"]\ntrade = {{ value = {trade:e}, {note} }}\nproximity = {:.3}\n",
                0.1 + 0.9 * uniform()
            );
        }
    }
    // The theatre: the two actors farthest apart, each with its nearest neighbour as ally.
    let (mut a, mut b) = (0, 1);
    for i in 0..actors {
        for j in 0..actors {
            if (position[i] - position[j]).abs() > (position[a] - position[b]).abs() {
                (a, b) = (i, j);
            }
        }
    }
    let nearest = |k: usize, not: &[usize]| -> usize {
        (0..actors)
            .filter(|x| !not.contains(x))
            .min_by(|&x, &y| {
                (position[x] - position[k])
                    .abs()
                    .total_cmp(&(position[y] - position[k]).abs())
            })
            .unwrap_or(k)
    };
    let ally_a = nearest(a, &[a, b, 0]);
    let ally_b = nearest(b, &[a, b, 0, ally_a]);
    let _ = writeln!(
        text,
        "[[theatres]]\nid = \"t\"\nname = \"Theatre\"\nside_a = [\"S{a:03}\"]\nside_b = [\"S{b:03}\"]\ninitial_tension = 0.4\n"
    );
    for (k, (x, y)) in [(a, ally_a), (b, ally_b)].into_iter().enumerate() {
        if x != y {
            let _ = writeln!(
                text,
                "[[treaties]]\nid = \"pact{k}\"\nname = \"Pact {k}\"\nkind = \"defence\"\nparties = [\"S{x:03}\", \"S{y:03}\"]\n"
            );
        }
    }
    // The actor the engage and arms policies deal with, and the one the arms policy sanctions:
    // side a of the theatre, or side b when `S000` is side a (an actor cannot target itself).
    let partner = if a == 0 { b } else { a };
    let _ = writeln!(
        text,
        "[[policies]]\nid = \"wait\"\nname = \"Wait\"\nactions = []\n\n[[policies]]\nid = \"engage\"\nname = \"Engage\"\nactions = [{{ kind = \"engage\", targets = [\"S{partner:03}\"], intensity = 0.8 }}, {{ kind = \"trade_deal\", targets = [\"S{partner:03}\"], intensity = 0.5 }}]\n\n[[policies]]\nid = \"mediate\"\nname = \"Mediate\"\nactions = [{{ kind = \"mediate\", theatre = \"t\", intensity = 1.0 }}]\n\n[[policies]]\nid = \"arms\"\nname = \"Arms\"\nactions = [{{ kind = \"arms_purchase\", targets = [\"S{partner:03}\"], intensity = 0.5 }}, {{ kind = \"sanction\", targets = [\"S{partner:03}\"], intensity = 0.3 }}]\n"
    );
    let _ = writeln!(
        text,
        "[outcomes]\nbloc_a = [\"S{a:03}\"]\nbloc_b = [\"S{b:03}\"]\nweights = {{ prosperity = 1, security = 1, autonomy = 1, standing = 1, stability = 1 }}"
    );
    text.replace(
        "bloc_a = [\"S000\"]",
        &format!("bloc_a = [\"S{ally_a:03}\"]"),
    )
    .replace(
        "bloc_b = [\"S000\"]",
        &format!("bloc_b = [\"S{ally_b:03}\"]"),
    )
}

/// A standard normal from two uniforms (Box-Muller), for the generator only.
fn normal_from(u1: f64, u2: f64) -> f64 {
    (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_scenarios_are_valid_and_repeatable() {
        for actors in [3, 8, 40] {
            let text = scenario_text(actors, 12, 5);
            assert_eq!(text, scenario_text(actors, 12, 5));
            let loaded = crate::scenario::load::load_str(&text)
                .unwrap_or_else(|e| panic!("{}", e.render("synthetic")));
            assert_eq!(loaded.scenario.actors.len(), actors);
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        }
        assert_ne!(scenario_text(8, 12, 5), scenario_text(8, 12, 6));
    }

    #[test]
    fn every_seed_and_size_gives_a_valid_scenario() {
        let mut invalid = Vec::new();
        for actors in [3, 4, 8, 40] {
            for seed in 0..64 {
                let text = scenario_text(actors, 6, seed);
                if let Err(e) = crate::scenario::load::load_str(&text) {
                    invalid.push(format!(
                        "{actors} actors, seed {seed}:\n{}",
                        e.render("synthetic")
                    ));
                }
            }
        }
        assert!(invalid.is_empty(), "{}", invalid.join("\n"));
    }
}
