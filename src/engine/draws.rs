//! A turn's random numbers, drawn in one place and in a fixed order.
//!
//! Every policy of a run meets the same random numbers (common random numbers): turn `t` of run
//! `r` draws from the ChaCha8 stream `t + 1` of the run's key ([`crate::rng::turn_rng_from_key`]),
//! always the same draws in the same order, whatever the policy and whatever happened in the run.
//! So the draws of a turn are a function of the run's key, the turn and the scenario's *shape*
//! (numbers of actors, trading pairs, theatres, random events, treaty parties and secondary-sanction
//! enforcers), never of the world. That is what lets the policies of one run share them: the
//! Monte-Carlo loop draws each turn once for all the policies of a run (keeping a block of turns'
//! draws and running the policies one after another through the block:
//! [`super::run_policies_in`]); a policy that reads shared draws gets, bit for bit, the numbers it
//! would have drawn itself.

use crate::rng;
use crate::scenario::Scenario;

/// The random numbers of one turn of one run. Start from `Draws::default()` and hand the same
/// value to [`super::Simulation::step_sharing`] of every simulation of a run: the first to step a
/// turn draws the numbers, the others read them (a simulation of another run, turn or shape
/// draws its own instead, so sharing can never change a result).
#[derive(Debug, Default, Clone)]
pub struct Draws {
    /// What the numbers were drawn for: the run's key and the turn (`None` before any draw).
    drawn_for: Option<([u8; 32], u32)>,
    /// One normal per actor (position noise).
    pub(super) normals_position: Vec<f64>,
    /// One normal per ordered pair, row-major, the diagonal included (affinity noise).
    pub(super) normals_affinity: Vec<f64>,
    /// One normal per trading pair, in the order of the run's trading pairs (trade noise).
    pub(super) normals_trade: Vec<f64>,
    /// One uniform per theatre (its incident count).
    pub(super) uniform_incident: Vec<f64>,
    /// One uniform per random event (its occurrence count).
    pub(super) uniform_random_event: Vec<f64>,
    /// Per treaty, one uniform per party (whether it honours an activation).
    pub(super) uniform_honour: Vec<Vec<f64>>,
    /// Per actor with a secondary-sanction doctrine, in actor order, one uniform per actor.
    pub(super) uniform_secondary: Vec<f64>,
    /// Per trading pair, the trade noise factor `exp(σ z − σ²/2)` of its normal `z`, for the
    /// `σ` whose bits are `trade_noise_sigma` (derived from the draws, not drawn).
    pub(super) trade_noise: Vec<f64>,
    trade_noise_sigma: Option<u64>,
}

impl Draws {
    /// Makes these the draws of turn `turn` of the run with key `run_key`, for `scenario` with
    /// `trading_pairs` trading pairs: draws them unless they already are exactly those (same key,
    /// same turn, same shape).
    pub(super) fn ensure(
        &mut self,
        run_key: [u8; 32],
        turn: u32,
        scenario: &Scenario,
        trading_pairs: usize,
    ) {
        if self.drawn_for != Some((run_key, turn)) || !self.has_shape(scenario, trading_pairs) {
            self.fill(run_key, turn, scenario, trading_pairs);
        }
    }

    /// Makes `trade_noise` the noise factors of the trade normals for the per-turn noise SD
    /// `sigma`, unless it already is (the policies of a run share `sigma`).
    pub(super) fn ensure_trade_noise(&mut self, sigma: f64, arch: pulp::Arch) {
        if self.trade_noise_sigma == Some(sigma.to_bits()) {
            return;
        }
        let half_variance = 0.5 * sigma * sigma;
        self.trade_noise.clear();
        self.trade_noise.extend(
            self.normals_trade
                .iter()
                .map(|&z| sigma * z - half_variance),
        );
        crate::exp::exp_in_place_on(arch, &mut self.trade_noise);
        self.trade_noise_sigma = Some(sigma.to_bits());
    }

    /// Whether every buffer has the length `scenario` and `trading_pairs` call for.
    fn has_shape(&self, scenario: &Scenario, trading_pairs: usize) -> bool {
        let n = scenario.actors.len();
        self.normals_position.len() == n
            && self.normals_affinity.len() == n * n
            && self.normals_trade.len() == trading_pairs
            && self.uniform_incident.len() == scenario.theatres.len()
            && self.uniform_random_event.len() == scenario.random_events.len()
            && self.uniform_honour.len() == scenario.treaties.len()
            && self
                .uniform_honour
                .iter()
                .zip(&scenario.treaties)
                .all(|(u, treaty)| u.len() == treaty.parties.len())
            && self.uniform_secondary.len() == n * enforcers(scenario)
    }

    /// Draws the turn's numbers, in the order of the contract (docs/model.md §5): normals for
    /// positions, affinity and trade, then uniforms for incidents, random events, treaty honour
    /// and secondary sanctions.
    fn fill(&mut self, run_key: [u8; 32], turn: u32, scenario: &Scenario, trading_pairs: usize) {
        let n = scenario.actors.len();
        let rng = &mut rng::turn_rng_from_key(run_key, turn);
        self.normals_position.resize(n, 0.0);
        rng::fill_normals(rng, &mut self.normals_position);
        self.normals_affinity.resize(n * n, 0.0);
        rng::fill_normals(rng, &mut self.normals_affinity);
        self.normals_trade.resize(trading_pairs, 0.0);
        rng::fill_normals(rng, &mut self.normals_trade);
        self.uniform_incident.clear();
        self.uniform_incident
            .extend((0..scenario.theatres.len()).map(|_| rng::uniform(rng)));
        self.uniform_random_event.clear();
        self.uniform_random_event
            .extend((0..scenario.random_events.len()).map(|_| rng::uniform(rng)));
        self.uniform_honour
            .resize(scenario.treaties.len(), Vec::new());
        for (k, treaty) in scenario.treaties.iter().enumerate() {
            self.uniform_honour[k].clear();
            self.uniform_honour[k].extend((0..treaty.parties.len()).map(|_| rng::uniform(rng)));
        }
        self.uniform_secondary.clear();
        for _ in 0..enforcers(scenario) {
            self.uniform_secondary
                .extend((0..n).map(|_| rng::uniform(rng)));
        }
        self.drawn_for = Some((run_key, turn));
        // The noise factors belong to the old normals.
        self.trade_noise_sigma = None;
    }
}

/// The number of actors with a secondary-sanction doctrine.
fn enforcers(scenario: &Scenario) -> usize {
    scenario
        .actors
        .iter()
        .filter(|a| !a.doctrine.secondary_sanctions.is_empty())
        .count()
}
