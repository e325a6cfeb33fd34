//! ONNX model (+ calibration data) → [`Settings`] (`settings.json`): visibility, fixed-point
//! scales, table ranges, rows and the circuit's shape, with EZKL's field names where they mean
//! the same thing. [`gen_settings`] picks defaults; [`calibrate_settings`] picks scales and ranges
//! from calibration inputs and reports the float-vs-proven error it measured.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::circuit::{layout_of, ModelShape};
use crate::input::InputData;
use crate::network::{Network, NetworkError};
use crate::onnx::{OnnxError, OnnxGraph};
use crate::quantize::{Layout, QuantNet, QuantizeError, Scales};

/// Version of `settings.json` this build reads and writes.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Scale (bits) at which a float key from an EZKL-style input is carried.
pub(crate) const FLOAT_KEY_SCALE: u32 = 16;

/// Who sees a value (EZKL's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
    Public,
    Fixed,
}

/// EZKL's `run_args`, as far as they apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunArgs {
    pub input_visibility: Visibility,
    pub param_visibility: Visibility,
    pub output_visibility: Visibility,
    /// Input scale (bits), EZKL's `input_scale`.
    pub input_scale: u32,
    /// Conv weight scale (bits), EZKL's `param_scale`.
    pub param_scale: u32,
    pub logrows: u32,
}

/// Calibration targets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum CalibrationTarget {
    /// The smallest sigmoid table whose measured score error stays within `max_error`.
    Resources { max_error: f64 },
    /// The finest sigmoid table that fits the rows the input already needs.
    Accuracy,
}

impl CalibrationTarget {
    /// EZKL's names: `resources` (error bound 0.002) and `accuracy`.
    pub fn parse(s: &str) -> Result<Self, SettingsError> {
        match s {
            "resources" => Ok(Self::Resources { max_error: 0.002 }),
            "accuracy" => Ok(Self::Accuracy),
            other => Err(SettingsError::Invalid {
                reason: format!(
                    "unknown calibration target '{other}'; use 'resources' or 'accuracy'"
                ),
            }),
        }
    }
}

/// What calibration measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    pub target: CalibrationTarget,
    pub samples: usize,
    pub max_abs_logit: f64,
    pub max_abs_conv: f64,
    /// max and mean |proven score − float score| over the calibration inputs.
    pub max_error: f64,
    pub mean_error: f64,
    /// Bound from the sigmoid grid alone.
    pub grid_error_bound: f64,
}

