//! A sample summarised as it streams in: mean, standard deviation and quantiles in bounded memory.
//!
//! A [`Sample`] keeps its values, and its statistics are exact, until it holds more than its
//! *exact limit*; then it moves the values into a [`LogSketch`] and keeps only running sums. The
//! switch happens at a fixed count, and the sketch's state depends only on the multiset of values
//! it has seen, so every statistic is a function of the values and their run order alone: the
//! number of threads, or how runs were batched, changes nothing.
//!
//! # The sketch and its error bound
//!
//! [`LogSketch`] is the DDSketch of Masson, Rim & Lee (2019, *VLDB* 12(12), "DDSketch: a fast and
//! fully-mergeable quantile sketch with relative-error guarantees") with the "linearly
//! interpolated" bucket mapping of their implementation: instead of `ceil(ln|x| / ln γ)`, a value
//! goes to the bucket of its IEEE-754 bit pattern. For a positive double `x = 2^e (1 + f)`, the bit
//! pattern read as an integer is `2^52 (e + 1023 + f)`: a piecewise-linear, increasing stand-in for
//! `log2 x` that needs no logarithm. A value with `|x| >= MIN_MAGNITUDE` goes to bucket
//! `i = (bits(|x|) − bits(MIN_MAGNITUDE)) / STEP` (integer division) of its sign, where
//! `STEP = 2^52 w` and `w = 2α / (1 − α)`, `α =` [`RELATIVE_ACCURACY`]. Within one bucket the
//! `log2` stand-in varies by at most `w`, so its largest and smallest values `hi` and `lo`
//! satisfy `hi / lo <= 1 + w` (within one binade the ratio is `(1 + f + w) / (1 + f)`; across a
//! power of two it is at most the same). The bucket's representative `2 lo hi / (lo + hi)` is
//! then within relative error `(hi − lo) / (hi + lo) <= w / (2 + w) = α` of every value in it.
//! Values with `|x| < MIN_MAGNITUDE` count as zero. So the `k`-th order statistic read from the
//! sketch is within `max(α |x_(k)|, MIN_MAGNITUDE)` of the true one. The type-7 quantile
//! interpolates between two order statistics, so a reported quantile `q̂` satisfies
//! `|q̂ − q| <= α · max(|x_(lo)|, |x_(lo+1)|) + MIN_MAGNITUDE`; it is also clamped into the exact
//! `[min, max]` of the sample. Buckets are counted in a dense array between the lowest and highest
//! bucket seen; magnitudes are clamped to `MAX_MAGNITUDE`, so a sketch never holds more than
//! about 8,000 buckets per sign (32 KB of `u32` counts), however many values it sees. (The mapping needs about
//! 1.44 times the buckets of the logarithmic one for the same bound, and is several times
//! cheaper: a study folds every value of every run into its sketches.)
//!
//! The mean is the running sum in run order divided by `n` (the same value as
//! [`crate::stats::mean`] over the values); the standard deviation uses sums shifted by the first
//! value (`Σ(x − K)` and `Σ(x − K)²`, `K = x_1`), which avoids the cancellation of the textbook
//! one-pass formula when the values are far from zero.

use crate::stats::{self, Summary};

/// `α`: the sketch's relative accuracy (0.5%).
pub const RELATIVE_ACCURACY: f64 = 0.005;
/// Magnitudes below this count as zero in the sketch.
pub const MIN_MAGNITUDE: f64 = 1e-9;
/// Magnitudes above this are clamped (no model quantity comes near it).
pub const MAX_MAGNITUDE: f64 = 1e15;

/// The bit pattern of [`MIN_MAGNITUDE`]: bucket 0 starts there.
const MIN_BITS: u64 = MIN_MAGNITUDE.to_bits();
/// `2^52 w`, `w = 2α / (1 − α)`: the width of a bucket in bit-pattern units (rounded down, which
/// only narrows the buckets).
const STEP: u64 =
    (2.0 * RELATIVE_ACCURACY / (1.0 - RELATIVE_ACCURACY) * (1u64 << 52) as f64) as u64;

/// A streamed sample (see the module doc).
#[derive(Debug, Clone)]
pub struct Sample {
    exact_limit: usize,
    /// Running sums, kept only once the sample is a sketch (while the values are kept, every
    /// statistic comes from them; at the switch the kept values are replayed, in order, so the
    /// sums are the same as if they had run from the first value).
    moments: Moments,
    store: Store,
}

#[derive(Debug, Clone)]
enum Store {
    Exact(Vec<f64>),
    Sketch(Box<LogSketch>),
}

