//! Morris elementary effects: the trajectory design of Morris (1991) and the screening measures
//! mu, mu* (Campolongo, Cariboni & Saltelli 2007) and sigma.
//!
//! The unit interval of each input is cut into a grid of `p` levels `0, 1/(p−1), …, 1` (`p`
//! even), and each step moves one input by `Δ = p / (2 (p − 1))` (2/3 for `p = 4`). A trajectory
//! starts at a random grid point whose every coordinate can move by `Δ` (a base level in
//! `{0, 1/(p−1), …, 1 − Δ}`, then up or down by a fair coin: `x` or `x + Δ`), and moves the `k`
//! inputs one at a time in a random order, each to its other level: `k + 1` points, `k`
//! elementary effects. Trajectories are laid out one after another (`r · (k + 1)` rows).
//!
//! The elementary effect of input `i` in a trajectory is `(f(after) − f(before)) / (u_after −
//! u_before)`, in unit coordinates: the change of the output over the input's whole range, if
//! the effect were linear. So for `y = Σ c_i x_i` with `x_i ∈ [low_i, high_i]`, every effect of
//! input `i` is `c_i (high_i − low_i)`. Over the `r` trajectories: `mu` is the mean effect, `mu*`
//! the mean absolute effect (its ranking is the screen) and `sigma` the SD (n − 1) of the effects
//! (non-linearity or interactions). The intervals resample whole trajectories.

use crate::rng::{self, SimRng};
use crate::sensitivity::sobol::{Estimate, percentile_interval, resample};
use crate::stats;

/// The screening measures of one input for one output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndices {
    pub mu: Estimate,
    pub mu_star: Estimate,
    pub sigma: Estimate,
}

/// `r` trajectories of `k + 1` points each (`points` row-major, `k` unit coordinates a row);
/// `moved[t · k + s]` is the input that step `s` of trajectory `t` moves.
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisDesign {
    pub r: usize,
    pub k: usize,
    pub levels: usize,
    pub points: Vec<f64>,
    pub moved: Vec<usize>,
}

impl MorrisDesign {
    pub fn rows(&self) -> usize {
        self.r * (self.k + 1)
    }

    pub fn row(&self, r: usize) -> &[f64] {
        &self.points[r * self.k..(r + 1) * self.k]
    }

    /// The step `Δ` between the two levels of a move.
    pub fn delta(&self) -> f64 {
        delta(self.levels)
    }
}

/// `Δ = p / (2 (p − 1))`.
pub fn delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// Draws `r` trajectories over `k` inputs on a grid of `levels` levels (even, at least 2).
pub fn morris_design(r: usize, k: usize, levels: usize, rng: &mut SimRng) -> MorrisDesign {
    let levels = levels.max(2);
    let step = delta(levels);
    let base_levels = levels / 2;
    let mut points = Vec::with_capacity(r * (k + 1) * k);
    let mut moved = Vec::with_capacity(r * k);
    let mut x = vec![0.0; k];
    let mut order: Vec<usize> = (0..k).collect();
    for _ in 0..r {
        for value in x.iter_mut() {
            let level = pick(rng, base_levels);
            let mut v = level as f64 / (levels as f64 - 1.0);
            if rng::uniform(rng) < 0.5 {
                v += step;
            }
            *value = v.min(1.0);
        }
        // Fisher-Yates shuffle of the order of moves.
        for i in (1..k).rev() {
            order.swap(i, pick(rng, i + 1));
        }
        points.extend_from_slice(&x);
        for &i in &order {
            // Move to the other level of the pair (x*, x* + Δ).
            let up = x[i] + step;
            x[i] = if up <= 1.0 + 1e-12 {
                up.min(1.0)
            } else {
                (x[i] - step).max(0.0)
            };
            points.extend_from_slice(&x);
            moved.push(i);
        }
    }
    MorrisDesign {
        r,
        k,
        levels,
        points,
        moved,
    }
}