/// `settings.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub format_version: u32,
    pub run_args: RunArgs,
    pub scales: Scales,
    /// SHA-256 of the ONNX file the settings were made for.
    pub model_sha256: String,
    pub model_input_shapes: Vec<Vec<usize>>,
    pub model_output_shapes: Vec<Vec<usize>>,
    /// Rows the witness uses, and rows the lookup table uses.
    pub num_rows: usize,
    pub table_rows: usize,
    /// Range-check lookups cover [0, 2^limb); sigmoid indices cover this range.
    pub lookup_range: (i64, i64),
    /// The circuit layout the model gets: `windowed` (the tutorial's shape, the fast path) or
    /// `layered` (any supported width and depth).
    #[serde(default = "windowed")]
    pub layout: Layout,
    pub advice_columns: usize,
    pub lookup_arguments: usize,
    pub instances: Vec<String>,
    /// Scale (bits) of a float key (EZKL-style input); addresses are carried exactly.
    pub float_key_scale: u32,
    pub proof_system: String,
    pub calibration: Option<CalibrationReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a settings file ({reason}). Make one with `idol gen-settings`.")]
    Parse { path: String, reason: String },
    #[error("{path} was written by settings format {got}, this build reads {expected}: rerun `idol gen-settings` and `idol calibrate-settings`.")]
    Version {
        path: String,
        got: u32,
        expected: u32,
    },
    #[error("{path} was made for another model (sha256 {expected}), not {model} (sha256 {got}). Rerun `idol gen-settings -M {model}`.")]
    ModelMismatch {
        path: String,
        model: String,
        expected: String,
        got: String,
    },
    #[error("invalid settings: {reason}")]
    Invalid { reason: String },
    #[error(transparent)]
    Quantize(#[from] QuantizeError),
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The model file itself could not be read (shown as the onnx stage's error).
    #[error(transparent)]
    Onnx(#[from] OnnxError),
}

impl SettingsError {
    /// Scales under which a model's circuit cannot be laid out (`reason` from
    /// [`ModelShape::new`]), with the fix.
    pub(crate) fn unfit(reason: impl std::fmt::Display) -> Self {
        Self::Invalid {
            reason: format!(
                "{reason}; lower the input or weight scale (`idol calibrate-settings` picks the limbs from the data)"
            ),
        }
    }
}

fn windowed() -> Layout {
    Layout::Windowed
}

/// Default scales of a layout before calibration: precise everywhere (precision costs no rows
/// here). The layered layout rescales hidden layers by whole limbs, so its weight scale is
/// 2 limbs (2^24).
pub(crate) fn default_scales_for(layout: Layout) -> Scales {
    match layout {
        Layout::Windowed => default_scales(),
        Layout::Layered => with_linear_scale(Scales {
            conv: 24,
            ..default_scales()
        }),
    }
}

/// Default scales of the windowed layout (the tutorial's judge).
pub(crate) fn default_scales() -> Scales {
    with_linear_scale(Scales {
        input: 8,
        conv: 16,
        linear: 16,
        sigmoid_grid: 8,
        sigmoid_range_log2: 3,
        output: 16,
        limb: 12,
        conv_limbs: 3,
    })
}

/// Set the linear scale (≥ 16) so that the sigmoid remainder is a whole number of limbs.
fn with_linear_scale(mut s: Scales) -> Scales {
    s.linear = 16;
    while (s.input + s.conv + s.linear - s.sigmoid_grid) % s.limb != 0 {
        s.linear += 1;
    }
    s
}

impl Settings {
    /// The fixed-point model these settings make of `net`, under the layout `net` gets.
    pub fn quantize(&self, net: &Network) -> Result<QuantNet, SettingsError> {
        let layout = layout_of(net);
        self.check_layout(layout)?;
        Ok(QuantNet::new(net, &self.scales, layout))
    }

    /// Refuse settings made for another layout, and scales the layout cannot prove.
    pub(crate) fn check_layout(&self, layout: Layout) -> Result<(), SettingsError> {
        if self.layout != layout {
            return Err(SettingsError::Invalid {
                reason: format!(
                    "these settings are for the {} layout, but the model reads as a {layout} one. Rerun `idol gen-settings` and `idol calibrate-settings` for this model",
                    self.layout
                ),
            });
        }
        let s = &self.scales;
        if layout == Layout::Layered
            && (s.conv % s.limb != 0 || s.conv == 0 || s.conv_limbs <= s.conv / s.limb)
        {
            return Err(SettingsError::Invalid {
                reason: format!(
                    "this model uses the layered circuit, which rescales hidden layers by whole limbs: the weight scale (param_scale {}) must be a positive multiple of the limb bits ({}) and below the hidden limbs' {} bits. Rerun `idol gen-settings` and `idol calibrate-settings` for this model",
                    s.conv,
                    s.limb,
                    s.limb * s.conv_limbs
                ),
            });
        }
        Ok(())
    }

    fn refresh(&mut self, q: &QuantNet) -> Result<(), SettingsError> {
        let shape = ModelShape::new(q).map_err(SettingsError::unfit)?;
        self.layout = q.layout;
        self.num_rows = shape.witness_rows();
        self.table_rows = shape.table_rows();
        self.run_args.logrows = shape.min_k();
        self.run_args.input_scale = self.scales.input;
        self.run_args.param_scale = self.scales.conv;
        let (lo, hi) = self.scales.sigmoid_index_range();
        self.lookup_range = (lo.min(0), hi.max(1 << self.scales.limb));
        self.advice_columns = shape.columns().0;
        self.lookup_arguments = shape.columns().2;
        Ok(())
    }

    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SettingsError> {
        let path = path.as_ref();
        std::fs::write(
            path,
            serde_json::to_string_pretty(self).expect("settings serialise"),
        )
        .map_err(|source| SettingsError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Self, SettingsError> {
        let path = path.as_ref();
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Io {
            path: p.clone(),
            source,
        })?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| SettingsError::Parse {
                path: p.clone(),
                reason: e.to_string(),
            })?;
        let got = v
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| SettingsError::Parse {
                path: p.clone(),
                reason: "no format_version".into(),
            })? as u32;
        if got != FORMAT_VERSION {
            return Err(SettingsError::Version {
                path: p,
                got,
                expected: FORMAT_VERSION,
            });
        }
        let s: Settings = serde_json::from_value(v).map_err(|e| SettingsError::Parse {
            path: p.clone(),
            reason: e.to_string(),
        })?;
        s.validate().map_err(|e| SettingsError::Parse {
            path: p,
            reason: e.to_string(),
        })?;
        Ok(s)
    }

    /// Refuse settings this circuit cannot build.
    pub(crate) fn validate(&self) -> Result<(), SettingsError> {
        let bad = |reason: String| Err(SettingsError::Invalid { reason });
        let r = &self.run_args;
        if (r.input_visibility, r.param_visibility, r.output_visibility)
            != (Visibility::Private, Visibility::Fixed, Visibility::Public)
        {
            return bad(format!(
                "visibility input={:?} params={:?} output={:?} is not supported: the judge circuit proves private input, fixed params, public output",
                r.input_visibility, r.param_visibility, r.output_visibility
            ));
        }
        let s = &self.scales;
        if s.limb == 0 || s.limb > 16 {
            return bad(format!("limb bits {} must be 1..=16", s.limb));
        }
        if s.input + s.conv + s.linear <= s.sigmoid_grid
            || (s.input + s.conv + s.linear - s.sigmoid_grid) % s.limb != 0
        {
            return bad("input + conv + linear − sigmoid_grid scales must be a positive multiple of the limb bits".into());
        }
        if s.input + s.conv > 40
            || s.linear > 40
            || s.output > 30
            || s.sigmoid_range_log2 > 6
            || s.sigmoid_grid > 14
            || s.conv_limbs == 0
            || s.conv_limbs > 5
        {
            return bad(format!("scales out of bounds: {s}"));
        }
        if !(1..=26).contains(&r.logrows) {
            return bad(format!("logrows {} out of bounds (1..=26)", r.logrows));
        }
        Ok(())
    }

    /// Digest binding keys and witnesses to the model (by its digest) under these settings:
    /// scales, size, layout and the circuit's layout version.
    pub(crate) fn circuit_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.model_sha256.as_bytes());
        h.update(serde_json::to_vec(&self.scales).expect("scales serialise"));
        h.update(self.run_args.logrows.to_le_bytes());
        h.update(crate::circuit::LAYOUT_VERSION.to_le_bytes());
        if self.layout == Layout::Layered {
            h.update(b"layered");
        }
        crate::encoding::hex(h.finalize())
    }

    /// Check these settings belong to the loaded model `graph` (its file and external data).
    pub fn check_model(
        &self,
        settings_path: &Path,
        graph: &OnnxGraph,
    ) -> Result<(), SettingsError> {
        if graph.sha256 != self.model_sha256 {
            return Err(SettingsError::ModelMismatch {
                path: settings_path.display().to_string(),
                model: graph.path.display().to_string(),
                expected: self.model_sha256.clone(),
                got: graph.sha256.clone(),
            });
        }
        Ok(())
    }
}

