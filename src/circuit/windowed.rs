//! [`QuantNet`] of the tutorial's shape + one input → [`JudgeCircuit`]: the fast path for exactly
//! `Conv(1→1) → Relu → Flatten → Dense(→1) → Sigmoid` ([`holds`]), where each conv window is one
//! gate that reads its inputs by rotation.
//!
//! # Layout: 3 advice columns (A, B, C), 1 fixed column (V), 1 lookup argument, no permutation
//!
//! The used part of the (padded) spectrogram, `uh × uw`, is split by row parity: even image rows
//! run down column **A**, odd ones down column **C**, from row `o`, each image row taking `Wr`
//! rows (`uw`, or `uw + 1` so that every window starts on a row of the same parity). So the input
//! takes half the rows a single column would: 63 × 129 rows for the tutorial's 125 × 129 cells,
//! k = 13. Column **B** holds everything else:
//!
//! ```text
//! row               A              B                                     C              V
//! 0                                key = instance[0]
//! 1                                σ = instance[1]  [sigmoid (2, idx, σ)]
//! 2                                idx
//! 3..3+RL                          remainder limbs  [range (1, limb, 0)]
//! o−2                              free (absorbs the final gate on row 0)
//! o−1, o+1, …, e    x[even rows]   chain: Σ terms of the windows below   x[odd rows]
//! a(n) + cell(k)                   window n: |c| limb k [range], or s
//!                                                                                       v_n at a(n)
//! e + (o−2)                        free (absorbs the final gate on row e)
//! ```
//!
//! - **Window** `n = (i, j)` is anchored at row `a(n) = o + i·(sh/2)·Wr + j·sw`, always an even
//!   offset from `o`. Its gate reads kernel row `ky` from A (even `ky`) or C (odd `ky`) at rotation
//!   `⌊ky/2⌋·Wr + kx`: no input is copied, and windows overlap for free. The kernel weights are
//!   constants of the gate, which is scaled by the window's linear weight `v_n` (zero on every
//!   other row) instead of a selector column.
//! - The window's `|c|` limbs (12 bits each, looked up in the range table) and its sign bit sit in
//!   B at even offsets `cell(k)` from its anchor, packed so that the windows of one band of input
//!   rows tile the band's even rows: `cell(k) = 2·(⌊k/u⌋·u·out_w + k mod u)` with `u = sw/2`
//!   (tutorial: 0, 2, 128, 130).
//! - The linear layer is a **running sum on B's odd rows**, from `o − 1` down to `e`:
//!   `chain(r+1) = chain(r+3) + v(r)·(1 − s)·|c|` on every even row `r` from `o − 2` to the last
//!   anchor (ReLU and the linear layer at once; `v` is zero between windows), zero at `e`, the
//!   logit's integer part at `o − 1`.
//! - One **final gate** on rows 0, 1 and `e` binds B to the instance column (key, score, and the
//!   zero the chain ends in: the instance column is zero below row 1) and checks the sigmoid split
//!   `chain(o−1) + d = idx·2^R + rem` on row 1 (on rows 0 and `e` a free cell absorbs it). So
//!   there are no copy constraints and no permutation argument at all.
//! - A conv that pads its input gets one more fixed column marking the padding cells of A and C,
//!   and a gate that keeps them zero.
//! - One lookup argument over a tagged table `(tag, a, b)`: `(1, v, 0)` for `v < 2^12` (range) and
//!   `(2, idx, σ_q[idx])` (sigmoid); `(0, 0, 0)` for rows that look nothing up.
//!
//! The input cells are private and not range-checked (a range check would cost one lookup per
//! cell and double the rows): the circuit proves that some input vector over the field gives the
//! score under this model, for this key. For a judge whose quantized conv weights all share a
//! large power-of-two factor, such vectors reach logits that integer inputs cannot; a statement
//! about integer inputs would need that range check.
//!
//! The layout needs even conv strides (or a single window along that axis); anything else gets
//! the layered circuit ([`super::layered`]).

use super::Unfit;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::{
    Advice, Circuit, Column, ConstraintSystem, Constraints, Error, Expression, Fixed, Instance,
    Selector, TableColumn, VirtualCells,
};
use halo2_proofs::poly::Rotation;

use super::{
    fe, pow2, remainder_cells, split_limbs, static_table, Assigned, KEY_ROW, SCORE_ROW, TAG_RANGE,
    TAG_SIGMOID,
};
use crate::network::{padded_index, Affine, Conv, ConvGeometry, Dense, Network};
use crate::quantize::{NetTrace, QuantNet};

