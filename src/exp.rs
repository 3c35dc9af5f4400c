//! A portable, deterministic, branch-free `exp` for `f64` that vectorises.
//!
//! libm's `exp` is a scalar call of some 15–20 cycles, and its last bits depend on the platform's
//! libm (glibc even picks an FMA or a non-FMA variant by CPU), so the same seed could give
//! different bits on two machines. [`exp`] uses only IEEE-754 additions, multiplications and one
//! division in a fixed order (Rust never contracts `a * b + c` into an FMA), plus integer and bit
//! operations, so its results are the same on every platform with IEEE-754 double arithmetic
//! (every target but x87-only 32-bit x86). It has no branches and no calls, so a loop over a slice
//! ([`exp_in_place`]) vectorises: packed `mulpd`, `addpd` and `divpd`, two values at a time on the
//! SSE2 baseline of x86_64 and four with AVX2, which [`exp_in_place`] picks at run time (the bits
//! are the same either way). `benches/exp.rs` measured 4.0–5.2 ns a value on the baseline against
//! 5.9–9.6 ns for glibc 2.36's `exp` (medians of several runs on a shared, noisy 2-core AMD
//! EPYC), and 2.4 ns with AVX2 against 7.7 ns (fastest samples, 424 against 129 M values/s).
//!
//! The method is fdlibm's: `x = k ln 2 + r` with `k = round(x / ln 2)` and `|r| ≤ 0.35` (a
//! Cody–Waite reduction: `ln 2` is split in two so that `x - k ln2_hi` is exact and the small rest
//! is carried separately), then fdlibm's rational approximation of `exp(r)`, then a scaling by
//! `2^k` written as two factors `2^k1 · 2^k2` that are both normal numbers, so that overflow gives
//! `+inf` and underflow gives subnormals or 0 without any branch.
//!
//! Accuracy: fdlibm's method is within 1 ulp. Measured once against glibc 2.36's `expl` (64-bit
//! significand), the error is at most 0.89 ulp and about 90% of results are correctly rounded.
//! Against glibc's `exp` (the tests, 10⁶ uniform inputs in each range) the largest difference is
//! 1 ulp, and the bits are equal for 90.4–90.5% of inputs in [-745, 709] and in [-5, 5]. For
//! results in the subnormal range (`x < -708.4`) the result is rounded twice, to 53 bits and then
//! to the subnormal's precision, which can make it differ from the correctly rounded value by 1
//! subnormal ulp; that is accepted here.

/// `e^x`, portable and deterministic: the same bits on every platform, within 1 ulp of the true
/// value (see the [module documentation](self)).
///
/// `exp(x)` is `+inf` for `x > 709.78…` and `0` for `x < -745.13…`, as the true function rounds;
/// `exp(NaN)` is NaN, `exp(+inf)` is `+inf` and `exp(-inf)` is `0`. There are no branches, so a
/// loop calling it over a slice vectorises.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // Beyond these bounds the true result rounds to +inf or to 0; `clamp` keeps NaN as NaN.
    let x = x.clamp(MIN_ARG, MAX_ARG);

    // k = round(x / ln 2): adding 1.5 · 2^52 leaves no bits for the fraction, so the addition
    // rounds to an integer, and that integer is in the low bits of `t` (valid for |k| < 2^51).
    // The integer operations wrap: for a NaN, `k` means nothing, and the result is NaN anyway.
    let t = x * INV_LN2 + SHIFT;
    let kf = t - SHIFT;
    let k = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);

    // x - k ln 2 = hi - lo. LN2_HI has enough trailing zero bits that `kf * LN2_HI` is exact for
    // |k| ≤ 1077, and the subtraction from x is then exact too.
    let hi = x - kf * LN2_HI;
    let lo = kf * LN2_LO;
    let r = hi - lo;

    // exp(r) = 1 + r + r·c / (2 - c), with c = r - r²·P(r²) (fdlibm), evaluated so that the
    // rounding error of `r` itself is kept in `lo`.
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);

    // 2^k = 2^k1 · 2^k2 with k1 = floor(k / 2) and k2 = k - k1, both in [-538, 512], so both
    // factors are normal numbers. `k + 2048` is positive, so the logical shift of it as a u64 is
    // the arithmetic one (SSE2 has no packed 64-bit arithmetic shift). `y · 2^k1` is exact, and
    // the second product rounds once, to +inf or to a subnormal when it must.
    let k1 = ((k.wrapping_add(2048) as u64 >> 1) as i64).wrapping_sub(1024);
    let k2 = k.wrapping_sub(k1);
    y * pow2(k1) * pow2(k2)
}

/// Replaces every value of `values` by its exponential, [`exp`]: the same bits as calling `exp`
/// on each value, computed several values at a time with the best instruction set of this CPU
/// (see [`exp_in_place_on`]).
pub fn exp_in_place(values: &mut [f64]) {
    exp_in_place_on(pulp::Arch::new(), values);
}