/// Settings for a model with default scales (EZKL's `gen_settings`).
pub fn gen_settings(model_path: impl AsRef<Path>) -> Result<(Settings, OnnxGraph), SettingsError> {
    let graph = OnnxGraph::load(model_path.as_ref())?;
    Ok((default_settings(&graph)?, graph))
}

/// Settings with default scales for a loaded model.
pub(crate) fn default_settings(graph: &OnnxGraph) -> Result<Settings, SettingsError> {
    let net = Network::from_graph(graph)?;
    let layout = layout_of(&net);
    let [c, h, w] = net.input;
    let mut s = Settings {
        format_version: FORMAT_VERSION,
        run_args: RunArgs {
            input_visibility: Visibility::Private,
            param_visibility: Visibility::Fixed,
            output_visibility: Visibility::Public,
            input_scale: 0,
            param_scale: 0,
            logrows: 0,
        },
        scales: default_scales_for(layout),
        model_sha256: graph.sha256.clone(),
        model_input_shapes: vec![vec![1, 1], vec![1, c, h, w]],
        model_output_shapes: vec![vec![1, 1], vec![1, 1]],
        num_rows: 0,
        table_rows: 0,
        lookup_range: (0, 0),
        layout,
        advice_columns: 0,
        lookup_arguments: 0,
        instances: vec!["key".into(), "score".into()],
        float_key_scale: FLOAT_KEY_SCALE,
        proof_system: "halo2 (halo2-axiom), KZG on BN254, SHPLONK".into(),
        calibration: None,
    };
    s.refresh(&QuantNet::new(&net, &s.scales, layout))?;
    Ok(s)
}

