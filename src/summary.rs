//! Summaries of a batch: each policy's outcomes at the final turn, its rank on the composite, and
//! the percentile bands of every series over time.

use crate::montecarlo::Batch;
use crate::scenario::Outcome;
use crate::stats::{self, Summary};

/// One policy's final-turn summaries, in series order, and its rank (1 = best mean composite).
#[derive(Debug, Clone)]
pub struct PolicySummary {
    /// Slot of the policy in the batch.
    pub slot: usize,
    pub policy: usize,
    pub rank: usize,
    pub finals: Vec<Summary>,
}

/// Index of the composite among the series.
pub fn composite_series() -> usize {
    Outcome::ALL
        .iter()
        .position(|o| *o == Outcome::Composite)
        .expect("composite is an outcome")
}

/// Final-turn summaries of every policy, ranked by mean composite (ties keep batch order).
pub fn final_summaries(batch: &Batch) -> Vec<PolicySummary> {
    let last = batch.n_points() - 1;
    let finals = batch
        .trajectories
        .iter()
        .map(|runs| {
            (0..batch.series.len())
                .map(|series| {
                    let values: Vec<f64> = runs.iter().map(|t| t.at(last, series)).collect();
                    stats::summarise(&values)
                })
                .collect()
        })
        .collect();
    ranked(&batch.spec.policies, finals)
}

/// Ranks policies by the mean of their final composite (ties keep slot order): `finals[slot]`
/// holds the final-turn summary of every series of the policy `policies[slot]`.
pub fn ranked(policies: &[usize], finals: Vec<Vec<Summary>>) -> Vec<PolicySummary> {
    let mut out: Vec<PolicySummary> = finals
        .into_iter()
        .enumerate()
        .map(|(slot, finals)| PolicySummary {
            slot,
            policy: policies[slot],
            rank: 0,
            finals,
        })
        .collect();
    let composite = composite_series();
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| {
        out[b].finals[composite]
            .mean
            .total_cmp(&out[a].finals[composite].mean)
            .then(a.cmp(&b))
    });
    for (rank, idx) in order.into_iter().enumerate() {
        out[idx].rank = rank + 1;
    }
    out
}