/// As [`exp_in_place`], on the instruction set `arch`: two values at a time with the baseline
/// (SSE2 on x86_64, `pulp::Arch::Scalar`), four with AVX2. The bits are the same on every
/// instruction set, since each value goes through the same IEEE-754 operations in the same order
/// (Rust never fuses a multiplication and an addition unasked).
pub fn exp_in_place_on(arch: pulp::Arch, values: &mut [f64]) {
    arch.dispatch(
        #[inline(always)]
        || {
            for value in values {
                *value = exp(*value);
            }
        },
    );
}

/// Above this, `exp` overflows to +inf (ln of the largest double is 709.78…).
const MAX_ARG: f64 = 710.0;
/// Below this, `exp` rounds to 0 (half the smallest subnormal is e^-745.13…).
const MIN_ARG: f64 = -746.0;

/// 1.5 · 2^52: adding it to a double of magnitude below 2^51 rounds that double to an integer.
const SHIFT: f64 = 6755399441055744.0;
/// 1 / ln 2 = log2(e).
const INV_LN2: f64 = std::f64::consts::LOG2_E;

// fdlibm's constants, with its decimal literals (more digits than a double holds; the test
// `constants_are_fdlibms` checks their bits against fdlibm's hexadecimal ones).
/// The high part of ln 2 (its 21 low significand bits are zero).
#[allow(clippy::excessive_precision)]
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
/// ln 2 - LN2_HI, rounded.
#[allow(clippy::excessive_precision)]
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// The coefficients of fdlibm's rational approximation of exp on [-0.35, 0.35].
#[allow(clippy::excessive_precision)]
const P1: f64 = 1.666_666_666_666_660_190_37e-01;
#[allow(clippy::excessive_precision)]
const P2: f64 = -2.777_777_777_701_559_338_42e-03;
#[allow(clippy::excessive_precision)]
const P3: f64 = 6.613_756_321_437_934_361_17e-05;
#[allow(clippy::excessive_precision)]
const P4: f64 = -1.653_390_220_546_525_153_90e-06;
#[allow(clippy::excessive_precision)]
const P5: f64 = 4.138_136_797_057_238_460_39e-08;