/// Max and mean |proven score − float score| over the calibration inputs under `scales`
/// (`float_scores`: the float reference's score of each input, computed once).
fn measure(
    float: &Network,
    layout: Layout,
    scales: &Scales,
    cal: &InputData,
    float_scores: &[f64],
) -> Result<(f64, f64), QuantizeError> {
    let q = QuantNet::new(float, scales, layout);
    let (mut max, mut sum) = (0.0f64, 0.0);
    for (i, (x, reference)) in cal.xs.iter().zip(float_scores).enumerate() {
        let t = q.forward_int(x, i)?;
        let e = (t.score(scales) - reference).abs();
        max = max.max(e);
        sum += e;
    }
    Ok((max, sum / cal.xs.len().max(1) as f64))
}

/// Choose scales and table ranges from calibration inputs (EZKL's `calibrate_settings`).
pub fn calibrate_settings(
    cal: &InputData,
    graph: &OnnxGraph,
    settings: &Settings,
    target: CalibrationTarget,
) -> Result<(Settings, CalibrationReport), SettingsError> {
    let float = Network::from_graph(graph)?;
    let layout = layout_of(&float);
    settings.check_layout(layout)?;
    if cal.xs.is_empty() {
        return Err(SettingsError::Invalid {
            reason: "no calibration samples".into(),
        });
    }
    let (mut max_conv, mut max_logit) = (0.0f64, 0.0f64);
    let mut float_scores = Vec::with_capacity(cal.xs.len());
    let [c, h, w] = float.input;
    for (i, x) in cal.xs.iter().enumerate() {
        if x.len() != float.input_len() {
            return Err(QuantizeError::InputShape {
                sample: i,
                got: x.len(),
                expected: float.input_len(),
                c,
                h,
                w,
            }
            .into());
        }
        let f = float.forward(x);
        let pre = f
            .hidden
            .iter()
            .flatten()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        max_conv = max_conv.max(pre);
        max_logit = max_logit.max(f.logit.abs());
        float_scores.push(f.score);
    }
    let mut s = settings.scales.clone();
    // Sigmoid range: a power of two with 25% headroom over the calibration logits (at least ±4).
    s.sigmoid_range_log2 = ((max_logit * 1.25).max(4.0).log2().ceil() as u32).min(6);
    // Conv limbs: |c| at scale 2^(sx+sw) with 2× headroom.
    let conv_bits = ((max_conv * 2.0 + 1e-9).log2() + (s.input + s.conv) as f64)
        .ceil()
        .max(1.0) as u32;
    s.conv_limbs = conv_bits.div_ceil(s.limb).max(1);
    if layout == Layout::Layered {
        // The rescale drops conv/limb whole limbs; at least one limb must remain.
        s.conv_limbs = s.conv_limbs.max(s.conv / s.limb + 1);
    }
    // A window's limbs and sign bit must fit between the windows of the windowed layout.
    let shape_of = |s: &Scales| {
        ModelShape::new(&QuantNet::new(&float, s, layout))
            .map_err(|e| SettingsError::unfit(format!("conv outputs up to {max_conv:.1}: {e}")))
    };
    let base_shape = shape_of(&with_linear_scale(Scales {
        sigmoid_grid: 1,
        ..s.clone()
    }))?;
    let k = base_shape.min_k();
    let with_grid = |g: u32| {
        with_linear_scale(Scales {
            sigmoid_grid: g,
            ..s.clone()
        })
    };
    let fits = |g: u32| shape_of(&with_grid(g)).is_ok_and(|shape| shape.min_k() <= k);
    let chosen = match target {
        CalibrationTarget::Accuracy => (1..=14).rev().find(|&g| fits(g)).unwrap_or(1),
        CalibrationTarget::Resources { max_error } => {
            let mut pick = None;
            for g in 1..=14 {
                let trial = with_grid(g);
                if measure(&float, layout, &trial, cal, &float_scores)?.0 <= max_error {
                    pick = Some(g);
                    break;
                }
            }
            pick.ok_or_else(|| SettingsError::Invalid {
                reason: format!("no sigmoid grid reaches the error bound {max_error}"),
            })?
        }
    };
    s.sigmoid_grid = chosen;
    let s = with_linear_scale(s);
    let (max_error, mean_error) = measure(&float, layout, &s, cal, &float_scores)?;
    let report = CalibrationReport {
        target,
        samples: cal.xs.len(),
        max_abs_logit: max_logit,
        max_abs_conv: max_conv,
        max_error,
        mean_error,
        grid_error_bound: s.grid_error(),
    };
    let mut out = settings.clone();
    out.scales = s;
    out.calibration = Some(report.clone());
    out.refresh(&out.quantize(&float)?)?;
    Ok((out, report))
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scales: {}", self.scales)?;
        write!(
            f,
            "circuit ({} layout): 2^{} rows ({} used by the witness, {} by the table), {} advice columns, {} lookup argument",
            self.layout, self.run_args.logrows, self.num_rows, self.table_rows, self.advice_columns, self.lookup_arguments
        )?;
        if let Some(c) = &self.calibration {
            write!(f, "\n{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CalibrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "calibration ({:?}) on {} inputs: |logit| ≤ {:.2}, |conv| ≤ {:.1}; proven vs float score: max {:.2e}, mean {:.2e} (grid bound {:.2e})",
            self.target, self.samples, self.max_abs_logit, self.max_abs_conv, self.max_error, self.mean_error, self.grid_error_bound
        )
    }
}