/// Row of the sigmoid index in column B.
pub(crate) const IDX_ROW: usize = 2;
/// First row of the sigmoid remainder limbs in column B.
pub(crate) const REM_ROW: usize = 3;

/// Cells (conv limbs + the sign bit) a window gets in column B when a model is first read: the
/// windowed layout is chosen only if this many fit, which holds every conv output the tutorial's
/// scales can produce (three 12-bit limbs).
pub(crate) const DEFAULT_WINDOW_CELLS: usize = 4;

/// Rows per image row in the input columns for a conv of geometry `g` whose windows keep
/// `cells` cells (limbs + sign) in column B, or why the windowed layout cannot hold it.
pub(crate) fn input_row_stride(g: &ConvGeometry, cells: usize) -> Result<usize, Unfit> {
    let (out_h, out_w) = (g.out_h(), g.out_w());
    if out_h > 1 && g.stride[0] % 2 != 0 {
        return Err(Unfit(format!(
            "its conv stride along the mel axis ({}) is odd, and the windowed layout splits the input by row parity",
            g.stride[0]
        )));
    }
    if out_w > 1 && g.stride[1] % 2 != 0 {
        return Err(Unfit(format!(
            "its conv stride along the frame axis ({}) is odd, and the windowed layout keeps every window on rows of one parity",
            g.stride[1]
        )));
    }
    let uw = g.used().1;
    if out_h == 1 {
        return Ok(uw);
    }
    let half = g.stride[0] / 2;
    let wr = if (half * uw) % 2 == 1 { uw + 1 } else { uw };
    let u = frame_unit(g.stride[1], out_w);
    let need = 2 * cells.div_ceil(u) * u * out_w;
    if need > half * wr {
        return Err(Unfit(format!(
            "its {out_w} windows per row of windows need {need} rows for {cells} cells each (conv limbs and a sign bit), more than the {} rows between rows of windows",
            half * wr
        )));
    }
    Ok(wr)
}

/// Whether the windowed layout proves `net` exactly: the tutorial's shape op by op — one
/// `Conv` with one input and one output channel followed by `Relu`, then one dense layer with one
/// output and no activation before the `Sigmoid` — with a conv this layout can lay out (even
/// strides and room for each window's cells). Anything else gets the layered layout.
pub fn holds(net: &Network) -> Result<(), Unfit> {
    let [conv, dense] = net.layers.as_slice() else {
        return Err(NOT_WINDOWED.into());
    };
    let (c, _) = tutorial_pair((&conv.affine, conv.relu), (&dense.affine, dense.relu))
        .ok_or(NOT_WINDOWED)?;
    input_row_stride(&c.geometry, DEFAULT_WINDOW_CELLS).map(|_| ())
}

const NOT_WINDOWED: &str = "the windowed layout proves only Conv(1→1) → Relu → Dense(→1) → Sigmoid";

/// The tutorial's conv and dense layer.
type TutorialPair<'a, W, B> = (&'a Conv<W, B>, &'a Dense<W, B>);

/// The tutorial's two layers, op by op: a conv with one input and one output channel and its
/// ReLU, then a dense layer with one output and no activation. Float or quantized.
fn tutorial_pair<'a, W, B>(
    conv: (&'a Affine<W, B>, bool),
    dense: (&'a Affine<W, B>, bool),
) -> Option<TutorialPair<'a, W, B>> {
    match (conv, dense) {
        ((Affine::Conv(c), true), (Affine::Dense(d), false))
            if c.in_channels == 1 && c.out_channels == 1 && d.outputs == 1 =>
        {
            Some((c, d))
        }
        _ => None,
    }
}

/// The parts of a windowed model the circuit bakes in: the conv and the linear layer.
pub struct Parts<'a> {
    pub geometry: &'a ConvGeometry,
    /// Kernel weights, row-major.
    pub conv_w: &'a [i64],
    pub conv_b: i128,
    /// One weight per conv output.
    pub lin_w: &'a [i64],
    pub lin_b: i128,
}

impl<'a> Parts<'a> {
    /// The conv and linear layer of `q`, or why `q` is not of the windowed shape (which also
    /// keeps the conv outputs exact: no rescale).
    pub fn of(q: &'a QuantNet) -> Result<Self, Unfit> {
        let [conv, lin] = q.layers.as_slice() else {
            return Err(NOT_WINDOWED.into());
        };
        let (c, d) = tutorial_pair((&conv.affine, conv.relu), (&lin.affine, lin.relu))
            .filter(|_| conv.shift == 0)
            .ok_or(NOT_WINDOWED)?;
        Ok(Self {
            geometry: &c.geometry,
            conv_w: &c.weight,
            conv_b: c.bias[0],
            lin_w: &d.weight,
            lin_b: d.bias[0],
        })
    }
}