/// The measures of every input for one output `y` (one value per design row), with `bootstrap`
/// resamples of the trajectories drawn from `seed` for the 95% intervals.
pub fn morris_indices(
    design: &MorrisDesign,
    y: &[f64],
    bootstrap: usize,
    seed: u64,
) -> Vec<MorrisIndices> {
    let (r, k) = (design.r, design.k);
    // effects[i][t]: the effect of input i in trajectory t.
    let mut effects = vec![vec![0.0; r]; k];
    for t in 0..r {
        for s in 0..k {
            let i = design.moved[t * k + s];
            let before = t * (k + 1) + s;
            let after = before + 1;
            let du = design.points[after * k + i] - design.points[before * k + i];
            effects[i][t] = if du == 0.0 {
                0.0
            } else {
                (y[after] - y[before]) / du
            };
        }
    }
    let mut sample = vec![0usize; r];
    let mut reps = vec![[Vec::with_capacity(bootstrap), Vec::new(), Vec::new()]; k];
    for b in 0..bootstrap {
        resample(seed, b, &mut sample);
        for i in 0..k {
            let chosen: Vec<f64> = sample.iter().map(|&t| effects[i][t]).collect();
            let [mu, mu_star, sigma] = measures(&chosen);
            reps[i][0].push(mu);
            reps[i][1].push(mu_star);
            reps[i][2].push(sigma);
        }
    }
    (0..k)
        .map(|i| {
            let [mu, mu_star, sigma] = measures(&effects[i]);
            let [rep_mu, rep_star, rep_sigma] = &mut reps[i];
            MorrisIndices {
                mu: Estimate {
                    value: Some(mu),
                    ci: percentile_interval(rep_mu),
                },
                mu_star: Estimate {
                    value: Some(mu_star),
                    ci: percentile_interval(rep_star),
                },
                sigma: Estimate {
                    value: (r >= 2).then_some(sigma),
                    ci: if r >= 2 {
                        percentile_interval(rep_sigma)
                    } else {
                        None
                    },
                },
            }
        })
        .collect()
}

/// mu, mu* and sigma of a set of elementary effects.
fn measures(effects: &[f64]) -> [f64; 3] {
    let abs: Vec<f64> = effects.iter().map(|e| e.abs()).collect();
    [stats::mean(effects), stats::mean(&abs), stats::sd(effects)]
}

/// A uniform index in `0..count`.
fn pick(rng: &mut SimRng, count: usize) -> usize {
    ((rng::uniform(rng) * count as f64) as usize).min(count.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linear_model_has_mu_star_coefficient_times_range_and_no_sigma() {
        let coefficients = [2.0, -3.0, 0.5, 0.0, 10.0];
        let ranges = [
            (0.0, 1.0),
            (-1.0, 4.0),
            (10.0, 12.0),
            (0.0, 5.0),
            (0.1, 0.2),
        ];
        let k = coefficients.len();
        let mut rng = rng::sample_rng(11);
        let design = morris_design(12, k, 4, &mut rng);
        let y: Vec<f64> = (0..design.rows())
            .map(|row| {
                design
                    .row(row)
                    .iter()
                    .zip(coefficients.iter().zip(ranges))
                    .map(|(u, (c, (lo, hi)))| c * (lo + u * (hi - lo)))
                    .sum()
            })
            .collect();
        let got = morris_indices(&design, &y, 100, 1);
        for i in 0..k {
            let (lo, hi) = ranges[i];
            let want = coefficients[i] * (hi - lo);
            let tol = 1e-9 * (1.0 + want.abs());
            assert!((got[i].mu.value.unwrap() - want).abs() < tol, "mu {i}");
            assert!(
                (got[i].mu_star.value.unwrap() - want.abs()).abs() < tol,
                "mu* {i}"
            );
            assert!(got[i].sigma.value.unwrap() < tol, "sigma {i}");
            let (ci_lo, ci_hi) = got[i].mu_star.ci.unwrap();
            assert!((ci_lo - want.abs()).abs() < tol && (ci_hi - want.abs()).abs() < tol);
        }
    }

    #[test]
    fn trajectories_move_one_input_at_a_time_by_delta() {
        let mut rng = rng::sample_rng(2);
        for levels in [2, 4, 6] {
            let k = 7;
            let design = morris_design(30, k, levels, &mut rng);
            let step = delta(levels);
            for t in 0..design.r {
                let mut seen = vec![false; k];
                for s in 0..k {
                    let (a, b) = (design.row(t * (k + 1) + s), design.row(t * (k + 1) + s + 1));
                    let i = design.moved[t * k + s];
                    seen[i] = true;
                    for c in 0..k {
                        if c == i {
                            assert!(((a[c] - b[c]).abs() - step).abs() < 1e-12);
                        } else {
                            assert_eq!(a[c], b[c]);
                        }
                    }
                    for v in b {
                        assert!((0.0..=1.0).contains(v));
                        // On the grid.
                        let level = v * (levels as f64 - 1.0);
                        assert!((level - level.round()).abs() < 1e-9, "{v} off the grid");
                    }
                }
                assert!(seen.iter().all(|&s| s), "every input moves once");
            }
        }
    }

    #[test]
    fn a_non_linear_input_has_sigma() {
        // y = x0 * x1: each effect depends on the other input, so sigma > 0.
        let mut rng = rng::sample_rng(4);
        let design = morris_design(40, 2, 4, &mut rng);
        let y: Vec<f64> = (0..design.rows())
            .map(|r| design.row(r)[0] * design.row(r)[1])
            .collect();
        let got = morris_indices(&design, &y, 0, 1);
        assert!(got[0].sigma.value.unwrap() > 0.1);
        assert_eq!(got[0].mu_star.ci, None);
    }
}
