//! The engine: one run of one policy, turn by turn. It does no IO, reads no clock and uses no RNG
//! but the ones [`crate::rng`] hands it.
//!
//! Setup and running are separate: [`Simulation::new`] takes a *sampled* scenario (every number a
//! point) and builds the world at turn 0; [`Simulation::step`] advances one turn. The order of a
//! turn is a contract, written in `docs/model.md` §2 and repeated on [`Simulation::step`].

mod draws;

pub use draws::Draws;

use std::rc::Rc;

use crate::params::Param;
use crate::rng;
use crate::scenario::{
    ActionKind, ActorKind, Condition, Effect, Metric, Outcome, Scenario, TreatyKind,
};

/// Which actor's choices the run evaluates: the focal actor follows `policy`.
#[derive(Debug, Clone, Copy)]
pub struct RunSpec {
    pub policy: usize,
    pub run_seed: u64,
}

/// The record of one run: every outcome at every turn (0 ..= turns), and when each tripwire was
/// first crossed.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Row-major: `values[turn * n_series + series]`, series as in [`series_names`].
    pub values: Vec<f64>,
    pub n_series: usize,
    /// For each tripwire, the first turn at which it held, if any.
    pub tripwire_turns: Vec<Option<u32>>,
    /// Every actor's position at every turn: `positions[turn * n_actors + actor]`.
    pub positions: Vec<f64>,
    /// The affinity matrix (`i * n + j`: i toward j) at the start and at the final turn.
    pub affinity_start: Vec<f64>,
    pub affinity_end: Vec<f64>,
}

impl Trajectory {
    pub fn at(&self, turn: usize, series: usize) -> f64 {
        self.values[turn * self.n_series + series]
    }

    pub fn last(&self, series: usize) -> f64 {
        let turns = self.values.len() / self.n_series;
        self.at(turns - 1, series)
    }
}

/// Names of the recorded series: the outcomes of [`Outcome::ALL`], then the focal actor's trade
/// with each partner that trades with it at the start (`trade_<ID>`, USD billion per year).
pub fn series_names(scenario: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = Outcome::ALL.iter().map(|o| o.name().to_string()).collect();
    for partner in trade_partners(scenario) {
        names.push(format!("trade_{}", scenario.actors[partner].id));
    }
    names
}

/// The focal actor's trade partners at the start, in actor order.
pub fn trade_partners(scenario: &Scenario) -> Vec<usize> {
    let focal = scenario.focal;
    let relations = &scenario.relations;
    (0..scenario.actors.len())
        .filter(|&j| j != focal && relations.trade[relations.idx(focal, j)].high > 0.0)
        .collect()
}

/// Runs a whole trajectory of a sampled scenario under one policy.
pub fn run(scenario: &Scenario, spec: RunSpec) -> Trajectory {
    run_in(&mut Workspace::default(), scenario, spec)
}

/// Working memory that runs can lend one after another: [`run_in`] and [`run_policies_in`] take
/// its buffers and give them back, so a thread that does many runs allocates them once instead of
/// once per run (on small scenarios the allocations were a visible share of a run). It holds no
/// result: a run's trajectory is the same whatever workspace it used.
pub struct Workspace {
    /// One set of scratch buffers per policy of a run.
    scratch: Vec<Scratch>,
    /// The random numbers of a block of turns of a run, shared by the policies of the run: one
    /// [`Draws`] per turn of the block (see [`run_policies_in`]); one, redrawn each turn, for a
    /// single policy.
    draws: Vec<Draws>,
    /// The instruction set the vector loops run on.
    arch: pulp::Arch,
}

/// The number of random values a run with several policies keeps at once when they span at
/// least [`MIN_DRAWS_BLOCK`] turns (see [`run_policies_in`]): 32 Ki values, 256 KiB, half the
/// L2 cache of a core of the development machine, so that the kept draws and a small scenario's
/// world fit in it together.
const RUN_DRAWS_BUDGET: usize = 32 << 10;

/// The fewest turns a block of kept draws spans, also when they exceed [`RUN_DRAWS_BUDGET`]: a
/// large scenario's world and draws do not fit a core's L2 cache anyway, and each policy's world
/// is then read from the L3 cache or memory once per block instead of once per turn (193 actors,
/// 4 policies, 24 runs on 2 threads: 18.4–19.0 s of CPU with blocks of one turn, 10.5–10.7 s
/// with blocks of 16).
const MIN_DRAWS_BLOCK: usize = 16;

/// The most random values kept at once, whatever [`MIN_DRAWS_BLOCK`] asks for: 8 Mi values,
/// 64 MiB per thread (a 193-actor turn has about 75 Ki).
const MAX_DRAWS_BLOCK_VALUES: usize = 8 << 20;

impl Default for Workspace {
    /// A workspace whose runs use the best instruction set of this CPU (AVX2 where there is).
    fn default() -> Workspace {
        Workspace {
            scratch: Vec::new(),
            draws: Vec::new(),
            arch: pulp::Arch::new(),
        }
    }
}

impl Workspace {
    /// A workspace whose runs use only the target's baseline instruction set (SSE2 on x86_64).
    /// Results are the same bits as with [`Workspace::default`]: the vector loops do the same
    /// IEEE-754 operations on each element in the same order, only more elements at a time (no
    /// fused multiply-add, no reordered sums). Tests and benchmarks use it to show that.
    pub fn baseline() -> Workspace {
        Workspace {
            arch: pulp::Arch::Scalar,
            ..Workspace::default()
        }
    }
}

/// As [`run`], with the scratch buffers of `workspace`.
pub fn run_in(workspace: &mut Workspace, scenario: &Scenario, spec: RunSpec) -> Trajectory {
    let mut out = run_policies_in(workspace, scenario, &[spec.policy], spec.run_seed);
    out.pop().expect("one trajectory per policy")
}

/// Runs every policy of `policies` on one run (seed `run_seed`) of a sampled scenario. Each
/// turn's random numbers are drawn once and shared by the policies (they are the same for every
/// policy by construction, see [`Draws`]), so `out[k]` is, bit for bit, what [`run`] gives for
/// `policies[k]`, at a fraction of the cost of the draws.
///
/// With several policies, the turns go in blocks: the policies run one after another through
/// a block, the first drawing each turn's numbers and the others reading them, then the next
/// block. A block holds as many turns as fit 256 KiB of draws (all 48 of Korea's), and at least
/// 16. A policy's world then stays in cache for a whole block: stepping the policies in
/// lockstep, turn by turn, cycled every world through the cache every turn, which cost a small
/// scenario its L1 hits and a 193-actor one its L3 hits. The results are the same whatever the
/// block.
pub fn run_policies_in(
    workspace: &mut Workspace,
    scenario: &Scenario,
    policies: &[usize],
    run_seed: u64,
) -> Vec<Trajectory> {
    workspace.scratch.resize_with(
        policies.len().max(workspace.scratch.len()),
        Scratch::default,
    );
    // The policies' worlds at turn 0 are the same: the first is built, the others copied.
    let mut simulations: Vec<Simulation> = Vec::with_capacity(policies.len());
    for (&policy, scratch) in policies.iter().zip(&mut workspace.scratch) {
        let scratch = std::mem::take(scratch);
        let simulation = match simulations.first() {
            None => {
                let spec = RunSpec { policy, run_seed };
                Simulation::new_with(scenario, spec, scratch, workspace.arch)
            }
            Some(first) => first.sibling(policy, scratch),
        };
        simulations.push(simulation);
    }
    let turns = scenario.turns as usize;
    // One policy has no one to share its draws with: it steps on one `Draws`, redrawn each turn
    // (keeping a `Draws` per turn would only allocate them: a fifth of the time of a single Korea
    // run in a fresh workspace).
    let block = if policies.len() > 1 {
        draws_block(turns, draws_per_turn(scenario))
    } else {
        1
    };
    workspace.draws.resize_with(block, Draws::default);
    for start in (0..turns).step_by(block) {
        let len = block.min(turns - start);
        for simulation in &mut simulations {
            for draws in &mut workspace.draws[..len] {
                simulation.step_sharing(draws);
            }
        }
    }
    simulations
        .into_iter()
        .zip(workspace.scratch.iter_mut())
        .map(|(simulation, slot)| {
            let (trajectory, scratch) = simulation.finish_parts();
            *slot = scratch;
            trajectory
        })
        .collect()
}

/// How many turns of draws a run with several policies keeps at once (see [`run_policies_in`]):
/// as many as fit [`RUN_DRAWS_BUDGET`], but at least [`MIN_DRAWS_BLOCK`] turns (unless that
/// exceeds [`MAX_DRAWS_BLOCK_VALUES`]), at least one, and never more than the run has.
fn draws_block(turns: usize, per_turn: usize) -> usize {
    let per_turn = per_turn.max(1);
    (RUN_DRAWS_BUDGET / per_turn)
        .max(MIN_DRAWS_BLOCK)
        .min(MAX_DRAWS_BLOCK_VALUES / per_turn)
        .clamp(1, turns.max(1))
}

/// About how many values a turn's [`Draws`] hold: a normal per actor and per ordered pair, and a
/// normal and a noise factor per possible trading pair (an upper bound; the uniforms are few).
fn draws_per_turn(scenario: &Scenario) -> usize {
    let n = scenario.actors.len();
    n + n * n + n * n
}

/// A monthly share of a gap turned into a share per turn of `m` months: `1 - (1 - rate)^m`.
fn per_turn(rate: f64, m: f64) -> f64 {
    if m == 1.0 {
        rate
    } else {
        1.0 - (1.0 - rate).powf(m)
    }
}