/// Even rows between neighbouring windows along the frame axis.
fn frame_unit(stride: usize, out_w: usize) -> usize {
    if out_w > 1 {
        stride / 2
    } else {
        1
    }
}

/// Everything `configure` needs: the shape and the constants baked into the gates.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CircuitShape {
    /// Width and height of the used input region.
    pub width: usize,
    pub height: usize,
    /// Rows per image row in columns A and C (`width`, or one more to keep windows on one
    /// parity).
    pub row_stride: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub out_h: usize,
    pub out_w: usize,
    /// Conv weights (gate constants), row-major.
    pub conv_w: Vec<i64>,
    pub conv_b: i128,
    pub lin_b: i128,
    pub limb_bits: u32,
    pub conv_limbs: usize,
    pub rem_limbs: usize,
    pub rem_bits: u32,
    /// Sigmoid table: first index and the entries from there on.
    pub sigmoid_lo: i64,
    pub sigmoid: Vec<i64>,
    /// The model's input size and the conv's pads (the used region and its padding cells follow).
    pub in_hw: [usize; 2],
    pub pads: [usize; 4],
}

/// Which input column a cell lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputColumn {
    /// Even image rows.
    A,
    /// Odd image rows.
    C,
}

impl CircuitShape {
    /// The shape of `q`'s circuit, or why it does not fit the layout (too many limbs for the
    /// strides).
    pub fn new(q: &QuantNet) -> Result<Self, Unfit> {
        let p = Parts::of(q)?;
        let g = p.geometry;
        let (uh, uw) = g.used();
        let (lo, hi) = q.scales.sigmoid_index_range();
        let cells = q.scales.conv_limbs as usize + 1;
        // The split idx·2^R + rem pins idx only if the remainder limbs hold exactly R bits.
        let (rem_bits, rem_limbs) = (q.scales.remainder_bits(), q.scales.remainder_limbs());
        if rem_bits != rem_limbs * q.scales.limb {
            return Err(Unfit(format!(
                "the sigmoid remainder has {rem_bits} bits, not a whole number of {}-bit limbs",
                q.scales.limb
            )));
        }
        let row_stride = input_row_stride(g, cells).map_err(|e| {
            format!(
                "{} conv limbs and a sign bit per window do not fit the windowed circuit: {e}",
                cells - 1
            )
        })?;
        Ok(Self {
            width: uw,
            height: uh,
            row_stride,
            kernel: g.kernel,
            stride: g.stride,
            out_h: g.out_h(),
            out_w: g.out_w(),
            conv_w: p.conv_w.to_vec(),
            conv_b: p.conv_b,
            lin_b: p.lin_b,
            limb_bits: q.scales.limb,
            conv_limbs: q.scales.conv_limbs as usize,
            rem_limbs: q.scales.remainder_limbs() as usize,
            rem_bits: q.scales.remainder_bits(),
            sigmoid_lo: lo,
            sigmoid: (lo..hi).map(|i| q.sigmoid_q(i)).collect(),
            in_hw: [g.in_h, g.in_w],
            pads: g.pads,
        })
    }

