//! Weight sensitivity: when does the ranking by mean composite flip?
//!
//! The composite of a run is linear in the weights, `sum_k w_k * d_k` with `d_k` the change of
//! weighed outcome `k` from turn 0 to the final turn, so a policy's *mean* composite under any
//! weights is `sum_k w_k * m_k`, with `m_k` the mean change over runs. The analysis therefore needs
//! only the five mean changes of each policy:
//!
//! * **Grid.** Every weighting on the 5-simplex with step 0.05 ([`GRID_STEPS`] = 20 parts shared
//!   among five outcomes: 10,626 points, corners and edges included). At each point the policy
//!   with the highest mean composite is best; exact ties share the point evenly.
//! * **One weight at a time.** From the scenario's weights `w0`, weight `k` is set to `t` in
//!   [0, 1] and the others keep their proportions, `w_j = w0_j * (1 - t) / (1 - w0_k)` (equal
//!   shares when the others are all zero). Every policy's mean composite is then a line in `t`, so
//!   the weights at which another policy overtakes the top one are intersections of lines,
//!   computed exactly: the nearest above `w0_k` and the nearest below it.

use crate::scenario::Outcome;

/// Parts of the simplex grid: the grid step is `1 / GRID_STEPS` = 0.05.
pub const GRID_STEPS: usize = 20;

/// The result of the weight analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightSensitivity {
    /// The grid step (0.05).
    pub step: f64,
    /// Number of weightings on the grid (10,626).
    pub grid_points: usize,
    /// For each policy slot, the share of grid weightings in which it has the highest mean
    /// composite (ties split evenly). The shares sum to 1 when there is at least one policy.
    pub best_share: Vec<f64>,
    /// For each policy slot, the mean change from turn 0 to the final turn of each weighed outcome
    /// ([`Outcome::WEIGHED`] order).
    pub mean_changes: Vec<[f64; 5]>,
    /// The slot with the highest mean composite at the scenario's weights (ties: lowest slot).
    pub top: Option<usize>,
    /// For each weighed outcome, how far its weight can move before the top policy changes (empty
    /// when there is no policy).
    pub flips: Vec<WeightFlip>,
}

/// How far one weight can move, the others rescaled, before the top policy changes.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightFlip {
    pub outcome: Outcome,
    /// The scenario's weight on this outcome.
    pub weight: f64,
    /// The slot that is best at the scenario's weights.
    pub top: usize,
    /// Raising the weight above this value makes another policy best.
    pub above: Option<Threshold>,
    /// Lowering the weight below this value makes another policy best.
    pub below: Option<Threshold>,
    /// A plain sentence, e.g. "`a` stays best unless the weight on security (now 0.20) exceeds
    /// 0.45 (then `b`)."
    pub sentence: String,
}

/// A weight at which the ranking flips, and the slot that becomes best beyond it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub weight: f64,
    pub winner: usize,
}

/// The weight analysis of policies with mean changes `mean_changes` (one row per slot) under the
/// scenario weights `weights`. `ids` names the slots in sentences.
pub fn analyse(mean_changes: &[[f64; 5]], weights: [f64; 5], ids: &[String]) -> WeightSensitivity {
    let n = mean_changes.len();
    let mut best_share = vec![0.0; n];
    let mut grid_points = 0usize;
    let mut scores = vec![0.0; n];
    let s = GRID_STEPS;
    for a in 0..=s {
        for b in 0..=s - a {
            for c in 0..=s - a - b {
                for d in 0..=s - a - b - c {
                    let e = s - a - b - c - d;
                    let w = [a, b, c, d, e].map(|parts| parts as f64 / s as f64);
                    grid_points += 1;
                    for (score, m) in scores.iter_mut().zip(mean_changes) {
                        *score = composite(&w, m);
                    }
                    let winners = best_slots(&scores);
                    let share = 1.0 / winners.len().max(1) as f64;
                    for slot in winners {
                        best_share[slot] += share;
                    }
                }
            }
        }
    }
    for share in &mut best_share {
        *share /= grid_points as f64;
    }

    let at_scenario: Vec<f64> = mean_changes
        .iter()
        .map(|m| composite(&weights, m))
        .collect();
    let top = best_slots(&at_scenario).first().copied();
    let flips = match top {
        Some(top) => Outcome::WEIGHED
            .iter()
            .enumerate()
            .map(|(k, &outcome)| one_weight(mean_changes, weights, k, top, outcome, ids))
            .collect(),
        None => Vec::new(),
    };
    WeightSensitivity {
        step: 1.0 / GRID_STEPS as f64,
        grid_points,
        best_share,
        mean_changes: mean_changes.to_vec(),
        top,
        flips,
    }
}

