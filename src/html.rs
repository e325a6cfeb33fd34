//! HTML building blocks for notebook cells (a leaf: it imports nothing of the crate).
//!
//! A cell that ends with a report (`ScanReport`, `TrainReport`, `Settings`, `MockReport`,
//! `Proof`, `Verdict`, `EvmReport`, …) shows it through the report's `evcxr_display`, which
//! prints its `to_html()` (tests read that). Each report's `to_html` sits beside the report type,
//! built from the [`Table`], [`verdict`] and [`escape`] here; `notebook_display!` gives it the
//! `evcxr_display`.

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
pub(crate) fn escape(s: &str) -> String {
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
pub(crate) use notebook_display;

notebook_display!(Audio, Code);

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