    /// Row of input row 0 and of the first window: below the final stage's cells, the free
    /// cell at `o − 2` and the chain's top at `o − 1`. Even, so that the free cell of the final gate on row `e` (`e + o − 2`) falls on an odd
    /// offset past the chain, where no window cell lies.
    pub fn input_row(&self) -> usize {
        (REM_ROW + self.rem_limbs + 2).next_multiple_of(2)
    }
    /// Rotation from row 1 to the chain's top (and from rows 0 and `e` to their free cells).
    pub(crate) fn top_rotation(&self) -> usize {
        self.input_row() - 2
    }
    /// Input index of window `n`'s first cell (row-major in the used region).
    pub fn base(&self, n: usize) -> usize {
        let (i, j) = (n / self.out_w, n % self.out_w);
        i * self.stride[0] * self.width + j * self.stride[1]
    }
    /// Column and row of input cell `index` (row-major in the used region).
    pub(crate) fn input_cell(&self, index: usize) -> (InputColumn, usize) {
        let (r, c) = (index / self.width, index % self.width);
        let col = if r % 2 == 0 {
            InputColumn::A
        } else {
            InputColumn::C
        };
        (col, self.input_row() + (r / 2) * self.row_stride + c)
    }
    /// The model's input index of each cell of the used region of the padded input (row-major),
    /// `None` in the padding.
    fn used_region(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        (0..self.height * self.width)
            .map(|i| padded_index(self.in_hw, self.pads, i / self.width, i % self.width))
    }
    /// The used region's cells (zero in the padding) from the model's input cells
    /// (`in_h × in_w`, row-major).
    pub fn used_cells(&self, x: &[i64]) -> Vec<i64> {
        self.used_region()
            .map(|at| at.map_or(0, |at| x[at]))
            .collect()
    }
    /// Indices (row-major in the used region) of padding cells, which must be zero; empty when
    /// the conv reads no padding.
    pub fn padding_cells(&self) -> Vec<usize> {
        self.used_region()
            .enumerate()
            .filter_map(|(i, at)| at.is_none().then_some(i))
            .collect()
    }
    /// Rows between consecutive rows of windows.
    fn band(&self) -> usize {
        (self.stride[0] / 2) * self.row_stride
    }
    /// Anchor row of window `n`: its conv gate and its linear weight.
    pub fn window_row(&self, n: usize) -> usize {
        let (i, j) = (n / self.out_w, n % self.out_w);
        self.input_row() + i * self.band() + j * self.stride[1]
    }
    /// Rotation of window cell `k` (limb `k < conv_limbs`, then the sign bit) in column B.
    pub fn cell(&self, k: usize) -> usize {
        let u = frame_unit(self.stride[1], self.out_w);
        2 * ((k / u) * u * self.out_w + k % u)
    }
    /// What the lookup on `row` looks up: the sigmoid on the score row, a range check
    /// elsewhere (remainder and window limbs).
    pub(crate) fn lookup_kind(&self, row: usize) -> &'static str {
        if row == SCORE_ROW {
            "sigmoid"
        } else {
            "range"
        }
    }
    pub fn windows(&self) -> usize {
        self.out_h * self.out_w
    }
    /// Row where the chain ends (its value there is zero).
    pub(crate) fn chain_end(&self) -> usize {
        self.window_row(self.windows() - 1) + 3
    }
    /// The chain's rows: odd offsets from o − 1 down to e.
    pub(crate) fn chain_rows(&self) -> impl Iterator<Item = usize> {
        (self.input_row() - 1..=self.chain_end()).step_by(2)
    }
    /// Rows the witness occupies.
    pub fn witness_rows(&self) -> usize {
        let o = self.input_row();
        let input = o + self.height.div_ceil(2) * self.row_stride;
        let cells = self.window_row(self.windows() - 1) + self.cell(self.conv_limbs) + 1;
        let end = self.chain_end() + self.top_rotation() + 1;
        input.max(cells).max(end)
    }
    /// Rows the lookup table occupies.
    pub fn table_rows(&self) -> usize {
        1 + (1usize << self.limb_bits) + self.sigmoid.len()
    }
    /// Rows halo2 reserves below the usable ones.
    pub(crate) fn reserved_rows(&self) -> usize {
        super::reserved_rows::<JudgeCircuit>(self.clone())
    }
    /// Smallest k whose usable rows hold the witness and the table.
    pub(crate) fn min_k(&self) -> u32 {
        let need = self.witness_rows().max(self.table_rows()) + self.reserved_rows();
        need.next_power_of_two().trailing_zeros().max(4)
    }
    /// Advice, fixed (the linear weights, the padding mask when the conv pads, and the lookup
    /// table's three; before selector compression) and lookup arguments.
    pub fn columns(&self) -> (usize, usize, usize) {
        (3, 4 + !self.padding_cells().is_empty() as usize, 1)
    }
}

#[derive(Debug, Clone)]
pub struct JudgeConfig {
    pub a: Column<Advice>,
    pub b: Column<Advice>,
    pub c: Column<Advice>,
    pub lin_w: Column<Fixed>,
    pub instance: Column<Instance>,
    pub q_chain: Selector,
    pub q_public: Selector,
    /// Only for models whose conv pads its input (a fixed column costs verifier gas): 1 where
    /// the A cell is padding, 2 where the C cell is, 3 where both are, 0 elsewhere.
    pub pad: Option<Column<Fixed>>,
    pub q_range: Selector,
    pub q_sigmoid: Selector,
    pub t_tag: TableColumn,
    pub t_a: TableColumn,
    pub t_b: TableColumn,
}