/// Settings side by side (e.g. the `resources` and `accuracy` targets' for one model): what each
/// choice costs in rows and buys in error.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub named: Vec<(String, Settings)>,
}

/// Compare settings side by side: two calibration targets for one model (notebook 4), or two
/// models' circuits (notebook 8).
pub fn compare<'a>(named: impl IntoIterator<Item = (&'a str, &'a Settings)>) -> Comparison {
    Comparison {
        named: named
            .into_iter()
            .map(|(n, s)| (n.to_string(), s.clone()))
            .collect(),
    }
}

impl Comparison {
    /// One row per property, one column per settings.
    pub fn rows(&self) -> Vec<(String, Vec<String>)> {
        let col = |f: &dyn Fn(&Settings) -> String| -> Vec<String> {
            self.named.iter().map(|(_, s)| f(s)).collect()
        };
        let err = |s: &Settings| {
            s.calibration
                .as_ref()
                .map(|c| format!("{:.2e}", c.max_error))
                .unwrap_or_else(|| "—".into())
        };
        vec![
            (
                "sigmoid table".into(),
                col(&|s| {
                    format!(
                        "step 2^-{} over ±{} ({} entries)",
                        s.scales.sigmoid_grid,
                        1u64 << s.scales.sigmoid_range_log2,
                        s.scales.sigmoid_entries()
                    )
                }),
            ),
            (
                "score scale".into(),
                col(&|s| format!("2^{}", s.scales.output)),
            ),
            (
                "rows used (witness / table)".into(),
                col(&|s| format!("{} / {}", s.num_rows, s.table_rows)),
            ),
            (
                "circuit size".into(),
                col(&|s| format!("2^{} rows", s.run_args.logrows)),
            ),
            ("max score error (calibration)".into(), col(&err)),
            (
                "circuit".into(),
                col(&|s| {
                    format!(
                        "{} layout: {} advice columns, {} lookup argument(s)",
                        s.layout, s.advice_columns, s.lookup_arguments
                    )
                }),
            ),
        ]
    }