/// Count, sum, shifted sums and extremes of the values, in the order they came.
#[derive(Debug, Clone)]
struct Moments {
    n: u64,
    sum: f64,
    shift: f64,
    shifted_sum: f64,
    shifted_squares: f64,
    min: f64,
    max: f64,
}

impl Moments {
    fn new() -> Moments {
        Moments {
            n: 0,
            sum: -0.0,
            shift: 0.0,
            shifted_sum: 0.0,
            shifted_squares: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    #[inline]
    fn add(&mut self, x: f64) {
        if self.n == 0 {
            self.shift = x;
        }
        self.n += 1;
        self.sum += x;
        let d = x - self.shift;
        self.shifted_sum += d;
        self.shifted_squares += d * d;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
    }

    /// [`Moments::add`] of each value in order, with the sums in locals, handing each value to
    /// `each` in the same loop: the running sums are chains of dependent additions (one value
    /// every four cycles or so), and `each`'s work (a sketch's bucket count), independent of
    /// them, fills the cycles in between instead of running in a second loop.
    #[inline(always)]
    fn add_all_and(&mut self, values: &[f64], mut each: impl FnMut(f64)) {
        let Some((&first, rest)) = values.split_first() else {
            return;
        };
        self.add(first);
        each(first);
        let shift = self.shift;
        let (mut sum, mut shifted_sum, mut shifted_squares) =
            (self.sum, self.shifted_sum, self.shifted_squares);
        let (mut min, mut max) = (self.min, self.max);
        for &x in rest {
            sum += x;
            let d = x - shift;
            shifted_sum += d;
            shifted_squares += d * d;
            min = min.min(x);
            max = max.max(x);
            each(x);
        }
        self.n += rest.len() as u64;
        (self.sum, self.shifted_sum, self.shifted_squares) = (sum, shifted_sum, shifted_squares);
        (self.min, self.max) = (min, max);
    }
}

impl Sample {
    /// An empty sample that keeps its values while it has at most `exact_limit` of them.
    pub fn new(exact_limit: usize) -> Sample {
        Sample {
            exact_limit,
            moments: Moments::new(),
            store: Store::Exact(Vec::new()),
        }
    }

    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        match &mut self.store {
            Store::Sketch(sketch) => {
                self.moments.add(x);
                sketch.add(x);
            }
            Store::Exact(values) if values.len() < self.exact_limit => {
                reserve_kept(values, 1, self.exact_limit);
                values.push(x)
            }
            Store::Exact(_) => self.switch(x),
        }
    }

    /// Adds `values` in order: the same as [`Sample::push`] on each, faster for a long slice (the
    /// running sums stay in registers, and the sketch's counts in cache).
    pub fn extend(&mut self, values: &[f64]) {
        let mut rest = values;
        while !rest.is_empty() {
            match &mut self.store {
                Store::Sketch(sketch) => {
                    sketch.warm();
                    self.moments.add_all_and(rest, |x| sketch.add(x));
                    return;
                }
                Store::Exact(kept) if kept.len() < self.exact_limit => {
                    let room = (self.exact_limit - kept.len()).min(rest.len());
                    let (now, later) = rest.split_at(room);
                    reserve_kept(kept, now.len(), self.exact_limit);
                    kept.extend_from_slice(now);
                    rest = later;
                }
                Store::Exact(_) => {
                    self.switch(rest[0]);
                    rest = &rest[1..];
                }
            }
        }
    }

    /// Moves the kept values, then `x`, into a sketch and the running sums.
    #[cold]
    fn switch(&mut self, x: f64) {
        let mut sketch = Box::new(LogSketch::new());
        if let Store::Exact(values) = &self.store {
            self.moments.add_all_and(values, |v| sketch.add(v));
        }
        self.moments.add(x);
        sketch.add(x);
        self.store = Store::Sketch(sketch);
    }

    pub fn len(&self) -> usize {
        match &self.store {
            Store::Exact(values) => values.len(),
            Store::Sketch(_) => self.moments.n as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the values are still kept (every statistic exact).
    pub fn is_exact(&self) -> bool {
        matches!(self.store, Store::Exact(_))
    }

    /// The mean (0 for an empty sample).
    pub fn mean(&self) -> f64 {
        match &self.store {
            Store::Exact(values) => stats::mean(values),
            Store::Sketch(_) => self.moments.sum / self.moments.n as f64,
        }
    }

    /// The sample standard deviation (n − 1 denominator; 0 below two values).
    pub fn sd(&self) -> f64 {
        match &self.store {
            Store::Exact(values) => stats::sd(values),
            Store::Sketch(_) => {
                let m = &self.moments;
                let n = m.n as f64;
                let ss = m.shifted_squares - m.shifted_sum * m.shifted_sum / n;
                (ss.max(0.0) / (n - 1.0)).sqrt()
            }
        }
    }

    /// The `q` quantile (type 7; exact or within the sketch's bound).
    pub fn quantile(&self, q: f64) -> f64 {
        match &self.store {
            Store::Exact(values) => {
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                stats::quantile_sorted(&sorted, q)
            }
            Store::Sketch(sketch) => self.sketch_quantile(sketch, q),
        }
    }

    /// Mean, SD and the 5th, 25th, 50th, 75th and 95th percentiles.
    pub fn summary(&self) -> Summary {
        match &self.store {
            Store::Exact(values) => stats::summarise(values),
            Store::Sketch(sketch) => Summary {
                mean: self.mean(),
                sd: self.sd(),
                p05: self.sketch_quantile(sketch, 0.05),
                p25: self.sketch_quantile(sketch, 0.25),
                p50: self.sketch_quantile(sketch, 0.50),
                p75: self.sketch_quantile(sketch, 0.75),
                p95: self.sketch_quantile(sketch, 0.95),
            },
        }
    }

    fn sketch_quantile(&self, sketch: &LogSketch, q: f64) -> f64 {
        let Moments { n, min, max, .. } = self.moments;
        if n == 0 {
            return 0.0;
        }
        let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
        let lo = h.floor() as u64;
        let hi = (lo + 1).min(n - 1);
        let at = |k: u64| match k {
            0 => min,
            k if k == n - 1 => max,
            k => sketch.order_statistic(k).clamp(min, max),
        };
        let (a, b) = (at(lo), at(hi));
        a + (h - lo as f64) * (b - a)
    }
}

/// Room for `extra` more kept values (`values.len() + extra <= limit`): when full, grow by
/// doubling (at least by `extra`), but never past the limit, so the kept values stay within the
/// budget the limit was computed from.
fn reserve_kept(values: &mut Vec<f64>, extra: usize, limit: usize) {
    if values.capacity() - values.len() < extra {
        let more = values.len().max(4).max(extra);
        values.reserve_exact(more.min(limit - values.len()));
    }
}

/// The DDSketch bucket counts of a sample (see the module doc).
#[derive(Debug, Clone)]
pub struct LogSketch {
    positive: Buckets,
    negative: Buckets,
    zero: u64,
    nan: u64,
}

/// Counts of consecutive bucket indices `offset ..`.
#[derive(Debug, Clone, Default)]
struct Buckets {
    offset: u32,
    /// `u32` halves the memory the fold streams through; a sample gets one value per run, and a
    /// study has at most [`crate::scenario::load::MAX_RUNS`] runs.
    counts: Vec<u32>,
}

impl LogSketch {
    pub fn new() -> LogSketch {
        LogSketch {
            positive: Buckets::default(),
            negative: Buckets::default(),
            zero: 0,
            nan: 0,
        }
    }

    /// Counts one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            self.nan += 1;
            return;
        }
        let magnitude = x.abs();
        if magnitude < MIN_MAGNITUDE {
            self.zero += 1;
            return;
        }
        // The bucket of the bit pattern (module doc): no logarithm, and an integer division by a
        // constant, which compiles to a multiplication.
        let index = ((magnitude.min(MAX_MAGNITUDE).to_bits() - MIN_BITS) / STEP) as u32;
        if x > 0.0 {
            self.positive.add(index);
        } else {
            self.negative.add(index);
        }
    }

    /// Reads one count per cache line, in order, so that the counts are in L1 (the hardware
    /// prefetcher follows a sequential read) before a run of [`LogSketch::add`]s, whose
    /// scattered increments would otherwise wait on one cache miss after another.
    fn warm(&self) {
        let mut any = 0u32;
        for counts in [&self.positive.counts, &self.negative.counts] {
            for line in counts.chunks(16) {
                any ^= line[0];
            }
        }
        std::hint::black_box(any);
    }

    /// The representative of the `k`-th smallest value (0-based; NaN sorts last).
    pub fn order_statistic(&self, k: u64) -> f64 {
        let mut seen = 0u64;
        for (index, count) in self.negative.descending() {
            seen += count;
            if k < seen {
                return -representative(index);
            }
        }
        seen += self.zero;
        if k < seen {
            return 0.0;
        }
        for (index, count) in self.positive.ascending() {
            seen += count;
            if k < seen {
                return representative(index);
            }
        }
        f64::NAN
    }
}

impl Default for LogSketch {
    fn default() -> Self {
        LogSketch::new()
    }
}

/// The value of bucket `index`, within relative error α of any value in it: `2 lo hi / (lo + hi)`
/// of the bucket's bounds.
fn representative(index: u32) -> f64 {
    let lo = f64::from_bits(MIN_BITS + index as u64 * STEP);
    let hi = f64::from_bits(MIN_BITS + (index as u64 + 1) * STEP);
    2.0 * lo * hi / (lo + hi)
}

impl Buckets {
    /// Counts one value of bucket `index`: the common case (a bucket already in range) inline,
    /// growth out of line.
    #[inline]
    fn add(&mut self, index: u32) {
        match self
            .counts
            .get_mut(index.wrapping_sub(self.offset) as usize)
        {
            Some(count) => *count = count.saturating_add(1),
            None => self.grow_and_add(index),
        }
    }

