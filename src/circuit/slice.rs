//! A few rows of the windowed circuit's witness table, exactly as the prover assigns them, with
//! what each cell holds and which gates and lookups read the row: notebook 4 shows one, so that
//! rows, columns, rotations, limbs and lookups are seen on the real table rather than described.

use super::Unfit;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use halo2_proofs::halo2curves::bn256::Fr;

use super::windowed::{JudgeCircuit, IDX_ROW, REM_ROW};
use super::{KEY_ROW, SCORE_ROW};
use crate::html::Table;
use crate::network::padded_index;

/// One row of the table: the advice cells A, B, C (field elements) and the fixed cell V.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceRow {
    pub row: usize,
    pub a: Fr,
    pub b: Fr,
    pub c: Fr,
    /// The linear layer's weight for the window anchored here (zero elsewhere).
    pub v: i64,
    /// What A, B and C hold on this row ("" for an unused cell).
    pub holds: [String; 3],
    /// The gates and lookups that constrain this row (those anchored on it).
    pub checks: Vec<String>,
}

/// Rows `rows` of one witness's table (`JudgeCircuit::slice`).
#[derive(Debug, Clone, PartialEq)]
pub struct WitnessSlice {
    pub rows: Vec<SliceRow>,
    /// Rows the witness occupies, of the 2^k in the circuit.
    pub witness_rows: usize,
    pub k: u32,
}

impl JudgeCircuit {
    /// Rows `rows` of this circuit's witness table as `synthesize` assigns them (a tampered
    /// circuit shows its tampered cells), or why there is none: a key-generation circuit has no
    /// witness, and rows past the witness are empty.
    pub fn slice(&self, rows: Range<usize>) -> Result<WitnessSlice, Unfit> {
        let cols = &self
            .witness
            .as_ref()
            .ok_or("a key-generation circuit has no witness to show")?
            .columns;
        let shape = &self.shape;
        let used = shape.witness_rows();
        if rows.is_empty() || rows.end > used {
            return Err(Unfit(format!(
                "rows {}..{} are not inside the witness, which fills rows 0..{used}",
                rows.start, rows.end
            )));
        }
        let roles = Roles::new(self, &rows);
        let rows = rows
            .map(|r| SliceRow {
                row: r,
                a: cols.a[r],
                b: cols.b[r],
                c: cols.c[r],
                v: roles.anchors.get(&r).map_or(0, |&n| self.lin_w[n]),
                holds: [roles.input(r, 0), roles.b(r), roles.input(r, 1)],
                checks: roles.checks(r),
            })
            .collect();
        Ok(WitnessSlice {
            rows,
            witness_rows: used,
            k: shape.min_k(),
        })
    }
}

/// What each cell of a row range holds, from the circuit's shape (the layout of
/// `windowed`'s module docs).
struct Roles<'a> {
    circuit: &'a JudgeCircuit,
    /// Window anchored on a row.
    anchors: BTreeMap<usize, usize>,
    /// Window cells in B: (window, cell index k) by row.
    cells: BTreeMap<usize, (usize, usize)>,
}

impl<'a> Roles<'a> {
    fn new(circuit: &'a JudgeCircuit, rows: &Range<usize>) -> Self {
        let shape = &circuit.shape;
        let mut anchors = BTreeMap::new();
        let mut cells = BTreeMap::new();
        for n in 0..shape.windows() {
            let a = shape.window_row(n);
            if rows.contains(&a) {
                anchors.insert(a, n);
            }
            for k in 0..=shape.conv_limbs {
                let r = a + shape.cell(k);
                if rows.contains(&r) {
                    cells.insert(r, (n, k));
                }
            }
        }
        Self {
            circuit,
            anchors,
            cells,
        }
    }

    /// The image cell that input column A (`parity` 0) or C (1) holds on row `r`.
    fn input(&self, r: usize, parity: usize) -> String {
        let shape = &self.circuit.shape;
        let o = shape.input_row();
        if r < o {
            return String::new();
        }
        let (band, col) = ((r - o) / shape.row_stride, (r - o) % shape.row_stride);
        let image_row = 2 * band + parity;
        if col >= shape.width || image_row >= shape.height {
            return String::new();
        }
        // The used region's cell, in the model's input (mel bin, frame) or in the conv's padding.
        match padded_index(shape.in_hw, shape.pads, image_row, col) {
            Some(at) => format!("input x[{}, {}]", at / shape.in_hw[1], at % shape.in_hw[1]),
            None => "padding (0)".into(),
        }
    }