/// 2^k for k in [-1022, 1023], from its bits.
#[inline(always)]
fn pow2(k: i64) -> f64 {
    f64::from_bits((k.wrapping_add(1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    /// `n` uniform inputs in [lo, hi), from the project's own generator.
    fn uniforms(seed: u64, lo: f64, hi: f64, n: usize) -> Vec<f64> {
        let mut rng = crate::rng::turn_rng(seed, 0);
        (0..n)
            .map(|_| lo + (hi - lo) * crate::rng::uniform(&mut rng))
            .collect()
    }

    /// The distance in ulps between two non-negative doubles (or NaN's distance: u64::MAX).
    fn ulps(a: f64, b: f64) -> u64 {
        assert!(a >= 0.0 && b >= 0.0, "{a} or {b} is negative or NaN");
        a.to_bits().abs_diff(b.to_bits())
    }

    struct Comparison {
        inputs: usize,
        equal: usize,
        max_ulps_normal: u64,
        max_ulps_subnormal: u64,
        worst: f64,
    }

    /// Compares `exp` with libm's `f64::exp` on `n` uniform inputs in [lo, hi).
    fn compare(seed: u64, lo: f64, hi: f64, n: usize) -> Comparison {
        let mut c = Comparison {
            inputs: n,
            equal: 0,
            max_ulps_normal: 0,
            max_ulps_subnormal: 0,
            worst: f64::NAN,
        };
        for x in uniforms(seed, lo, hi, n) {
            let (ours, libm) = (exp(x), x.exp());
            let d = ulps(ours, libm);
            if d == 0 {
                c.equal += 1;
            }
            if libm.is_normal() {
                if d > c.max_ulps_normal {
                    c.max_ulps_normal = d;
                    c.worst = x;
                }
            } else {
                c.max_ulps_subnormal = c.max_ulps_subnormal.max(d);
            }
        }
        println!(
            "exp vs libm on {n} inputs in [{lo}, {hi}): max {} ulp (normal results, worst x = {}), \
             max {} ulp (subnormal results), bit-equal {:.4}%",
            c.max_ulps_normal,
            c.worst,
            c.max_ulps_subnormal,
            100.0 * c.equal as f64 / c.inputs as f64
        );
        c
    }

    impl Comparison {
        /// Within 1 ulp of libm everywhere, and bit-equal for most inputs (the method is
        /// correctly rounded about 90% of the time).
        fn assert_close_to_libm(&self) {
            assert!(
                self.max_ulps_normal <= 1,
                "{} ulp at x = {}",
                self.max_ulps_normal,
                self.worst
            );
            assert!(
                self.max_ulps_subnormal <= 1,
                "{} ulp",
                self.max_ulps_subnormal
            );
            assert!(
                self.equal as f64 >= 0.88 * self.inputs as f64,
                "{} equal",
                self.equal
            );
        }
    }

    #[test]
    fn within_one_ulp_of_libm_over_the_whole_range() {
        compare(1, -745.0, 709.0, 1_000_000).assert_close_to_libm();
    }

    #[test]
    fn within_one_ulp_of_libm_near_zero() {
        compare(2, -5.0, 5.0, 1_000_000).assert_close_to_libm();
    }

    #[test]
    fn constants_are_fdlibms() {
        // fdlibm's e_exp.c gives these words in its comments (invln2, ln2HI, ln2LO, P1..P5).
        let bits = [
            (INV_LN2, 0x3ff7_1547_652b_82fe_u64),
            (LN2_HI, 0x3fe6_2e42_fee0_0000),
            (LN2_LO, 0x3dea_39ef_3579_3c76),
            (P1, 0x3fc5_5555_5555_553e),
            (P2, 0xbf66_c16c_16be_bd93),
            (P3, 0x3f11_566a_af25_de2c),
            (P4, 0xbebb_bd41_c5d2_6bf1),
            (P5, 0x3e66_3769_72be_a4d0),
        ];
        for (value, expected) in bits {
            assert_eq!(value.to_bits(), expected, "{value:e}");
        }
        assert_eq!(SHIFT, 1.5 * (1u64 << 52) as f64);
        assert_eq!(LN2_HI.to_bits().trailing_zeros(), 21);
    }

    #[test]
    fn special_values() {
        assert_eq!(exp(0.0).to_bits(), 1.0f64.to_bits());
        assert_eq!(exp(-0.0).to_bits(), 1.0f64.to_bits());
        assert!(exp(f64::NAN).is_nan());
        assert!(exp(-f64::NAN).is_nan());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY).to_bits(), 0.0f64.to_bits());
        assert_eq!(exp(1e300), f64::INFINITY);
        assert_eq!(exp(-1e300).to_bits(), 0.0f64.to_bits());
        assert!(ulps(exp(1.0), std::f64::consts::E) <= 1);

        // Overflow: ln(f64::MAX) = 709.782712893384.
        assert!(exp(709.78).is_finite());
        assert!(exp(709.782712893384).is_finite());
        assert_eq!(exp(709.79), f64::INFINITY);
        assert_eq!(exp(710.0), f64::INFINITY);

        // Underflow: the smallest subnormal, 2^-1074, is e^-744.44; half of it is e^-745.13, below
        // which the true value rounds to 0.
        assert_eq!(exp(-744.44), f64::from_bits(1));
        assert_eq!(exp(-745.1), f64::from_bits(1));
        assert!(exp(-745.1) > 0.0);
        assert_eq!(exp(-745.2).to_bits(), 0.0f64.to_bits());
        assert_eq!(exp(-746.0).to_bits(), 0.0f64.to_bits());
        // The boundary of the normal range: e^-708.39 is just above 2^-1022.
        assert!(exp(-708.39).is_normal());
        assert!(exp(-708.40).is_subnormal());
    }

    #[test]
    fn in_place_is_exp_element_by_element() {
        let mut values = uniforms(3, -800.0, 800.0, 1003);
        values.extend([
            0.0,
            -0.0,
            1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            709.79,
            -745.1,
        ]);
        values.push(f64::NAN);
        for len in [0, 1, 2, 3, 5, 7, 8, 9, 1003, values.len()] {
            let mut out = values[..len].to_vec();
            exp_in_place(&mut out);
            for (&x, &y) in values[..len].iter().zip(&out) {
                // black_box keeps this reference computation scalar in an optimised build.
                let expected = exp(black_box(x));
                assert!(
                    y.to_bits() == expected.to_bits() || (y.is_nan() && expected.is_nan()),
                    "exp_in_place gives {y:e} for {x}, exp gives {expected:e}"
                );
            }
        }
    }

    #[test]
    fn monotonic_on_fine_grids() {
        // Around 0.5 and -20, and where k = round(x / ln 2) changes (0.5 ln 2 and 10.5 ln 2).
        let ln2 = std::f64::consts::LN_2;
        for centre in [0.5, -20.0, 0.5 * ln2, 10.5 * ln2, -7.5 * ln2] {
            let mut x = centre;
            for _ in 0..5_000 {
                x = x.next_down();
            }
            let mut previous = exp(x);
            for _ in 0..10_000 {
                x = x.next_up();
                let y = exp(x);
                assert!(
                    y >= previous,
                    "exp({x}) = {y:e} < exp of the previous double = {previous:e}"
                );
                previous = y;
            }
        }
    }
}
