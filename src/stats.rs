//! Small pure statistics over samples: mean, standard deviation, quantiles.
//!
//! Every reduction runs sequentially over values in run order, so results are bit-identical
//! whatever the number of threads that produced the values.

/// The arithmetic mean (0 for an empty sample).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// The sample standard deviation (n - 1 denominator; 0 below two values).
pub fn sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

/// The `q` quantile of an ascending-sorted sample, by linear interpolation between order
/// statistics (Hyndman & Fan 1996 type 7, the default of R and NumPy).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        len => {
            let h = (len - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(len - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Mean, SD and the 5th, 25th, 50th, 75th and 95th percentiles of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub sd: f64,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

/// Summarises a sample (the values need not be sorted).
pub fn summarise(values: &[f64]) -> Summary {
    let mut scratch = values.to_vec();
    summarise_in(&mut scratch, mean(values), sd(values))
}

/// The quantiles of [`Summary`] found by selection instead of a full sort: the type-7 quantile
/// only needs the order statistics at `floor(h)` and `floor(h) + 1`, and `select_nth_unstable`
/// finds each in linear time. The values are the same as from a sorted copy.
fn summarise_in(values: &mut [f64], mean: f64, sd: f64) -> Summary {
    const QS: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];
    let len = values.len();
    let mut out = [0.0; 5];
    if len == 1 {
        out = [values[0]; 5];
    } else if len > 1 {
        // Order statistics needed, ascending; select each within the part right of the last.
        let mut needed: Vec<usize> = QS
            .iter()
            .flat_map(|q| {
                let h = (len - 1) as f64 * q;
                let lo = h.floor() as usize;
                [lo, (lo + 1).min(len - 1)]
            })
            .collect();
        needed.sort_unstable();
        needed.dedup();
        let mut found: Vec<(usize, f64)> = Vec::with_capacity(needed.len());
        // `values[from..]` holds the values of rank `from` and above (in some order); `placed`
        // is the last rank a selection put at its own index.
        let (mut from, mut placed) = (0, None);
        for &k in &needed {
            let value = if k > 0 && placed == Some(k - 1) {
                // Rank k right after a selected rank k - 1: the least of the values right of it,
                // one pass without moving anything (a selection would partition them again).
                // Under `total_cmp`, equal values have equal bits, so this is the same value.
                let least = values[k..].iter().min_by(|a, b| a.total_cmp(b));
                *least.expect("rank k exists")
            } else {
                placed = Some(k);
                *values[from..]
                    .select_nth_unstable_by(k - from, f64::total_cmp)
                    .1
            };
            found.push((k, value));
            from = k;
        }
        let at = |k: usize| found.iter().find(|(i, _)| *i == k).map_or(0.0, |(_, v)| *v);
        for (slot, q) in QS.iter().enumerate() {
            let h = (len - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(len - 1);
            out[slot] = at(lo) + (h - lo as f64) * (at(hi) - at(lo));
        }
    }
    Summary {
        mean,
        sd,
        p05: out[0],
        p25: out[1],
        p50: out[2],
        p75: out[3],
        p95: out[4],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_by_hand() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&xs), 5.0);
        // Sum of squares 32, n - 1 = 7.
        assert!((sd(&xs) - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&sorted, 0.5), 3.0);
        // h = 4 * 0.05 = 0.2: 1 + 0.2 * (2 - 1).
        assert!((quantile_sorted(&sorted, 0.05) - 1.2).abs() < 1e-12);
        assert!((quantile_sorted(&sorted, 0.95) - 4.8).abs() < 1e-12);
        let s = summarise(&[5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!((s.p25, s.p50, s.p75), (2.0, 3.0, 4.0));
    }

    #[test]
    fn selection_gives_the_quantiles_of_a_sorted_copy() {
        let mut x = 0.37_f64;
        for len in [1, 2, 3, 7, 20, 101, 1000] {
            let values: Vec<f64> = (0..len)
                .map(|_| {
                    x = (x * 9301.0 + 49297.0) % 233280.0;
                    x / 233280.0 - 0.5
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let s = summarise(&values);
            for (q, got) in [
                (0.05, s.p05),
                (0.25, s.p25),
                (0.5, s.p50),
                (0.75, s.p75),
                (0.95, s.p95),
            ] {
                assert_eq!(got, quantile_sorted(&sorted, q), "len {len} q {q}");
            }
        }
    }

    proptest::proptest! {
        /// The same bits as a sorted copy, with ties, signed zeros and NaNs (sorted last).
        #[test]
        fn selection_is_the_sorted_copy_bit_for_bit(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(0.0),
                    proptest::strategy::Just(-0.0),
                    proptest::strategy::Just(1.5),
                    proptest::strategy::Just(f64::NAN),
                    -3.0..3.0f64,
                ],
                1..300,
            ),
        ) {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let s = summarise(&values);
            for (q, got) in [(0.05, s.p05), (0.25, s.p25), (0.5, s.p50), (0.75, s.p75), (0.95, s.p95)] {
                let expected = quantile_sorted(&sorted, q);
                proptest::prop_assert_eq!(got.to_bits(), expected.to_bits(), "q {}", q);
            }
        }
    }
}