/// The circuit: the judge's fixed weights (in `shape`) and one proof's witness.
#[derive(Debug, Clone)]
pub struct JudgeCircuit {
    pub shape: CircuitShape,
    pub lin_w: Vec<i64>,
    /// `None` for key generation.
    pub witness: Option<Assigned<Columns>>,
}

impl JudgeCircuit {
    /// The circuit proving `witness` (a trace and the key; `None` for key generation): its
    /// columns are filled here, the one place an honest witness is laid out.
    pub fn new(shape: CircuitShape, lin_w: Vec<i64>, witness: Option<(&NetTrace, Fr)>) -> Self {
        let witness = witness.map(|(trace, key)| Assigned {
            instances: [key, fe(trace.score_q as i128)],
            columns: fill(&shape, &lin_w, trace, key),
        });
        Self {
            shape,
            lin_w,
            witness,
        }
    }

    /// Public instances: `[key, score]`.
    pub fn instances(&self) -> Vec<Fr> {
        match &self.witness {
            Some(w) => w.instances.to_vec(),
            None => vec![Fr::zero(), Fr::zero()],
        }
    }
}

/// The witness columns A, B and C of one proof, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    pub(super) a: Vec<Fr>,
    pub(super) b: Vec<Fr>,
    pub(super) c: Vec<Fr>,
}

/// Advice columns A and C (indices 0 and 2, in the order `configure` makes them) hold the input
/// and nothing else: their commitments bind it.
pub(crate) const INPUT_ADVICE: [usize; 2] = [0, 2];

impl CircuitShape {
    /// Columns A and C as the prover assigns them for the quantized input `x` (the used region
    /// of the padded input, split by row parity), zero on every other row.
    pub(crate) fn input_columns(&self, x: &[i64]) -> [Vec<Fr>; 2] {
        let rows = self.witness_rows();
        let mut cols = Columns {
            a: vec![Fr::zero(); rows],
            b: Vec::new(),
            c: vec![Fr::zero(); rows],
        };
        for (i, x) in self.used_cells(x).into_iter().enumerate() {
            *cols.input_mut(self, i) = fe(x as i128);
        }
        [cols.a, cols.c]
    }
}

/// The witness of `trace` for `key`: every advice cell as the prover assigns it.
pub(super) fn fill(shape: &CircuitShape, lin_w: &[i64], trace: &NetTrace, key: Fr) -> Columns {
    let [a, c] = shape.input_columns(&trace.x);
    let mut cols = Columns {
        a,
        b: vec![Fr::zero(); shape.witness_rows()],
        c,
    };
    // Window cells: |c| limbs and the sign bit.
    for n in 0..shape.windows() {
        let c = trace.pre[0][n];
        let limbs = split_limbs(c.unsigned_abs(), shape.conv_limbs, shape.limb_bits);
        cols.set_window(shape, n, &limbs, (c < 0) as i64);
    }
    // The chain on odd offsets from o − 1 down to e: at row r, the terms of the windows anchored
    // at r − 1 or below.
    // acc[n]: the linear layer's sum over windows 0..=n.
    let acc: Vec<i128> = trace.act[0]
        .iter()
        .zip(lin_w)
        .scan(0i128, |sum, (&r, &v)| {
            *sum += v as i128 * r as i128;
            Some(*sum)
        })
        .collect();
    let total = *acc.last().expect("windows");
    let mut next = 0; // first window anchored at or below r − 1
    for r in shape.chain_rows() {
        while next < shape.windows() && shape.window_row(next) < r - 1 {
            next += 1;
        }
        let below = if next == 0 {
            total
        } else if next < shape.windows() {
            total - acc[next - 1]
        } else {
            0
        };
        cols.b[r] = fe(below);
    }
    // Final stage: key, σ, idx, remainder limbs.
    cols.b[KEY_ROW] = key;
    cols.b[SCORE_ROW] = fe(trace.score_q as i128);
    cols.set_split(shape, trace.idx, trace.rem);
    cols
}

impl Columns {
    /// The cell of input `i` (row-major over the used region of the padded input).
    pub(super) fn input_mut(&mut self, shape: &CircuitShape, i: usize) -> &mut Fr {
        let (col, row) = shape.input_cell(i);
        match col {
            InputColumn::A => &mut self.a[row],
            InputColumn::C => &mut self.c[row],
        }
    }

    /// Window `n`'s `|c|` limb cells and sign cell.
    pub(super) fn set_window(&mut self, shape: &CircuitShape, n: usize, limbs: &[i64], sign: i64) {
        let a = shape.window_row(n);
        for (k, &l) in limbs.iter().chain([&sign]).enumerate() {
            self.b[a + shape.cell(k)] = fe(l as i128);
        }
    }