/// The mean composite under weights `w`, summed in outcome order.
fn composite(w: &[f64; 5], m: &[f64; 5]) -> f64 {
    let mut sum = 0.0;
    for k in 0..5 {
        sum += w[k] * m[k];
    }
    sum
}

/// The slots with the highest score (exact ties), in slot order; NaN scores never win.
fn best_slots(scores: &[f64]) -> Vec<usize> {
    let best = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (0..scores.len()).filter(|&i| scores[i] == best).collect()
}

/// Moves weight `k` alone (others rescaled) and finds where `top` stops being best.
fn one_weight(
    mean_changes: &[[f64; 5]],
    weights: [f64; 5],
    k: usize,
    top: usize,
    outcome: Outcome,
    ids: &[String],
) -> WeightFlip {
    let w0 = weights[k];
    let rest: f64 = (0..5).filter(|&j| j != k).map(|j| weights[j]).sum();
    // Mean composite at weight t: t * a + (1 - t) * b.
    let line = |m: &[f64; 5]| -> (f64, f64) {
        let mut b = 0.0;
        for j in (0..5).filter(|&j| j != k) {
            let share = if rest > 0.0 { weights[j] / rest } else { 0.25 };
            b += share * m[j];
        }
        (m[k], b)
    };
    let (a_top, b_top) = line(&mean_changes[top]);
    let mut above: Option<(f64, f64, usize)> = None; // (threshold, slope, slot)
    let mut below: Option<(f64, f64, usize)> = None;
    for (q, m) in mean_changes.iter().enumerate() {
        if q == top {
            continue;
        }
        let (a, b) = line(m);
        // q minus top at weight t: g + h * t.
        let g = b - b_top;
        let h = (a - a_top) - g;
        if !(g.is_finite() && h.is_finite()) || h == 0.0 {
            continue;
        }
        let crossing = -g / h;
        if h > 0.0 && crossing < 1.0 {
            // q is better for every t above the crossing.
            let threshold = crossing.max(w0);
            let better = match above {
                None => true,
                Some((t, slope, _)) => threshold < t || (threshold == t && h > slope),
            };
            if better {
                above = Some((threshold, h, q));
            }
        } else if h < 0.0 && crossing > 0.0 {
            // q is better for every t below the crossing.
            let threshold = crossing.min(w0);
            let better = match below {
                None => true,
                Some((t, slope, _)) => threshold > t || (threshold == t && h < slope),
            };
            if better {
                below = Some((threshold, h, q));
            }
        }
    }
    let above = above.map(|(weight, _, winner)| Threshold { weight, winner });
    let below = below.map(|(weight, _, winner)| Threshold { weight, winner });
    let name = |slot: usize| ids.get(slot).map_or("?", String::as_str);
    let head = format!(
        "`{}` stays best unless the weight on {} (now {:.2})",
        name(top),
        outcome.name(),
        w0
    );
    let rise = above.map(|t| format!("exceeds {:.2} (then `{}`)", t.weight, name(t.winner)));
    let fall = below.map(|t| format!("falls below {:.2} (then `{}`)", t.weight, name(t.winner)));
    let sentence = match (rise, fall) {
        (Some(rise), Some(fall)) => format!("{head} {rise} or {fall}."),
        (Some(rise), None) => format!("{head} {rise}."),
        (None, Some(fall)) => format!("{head} {fall}."),
        (None, None) => format!(
            "`{}` stays best for any weight on {} (now {:.2}).",
            name(top),
            outcome.name(),
            w0
        ),
    };
    WeightFlip {
        outcome,
        weight: w0,
        top,
        above,
        below,
        sentence,
    }
}