fn rates(scenario: &Scenario) -> Rates {
    let m = scenario.turn_months as f64;
    let p = |param| scenario.param(param);
    let per_turn = |rate: f64| per_turn(rate, m);
    let n = scenario.actors.len();
    let elasticity = p(Param::TradeGdpElasticity);
    Rates {
        affinity_drift: per_turn(p(Param::AffinityDrift)),
        balancing: p(Param::BalancingRate) * m,
        affinity_slope: p(Param::AffinityDistanceSlope),
        affinity_noise: p(Param::AffinityNoise) * m.sqrt(),
        reciprocity: scenario
            .actors
            .iter()
            .map(|a| per_turn(p(Param::ReciprocityRate) * a.doctrine.reciprocity.v()))
            .collect(),
        doctrine_balancing: scenario
            .actors
            .iter()
            .map(|a| a.doctrine.balancing.v())
            .collect(),
        position_noise: (0..n)
            .map(|i| scenario.position_volatility(i) * m.sqrt())
            .collect(),
        position_pull: scenario
            .actors
            .iter()
            .map(|a| per_turn(p(Param::PositionInfluence) * a.doctrine.susceptibility.v()))
            .collect(),
        politicisation: (0..n).map(|i| scenario.trade_politicisation(i)).collect(),
        enforcement: scenario
            .actors
            .iter()
            .map(|a| a.doctrine.sanction_enforcement.v())
            .collect(),
        position_anchor: per_turn(p(Param::PositionAnchor)),
        trade_lambda: per_turn(p(Param::TradeAdjustment)),
        trade_noise: p(Param::TradeNoise) * m.sqrt(),
        gdp_growth: scenario
            .actors
            .iter()
            .map(|a| (1.0 + a.gdp_growth.v()).powf(m / 12.0))
            .collect(),
        gdp_term_growth: scenario
            .actors
            .iter()
            .map(|a| (1.0 + a.gdp_growth.v()).powf(m / 12.0 * elasticity))
            .collect(),
        ln_sanction: p(Param::SanctionMultiplier).max(1e-300).ln(),
        ln_fta: p(Param::FtaMultiplier).ln(),
        crisis_disruption: p(Param::CrisisTradeDisruption),
        deal_months: p(Param::TradeDealMonths),
    }
}

/// The world of one run at the start of a turn.
#[derive(Debug, Clone)]
pub struct World {
    pub n: usize,
    pub gdp: Vec<f64>,
    pub capability: Vec<f64>,
    pub position: Vec<f64>,
    /// Directed affinity, row-major `i * n + j`: i toward j.
    pub affinity: Vec<f64>,
    /// Symmetric trade, USD per year.
    pub trade: Vec<f64>,
    /// Directed sanction intensity imposed by events (i on j).
    pub sanction_event: Vec<f64>,
    /// Directed secondary-sanction intensity and the turn it ends.
    pub sanction_secondary: Vec<f64>,
    pub sanction_secondary_until: Vec<u32>,
    /// Persistent factor on the pair's target trade from trade shocks (symmetric).
    pub trade_shock: Vec<f64>,
    /// Months of trade_deal action accumulated on a pair, and the intensity in force (symmetric).
    pub deal_months: Vec<f64>,
    pub deal_in_force: Vec<f64>,
    pub tension: Vec<f64>,
    pub crisis: Vec<bool>,
    pub crisis_ever: Vec<bool>,
    pub treaty_condition: Vec<bool>,
    pub treaty_activated: Vec<bool>,
    /// Defence-cooperation intensity between i and j during the last turn (symmetric).
    pub defence_tie: Vec<f64>,
    /// Threat i perceives from j (derived; refreshed after every update).
    pub threat: Vec<f64>,
    pub effective_power: Vec<f64>,
}

/// Per-turn rates and per-actor constants, computed once per run from the (sampled) scenario so
/// that the turn loop does no `powf` on constants (a turn may last several months).
#[derive(Debug, Default)]
struct Rates {
    /// Share of the gap to baseline affinity closed per turn.
    affinity_drift: f64,
    balancing: f64,
    affinity_slope: f64,
    affinity_noise: f64,
    /// Per actor: reciprocity share per turn, balancing doctrine, position noise SD per turn,
    /// Friedkin-Johnsen pull per turn, trade politicisation, sanction enforcement.
    reciprocity: Vec<f64>,
    doctrine_balancing: Vec<f64>,
    position_noise: Vec<f64>,
    position_pull: Vec<f64>,
    politicisation: Vec<f64>,
    enforcement: Vec<f64>,
    position_anchor: f64,
    trade_lambda: f64,
    trade_noise: f64,
    /// Per actor: the factor by which GDP, and `Y_i^e_Y`, grow each turn.
    gdp_growth: Vec<f64>,
    gdp_term_growth: Vec<f64>,
    ln_sanction: f64,
    ln_fta: f64,
    crisis_disruption: f64,
    deal_months: f64,
}

/// The parts of the world at turn 0 that later turns read (three vectors, not the whole world).
#[derive(Debug, Default)]
struct Start {
    position: Vec<f64>,
    affinity: Vec<f64>,
    trade: Vec<f64>,
}

/// A run in progress.
pub struct Simulation<'a> {
    scenario: &'a Scenario,
    spec: RunSpec,
    turn: u32,
    world: World,
    out: Trajectory,
    /// Per actor: `(Y_i(t) / Y_i(0))^e_Y`, updated each turn.
    gdp_term: Vec<f64>,
    /// Whether an event has ever set a sanction (`World::sanction_event` is all zeros if not).
    sanction_event_set: bool,
    /// What the run derives from the scenario before its first turn, shared by the policies of
    /// the run ([`Simulation::sibling`]).
    setup: Rc<Setup>,
    /// The random numbers of [`Simulation::step`], which draws its own; the simulations of
    /// [`Simulation::step_sharing`] are handed theirs.
    draws: Draws,
    /// Scratch buffers reused every turn.
    scratch: Scratch,
    /// The instruction set the vector loops run on (see [`Workspace::baseline`]): the hot loops
    /// are compiled twice, for the baseline and for AVX2, and `arch` picks one at run time.
    arch: pulp::Arch,
}

/// What a run derives from its sampled scenario before the first turn. It is the same for every
/// policy, so the policies of a run share one (`Rc`) instead of each holding a copy.
struct Setup {
    /// The parts of the world at turn 0 that later turns read.
    initial: Start,
    /// The focal actor's trade partners at the start (the recorded trade series).
    partners: Vec<usize>,
    initial_outcomes: [f64; 5],
    /// Each actor's weighted mean of partners' positions minus its own, at the start: the
    /// influence term is measured from this calibrated gap, so that the starting positions are at
    /// rest when nothing changes.
    initial_pull_gap: Vec<f64>,
    /// Proximity of every pair and each actor's total proximity (for normalising threat).
    proximity: Vec<f64>,
    proximity_total: Vec<f64>,
    /// `|x_i(0) - x_j(0)|` for every pair: the starting distance the affinity baseline moves from.
    initial_distance: Vec<f64>,
    /// Each theatre's exposure of the focal actor: mean proximity to the theatre's parties.
    theatre_exposure: Vec<f64>,
    rates: Rates,
    /// Pairs `(i, j)` with `i < j` and trade at the start: the only pairs whose trade moves.
    trade_pairs: Vec<(usize, usize)>,
    /// The constant terms of each trade pair, in the order of `trade_pairs`.
    trade_pair_constants: Vec<TradePair>,
    /// The key of the run's turn generators ([`rng::run_key`]).
    run_key: [u8; 32],
}

/// Per-run constants of a trading pair `(i, j)`.
struct TradePair {
    /// Starting trade, and starting affinity i toward j and j toward i.
    trade: f64,
    affinity_ij: f64,
    affinity_ji: f64,
    /// The larger politicisation of the two.
    politicisation: f64,
}

#[derive(Default)]
struct Scratch {
    affinity_delta: Vec<f64>,
    position_delta: Vec<f64>,
    tension_delta: Vec<f64>,
    sanction_action: Touched,
    arms: Touched,
    deal_action: Touched,
    defence_tie: Touched,
    /// The entries of `World::defence_tie` written last turn.
    defence_tie_last: Vec<usize>,
    /// Pairs `(i, j)`, `i < j`, with trade-talk months accumulated (kept across turns).
    deal_pairs: Vec<(usize, usize)>,
    /// Entries of `World::sanction_secondary` that may be non-zero (kept across turns).
    secondary_set: Vec<usize>,
    affinity_next: Vec<f64>,
    position_next: Vec<f64>,
    in_crisis: Vec<bool>,
    share: Vec<f64>,
    non_aggression: Vec<f64>,
    /// The affinity matrix transposed (`[i * n + j]` holds j's affinity toward i), so that the
    /// loops over `A_ji` read memory in order.
    affinity_t: Vec<f64>,
    /// One row of balancing terms (update_affinity).
    balance: Vec<f64>,
    /// Row `m`: the threat from m each actor shares, if `shared_done[m]` (update_affinity).
    shared_threat: Vec<f64>,
    shared_done: Vec<bool>,
    /// `p_j / (p_i + p_j)` for every pair (refresh_threat), and the effective powers `p` it was
    /// computed from (it is valid whenever the powers are the same, in any run).
    relative: Vec<f64>,
    relative_power: Vec<f64>,
    pull_gap: Vec<f64>,
    /// Each trading pair's political factor (update_trade).
    trade_factor: Vec<f64>,
}

impl Scratch {
    /// Clears what a run keeps across its turns, so that the buffers can serve another run
    /// (whose world may have another size). Every other buffer is overwritten, or reset from the
    /// entries it records, before it is read.
    fn forget_run(&mut self) {
        self.affinity_delta.clear();
        for buffer in [
            &mut self.sanction_action,
            &mut self.arms,
            &mut self.deal_action,
            &mut self.defence_tie,
        ] {
            buffer.values.clear();
            buffer.touched.clear();
        }
        self.defence_tie_last.clear();
        self.deal_pairs.clear();
        self.secondary_set.clear();
        self.affinity_t.clear();
    }
}

