//! Reports → HTML for notebook cells: a cell that ends with a report (`ScanReport`,
//! `TrainReport`, `Settings`, `MockReport`, `Proof`, `Verdict`, `EvmReport`, …) shows it as a
//! table through the report's `evcxr_display`. `to_html()` builds the HTML (tests read it).

use std::fmt::Write;

/// A small HTML table: caption, header row, body rows. Cells are escaped.
#[derive(Debug, Clone, Default)]
pub struct Table {
    caption: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

impl Table {
    pub fn new(caption: impl Into<String>) -> Self {
        Self {
            caption: caption.into(),
            ..Self::default()
        }
    }

    pub fn header<S: ToString>(mut self, cells: impl IntoIterator<Item = S>) -> Self {
        self.header = cells.into_iter().map(|c| c.to_string()).collect();
        self
    }

    pub fn row<S: ToString>(mut self, cells: impl IntoIterator<Item = S>) -> Self {
        self.rows
            .push(cells.into_iter().map(|c| c.to_string()).collect());
        self
    }

    /// A line of text under the table.
    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub fn to_html(&self) -> String {
        let mut h = String::from("<div class=\"cryptoidol\"><table>");
        if !self.caption.is_empty() {
            let _ = write!(
                h,
                "<caption style=\"text-align:left;font-weight:bold\">{}</caption>",
                escape(&self.caption)
            );
        }
        if !self.header.is_empty() {
            h.push_str("<thead><tr>");
            for c in &self.header {
                let _ = write!(h, "<th>{}</th>", escape(c));
            }
            h.push_str("</tr></thead>");
        }
        h.push_str("<tbody>");
        for r in &self.rows {
            h.push_str("<tr>");
            for c in r {
                let _ = write!(h, "<td>{}</td>", escape(c));
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table>");
        for n in &self.notes {
            let _ = write!(h, "<p>{}</p>", escape(n));
        }
        h.push_str("</div>");
        h
    }
}

/// HTML-escape text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A one-line verdict: green ✓ or red ✗, then the text.
pub fn verdict(ok: bool, text: &str) -> String {
    let (mark, color) = if ok {
        ("✓", "#1a7f37")
    } else {
        ("✗", "#cf222e")
    };
    format!(
        "<p style=\"font-weight:bold;color:{color}\">{mark} {}</p>",
        escape(text)
    )
}

/// Send HTML to the notebook (evcxr's display protocol).
pub fn show(mime: &str, content: &str) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
}

/// Source code shown as a captioned `<pre>` block.
#[derive(Debug, Clone)]
pub struct Code {
    pub caption: String,
    pub text: String,
}

impl Code {
    pub fn to_html(&self) -> String {
        format!(
            "<div class=\"cryptoidol\"><p><b>{}</b></p><pre><code>{}</code></pre></div>",
            escape(&self.caption),
            escape(&self.text)
        )
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n{}", self.caption, self.text)
    }
}

/// A WAV file shown as an inline `<audio controls>` player.
#[derive(Debug, Clone)]
pub struct Audio {
    pub caption: String,
    pub wav: Vec<u8>,
}

impl Audio {
    pub fn to_html(&self) -> String {
        use base64::Engine;
        format!(
            "<div class=\"cryptoidol\"><p>{}</p><audio controls src=\"data:audio/wav;base64,{}\"></audio></div>",
            escape(&self.caption),
            base64::engine::general_purpose::STANDARD.encode(&self.wav)
        )
    }
}

/// Gives each listed type an inherent `evcxr_display` that shows its `to_html()`.
macro_rules! notebook_display {
    ($($t:ty),* $(,)?) => {$(
        impl $t {
            /// Shown by the notebook kernel when a cell ends with this value.
            pub fn evcxr_display(&self) {
                crate::html::show("text/html", &self.to_html());
            }
        }
    )*};
}

use crate::dataset::ScanReport;
use crate::prove::{MockReport, Proof, Verdict, Witness};
use crate::settings::{CalibrationReport, Settings};
use crate::steps::{
    DataSource, Deployment, EvmReport, MevReport, OnChainVerdict, TrainOutcome, WidenOutcome,
};
use crate::train::TrainReport;

notebook_display!(
    Audio,
    Code,
    DataSource,
    ScanReport,
    TrainReport,
    TrainOutcome,
    WidenOutcome,
    Settings,
    CalibrationReport,
    Witness,
    MockReport,
    Proof,
    Verdict,
    EvmReport,
    Deployment,
    OnChainVerdict,
    MevReport,
    crate::judge::Judgement,
);

impl ScanReport {
    /// Clips per corpus × emotion, skipped files and missing corpora.
    pub fn to_html(&self) -> String {
        let emotions = crate::dataset::Emotion::ALL;
        let counts = self.counts();
        let mut t = Table::new(format!(
            "{} clips under {}",
            self.clips.len(),
            self.root.display()
        ))
        .header(
            std::iter::once("corpus".to_string())
                .chain(emotions.iter().map(|e| format!("{e} ({:.1})", e.score())))
                .chain(std::iter::once("total".to_string())),
        );
        for (corpus, per) in &counts {
            let total: usize = per.values().sum();
            t = t.row(
                std::iter::once(corpus.folder().to_string())
                    .chain(
                        emotions
                            .iter()
                            .map(|e| per.get(e).copied().unwrap_or(0).to_string()),
                    )
                    .chain(std::iter::once(total.to_string())),
            );
        }
        if !self.skipped.is_empty() {
            t = t.note(format!(
                "skipped {} files, e.g. {}: {}",
                self.skipped.len(),
                self.skipped[0].path.display(),
                self.skipped[0].reason
            ));
        }
        for m in &self.missing {
            t = t.note(format!("missing: {m}"));
        }
        t.to_html()
    }
}

impl TrainReport {
    /// Loss per epoch against the mean-score baseline.
    pub fn to_html(&self) -> String {
        let mut t = Table::new(format!(
            "trained on {} clips ({} validation, {} test) in {:.1} s",
            self.n_train, self.n_val, self.n_test, self.seconds
        ))
        .header(["epoch", "train MSE", "validation MSE"]);
        for e in &self.history {
            t = t.row([
                e.epoch.to_string(),
                format!("{:.4}", e.train_loss),
                format!("{:.4}", e.val_loss),
            ]);
        }
        t.note(format!(
            "validation MSE {:.4} vs {:.4} predicting the mean score; test MSE {:.4} vs {:.4}",
            self.final_val_loss(),
            self.val_mse_mean_baseline,
            self.test_loss,
            self.test_mse_mean_baseline
        ))
        .to_html()
    }
}

impl TrainOutcome {
    pub fn to_html(&self) -> String {
        let mut h = self.report.to_html();
        let _ = write!(
            h,
            "<p>network.onnx re-imported: max |candle − ONNX| score {:.1e}{}</p>",
            self.onnx_max_diff,
            if self.unusable.is_empty() {
                String::new()
            } else {
                format!("; {} clips had no usable audio", self.unusable.len())
            }
        );
        h
    }
}

impl Settings {
    /// The fields a user tunes or checks, one per row.
    pub fn to_html(&self) -> String {
        let r = &self.run_args;
        let mut t = Table::new("settings.json")
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
        Table::new(format!(
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

impl Witness {
    pub fn to_html(&self) -> String {
        Table::new("witness.json")
            .header(["field", "value"])
            .row(["key (public)".to_string(), crate::html::key_text(&self.key)])
            .row([
                "score (public)".to_string(),
                format!("{:.6} (quantized {})", self.score, self.score_q),
            ])
            .row([
                "float model's score".to_string(),
                format!("{:.6}", self.float_score),
            ])
            .row([
                "private input cells".to_string(),
                self.inputs.len().to_string(),
            ])
            .to_html()
    }
}

impl WidenOutcome {
    pub fn to_html(&self) -> String {
        let c = &self.config;
        let mut t = Table::new("the widened judge")
            .header(["", "trained", "widened"])
            .row([
                "conv channels".to_string(),
                "1".into(),
                c.channels.to_string(),
            ]);
        if c.hidden > 0 {
            t = t.row([
                "hidden ReLU layer".to_string(),
                "—".into(),
                format!("{} neurons", c.hidden),
            ]);
        }
        t.row([
            "score on input.json".to_string(),
            format!("{:.4}", self.trained_score),
            format!("{:.4}", self.widened_score),
        ])
        .note(format!("written: {}", self.onnx.display()))
        .to_html()
    }
}

impl MockReport {
    pub fn to_html(&self) -> String {
        let mut h = verdict(self.satisfied, &self.to_string().replace('\n', " "));
        if !self.failures.is_empty() {
            h.push_str("<ul>");
            for f in self.failures.iter().take(10) {
                let _ = write!(h, "<li>{}</li>", escape(f));
            }
            h.push_str("</ul>");
        }
        h
    }
}

impl Proof {
    pub fn to_html(&self) -> String {
        let bytes = self.bytes().map(|b| b.len()).unwrap_or(0);
        Table::new("proof.json")
            .header(["field", "value"])
            .row(["protocol".to_string(), self.protocol.clone()])
            .row(["proof".to_string(), format!("{bytes} bytes")])
            .row(["key (instance 0)".to_string(), key_text(&self.key)])
            .row([
                "score (instance 1)".to_string(),
                format!("{:.6} (quantized {})", self.score, self.score_q),
            ])
            .row(["proving time".to_string(), format!("{:.2} s", self.seconds)])
            .to_html()
    }
}

impl Verdict {
    pub fn to_html(&self) -> String {
        verdict(self.valid, &self.to_string())
    }
}

impl EvmReport {
    pub fn to_html(&self) -> String {
        let mut h = verdict(
            self.verify.success,
            &format!(
                "in-process EVM: proof {}",
                if self.verify.success {
                    "accepted"
                } else {
                    "rejected"
                }
            ),
        );
        h.push_str(
            &Table::new("verifier costs")
                .header(["measure", "value"])
                .row(["verify gas".to_string(), self.verify.gas_used.to_string()])
                .row([
                    "calldata bytes".to_string(),
                    self.calldata_bytes.to_string(),
                ])
                .row([
                    "runtime bytecode bytes (EIP-170 limit 24,576)".to_string(),
                    self.runtime_bytes.to_string(),
                ])
                .row(["deploy gas".to_string(), self.deploy_gas.to_string()])
                .to_html(),
        );
        h
    }
}

/// A key as written in input.json: the address string, or the number.
pub fn key_text(key: &serde_json::Value) -> String {
    match key {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_and_every_row_is_rendered() {
        let h = Table::new("a <b>")
            .header(["x", "y"])
            .row(["1 & 2", "<script>"])
            .row(["3", "4"])
            .to_html();
        assert!(h.contains("a &lt;b&gt;"));
        assert!(h.contains("<td>1 &amp; 2</td><td>&lt;script&gt;</td>"));
        assert_eq!(h.matches("<tr>").count(), 3, "header + 2 rows");
        assert!(!h.contains("<script>"));
    }

    #[test]
    fn verdicts_are_marked() {
        assert!(verdict(true, "fine").contains("✓ fine"));
        assert!(verdict(false, "bad").contains("✗ bad"));
    }
}