    /// Window `n`'s `|c|` limbs and sign as assigned (small values).
    pub(super) fn window(&self, shape: &CircuitShape, n: usize) -> (Vec<i64>, i64) {
        let a = shape.window_row(n);
        let cell = |k: usize| {
            super::fe_small(&self.b[a + shape.cell(k)]).expect("a window's cells are small") as i64
        };
        let limbs = (0..shape.conv_limbs).map(cell).collect();
        (limbs, cell(shape.conv_limbs))
    }

    /// The sigmoid index and remainder cells, then the free cells that absorb the final gate's
    /// split equation on rows 0 and e: `B(r+t) = B(r+1)·2^R + Σ B(r+2+i)·2^(12i) − d`.
    pub(super) fn set_split(&mut self, shape: &CircuitShape, idx: i64, rem: i128) {
        self.b[IDX_ROW] = fe(idx as i128);
        let rem_cells = remainder_cells(rem, shape.rem_limbs, shape.limb_bits);
        self.b[REM_ROW..REM_ROW + shape.rem_limbs].copy_from_slice(&rem_cells);
        self.solve_free_cells(shape);
    }

    /// The free cells on rows 0 + t and e + t, solved from the cells the final gate reads there
    /// (after any change to those cells).
    pub(super) fn solve_free_cells(&mut self, shape: &CircuitShape) {
        let t = shape.top_rotation();
        let limb_base = pow2(shape.limb_bits);
        for r in [KEY_ROW, shape.chain_end()] {
            let mut v = self.b[r + 1] * pow2(shape.rem_bits) - fe(shape.lin_b);
            let mut scale = Fr::one();
            for i in 0..shape.rem_limbs {
                v += self.b[r + 2 + i] * scale;
                scale *= limb_base;
            }
            self.b[r + t] = v;
        }
    }
}

impl Circuit<Fr> for JudgeCircuit {
    type Config = JudgeConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = CircuitShape;

    fn without_witnesses(&self) -> Self {
        Self {
            witness: None,
            ..self.clone()
        }
    }

    fn params(&self) -> CircuitShape {
        self.shape.clone()
    }