    /// True when the settings use different layouts (so different columns and gates).
    pub fn layouts_differ(&self) -> bool {
        let mut layouts = self.named.iter().map(|(_, s)| s.layout);
        layouts
            .next()
            .is_some_and(|first| layouts.any(|l| l != first))
    }

    /// True when the settings differ in 2^k: then the choice changes proving time and key size.
    pub fn sizes_differ(&self) -> bool {
        let mut ks = self.named.iter().map(|(_, s)| s.run_args.logrows);
        ks.next().is_some_and(|first| ks.any(|k| k != first))
    }

    fn note(&self) -> String {
        if self.layouts_differ() {
            "The circuits differ in layout: the on-chain verifier's gas follows their columns, gates and lookup arguments, and each power of two in rows doubles proving time and key size.".into()
        } else if self.sizes_differ() {
            "The targets need different circuit sizes: each power of two in rows doubles proving time and key size (the on-chain verifier's gas barely changes: one more squaring per power of two).".into()
        } else {
            "Both fit the same circuit size (2^k rows), so the finer table costs nothing here: the choice matters when the table's rows push the circuit past a power of two.".into()
        }
    }

    pub fn to_html(&self) -> String {
        let mut t = crate::html::Table::new("settings side by side").header(
            std::iter::once(String::new()).chain(self.named.iter().map(|(n, _)| n.clone())),
        );
        for (name, cells) in self.rows() {
            t = t.row(std::iter::once(name).chain(cells));
        }
        t.note(self.note()).to_html()
    }

    /// Shown by the notebook kernel when a cell ends with this value.
    pub fn evcxr_display(&self) {
        crate::html::show("text/html", &self.to_html());
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, cells) in self.rows() {
            writeln!(f, "{name:<32} {}", cells.join(" | "))?;
        }
        write!(f, "{}", self.note())
    }
}

impl Settings {
    /// The fields a user tunes or checks, one per row.
    pub fn to_html(&self) -> String {
        let r = &self.run_args;
        let mut t = crate::html::Table::new("settings.json")
            .header(["field", "value"])
            .row([
                "visibility (input / params / output)".to_string(),
                format!(
                    "{:?} / {:?} / {:?}",
                    r.input_visibility, r.param_visibility, r.output_visibility
                ),
            ])
            .row(["scales (bits)".to_string(), self.scales.to_string()])
            .row([
                "rows".to_string(),
                format!(
                    "2^{} ({} used by the witness, {} by the lookup table)",
                    r.logrows, self.num_rows, self.table_rows
                ),
            ])
            .row([
                "shape".to_string(),
                format!(
                    "{} layout: {} advice columns, {} lookup argument(s)",
                    self.layout, self.advice_columns, self.lookup_arguments
                ),
            ])
            .row([
                "lookup range".to_string(),
                format!("[{}, {}]", self.lookup_range.0, self.lookup_range.1),
            ])
            .row([
                "model input / output shapes".to_string(),
                format!(
                    "{:?} / {:?}",
                    self.model_input_shapes, self.model_output_shapes
                ),
            ])
            .row(["public instances".to_string(), self.instances.join(", ")])
            .row(["proof system".to_string(), self.proof_system.clone()]);
        if let Some(c) = &self.calibration {
            t = t.row([
                "calibrated error (max / mean)".to_string(),
                format!("{:.2e} / {:.2e}", c.max_error, c.mean_error),
            ]);
        }
        t.to_html()
    }
}

impl CalibrationReport {
    pub fn to_html(&self) -> String {
        crate::html::Table::new(format!(
            "calibration ({:?}) on {} inputs",
            self.target, self.samples
        ))
        .header(["measure", "value"])
        .row([
            "max |logit|".to_string(),
            format!("{:.3}", self.max_abs_logit),
        ])
        .row([
            "max |conv output|".to_string(),
            format!("{:.2}", self.max_abs_conv),
        ])
        .row([
            "max |proven − float score|".to_string(),
            format!("{:.2e}", self.max_error),
        ])
        .row([
            "mean |proven − float score|".to_string(),
            format!("{:.2e}", self.mean_error),
        ])
        .row([
            "sigmoid grid bound".to_string(),
            format!("{:.2e}", self.grid_error_bound),
        ])
        .to_html()
    }
}

crate::html::notebook_display!(Settings, CalibrationReport);
