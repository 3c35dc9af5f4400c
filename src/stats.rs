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
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    Summary {
        mean: mean(values),
        sd: sd(values),
        p05: quantile_sorted(&sorted, 0.05),
        p25: quantile_sorted(&sorted, 0.25),
        p50: quantile_sorted(&sorted, 0.50),
        p75: quantile_sorted(&sorted, 0.75),
        p95: quantile_sorted(&sorted, 0.95),
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
}