    /// Keygen and the prover call `configure_with_params` with the circuit's own shape; this
    /// plain form configures the empty shape (no gates hold), never a panic.
    fn configure(meta: &mut ConstraintSystem<Fr>) -> JudgeConfig {
        Self::configure_with_params(meta, Self::Params::default())
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, shape: CircuitShape) -> JudgeConfig {
        let a = meta.advice_column();
        let b = meta.advice_column();
        let c = meta.advice_column();
        let lin_w = meta.fixed_column();
        let instance = meta.instance_column();
        let q_chain = meta.selector();
        let q_public = meta.selector();
        let q_range = meta.complex_selector();
        let q_sigmoid = meta.complex_selector();
        let (t_tag, t_a, t_b) = (
            meta.lookup_table_column(),
            meta.lookup_table_column(),
            meta.lookup_table_column(),
        );
        let limb_base = pow2(shape.limb_bits);
        // |c| from the window's limb cells in B, and its sign bit.
        let magnitude = |m: &mut VirtualCells<Fr>| {
            let mut mag = Expression::Constant(Fr::zero());
            let mut scale = Fr::one();
            for k in 0..shape.conv_limbs {
                mag = mag + m.query_advice(b, Rotation(shape.cell(k) as i32)) * scale;
                scale *= limb_base;
            }
            let s = m.query_advice(b, Rotation(shape.cell(shape.conv_limbs) as i32));
            (mag, s)
        };

        // Window n at its anchor: c = Σ w·x + b (kernel rows from A and C by rotation) must equal
        // (1 − 2s)·|c| with |c| given by the limbs, s a bit. The gate is scaled by the window's
        // linear weight v (a fixed cell: zero on every other row), so it needs no selector
        // column; a window whose weight is 0 contributes nothing to the score and is left
        // unconstrained.
        meta.create_gate("window", |m| {
            let v = m.query_fixed(lin_w, Rotation(0));
            let mut conv = Expression::Constant(fe(shape.conv_b));
            for ky in 0..shape.kernel[0] {
                let col = if ky % 2 == 0 { a } else { c };
                for kx in 0..shape.kernel[1] {
                    let rot = ((ky / 2) * shape.row_stride + kx) as i32;
                    conv = conv
                        + m.query_advice(col, Rotation(rot))
                            * fe(shape.conv_w[ky * shape.kernel[1] + kx] as i128);
                }
            }
            let (mag, s) = magnitude(m);
            let one = Expression::Constant(Fr::one());
            Constraints::with_selector(
                v,
                [
                    (
                        "conv: v·(Σw·x + b − (1 − 2s)·|c|) = 0",
                        conv - (one.clone() - s.clone() * Fr::from(2)) * mag,
                    ),
                    ("sign: v·s·(1 − s) = 0", s.clone() * (one - s)),
                ],
            )
        });
        // The linear layer as a running sum down B's odd rows: chain(r+1) = chain(r+3) +
        // v(r)·(1 − s)·|c| on every even row r of the chain; v is zero except on anchors, so the
        // rows in between carry the sum unchanged. No copies, hence no permutation argument.
        meta.create_gate("chain", |m| {
            let q = m.query_selector(q_chain);
            let acc = m.query_advice(b, Rotation(1));
            let below = m.query_advice(b, Rotation(3));
            let v = m.query_fixed(lin_w, Rotation(0));
            let (mag, s) = magnitude(m);
            let one = Expression::Constant(Fr::one());
            Constraints::with_selector(
                q,
                [(
                    "relu+linear: acc − acc_below − v·(1 − s)·|c| = 0",
                    acc - below - v * (one - s) * mag,
                )],
            )
        });
        // Padding cells of the input are zero (only models whose conv pads have them). One fixed
        // column p marks them in both input columns: p·(p − 2) is nonzero exactly for p ∈ {1, 3}
        // (A is padding), p·(p − 1) exactly for p ∈ {2, 3} (C is padding).
        let pad = (!shape.padding_cells().is_empty()).then(|| {
            let pad = meta.fixed_column();
            meta.create_gate("padding", |m| {
                let p = m.query_fixed(pad, Rotation(0));
                let one = Expression::Constant(Fr::one());
                let two = Expression::Constant(Fr::from(2));
                [
                    (
                        "pad: x = 0",
                        p.clone() * (p.clone() - two) * m.query_advice(a, Rotation(0)),
                    ),
                    (
                        "pad: x = 0 (odd rows)",
                        p.clone() * (p - one) * m.query_advice(c, Rotation(0)),
                    ),
                ]
            });
            pad
        });
        // The final gate, on rows 0, 1 and the chain's end e:
        // - B equals the instance cell: the key (row 0), the score (row 1), and zero at e (the
        //   instance column is zero there), where the sum ends;
        // - the sigmoid split: on row 1, chain(o−1) + d = idx·2^R + Σ rem_i·2^(12i) with idx in
        //   B(2) (looked up with its σ = B(1)) and the remainder limbs in B(3..). On rows 0 and e
        //   the equation holds through a free cell (B(o−2), B(e+o−2)) that nothing else reads,
        //   so it constrains nothing there.
        let t = shape.top_rotation() as i32;
        meta.create_gate("final", |m| {
            let q = m.query_selector(q_public);
            let acc = m.query_advice(b, Rotation(t));
            let mut rem = Expression::Constant(Fr::zero());
            let mut scale = Fr::one();
            for i in 0..shape.rem_limbs {
                rem = rem + m.query_advice(b, Rotation(2 + i as i32)) * scale;
                scale *= limb_base;
            }
            let idx = m.query_advice(b, Rotation(1));
            Constraints::with_selector(
                q,
                [
                    (
                        "public: state = instance (key, score; 0 below the last window)",
                        m.query_advice(b, Rotation(0)) - m.query_instance(instance, Rotation(0)),
                    ),
                    (
                        "logit: acc + d − idx·2^R − rem = 0",
                        acc + Expression::Constant(fe(shape.lin_b))
                            - idx * pow2(shape.rem_bits)
                            - rem,
                    ),
                ],
            )
        });
        // One lookup argument, tagged: (1, limb, 0) for range checks, (2, idx, σ) for the sigmoid
        // (on the σ row, with idx in the row below).
        meta.lookup("range / sigmoid", |m| {
            let qr = m.query_selector(q_range);
            let qs = m.query_selector(q_sigmoid);
            let here = m.query_advice(b, Rotation(0));
            let next = m.query_advice(b, Rotation(1));
            vec![
                (
                    qr.clone() * Fr::from(TAG_RANGE) + qs.clone() * Fr::from(TAG_SIGMOID),
                    t_tag,
                ),
                (qr * here.clone() + qs.clone() * next, t_a),
                (qs * here, t_b),
            ]
        });
        JudgeConfig {
            a,
            b,
            c,
            lin_w,
            instance,
            q_chain,
            q_public,
            pad,
            q_range,
            q_sigmoid,
            t_tag,
            t_a,
            t_b,
        }
    }