/// An `n` x `n` matrix of one turn's action intensities, almost all zero, that remembers which
/// entries were written: resetting it costs what was written, not `n²`.
#[derive(Default)]
struct Touched {
    values: Vec<f64>,
    touched: Vec<usize>,
}

impl Touched {
    /// All zeros, `len` entries.
    fn reset(&mut self, len: usize) {
        if self.values.len() == len {
            for &idx in &self.touched {
                self.values[idx] = 0.0;
            }
        } else {
            self.values.clear();
            self.values.resize(len, 0.0);
        }
        self.touched.clear();
    }

    /// `values[idx] = max(values[idx], value)`.
    fn raise(&mut self, idx: usize, value: f64) {
        self.values[idx] = self.values[idx].max(value);
        self.touched.push(idx);
    }
}

/// The largest entry of `row` other than `row[skip]` and its index, the lowest among equal
/// entries; `(usize::MAX, 0.0)` if `row` has no other entry. The entries must not be NaN (threats
/// are products of finite non-negative numbers).
///
/// The result is that of a scan that starts at the first `j != skip` and moves to any strictly
/// larger entry, but the scan is a chain in which each comparison waits for the one before; four
/// lanes (`j mod 4`) scan side by side instead, each keeping its first largest entry, and the
/// lanes are combined by value and then by index, so that the lowest index wins ties as before.
#[inline(always)]
fn main_threat(row: &[f64], skip: usize) -> (usize, f64) {
    const LANES: usize = 4;
    debug_assert!(row.iter().all(|v| !v.is_nan()), "a threat is NaN");
    let mut best = [f64::NEG_INFINITY; LANES];
    let mut at = [usize::MAX; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail = chunks.remainder();
    for (c, chunk) in chunks.enumerate() {
        for lane in 0..LANES {
            let j = c * LANES + lane;
            let better = chunk[lane] > best[lane] && j != skip;
            best[lane] = if better { chunk[lane] } else { best[lane] };
            at[lane] = if better { j } else { at[lane] };
        }
    }
    let (mut main, mut value) = (usize::MAX, f64::NEG_INFINITY);
    for lane in 0..LANES {
        if best[lane] > value || (best[lane] == value && at[lane] < main) {
            (main, value) = (at[lane], best[lane]);
        }
    }
    // The tail's indices are above every lane's: only a strictly larger entry wins.
    let start = row.len() - tail.len();
    for (k, &entry) in tail.iter().enumerate() {
        if start + k != skip && entry > value {
            (main, value) = (start + k, entry);
        }
    }
    if main == usize::MAX {
        (usize::MAX, 0.0)
    } else {
        (main, value)
    }
}

/// A copy of `values` with the same capacity (`Vec::clone` keeps only the length).
fn with_capacity_of(values: &Vec<f64>) -> Vec<f64> {
    let mut copy = Vec::with_capacity(values.capacity());
    copy.extend_from_slice(values);
    copy
}

/// Writes the transpose of the `n` x `n` matrix `from` into `to`, in cache-sized blocks.
#[inline(always)]
fn transpose(from: &[f64], to: &mut Vec<f64>, n: usize) {
    const BLOCK: usize = 16;
    // Every entry is written below, so only a change of size needs the resize. The loops write
    // a slice, not the `Vec`: after a store through `&mut Vec` the compiler reloads the vector's
    // pointer and length (as far as it knows, the store might have changed them).
    to.resize(n * n, 0.0);
    let (from, to) = (&from[..n * n], &mut to[..n * n]);
    if n <= BLOCK {
        // One block: no blocking. Two rows at a time, so that each entry pair `(i, j), (i + 1, j)`
        // lands side by side in row j of `to` (one strided store of two values, not two).
        let mut i = 0;
        while i + 2 <= n {
            let (upper, lower) = from[i * n..(i + 2) * n].split_at(n);
            for (j, (&a, &b)) in upper.iter().zip(lower).enumerate() {
                to[j * n + i..j * n + i + 2].copy_from_slice(&[a, b]);
            }
            i += 2;
        }
        if i < n {
            for (j, &a) in from[i * n..(i + 1) * n].iter().enumerate() {
                to[j * n + i] = a;
            }
        }
        return;
    }
    for ib in (0..n).step_by(BLOCK) {
        for jb in (0..n).step_by(BLOCK) {
            for i in ib..(ib + BLOCK).min(n) {
                for j in jb..(jb + BLOCK).min(n) {
                    to[j * n + i] = from[i * n + j];
                }
            }
        }
    }
}

impl<'a> Simulation<'a> {
    /// Builds the world at turn 0 from a sampled scenario and records turn 0.
    pub fn new(scenario: &'a Scenario, spec: RunSpec) -> Simulation<'a> {
        Simulation::new_with(scenario, spec, Scratch::default(), pulp::Arch::new())
    }

    /// As [`Simulation::new`], with scratch buffers left by an earlier run.
    fn new_with(
        scenario: &'a Scenario,
        spec: RunSpec,
        mut scratch: Scratch,
        arch: pulp::Arch,
    ) -> Simulation<'a> {
        scratch.forget_run();
        let n = scenario.actors.len();
        let relations = &scenario.relations;
        let position: Vec<f64> = scenario.actors.iter().map(|a| a.position.v()).collect();
        let intercept = scenario.param(Param::AffinityIntercept);
        let slope = scenario.param(Param::AffinityDistanceSlope);
        let mut affinity = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    affinity[i * n + j] = match &relations.affinity[i * n + j] {
                        Some(num) => num.v(),
                        None => {
                            (intercept - slope * (position[i] - position[j]).abs()).clamp(-1.0, 1.0)
                        }
                    };
                }
            }
        }
        let world = World {
            n,
            gdp: scenario.actors.iter().map(|a| a.gdp.v()).collect(),
            capability: scenario.actors.iter().map(|a| a.capability.v()).collect(),
            position,
            affinity,
            trade: relations.trade.iter().map(|t| t.v()).collect(),
            sanction_event: vec![0.0; n * n],
            sanction_secondary: vec![0.0; n * n],
            sanction_secondary_until: vec![0; n * n],
            trade_shock: vec![1.0; n * n],
            deal_months: vec![0.0; n * n],
            deal_in_force: vec![0.0; n * n],
            tension: scenario
                .theatres
                .iter()
                .map(|t| t.initial_tension.v())
                .collect(),
            crisis: vec![false; scenario.theatres.len()],
            crisis_ever: vec![false; scenario.theatres.len()],
            treaty_condition: vec![false; scenario.treaties.len()],
            treaty_activated: vec![false; scenario.treaties.len()],
            defence_tie: vec![0.0; n * n],
            threat: vec![0.0; n * n],
            effective_power: vec![0.0; n],
        };
        let partners = trade_partners(scenario);
        let n_series = Outcome::ALL.len() + partners.len();
        let out = Trajectory {
            values: Vec::with_capacity((scenario.turns as usize + 1) * n_series),
            n_series,
            tripwire_turns: vec![None; scenario.tripwires.len()],
            positions: Vec::with_capacity((scenario.turns as usize + 1) * n),
            affinity_start: Vec::new(),
            affinity_end: Vec::new(),
        };
        let proximity: Vec<f64> = (0..n * n)
            .map(|idx| {
                if idx / n == idx % n {
                    0.0
                } else {
                    scenario.proximity(idx / n, idx % n)
                }
            })
            .collect();
        let proximity_total = (0..n)
            .map(|i| proximity[i * n..(i + 1) * n].iter().sum())
            .collect();
        let focal = scenario.focal;
        let theatre_exposure = scenario
            .theatres
            .iter()
            .map(|h| {
                let parties: Vec<usize> = h
                    .side_a
                    .iter()
                    .chain(&h.side_b)
                    .copied()
                    .filter(|&k| k != focal)
                    .collect();
                if h.involves(focal) {
                    1.0
                } else if parties.is_empty() {
                    0.0
                } else {
                    parties
                        .iter()
                        .map(|&k| proximity[focal * n + k])
                        .sum::<f64>()
                        / parties.len() as f64
                }
            })
            .collect();
        let x0 = &world.position;
        let initial_distance = (0..n * n)
            .map(|idx| (x0[idx / n] - x0[idx % n]).abs())
            .collect();
        let setup = Setup {
            initial: Start::default(),
            partners,
            initial_outcomes: [0.0; 5],
            initial_pull_gap: Vec::new(),
            proximity,
            proximity_total,
            initial_distance,
            theatre_exposure,
            rates: rates(scenario),
            trade_pairs: (0..n)
                .flat_map(|i| ((i + 1)..n).map(move |j| (i, j)))
                .filter(|&(i, j)| relations.trade[i * n + j].v() > 0.0)
                .collect(),
            trade_pair_constants: Vec::new(),
            run_key: rng::run_key(spec.run_seed),
        };
        let mut simulation = Simulation {
            scenario,
            spec,
            turn: 0,
            world,
            out,
            gdp_term: vec![1.0; n],
            sanction_event_set: false,
            setup: Rc::new(setup),
            draws: Draws::default(),
            scratch,
            arch,
        };
        // The rest of the setup depends on the world at turn 0. Nothing shares the setup yet, so
        // it can still be written.
        // refresh_threat makes the transpose of the affinity that pull_gaps reads.
        simulation.refresh_threat(0);
        let mut initial_pull_gap = Vec::new();
        Simulation::pull_gaps(
            &simulation.world,
            &simulation.scratch.affinity_t,
            &mut initial_pull_gap,
        );
        simulation.setup_mut().initial_pull_gap = initial_pull_gap;
        for (t, theatre) in scenario.theatres.iter().enumerate() {
            let crisis = simulation.world.tension[t] >= theatre.crisis_threshold.v();
            simulation.world.crisis[t] = crisis;
            simulation.world.crisis_ever[t] = crisis;
        }
        let w = &simulation.world;
        let initial = Start {
            position: w.position.clone(),
            affinity: w.affinity.clone(),
            trade: w.trade.clone(),
        };
        let rates = &simulation.setup.rates;
        let trade_pair_constants = simulation
            .setup
            .trade_pairs
            .iter()
            .map(|&(i, j)| TradePair {
                trade: initial.trade[i * n + j],
                affinity_ij: initial.affinity[i * n + j],
                affinity_ji: initial.affinity[j * n + i],
                politicisation: rates.politicisation[i].max(rates.politicisation[j]),
            })
            .collect();
        let setup = simulation.setup_mut();
        setup.initial = initial;
        setup.trade_pair_constants = trade_pair_constants;
        let initial_outcomes = simulation.weighed_outcomes();
        simulation.setup_mut().initial_outcomes = initial_outcomes;
        simulation.record();
        simulation
    }

    /// Runs `body` on this simulation compiled for the instruction set `self.arch` (AVX2 where
    /// the CPU has it, see [`Workspace::baseline`]). The body must be `#[inline(always)]`: only
    /// code inlined into pulp's dispatch is compiled for AVX2. So is the closure below, which
    /// pulp calls by value: a closure that moves its captured `&mut self` out can only be called
    /// once, and is inlined; one that could be called again would be reached through a
    /// `FnOnce::call_once` shim that is not inlined, and would run on the baseline.
    #[inline(always)]
    fn vectorised<R>(&mut self, body: impl FnOnce(&mut Self) -> R) -> R {
        let arch = self.arch;
        arch.dispatch(
            #[inline(always)]
            move || {
                let this = self;
                body(this)
            },
        )
    }

    /// The same run at turn 0 under another policy, with the scratch buffers `scratch`: a copy of
    /// this simulation before its first step, which is what [`Simulation::new_with`] would build
    /// for `policy` (the world at turn 0 does not depend on the policy), without recomputing it.
    fn sibling(&self, policy: usize, mut scratch: Scratch) -> Simulation<'a> {
        assert_eq!(self.turn, 0, "a sibling is made before the first step");
        scratch.forget_run();
        // The one buffer a turn reads before writing it: the transpose refresh_threat(0) made.
        scratch.affinity_t.clone_from(&self.scratch.affinity_t);
        Simulation {
            scenario: self.scenario,
            spec: RunSpec {
                policy,
                ..self.spec
            },
            turn: 0,
            world: self.world.clone(),
            // The record of turn 0, with the capacity of a whole run.
            out: Trajectory {
                values: with_capacity_of(&self.out.values),
                positions: with_capacity_of(&self.out.positions),
                n_series: self.out.n_series,
                tripwire_turns: self.out.tripwire_turns.clone(),
                affinity_start: Vec::new(),
                affinity_end: Vec::new(),
            },
            gdp_term: self.gdp_term.clone(),
            sanction_event_set: self.sanction_event_set,
            setup: Rc::clone(&self.setup),
            draws: Draws::default(),
            scratch,
            arch: self.arch,
        }
    }

    /// The setup, to finish building it: only [`Simulation::new_with`] calls this, before any
    /// sibling shares the setup.
    fn setup_mut(&mut self) -> &mut Setup {
        Rc::get_mut(&mut self.setup).expect("the setup is built before it is shared")
    }

    /// The current turn (the number of steps taken).
    pub fn turn(&self) -> u32 {
        self.turn
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// Advances one turn. The order is the contract of `docs/model.md` §2:
    ///
    /// 1. draw the turn's random numbers (a fixed count, whatever the policy);
    /// 2. scheduled events of this turn apply their effects;
    /// 3. random events occur, if their condition holds at the start of the turn;
    /// 4. every actor's actions are chosen from the start-of-turn world (simultaneous moves): the
    ///    focal actor's from the policy, the others' from their doctrines;
    /// 5. treaty obligations activate and are honoured or not; secondary sanctions are imposed;
    /// 6. positions, then affinity, then threat, then trade and GDP, then tension and crises update;
    /// 7. outcomes and tripwires are recorded.
    pub fn step(&mut self) {
        let mut draws = std::mem::take(&mut self.draws);
        self.step_sharing(&mut draws);
        self.draws = draws;
    }

    /// As [`Simulation::step`], with the turn's random numbers in `draws`, which several
    /// simulations of the same run (other policies) can share: they are drawn only if they are
    /// not already this run's and this turn's (see [`Draws`]), so the result is that of
    /// [`Simulation::step`], bit for bit, whoever drew them.
    pub fn step_sharing(&mut self, draws: &mut Draws) {
        draws.ensure(
            self.setup.run_key,
            self.turn,
            self.scenario,
            self.setup.trade_pairs.len(),
        );
        draws.ensure_trade_noise(self.setup.rates.trade_noise, self.arch);
        // Passed down, not swapped in: a `Draws` is a dozen vectors, and moving them in and out
        // of the simulation twice per turn cost 2% of a Korea study.
        self.advance(draws);
    }

    /// Steps 2 to 7 of a turn, with the turn's random numbers `draws`.
    fn advance(&mut self, draws: &Draws) {
        let scenario = self.scenario;
        let n = self.world.n;
        let m = scenario.turn_months as f64;
        let turn = self.turn;
        let s = &mut self.scratch;
        // update_affinity zeroes `affinity_delta` as it consumes it; the action buffers reset
        // only the entries written last turn.
        if s.affinity_delta.len() != n * n {
            s.affinity_delta.clear();
            s.affinity_delta.resize(n * n, 0.0);
        }
        for buffer in [
            &mut s.sanction_action,
            &mut s.arms,
            &mut s.deal_action,
            &mut s.defence_tie,
        ] {
            buffer.reset(n * n);
        }
        s.position_delta.clear();
        s.position_delta.resize(n, 0.0);
        s.tension_delta.clear();
        s.tension_delta.resize(scenario.theatres.len(), 0.0);

        // 2. Scheduled events.
        for event in scenario.events.iter().filter(|e| e.turn == turn) {
            for effect in &event.effects {
                self.apply_effect(effect, 1.0);
            }
        }
        // 3. Random events (conditions on the start-of-turn world).
        for (k, event) in scenario.random_events.iter().enumerate() {
            let u = draws.uniform_random_event[k];
            if turn < event.from_turn || turn >= event.until_turn {
                continue;
            }
            if let Some(condition) = &event.when {
                if !self.holds(condition) {
                    continue;
                }
            }
            let count = rng::poisson(u, event.rate.v() * m / 12.0);
            if count > 0 {
                for effect in &event.effects {
                    self.apply_effect(effect, count as f64);
                }
            }
        }
        // 4. Actions, all chosen from the start-of-turn world.
        let focal = scenario.focal;
        let policy = &scenario.policies[self.spec.policy];
        for actor in 0..n {
            let actions = if actor == focal {
                &policy.actions
            } else {
                &scenario.actors[actor].actions
            };
            for action in actions {
                if action.when.as_ref().is_none_or(|c| self.holds(c)) {
                    self.act(
                        actor,
                        action.kind,
                        &action.targets,
                        action.theatre,
                        action.intensity.v(),
                    );
                }
            }
        }
        // 5. Treaties and secondary sanctions.
        self.treaties(turn, draws);
        self.secondary_sanctions(turn, draws);

        // 6. Updates.
        self.update_positions(draws);
        self.update_affinity(draws);
        // The world's ties become this turn's: clear last turn's entries, copy this turn's.
        let s = &mut self.scratch;
        for &idx in &s.defence_tie_last {
            self.world.defence_tie[idx] = 0.0;
        }
        for &idx in &s.defence_tie.touched {
            self.world.defence_tie[idx] = s.defence_tie.values[idx];
        }
        s.defence_tie_last.clear();
        s.defence_tie_last.extend_from_slice(&s.defence_tie.touched);
        self.refresh_threat(turn + 1);
        self.update_trade(turn + 1, draws);
        self.update_tension(draws);

        self.turn += 1;
        // 7. Record.
        self.record();
    }

    /// The finished record.
    pub fn finish(self) -> Trajectory {
        self.finish_parts().0
    }

    /// The finished record, and the scratch buffers for another run.
    fn finish_parts(mut self) -> (Trajectory, Scratch) {
        self.out.affinity_start = self.setup.initial.affinity.clone();
        self.out.affinity_end = self.world.affinity;
        (self.out, self.scratch)
    }

    /// Applies one effect `times` times (random events may occur more than once in a turn).
    fn apply_effect(&mut self, effect: &Effect, times: f64) {
        let n = self.world.n;
        let w = &mut self.world;
        match effect {
            Effect::Tension { theatre, delta } => {
                self.scratch.tension_delta[*theatre] += delta.v() * times
            }
            Effect::Affinity {
                from,
                to,
                delta,
                mutual,
            } => {
                self.scratch.affinity_delta[from * n + to] += delta.v() * times;
                if *mutual {
                    self.scratch.affinity_delta[to * n + from] += delta.v() * times;
                }
            }
            Effect::Position { actor, delta } => {
                self.scratch.position_delta[*actor] += delta.v() * times
            }
            Effect::Capability { actor, factor } => w.capability[*actor] *= factor.v().powf(times),
            Effect::Sanction {
                from,
                to,
                intensity,
            } => {
                w.sanction_event[from * n + to] = intensity.v();
                self.sanction_event_set = true;
            }
            Effect::TradeShock { from, to, factor } => {
                let f = factor.v().powf(times);
                w.trade_shock[from * n + to] *= f;
                w.trade_shock[to * n + from] *= f;
            }
        }
    }

    /// Records one actor's action into this turn's buffers. An action on a bloc also acts on each
    /// of its members at half intensity.
    fn act(
        &mut self,
        actor: usize,
        kind: ActionKind,
        targets: &[usize],
        theatre: Option<usize>,
        intensity: f64,
    ) {
        let scenario = self.scenario;
        if kind == ActionKind::Mediate {
            if let Some(theatre) = theatre {
                self.mediate(actor, theatre, intensity);
            }
            return;
        }
        for &target in targets {
            self.act_on(actor, kind, target, intensity);
            if scenario.actors[target].kind == ActorKind::Bloc {
                for &member in &scenario.actors[target].members {
                    if member != actor {
                        self.act_on(actor, kind, member, 0.5 * intensity);
                    }
                }
            }
        }
    }

    fn act_on(&mut self, actor: usize, kind: ActionKind, target: usize, intensity: f64) {
        let scenario = self.scenario;
        let n = self.world.n;
        let m = scenario.turn_months as f64;
        let p = |param| scenario.param(param);
        let a = &self.world.affinity;
        let s = &mut self.scratch;
        let (at, ta) = (actor * n + target, target * n + actor);
        match kind {
            ActionKind::Engage => {
                s.affinity_delta[ta] += p(Param::EngageEffect) * intensity * m;
                s.affinity_delta[at] += 0.5 * p(Param::EngageEffect) * intensity * m;
            }
            ActionKind::TradeDeal => {
                s.deal_action.raise(at, intensity);
                s.deal_action.raise(ta, intensity);
            }
            ActionKind::DefenceCooperation => {
                s.affinity_delta[ta] += p(Param::DefenceCooperationEffect) * intensity * m;
                s.affinity_delta[at] += p(Param::DefenceCooperationEffect) * intensity * m;
                s.defence_tie.raise(at, intensity);
                s.defence_tie.raise(ta, intensity);
                for (t, h) in scenario.theatres.iter().enumerate() {
                    if h.involves(target) && !h.involves(actor) {
                        s.tension_delta[t] += 0.5 * p(Param::PressureTension) * intensity * m;
                    }
                }
                for k in 0..n {
                    let hostility = -a[k * n + target];
                    if k != actor && k != target && hostility > 0.0 {
                        s.affinity_delta[k * n + actor] -=
                            p(Param::RivalResentment) * intensity * hostility * m;
                    }
                }
            }
            ActionKind::ArmsPurchase => {
                s.affinity_delta[ta] += p(Param::ArmsPurchaseEffect) * intensity * m;
                s.arms.raise(at, intensity);
                for k in 0..n {
                    let hostility = -a[k * n + target];
                    if k != actor && k != target && hostility > 0.0 {
                        s.affinity_delta[k * n + actor] -=
                            p(Param::RivalResentment) * intensity * hostility * m;
                    }
                }
            }
            ActionKind::Sanction => {
                s.sanction_action.raise(at, intensity);
                s.affinity_delta[ta] -= p(Param::SanctionAffinityHit) * intensity * m;
                for (t, h) in scenario.theatres.iter().enumerate() {
                    if h.involves(target) && !h.involves(actor) {
                        s.tension_delta[t] += p(Param::PressureTension) * intensity * m;
                    }
                }
            }
            ActionKind::Condemn => {
                s.affinity_delta[ta] -= p(Param::CondemnAffinityHit) * intensity * m;
                for (t, h) in scenario.theatres.iter().enumerate() {
                    if h.involves(target) && !h.involves(actor) {
                        s.tension_delta[t] += p(Param::PressureTension) * intensity * m;
                    }
                }
                for k in 0..n {
                    let hostility = -a[k * n + target];
                    if k != actor && k != target && hostility > 0.0 {
                        s.affinity_delta[k * n + actor] +=
                            0.5 * p(Param::CondemnAffinityHit) * intensity * hostility * m;
                    }
                }
            }
            ActionKind::Align => {
                let gap = self.world.position[target] - self.world.position[actor];
                let share = per_turn(p(Param::AlignRate) * intensity, m);
                s.position_delta[actor] += share * gap;
            }
            ActionKind::Disengage => {
                let shrink = per_turn(p(Param::DisengageEffect) * intensity, m);
                s.affinity_delta[at] -= shrink * a[at];
                s.affinity_delta[ta] -= shrink * a[ta];
            }
            ActionKind::Mediate => {}
        }
    }

    fn mediate(&mut self, actor: usize, theatre: usize, intensity: f64) {
        let scenario = self.scenario;
        let n = self.world.n;
        let m = scenario.turn_months as f64;
        let h = &scenario.theatres[theatre];
        let standing = self.standing(actor);
        let mean_regard = |side: &[usize]| -> f64 {
            let regard: f64 = side
                .iter()
                .map(|&k| (self.world.affinity[k * n + actor] + 1.0) / 2.0)
                .sum();
            regard / side.len().max(1) as f64
        };
        let acceptability = mean_regard(&h.side_a).min(mean_regard(&h.side_b));
        // Leverage: the mediator's capability against the mean capability of the parties.
        let parties: Vec<usize> = h.side_a.iter().chain(&h.side_b).copied().collect();
        let party_capability = parties
            .iter()
            .map(|&k| self.world.capability[k])
            .sum::<f64>()
            / parties.len().max(1) as f64;
        let own = self.world.capability[actor];
        let leverage = if own + party_capability > 0.0 {
            own / (own + party_capability)
        } else {
            0.0
        };
        self.scratch.tension_delta[theatre] -= scenario.param(Param::MediationEffect)
            * intensity
            * standing
            * acceptability
            * leverage
            * m;
        // A mediator also engages each side, at half intensity.
        for &k in h.side_a.iter().chain(&h.side_b) {
            if k != actor {
                self.scratch.affinity_delta[k * n + actor] +=
                    0.5 * scenario.param(Param::EngageEffect) * intensity * m;
            }
        }
    }

    #[inline(never)]
    fn treaties(&mut self, turn: u32, draws: &Draws) {
        let scenario = self.scenario;
        let n = self.world.n;
        for (k, treaty) in scenario.treaties.iter().enumerate() {
            if turn < treaty.in_force_turn {
                continue;
            }
            let condition = match &treaty.activation {
                Some(condition) => self.holds(condition),
                None => scenario.theatres.iter().enumerate().any(|(t, h)| {
                    self.world.crisis[t] && treaty.parties.iter().any(|&p| h.involves(p))
                }),
            };
            let rising = condition && !self.world.treaty_condition[k];
            self.world.treaty_condition[k] = condition;
            if !rising {
                continue;
            }
            self.world.treaty_activated[k] = true;
            let credibility = scenario.credibility(k);
            let mut any_honoured = false;
            for (idx, &party) in treaty.parties.iter().enumerate() {
                let honoured = draws.uniform_honour[k][idx] < credibility;
                any_honoured |= honoured;
                for &other in &treaty.parties {
                    if other == party {
                        continue;
                    }
                    if honoured {
                        self.scratch.affinity_delta[other * n + party] +=
                            scenario.param(Param::AllianceAffinity);
                    } else {
                        self.scratch.affinity_delta[other * n + party] -=
                            scenario.param(Param::BetrayalPenalty);
                    }
                }
            }
            // A defence or offence obligation that is honoured widens the crises it concerns:
            // once per treaty, however many parties honour it.
            if any_honoured && matches!(treaty.kind, TreatyKind::Defence | TreatyKind::Offence) {
                for (t, h) in scenario.theatres.iter().enumerate() {
                    if self.world.crisis[t] && treaty.parties.iter().any(|&p| h.involves(p)) {
                        self.scratch.tension_delta[t] += scenario.param(Param::HonourTension);
                    }
                }
            }
        }
    }

    #[inline(never)]
    fn secondary_sanctions(&mut self, turn: u32, draws: &Draws) {
        let scenario = self.scenario;
        let n = self.world.n;
        let m = scenario.turn_months as f64;
        let hazard = scenario.param(Param::SecondarySanctionHazard);
        let months = scenario.param(Param::SecondarySanctionMonths);
        // Without arms purchases this turn every exposure is zero and nothing can happen (the
        // uniforms are drawn whatever happens, in `Draws`).
        if self.scratch.arms.touched.is_empty() {
            return;
        }
        let mut block = 0;
        for (enforcer, actor) in scenario.actors.iter().enumerate() {
            let targets = &actor.doctrine.secondary_sanctions;
            if targets.is_empty() {
                continue;
            }
            for buyer in 0..n {
                let u = draws.uniform_secondary[block * n + buyer];
                if buyer == enforcer || targets.contains(&buyer) {
                    continue;
                }
                let exposure = targets
                    .iter()
                    .map(|&seller| self.scratch.arms.values[buyer * n + seller])
                    .fold(0.0, f64::max);
                if exposure > 0.0 && u < per_turn(hazard * exposure, m) {
                    let idx = enforcer * n + buyer;
                    self.world.sanction_secondary[idx] =
                        scenario.param(Param::SecondarySanctionIntensity);
                    self.world.sanction_secondary_until[idx] =
                        turn + 1 + (months / m).ceil() as u32;
                    self.scratch.secondary_set.push(idx);
                    self.scratch.affinity_delta[buyer * n + enforcer] -=
                        scenario.param(Param::SanctionAffinityHit) * m;
                }
            }
            block += 1;
        }
    }

    /// Each actor's weighted mean of its partners' positions minus its own (0 if it likes no
    /// one), into `gaps`; `affinity_t` is the transpose of `world.affinity`. Rows are taken
    /// eight at a time (then four, then one) as the lanes of arrays, which compile to vectors:
    /// lane `r` is row `first + r`, and the loops run over `j`. Lane `r` reads `A_(first+r) j` as
    /// `affinity_t[j n + first + r]` and the trade of the pair as `trade[j n + first + r]` (trade
    /// is symmetric), so the lanes of one `j` are consecutive values, one vector load. Each lane's
    /// sums still run over `j` in order and each element's operations are the scalar formula's,
    /// so the bits are those of the scalar loop; the diagonal's weight is -0.0, the exact
    /// identity of addition, where the scalar loop skipped it. (Rows of 8 actors are too short
    /// for a vector loop along the row: its set-up and alias checks cost as much as the row.)
    #[inline(always)]
    fn pull_gaps(world: &World, affinity_t: &[f64], gaps: &mut Vec<f64>) {
        let n = world.n;
        debug_assert!((0..n).all(|i| {
            (0..i).all(|j| world.trade[i * n + j].to_bits() == world.trade[j * n + i].to_bits())
        }));
        gaps.clear();
        gaps.resize(n, 0.0);
        let mut first = 0;
        while first < n {
            first += match n - first {
                8.. => Self::pull_lanes::<8>(world, affinity_t, first, gaps),
                4.. => Self::pull_lanes::<4>(world, affinity_t, first, gaps),
                _ => Self::pull_lanes::<1>(world, affinity_t, first, gaps),
            };
        }
    }

    /// The gaps of rows `first .. first + L` (see [`Simulation::pull_gaps`]); returns `L`.
    #[inline(always)]
    fn pull_lanes<const L: usize>(
        world: &World,
        affinity_t: &[f64],
        first: usize,
        gaps: &mut [f64],
    ) -> usize {
        let n = world.n;
        let share = 1.0 / (n - 1) as f64;
        // The start of `Iterator::sum` for f64 (whatever sign of zero it is).
        let empty_sum: f64 = std::iter::empty::<f64>().sum();
        let position = &world.position[..n];
        let lanes = |matrix: &[f64], j: usize| -> [f64; L] {
            let start = j * n + first;
            matrix[start..start + L]
                .try_into()
                .expect("a slice of L values")
        };
        let mut total = [empty_sum; L];
        for j in 0..n {
            let trade = lanes(&world.trade, j);
            for r in 0..L {
                total[r] += trade[r];
            }
        }
        let (mut weight_sum, mut weighted_sum) = ([0.0; L], [0.0; L]);
        for (j, &x) in position.iter().enumerate() {
            let (affinity, trade) = (lanes(affinity_t, j), lanes(&world.trade, j));
            let (mut weight, mut weighted) = ([0.0; L], [0.0; L]);
            for r in 0..L {
                let liking = affinity[r].max(0.0);
                let dependence = if total[r] > 0.0 {
                    trade[r] / total[r]
                } else {
                    0.0
                };
                weight[r] = liking * 0.5 * (dependence + share);
                weighted[r] = weight[r] * x;
            }
            if let Some(r) = j.checked_sub(first).filter(|&r| r < L) {
                weight[r] = -0.0;
                weighted[r] = -0.0;
            }
            for r in 0..L {
                weight_sum[r] += weight[r];
                weighted_sum[r] += weighted[r];
            }
        }
        for r in 0..L {
            gaps[first + r] = if weight_sum[r] > 0.0 {
                weighted_sum[r] / weight_sum[r] - position[first + r]
            } else {
                0.0
            };
        }
        L
    }

    #[inline(never)]
    fn update_positions(&mut self, draws: &Draws) {
        let n = self.world.n;
        let mut gaps = std::mem::take(&mut self.scratch.pull_gap);
        // `scratch.affinity_t` is the transpose of the current affinity (see update_affinity).
        debug_assert!(self.affinity_t_is_current());
        self.vectorised(|this| Self::pull_gaps(&this.world, &this.scratch.affinity_t, &mut gaps));
        let mut next = std::mem::take(&mut self.scratch.position_next);
        next.clear();
        let rates = &self.setup.rates;
        for i in 0..n {
            let mut x = self.world.position[i];
            x += rates.position_pull[i] * (gaps[i] - self.setup.initial_pull_gap[i]);
            x += rates.position_anchor * (self.setup.initial.position[i] - x);
            x += self.scratch.position_delta[i];
            x += rates.position_noise[i] * draws.normals_position[i];
            next.push(x.clamp(-10.0, 10.0));
        }
        std::mem::swap(&mut self.world.position, &mut next);
        self.scratch.position_next = next;
        self.scratch.pull_gap = gaps;
    }

    #[inline(never)]
    fn update_affinity(&mut self, draws: &Draws) {
        self.vectorised(|this| this.update_affinity_body(draws));
    }

    #[inline(always)]
    fn update_affinity_body(&mut self, draws: &Draws) {
        let n = self.world.n;
        // `scratch.affinity_t` already holds the transpose of the current affinity: refresh_threat
        // wrote it at the end of the last turn and update_tension mirrors its incident hits.
        debug_assert!(self.affinity_t_is_current());
        let affinity_t = &self.scratch.affinity_t;
        let rates = &self.setup.rates;
        let w = &self.world;
        let a0 = &self.setup.initial.affinity;
        let d0 = &self.setup.initial_distance;
        let scale = &self.setup.proximity_total;
        let position = &w.position[..n];
        let next = &mut self.scratch.affinity_next;
        next.resize(n * n, 0.0);
        let balance = &mut self.scratch.balance;
        balance.resize(n, 0.0);
        let shared_threat = &mut self.scratch.shared_threat;
        shared_threat.resize(n * n, 0.0);
        let shared_done = &mut self.scratch.shared_done;
        shared_done.clear();
        shared_done.resize(n, false);
        let (drift, slope, noise) = (
            rates.affinity_drift,
            rates.affinity_slope,
            rates.affinity_noise,
        );
        for i in 0..n {
            let reciprocity = rates.reciprocity[i];
            let balancing = rates.doctrine_balancing[i];
            // Main threat of i (Walt 1987): the largest single threat (ties: the lower index).
            let (main, main_value) = main_threat(&w.threat[i * n..(i + 1) * n], i);
            let main_threat = if scale[i] > 0.0 {
                main_value / scale[i]
            } else {
                0.0
            };
            let balance_weight = rates.balancing * balancing * main_threat;
            // The balancing term of each j, or -0.0 where the scalar code added nothing: -0.0 is
            // the exact identity of addition (x + -0.0 == x for every x, signed zeros included),
            // so the pair loop below can add it unconditionally. `x -= b` is `x + (-b)` exactly.
            balance.fill(-0.0);
            if main_threat > 0.0 {
                if balancing > 0.0 {
                    // The threat each j shares with i, `T_j,main / scale_j`, depends on main
                    // only: computed once per turn for each actor that is someone's main threat.
                    let shared = &mut shared_threat[main * n..(main + 1) * n];
                    if !shared_done[main] {
                        // Gather the column first, then divide branch-free (a select after
                        // the division, whose result is discarded where scale is not positive)
                        // over equal-length slices, so that the divisions vectorise.
                        for (j, value) in shared.iter_mut().enumerate() {
                            *value = w.threat[j * n + main];
                        }
                        for (value, &s) in shared.iter_mut().zip(&scale[..n]) {
                            let quotient = *value / s;
                            *value = if s > 0.0 { quotient } else { 0.0 };
                        }
                        shared_done[main] = true;
                    }
                    for (b, &value) in balance.iter_mut().zip(shared.iter()) {
                        *b = balance_weight * value;
                    }
                    balance[main] = -0.0;
                } else if balancing < 0.0 {
                    balance[main] = -balance_weight;
                }
            }
            // The pair loop, branch-free over equal-length rows so that it vectorises; the
            // operations of each element are those (and in the order) of the scalar formula.
            let range = i * n..(i + 1) * n;
            let a_row = &w.affinity[range.clone()];
            let at_row = &affinity_t[range.clone()];
            let a0_row = &a0[range.clone()];
            let d0_row = &d0[range.clone()];
            let delta_row = &self.scratch.affinity_delta[range.clone()];
            let z_row = &draws.normals_affinity[range.clone()];
            let out = &mut next[range];
            let balance = &balance[..n];
            let xi = position[i];
            for j in 0..n {
                let a = a_row[j];
                let moved = (xi - position[j]).abs() - d0_row[j];
                let baseline = (a0_row[j] - slope * moved).clamp(-1.0, 1.0);
                let mut next_a = a + drift * (baseline - a) + reciprocity * (at_row[j] - a);
                next_a += balance[j];
                next_a += delta_row[j] + noise * z_row[j];
                out[j] = next_a.clamp(-1.0, 1.0);
            }
            // Self-regard does not move.
            out[i] = a_row[i];
        }
        // Consumed: zero for the next turn (the whole matrix at once: a row of a small
        // scenario is too short for its own `memset` call).
        self.scratch.affinity_delta[..n * n].fill(0.0);
        std::mem::swap(&mut self.world.affinity, &mut self.scratch.affinity_next);
    }

    /// Whether `scratch.affinity_t` is the transpose of the current affinity (debug checks).
    fn affinity_t_is_current(&self) -> bool {
        let n = self.world.n;
        let (a, t) = (&self.world.affinity, &self.scratch.affinity_t);
        t.len() == n * n
            && (0..n).all(|i| (0..n).all(|j| a[i * n + j].to_bits() == t[j * n + i].to_bits()))
    }

    /// Recomputes effective power and threat from capability, treaties, defence ties and affinity.
    #[inline(never)]
    fn refresh_threat(&mut self, turn: u32) {
        self.vectorised(move |this| this.refresh_threat_body(turn));
    }

    #[inline(always)]
    fn refresh_threat_body(&mut self, turn: u32) {
        let scenario = self.scenario;
        let n = self.world.n;
        let total: f64 = self.world.capability.iter().sum::<f64>().max(1e-300);
        let share = &mut self.scratch.share;
        share.clear();
        share.extend(self.world.capability.iter().map(|c| c / total));
        let non_aggression = &mut self.scratch.non_aggression;
        non_aggression.clear();
        let tie_weight = scenario.param(Param::DefenceCooperationCredibility);
        transpose(&self.world.affinity, &mut self.scratch.affinity_t, n);
        let affinity_t = &self.scratch.affinity_t;
        let w = &mut self.world;
        // Each row's sum runs over j in order, as in the scalar loop; four rows at a time, so
        // that four independent addition chains overlap instead of waiting on one another.
        let share = &share[..n];
        let mut i = 0;
        while i + 4 <= n {
            let rows = [i, i + 1, i + 2, i + 3].map(|r| &w.defence_tie[r * n..(r + 1) * n]);
            let mut power = [share[i], share[i + 1], share[i + 2], share[i + 3]];
            for j in 0..n {
                for r in 0..4 {
                    power[r] += tie_weight * rows[r][j] * share[j];
                }
            }
            w.effective_power[i..i + 4].copy_from_slice(&power);
            i += 4;
        }
        for i in i..n {
            let mut power = share[i];
            for j in 0..n {
                power += tie_weight * w.defence_tie[i * n + j] * share[j];
            }
            w.effective_power[i] = power;
        }
        for (k, treaty) in scenario.treaties.iter().enumerate() {
            if turn < treaty.in_force_turn {
                continue;
            }
            let credibility = scenario.credibility(k);
            let parties = &treaty.parties;
            match treaty.kind {
                TreatyKind::Defence | TreatyKind::Offence => {
                    // Each party's sum runs over the others in the treaty's order.
                    for &i in parties {
                        let mut power = w.effective_power[i];
                        for &j in parties {
                            if j != i {
                                power += credibility * share[j];
                            }
                        }
                        w.effective_power[i] = power;
                    }
                }
                TreatyKind::NonAggression => {
                    // Filled only when some non-aggression pact is in force (x * 1.0 is x, so
                    // the threat loop skips the factor when it is all ones).
                    if non_aggression.is_empty() {
                        non_aggression.resize(n * n, 1.0);
                    }
                    for &i in parties {
                        for &j in parties {
                            if j != i {
                                non_aggression[i * n + j] *= 1.0 - credibility;
                            }
                        }
                    }
                }
                TreatyKind::Neutrality | TreatyKind::Consultation => {}
            }
        }
        let power = &w.effective_power[..n];
        // The relative power `p_j / (p_i + p_j)` of every pair is a function of effective power
        // alone, which seldom changes from one turn to the next (capability, defence ties and
        // treaties in force): the matrix is recomputed only when some actor's power differs, in
        // its bits, from the powers it was computed from, so most turns do no division here.
        let (relative, relative_power) =
            (&mut self.scratch.relative, &mut self.scratch.relative_power);
        let same_power = relative_power.len() == n
            && relative_power
                .iter()
                .zip(power)
                .all(|(a, b)| a.to_bits() == b.to_bits());
        if !same_power {
            relative_power.clear();
            relative_power.extend_from_slice(power);
            relative.resize(n * n, 0.0);
            for (i, row) in relative.chunks_exact_mut(n).enumerate() {
                let pi = power[i];
                for (value, &pj) in row.iter_mut().zip(power) {
                    *value = if pi + pj > 0.0 { pj / (pi + pj) } else { 0.0 };
                }
            }
        }
        // Every pair's threat depends on its own entries only, so the loop runs over the whole
        // matrix at once (one vector loop of n² elements rather than n short rows, which matters
        // for small scenarios); the diagonal is zeroed after. Branch-free (selects), so that it
        // vectorises; each element's operations are the scalar formula's.
        let nn = n * n;
        let (at, relative) = (&affinity_t[..nn], &relative[..nn]);
        let (proximity, out) = (&self.setup.proximity[..nn], &mut w.threat[..nn]);
        let threat = |k: usize| {
            let hostility = (-at[k]).max(0.0);
            (hostility, relative[k] * hostility * proximity[k])
        };
        if non_aggression.is_empty() {
            for (k, out) in out.iter_mut().enumerate() {
                let (hostility, value) = threat(k);
                *out = if hostility == 0.0 { 0.0 } else { value };
            }
        } else {
            let non_aggression = &non_aggression[..nn];
            for (k, out) in out.iter_mut().enumerate() {
                let (hostility, value) = threat(k);
                *out = if hostility == 0.0 {
                    0.0
                } else {
                    value * non_aggression[k]
                };
            }
        }
        for i in 0..n {
            out[i * n + i] = 0.0;
        }
    }

    #[inline(never)]
    fn update_trade(&mut self, next_turn: u32, draws: &Draws) {
        self.vectorised(move |this| this.update_trade_body(next_turn, draws));
    }

    #[inline(always)]
    fn update_trade_body(&mut self, next_turn: u32, draws: &Draws) {
        let scenario = self.scenario;
        let n = self.world.n;
        let m = scenario.turn_months as f64;
        let rates = &self.setup.rates;
        // GDP grows first, so the gravity target uses this turn's GDP.
        for i in 0..n {
            self.world.gdp[i] *= rates.gdp_growth[i];
            self.gdp_term[i] *= rates.gdp_term_growth[i];
        }
        let mut in_crisis = std::mem::take(&mut self.scratch.in_crisis);
        in_crisis.clear();
        in_crisis.extend((0..n).map(|i| {
            scenario
                .theatres
                .iter()
                .enumerate()
                .any(|(t, h)| self.world.crisis[t] && h.involves(i))
        }));
        let w = &mut self.world;
        let s = &mut self.scratch;
        // Trade talks: only the pairs in talks this turn or with months accumulated can change
        // (for any other pair the scalar loop over all pairs wrote 0.0 over 0.0). Each pair's
        // update touches only its own entries, so the order of the pairs does not matter.
        let deals = &mut s.deal_pairs;
        deals.extend(s.deal_action.touched.iter().filter_map(|&at| {
            let (a, b) = (at / n, at % n);
            (a != b).then_some((a.min(b), a.max(b)))
        }));
        deals.sort_unstable();
        deals.dedup();
        for &(i, j) in deals.iter() {
            let (ij, ji) = (i * n + j, j * n + i);
            let deal = s.deal_action.values[ij];
            if deal == 0.0 && w.deal_in_force[ij] == 0.0 {
                // Negotiations must be continuous: a pause starts them over.
                w.deal_months[ij] = 0.0;
                w.deal_months[ji] = 0.0;
            }
            if deal > 0.0 {
                w.deal_months[ij] += m;
                w.deal_months[ji] = w.deal_months[ij];
                if w.deal_months[ij] >= rates.deal_months {
                    let depth = if scenario.relations.agreement[ij] {
                        0.5 * deal
                    } else {
                        deal
                    };
                    w.deal_in_force[ij] = w.deal_in_force[ij].max(depth);
                    w.deal_in_force[ji] = w.deal_in_force[ij];
                }
            }
        }
        deals.retain(|&(i, j)| w.deal_months[i * n + j] != 0.0);
        // Secondary-sanction expiry, for the entries ever set (all others are zero).
        s.secondary_set.sort_unstable();
        s.secondary_set.dedup();
        s.secondary_set.retain(|&idx| {
            if w.sanction_secondary[idx] > 0.0 && w.sanction_secondary_until[idx] <= next_turn {
                w.sanction_secondary[idx] = 0.0;
            }
            w.sanction_secondary[idx] != 0.0
        });
        // Whether any sanction entry may be non-zero: if none is, every pair's sanction level
        // is a zero and adds nothing.
        let sanctions = self.sanction_event_set
            || !s.sanction_action.touched.is_empty()
            || !s.secondary_set.is_empty();
        // The gravity target and partial adjustment, for the pairs that trade at the start
        // (the target is proportional to the starting trade, so other pairs stay at zero).
        // `affinity_t[ij]` is `affinity[ji]` (refresh_threat has just transposed it), read in
        // order; the pairs' constant terms are in `trade_pair_constants`.
        let affinity_t = &s.affinity_t;
        // Slices rather than the world's vectors, as in `transpose`: a store through
        // `&mut World` would make every vector's pointer and length be reloaded after it.
        let (affinity, trade_shock, deal_in_force) =
            (&w.affinity[..], &w.trade_shock[..], &w.deal_in_force[..]);
        let (sanction_event, sanction_secondary) =
            (&w.sanction_event[..], &w.sanction_secondary[..]);
        let sanction_action = &s.sanction_action.values[..];
        let (gdp_term, enforcement) = (&self.gdp_term[..], &rates.enforcement[..]);
        let trade = &mut w.trade[..];
        let constants = &self.setup.trade_pair_constants[..self.setup.trade_pairs.len()];
        // Two passes, so that the `exp` runs over a whole slice (where it vectorises, see
        // `crate::exp`): the log of each pair's political factor, then its exp, then the update.
        let factor = &mut s.trade_factor;
        factor.clear();
        factor.extend(
            self.setup
                .trade_pairs
                .iter()
                .zip(constants)
                .map(|(&(i, j), c)| {
                    let (ij, ji) = (i * n + j, j * n + i);
                    let affinity_change =
                        0.5 * (affinity[ij] + affinity_t[ij] - c.affinity_ij - c.affinity_ji);
                    // One exp for the political terms; sanctions and deals in log form.
                    let mut log_factor = c.politicisation * affinity_change;
                    if sanctions {
                        let sanction_ij = sanction_event[ij]
                            .max(sanction_action[ij])
                            .max(sanction_secondary[ij])
                            * enforcement[i];
                        let sanction_ji = sanction_event[ji]
                            .max(sanction_action[ji])
                            .max(sanction_secondary[ji])
                            * enforcement[j];
                        let sanction_level = sanction_ij.max(sanction_ji);
                        if sanction_level > 0.0 {
                            log_factor += rates.ln_sanction * sanction_level;
                        }
                    }
                    if deal_in_force[ij] > 0.0 {
                        log_factor += rates.ln_fta * deal_in_force[ij];
                    }
                    log_factor
                }),
        );
        for value in factor.iter_mut() {
            *value = crate::exp::exp(*value);
        }
        // The multiplicative noise of each pair, exp(σ z − σ²/2): a function of the turn's
        // draws and the run's σ only, so the draws compute it once for the policies that share
        // them (`Draws::ensure_trade_noise`).
        let noise = &draws.trade_noise[..self.setup.trade_pairs.len()];
        for (k, &(i, j)) in self.setup.trade_pairs.iter().enumerate() {
            let (ij, ji) = (i * n + j, j * n + i);
            let c = &constants[k];
            let crisis_term = if in_crisis[i] || in_crisis[j] {
                1.0 - rates.crisis_disruption
            } else {
                1.0
            };
            let target =
                c.trade * gdp_term[i] * gdp_term[j] * factor[k] * trade_shock[ij] * crisis_term;
            let next = (trade[ij] + rates.trade_lambda * (target - trade[ij])) * noise[k];
            trade[ij] = next.max(0.0);
            trade[ji] = trade[ij];
        }
        self.scratch.in_crisis = in_crisis;
    }

    #[inline(never)]
    fn update_tension(&mut self, draws: &Draws) {
        let scenario = self.scenario;
        let n = self.world.n;
        let m = scenario.turn_months as f64;
        for (t, h) in scenario.theatres.iter().enumerate() {
            let tension = self.world.tension[t];
            let reversion = per_turn(h.reversion.v(), m);
            let calm = h.incident_rate_calm.v();
            let rate = (calm + (h.incident_rate_hot.v() - calm) * tension) * m;
            let incidents =
                rng::negative_binomial(draws.uniform_incident[t], rate, h.incident_dispersion.v())
                    as f64;
            let next = tension
                + reversion * (scenario.baseline_tension(t) - tension)
                + h.incident_tension.v() * incidents
                + self.scratch.tension_delta[t];
            self.world.tension[t] = next.clamp(0.0, 1.0);
            if incidents > 0.0 {
                let hit = h.incident_affinity.v() * incidents;
                for &a in &h.side_a {
                    for &b in &h.side_b {
                        self.world.affinity[a * n + b] =
                            (self.world.affinity[a * n + b] - hit).clamp(-1.0, 1.0);
                        // Keep the transpose current (update_affinity reads it next turn).
                        self.scratch.affinity_t[b * n + a] = self.world.affinity[a * n + b];
                        self.world.affinity[b * n + a] =
                            (self.world.affinity[b * n + a] - hit).clamp(-1.0, 1.0);
                        self.scratch.affinity_t[a * n + b] = self.world.affinity[b * n + a];
                    }
                }
            }
            let crisis = self.world.tension[t] >= h.crisis_threshold.v();
            self.world.crisis[t] = crisis;
            self.world.crisis_ever[t] |= crisis;
        }
    }

    /// Standing of `actor`: capability-weighted regard of every other actor, in [0, 1].
    fn standing(&self, actor: usize) -> f64 {
        let n = self.world.n;
        let (mut weighted, mut total) = (0.0, 0.0);
        for j in 0..n {
            if j != actor {
                let weight = self.world.capability[j];
                weighted += weight * (self.world.affinity[j * n + actor] + 1.0) / 2.0;
                total += weight;
            }
        }
        if total > 0.0 { weighted / total } else { 0.5 }
    }

    fn theatre_value(&self, theatre: Option<usize>, f: impl Fn(usize) -> f64) -> f64 {
        match theatre {
            Some(t) => f(t),
            None => (0..self.scenario.theatres.len()).map(f).fold(0.0, f64::max),
        }
    }

    /// Whether a condition holds in the current world.
    pub fn holds(&self, condition: &Condition) -> bool {
        let n = self.world.n;
        let value = match condition.metric {
            Metric::Tension { theatre } => self.theatre_value(theatre, |t| self.world.tension[t]),
            Metric::Crisis { theatre } => {
                self.theatre_value(theatre, |t| f64::from(u8::from(self.world.crisis[t])))
            }
            Metric::Affinity { from, to } => self.world.affinity[from * n + to],
            Metric::Trade { from, to } => {
                let t0 = self.setup.initial.trade[from * n + to];
                if t0 > 0.0 {
                    self.world.trade[from * n + to] / t0
                } else {
                    0.0
                }
            }
            Metric::Threat => self.focal_threat(),
            Metric::TreatyActivated { treaty } => {
                f64::from(u8::from(self.world.treaty_activated[treaty]))
            }
        };
        match (condition.above, condition.below) {
            (None, None) => value > 0.5,
            (above, below) => above.is_none_or(|a| value > a) && below.is_none_or(|b| value < b),
        }
    }

    fn focal_threat(&self) -> f64 {
        let n = self.world.n;
        let focal = self.scenario.focal;
        (0..n).map(|j| self.world.threat[focal * n + j]).sum()
    }

    /// Prosperity, security, autonomy, standing, stability of the focal actor now.
    fn weighed_outcomes(&self) -> [f64; 5] {
        let scenario = self.scenario;
        let n = self.world.n;
        let focal = scenario.focal;
        let w = &self.world;
        let trade_now: f64 = (0..n).map(|j| w.trade[focal * n + j]).sum();
        let trade_start: f64 = (0..n)
            .map(|j| self.setup.initial.trade[focal * n + j])
            .sum();
        let prosperity = if trade_start > 0.0 {
            trade_now / trade_start - 1.0
        } else {
            0.0
        };
        // Threat from others plus exposure to regional tension, over their largest possible sum.
        let regional: f64 = self
            .setup
            .theatre_exposure
            .iter()
            .zip(&w.tension)
            .map(|(e, t)| e * t)
            .sum();
        let possible =
            self.setup.proximity_total[focal] + self.setup.theatre_exposure.iter().sum::<f64>();
        let security = if possible > 0.0 {
            1.0 - (self.focal_threat() + regional) / possible
        } else {
            1.0
        };
        let bloc_mean = |bloc: &[usize]| -> f64 {
            let sum: f64 = bloc
                .iter()
                .map(|&k| 0.5 * (w.affinity[focal * n + k] + w.affinity[k * n + focal]))
                .sum();
            sum / bloc.len().max(1) as f64
        };
        let autonomy = 1.0
            - (bloc_mean(&scenario.outcomes.bloc_a) - bloc_mean(&scenario.outcomes.bloc_b)).abs()
                / 2.0;
        let standing = self.standing(focal);
        let stability = scenario
            .outcomes
            .stability_theatre
            .map_or(1.0, |t| 1.0 - w.tension[t]);
        [prosperity, security, autonomy, standing, stability]
    }

    #[inline(never)]
    fn record(&mut self) {
        let scenario = self.scenario;
        let n = self.world.n;
        let weighed = self.weighed_outcomes();
        let composite: f64 = (0..5)
            .map(|k| scenario.outcomes.weights[k] * (weighed[k] - self.setup.initial_outcomes[k]))
            .sum();
        let theatre = scenario.outcomes.stability_theatre;
        let tension = theatre.map_or(0.0, |t| self.world.tension[t]);
        let crisis = theatre.map_or(0.0, |t| f64::from(u8::from(self.world.crisis_ever[t])));
        let threat = self.focal_threat();
        let out = &mut self.out.values;
        out.extend_from_slice(&weighed);
        out.extend_from_slice(&[composite, tension, crisis, threat]);
        for &partner in &self.setup.partners {
            out.push(self.world.trade[scenario.focal * n + partner] / 1e9);
        }
        self.out.positions.extend_from_slice(&self.world.position);
        for (k, tripwire) in scenario.tripwires.iter().enumerate() {
            if self.out.tripwire_turns[k].is_none() && self.holds(&tripwire.when) {
                self.out.tripwire_turns[k] = Some(self.turn);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{draws_block, main_threat};
    use proptest::prelude::*;

    /// Blocks of kept draws: every turn of a small run, at least 16 turns of a large one, within
    /// the memory cap, at least one, at most the run.
    #[test]
    fn draws_block_follows_its_rule() {
        let per_turn = |n: usize| n + 2 * n * n;
        // Korea: 8 actors, 48 turns, 136 values a turn: every turn (6,528 values).
        assert_eq!(draws_block(48, per_turn(8)), 48);
        // 16 actors: 528 values a turn, 62 turns fit 32 Ki values.
        assert_eq!(draws_block(120, per_turn(16)), 62);
        // 64 and 193 actors: fewer than 16 turns fit; 16 turns are kept.
        assert_eq!(draws_block(120, per_turn(64)), 16);
        assert_eq!(draws_block(120, per_turn(193)), 16);
        assert_eq!(draws_block(10, per_turn(193)), 10);
        // 1,000 actors (2 Mi values a turn): the 64 MiB cap allows 4 turns.
        assert_eq!(draws_block(120, per_turn(1000)), 4);
        // Beyond the cap, one turn at a time; a run of no turns still has one slot.
        assert_eq!(draws_block(120, 10 << 20), 1);
        assert_eq!(draws_block(0, per_turn(8)), 1);
    }

    /// The scan `main_threat` replaces: from the first `j != skip`, move to any strictly larger.
    fn scan(row: &[f64], skip: usize) -> (usize, f64) {
        let mut found: Option<(usize, f64)> = None;
        for (j, &value) in row.iter().enumerate() {
            if j == skip {
                continue;
            }
            let better = match found {
                None => true,
                Some((_, best)) => value > best,
            };
            if better {
                found = Some((j, value));
            }
        }
        found.unwrap_or((usize::MAX, 0.0))
    }

    proptest! {
        /// Same index and same bits as the scan, ties (and signed zeros) included.
        #[test]
        fn main_threat_is_the_scan(
            row in prop::collection::vec(
                prop_oneof![Just(0.0), Just(-0.0), Just(0.5), Just(1.0), 0.0..2.0f64],
                0..23,
            ),
            skip in 0usize..25,
        ) {
            let (main, value) = main_threat(&row, skip);
            let (expected, expected_value) = scan(&row, skip);
            prop_assert_eq!(main, expected);
            prop_assert_eq!(value.to_bits(), expected_value.to_bits());
        }
    }
}