    #[cold]
    fn grow_and_add(&mut self, index: u32) {
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(1);
            return;
        }
        if index < self.offset {
            let grow = (self.offset - index) as usize;
            let mut counts = vec![0; grow + self.counts.len()];
            counts[grow..].copy_from_slice(&self.counts);
            self.counts = counts;
            self.offset = index;
        }
        let at = (index - self.offset) as usize;
        if at >= self.counts.len() {
            self.counts.resize(at + 1, 0);
        }
        self.counts[at] = self.counts[at].saturating_add(1);
    }

    fn ascending(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .map(|(k, &c)| (self.offset + k as u32, c as u64))
    }

    fn descending(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .rev()
            .map(|(k, &c)| (self.offset + k as u32, c as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg_values(len: usize, mut x: f64, scale: f64, centre: f64) -> Vec<f64> {
        (0..len)
            .map(|_| {
                x = (x * 9301.0 + 49297.0) % 233280.0;
                centre + scale * (x / 233280.0 - 0.5)
            })
            .collect()
    }

    #[test]
    fn extend_is_push_of_each_value() {
        // Slices that stay exact, cross the limit, start beyond it, and include values the sketch
        // counts apart (zeros, both signs).
        let mut values = lcg_values(700, 0.29, 3.0, 0.2);
        values[17] = 0.0;
        values[401] = -1e-12;
        for limit in [0, 1, 50, 333, 700, 10_000] {
            for cut in [0, 1, 49, 50, 51, 332, 334, 699, 700] {
                let mut one_by_one = Sample::new(limit);
                for &v in &values {
                    one_by_one.push(v);
                }
                let mut extended = Sample::new(limit);
                extended.extend(&values[..cut]);
                extended.extend(&values[cut..]);
                assert_eq!(extended.len(), one_by_one.len());
                assert_eq!(extended.is_exact(), one_by_one.is_exact());
                let bits = |s: &Sample| {
                    let m = s.summary();
                    [m.mean, m.sd, m.p05, m.p25, m.p50, m.p75, m.p95].map(f64::to_bits)
                };
                assert_eq!(
                    bits(&extended),
                    bits(&one_by_one),
                    "limit {limit}, cut {cut}"
                );
            }
        }
    }

    #[test]
    fn below_the_limit_every_statistic_is_exact() {
        let values = lcg_values(500, 0.37, 2.0, 0.1);
        let mut sample = Sample::new(500);
        for &v in &values {
            sample.push(v);
        }
        assert!(sample.is_exact());
        assert_eq!(sample.summary(), stats::summarise(&values));
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(sample.quantile(0.95), stats::quantile_sorted(&sorted, 0.95));
    }

    #[test]
    fn beyond_the_limit_quantiles_keep_the_stated_bound() {
        // Values of both signs, some near zero, some large: the bound of the module doc.
        for (scale, centre) in [(2.0, 0.1), (0.01, 0.0), (300.0, 1000.0), (1e-6, 2e-6)] {
            let values = lcg_values(20_000, 0.61, scale, centre);
            let mut sample = Sample::new(100);
            for &v in &values {
                sample.push(v);
            }
            assert!(!sample.is_exact());
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for q in [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0] {
                let exact = stats::quantile_sorted(&sorted, q);
                let h = (sorted.len() - 1) as f64 * q;
                let lo = h.floor() as usize;
                let hi = (lo + 1).min(sorted.len() - 1);
                let bound = RELATIVE_ACCURACY * sorted[lo].abs().max(sorted[hi].abs())
                    + MIN_MAGNITUDE
                    + 1e-12 * exact.abs();
                let got = sample.quantile(q);
                assert!(
                    (got - exact).abs() <= bound,
                    "scale {scale} q {q}: {got} vs {exact} (bound {bound})"
                );
            }
            let exact = stats::summarise(&values);
            let got = sample.summary();
            assert!((got.mean - exact.mean).abs() <= 1e-12 * (1.0 + exact.mean.abs()));
            assert!((got.sd - exact.sd).abs() <= 1e-9 * exact.sd);
        }
    }

    #[test]
    fn every_value_is_within_the_bound_of_its_bucket() {
        // Both edges of many buckets, powers of two (where the mapping bends) and points between.
        let index = |x: f64| ((x.to_bits() - MIN_BITS) / STEP) as u32;
        let mut values = Vec::new();
        for i in (0..7900u64).step_by(7) {
            let lo = MIN_BITS + i * STEP;
            values.extend([lo, lo + STEP - 1, lo + STEP / 2].map(f64::from_bits));
        }
        for e in -29..49 {
            let p = 2f64.powi(e);
            values.extend([p, f64::from_bits(p.to_bits() - 1), 1.3 * p]);
        }
        let mut worst: f64 = 0.0;
        for x in values
            .into_iter()
            .filter(|&x| (MIN_MAGNITUDE..=MAX_MAGNITUDE).contains(&x))
        {
            let error = (representative(index(x)) - x).abs() / x;
            assert!(
                error <= RELATIVE_ACCURACY * (1.0 + 1e-12),
                "{x:e}: error {error}"
            );
            worst = worst.max(error);
        }
        // The bound is nearly reached (at the edges of buckets that begin just above a power of
        // two), so the buckets are no narrower than they need to be.
        assert!(worst > 0.98 * RELATIVE_ACCURACY, "worst {worst}");
    }

    #[test]
    fn the_switch_gives_the_same_sketch_as_sketching_from_the_start() {
        // The running sums start at the switch by replaying the kept values in order, so a
        // sample that switched after 100 values equals one that was a sketch from the first.
        let values = lcg_values(500, 0.29, 3.0, 1.5);
        let (mut late, mut early) = (Sample::new(100), Sample::new(0));
        for &v in &values {
            late.push(v);
            early.push(v);
        }
        assert!(!late.is_exact() && !early.is_exact());
        assert_eq!(late.len(), 500);
        let (a, b) = (late.summary(), early.summary());
        for (x, y) in [
            (a.mean, b.mean),
            (a.sd, b.sd),
            (a.p05, b.p05),
            (a.p50, b.p50),
            (a.p95, b.p95),
        ] {
            assert_eq!(x.to_bits(), y.to_bits());
        }
        // And the mean is the same sum, in the same order, as the exact mean.
        assert_eq!(a.mean.to_bits(), stats::mean(&values).to_bits());
    }

    #[test]
    fn the_sketch_depends_only_on_the_multiset() {
        let values = lcg_values(5000, 0.11, 4.0, -0.5);
        let mut forward = LogSketch::new();
        let mut backward = LogSketch::new();
        for &v in &values {
            forward.add(v);
        }
        for &v in values.iter().rev() {
            backward.add(v);
        }
        for k in (0..5000).step_by(37) {
            assert_eq!(
                forward.order_statistic(k).to_bits(),
                backward.order_statistic(k).to_bits()
            );
        }
    }

    #[test]
    fn extreme_values_keep_the_sketch_small() {
        let mut sketch = LogSketch::new();
        for x in [
            f64::MAX,
            -f64::MAX,
            f64::MIN_POSITIVE,
            1e-300,
            f64::INFINITY,
            0.0,
            1.0,
        ] {
            sketch.add(x);
        }
        sketch.add(f64::NAN);
        assert!(sketch.positive.counts.len() < 8000);
        assert!(sketch.negative.counts.len() < 8000);
        assert!(sketch.order_statistic(7).is_nan());
        assert_eq!(sketch.order_statistic(1), 0.0);
    }

    #[test]
    fn empty_and_single_samples() {
        let mut sample = Sample::new(0);
        assert_eq!(sample.summary().p50, 0.0);
        sample.push(3.5);
        sample.push(3.5);
        assert!(!sample.is_exact());
        let s = sample.summary();
        assert_eq!((s.mean, s.sd, s.p05, s.p95), (3.5, 0.0, 3.5, 3.5));
    }
}