    fn synthesize(&self, cfg: JudgeConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let shape = &self.shape;
        layouter.assign_table(
            || "range / sigmoid table",
            |mut t| {
                let mut row = 0;
                let mut put = |tag: u64, a: Fr, b: Fr| -> Result<(), Error> {
                    t.assign_cell(|| "tag", cfg.t_tag, row, || Value::known(Fr::from(tag)))?;
                    t.assign_cell(|| "a", cfg.t_a, row, || Value::known(a))?;
                    t.assign_cell(|| "b", cfg.t_b, row, || Value::known(b))?;
                    row += 1;
                    Ok(())
                };
                for (tag, a, b) in static_table(shape.limb_bits, shape.sigmoid_lo, &shape.sigmoid) {
                    put(tag, a, b)?;
                }
                Ok(())
            },
        )?;

        let cols = self.witness.as_ref().map(|w| &w.columns);
        layouter.assign_region(
            || "judge",
            |mut region| {
                let rows = shape.witness_rows();
                let values = cols.as_ref().map(|c| [&c.a, &c.b, &c.c]);
                for (i, col) in [cfg.a, cfg.b, cfg.c].into_iter().enumerate() {
                    for r in 0..rows {
                        let v = values.map_or_else(Value::unknown, |v| Value::known(v[i][r]));
                        region.assign_advice(col, r, v);
                    }
                }
                if let Some(pad) = cfg.pad {
                    let mut marks = std::collections::BTreeMap::<usize, u64>::new();
                    for i in shape.padding_cells() {
                        let (col, row) = shape.input_cell(i);
                        *marks.entry(row).or_default() |= match col {
                            InputColumn::A => 1,
                            InputColumn::C => 2,
                        };
                    }
                    for (row, mark) in marks {
                        region.assign_fixed(pad, row, Fr::from(mark));
                    }
                }
                // Windows: linear weight at the anchor, range checks on the limbs.
                for n in 0..shape.windows() {
                    let row = shape.window_row(n);
                    region.assign_fixed(cfg.lin_w, row, fe(self.lin_w[n] as i128));
                    for k in 0..shape.conv_limbs {
                        cfg.q_range.enable(&mut region, row + shape.cell(k))?;
                    }
                }
                // The chain's steps on every even offset from o − 2 to the last anchor.
                let last = shape.window_row(shape.windows() - 1);
                for r in (shape.input_row() - 2..=last).step_by(2) {
                    cfg.q_chain.enable(&mut region, r)?;
                }
                for r in [KEY_ROW, SCORE_ROW, shape.chain_end()] {
                    cfg.q_public.enable(&mut region, r)?;
                }
                cfg.q_sigmoid.enable(&mut region, SCORE_ROW)?;
                for i in 0..shape.rem_limbs {
                    cfg.q_range.enable(&mut region, REM_ROW + i)?;
                }
                Ok(())
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutorial() -> ConvGeometry {
        ConvGeometry {
            in_h: 128,
            in_w: 130,
            kernel: [5, 5],
            stride: [4, 4],
            pads: [0; 4],
        }
    }

    #[test]
    fn the_tutorial_conv_packs_four_cells_per_window_into_its_bands() {
        let g = tutorial();
        assert_eq!(input_row_stride(&g, 4), Ok(129));
        // Five cells would need a third group of rows: 3·2·2·32 = 384 > 258.
        let e = input_row_stride(&g, 5).unwrap_err();
        assert!(e.0.contains("384 rows") && e.0.contains("258 rows"), "{e}");
    }

    #[test]
    fn odd_strides_and_odd_bands_are_handled() {
        let mut g = tutorial();
        g.stride = [4, 3];
        assert!(input_row_stride(&g, 4)
            .unwrap_err()
            .0
            .contains("frame axis"));
        g.stride = [3, 4];
        assert!(input_row_stride(&g, 4).unwrap_err().0.contains("mel axis"));
        // Stride 2 along the mel axis with an odd used width: one spare row per image row keeps
        // every band an even number of rows.
        g.stride = [2, 4];
        g.in_h = 9;
        let (_, uw) = g.used();
        assert_eq!(uw % 2, 1);
        assert!(input_row_stride(&g, 1).unwrap() == uw + 1);
    }
}
