//! Benchmarks of [`entente::exp`] (`cargo bench --bench exp`): `exp_in_place` against a loop of
//! libm's `f64::exp` over the same 4,096 values in [-3, 3]. The counter is the number of values;
//! making the inputs (a copy of them for each iteration) is not timed.

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use entente::exp::exp_in_place;

fn main() {
    divan::main();
}

const N: usize = 4096;

/// `N` values in [-3, 3], spread by a fixed low-discrepancy sequence (not sorted).
fn inputs() -> Vec<f64> {
    let golden = 0.618_033_988_749_894_9;
    (0..N)
        .map(|i| -3.0 + 6.0 * (i as f64 * golden).fract())
        .collect()
}

/// entente's `exp_in_place`, and a loop of libm's `exp`, over the same values.
#[divan::bench(args = ["portable_exp_in_place", "libm_exp_loop"])]
fn exp(bencher: Bencher, which: &str) {
    let input = inputs();
    bencher
        .counter(ItemsCount::new(N))
        .with_inputs(|| input.clone())
        .bench_local_refs(|values| {
            let values = black_box(values.as_mut_slice());
            if which == "portable_exp_in_place" {
                exp_in_place(values);
            } else {
                for value in values {
                    *value = value.exp();
                }
            }
        });
}