    fn b(&self, r: usize) -> String {
        let shape = &self.circuit.shape;
        let t = shape.top_rotation();
        let (o, end) = (shape.input_row(), shape.chain_end());
        if let Some(&(n, k)) = self.cells.get(&r) {
            return if k < shape.conv_limbs {
                format!("window {n}: limb {k} of |conv output|")
            } else {
                format!("window {n}: sign bit (1 = negative, ReLU gives 0)")
            };
        }
        match r {
            KEY_ROW => "key (public input 0)".into(),
            SCORE_ROW => "score σ (public input 1)".into(),
            IDX_ROW => "sigmoid table index".into(),
            _ if (REM_ROW..REM_ROW + shape.rem_limbs).contains(&r) => {
                format!("remainder limb {}", r - REM_ROW)
            }
            _ if r == KEY_ROW + t || r == end + t => "free cell of the final gate".into(),
            _ if r == o - 1 => "chain top: the logit's integer part".into(),
            _ if r == end => "chain end: 0".into(),
            _ if r > o && r < end && (r - o) % 2 == 1 => "chain: sum of the windows below".into(),
            _ => String::new(),
        }
    }

    fn checks(&self, r: usize) -> Vec<String> {
        let shape = &self.circuit.shape;
        let o = shape.input_row();
        let last = shape.window_row(shape.windows() - 1);
        let mut checks = Vec::new();
        if let Some(n) = self.anchors.get(&r) {
            let [kh, kw] = shape.kernel;
            checks.push(format!(
                "window gate {n}: V·(Σw·x + b − (1 − 2·sign)·|c|) = 0, reading its {} inputs from A \
                 and C at rotations 0..{} and its limbs and sign bit from B (no check where V = 0)",
                kh * kw,
                ((kh - 1) / 2) * shape.row_stride + kw - 1
            ));
        }
        if r + 2 >= o && r <= last && (r + 2 - o) % 2 == 0 {
            checks.push("chain gate: B(r+1) = B(r+3) + V·(1 − sign)·|c|".into());
        }
        if [KEY_ROW, SCORE_ROW, shape.chain_end()].contains(&r) {
            checks.push("final gate: B = public input".into());
        }
        if r == SCORE_ROW {
            checks.push(format!(
                "final gate's split: chain top + d = index·2^{} + remainder",
                shape.rem_bits
            ));
            checks.push("sigmoid lookup: (index, σ) is in the table".into());
        }
        let window_limb = self
            .cells
            .get(&r)
            .is_some_and(|&(_, k)| k < shape.conv_limbs);
        if window_limb || (REM_ROW..REM_ROW + shape.rem_limbs).contains(&r) {
            checks.push(format!("range lookup: B < 2^{}", shape.limb_bits));
        }
        checks
    }
}

/// A field element as a signed integer when it is one within 2^64 of zero, else in short hex.
pub(crate) fn cell_text(v: &Fr) -> String {
    super::fe_small(v).map_or_else(
        || {
            let hex = crate::encoding::field_hex(v);
            format!("{}…{}", &hex[..8], &hex[hex.len() - 4..])
        },
        |n| n.to_string(),
    )
}

impl WitnessSlice {
    pub(crate) fn to_table(&self) -> Table {
        let mut t = Table::new(format!(
            "Witness table, rows {}–{} of the {} the witness fills (2^{} in the circuit)",
            self.rows.first().map_or(0, |r| r.row),
            self.rows.last().map_or(0, |r| r.row),
            self.witness_rows,
            self.k
        ))
        .header([
            "row",
            "A (advice)",
            "B (advice)",
            "C (advice)",
            "V (fixed)",
            "what the cells hold",
            "checked by",
        ]);
        for r in &self.rows {
            let holds: Vec<String> = ["A", "B", "C"]
                .iter()
                .zip(&r.holds)
                .filter(|(_, h)| !h.is_empty())
                .map(|(c, h)| format!("{c}: {h}"))
                .collect();
            t = t.row([
                r.row.to_string(),
                cell_text(&r.a),
                cell_text(&r.b),
                cell_text(&r.c),
                r.v.to_string(),
                holds.join("; "),
                r.checks.join("; "),
            ]);
        }
        t.note(
            "Values are field elements, shown as signed integers (the key as hex). Each gate \
             is anchored on one row and reads other rows by rotation; a lookup checks that the \
             cells it names form a row of the fixed table.",
        )
    }

    pub fn to_html(&self) -> String {
        self.to_table().to_html()
    }

    pub fn evcxr_display(&self) {
        crate::html::show("text/html", &self.to_html());
    }
}

impl fmt::Display for WitnessSlice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.rows {
            writeln!(
                f,
                "{:>5} | {:>14} | {:>14} | {:>14} | {:>6} | {}",
                r.row,
                cell_text(&r.a),
                cell_text(&r.b),
                cell_text(&r.c),
                r.v,
                r.holds
                    .iter()
                    .filter(|h| !h.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            )?;
        }
        Ok(())
    }
}
