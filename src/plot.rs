//! Reports → [`Figure`]s: spectrogram heat maps, the label histogram and loss curves, as SVG
//! (inline in notebooks through `evcxr_display`) or PNG/SVG files (by extension).
//!
//! Text is drawn with an embedded DejaVu Sans font, so PNGs render the same on any machine.

use std::path::Path;
use std::sync::Once;

use image::ImageEncoder;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("cannot draw {path}: {reason}")]
    Draw { path: String, reason: String },
    #[error("{path}: unknown figure format '{ext}'. Use a .png or .svg file name.")]
    Format { path: String, ext: String },
}

/// What a figure shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Row-major `[mel][frame]` dB values.
    Spectrogram {
        title: String,
        db: Vec<f32>,
        n_mels: usize,
        frames: usize,
    },
    /// Labelled bars.
    Bars {
        title: String,
        x_label: String,
        y_label: String,
        bars: Vec<(String, f64)>,
        /// Labelled horizontal reference lines (e.g. a scale's named points).
        marks: Vec<(String, f64)>,
    },
    /// Named (x, y) series.
    Lines {
        title: String,
        x_label: String,
        y_label: String,
        series: Vec<(String, Vec<(f64, f64)>)>,
    },
}

/// A chart with a size; render it as SVG text or save it as PNG/SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub chart: Chart,
    pub width: u32,
    pub height: u32,
}

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        // The embedded font always parses; a failure would only mean text-less plots.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

impl Figure {
    pub fn new(chart: Chart) -> Self {
        Self {
            chart,
            width: 720,
            height: 420,
        }
    }

    /// The figure as an SVG document.
    pub fn svg(&self) -> String {
        register_font();
        let mut out = String::new();
        {
            let root =
                SVGBackend::with_string(&mut out, (self.width, self.height)).into_drawing_area();
            // Drawing into a string cannot fail for I/O reasons.
            let _ = draw(&self.chart, root);
        }
        out
    }

    /// Write the figure; the extension (`.png` or `.svg`) picks the format.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        register_font();
        let path = path.as_ref();
        let p = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let res = match ext.as_str() {
            "png" => draw(
                &self.chart,
                BitMapBackend::new(path, (self.width, self.height)).into_drawing_area(),
            ),
            "svg" => draw(
                &self.chart,
                SVGBackend::new(path, (self.width, self.height)).into_drawing_area(),
            ),
            _ => return Err(PlotError::Format { path: p, ext }),
        };
        res.map_err(|reason| PlotError::Draw { path: p, reason })
    }

    /// The figure as PNG bytes.
    pub fn png(&self) -> Result<Vec<u8>, PlotError> {
        register_font();
        let (w, h) = (self.width, self.height);
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        let drawn = draw(
            &self.chart,
            BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area(),
        );
        let failed = |reason: String| PlotError::Draw {
            path: "<in-memory PNG>".into(),
            reason,
        };
        drawn.map_err(failed)?;
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&rgb, w, h, image::ColorType::Rgb8)
            .map_err(|e| failed(e.to_string()))?;
        Ok(png)
    }

    /// Inline display in an evcxr notebook cell: heat maps as PNG (an SVG of 16 000 cells
    /// would weigh megabytes), line and bar charts as SVG.
    pub fn evcxr_display(&self) {
        match (&self.chart, self.png()) {
            (Chart::Spectrogram { .. }, Ok(png)) => {
                use base64::Engine;
                let b64 = base64::engine::general_purpose::STANDARD.encode(png);
                crate::html::show("image/png", &b64);
            }
            _ => crate::html::show("image/svg+xml", &self.svg()),
        }
    }
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: DrawingArea<DB, plotters::coord::Shift>,
) -> Result<(), String> {
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| err.to_string();
    root.fill(&WHITE).map_err(e)?;
    match chart {
        Chart::Spectrogram {
            title,
            db,
            n_mels,
            frames,
        } => {
            let (lo, hi) = db
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                    (a.min(v), b.max(v))
                });
            let span = (hi - lo).max(1e-6);
            let (area, bar) = root.split_horizontally(root.dim_in_pixel().0 - 90);
            let mut c = ChartBuilder::on(&area)
                .caption(title, ("sans-serif", 18))
                .margin(8)
                .x_label_area_size(36)
                .y_label_area_size(44)
                .build_cartesian_2d(0..*frames, 0..*n_mels)
                .map_err(e)?;
            c.configure_mesh()
                .disable_mesh()
                .x_desc("frame")
                .y_desc("mel band")
                .draw()
                .map_err(e)?;
            c.draw_series((0..*n_mels).flat_map(|m| {
                (0..*frames).map(move |t| {
                    let v = (db[m * frames + t] - lo) / span;
                    Rectangle::new([(t, m), (t + 1, m + 1)], ViridisRGB::get_color(v).filled())
                })
            }))
            .map_err(e)?;
            let mut cb = ChartBuilder::on(&bar)
                .margin_top(40)
                .margin_bottom(44)
                .margin_right(8)
                .y_label_area_size(50)
                .build_cartesian_2d(0..1, (lo as f64)..(hi as f64 + 1e-6))
                .map_err(e)?;
            cb.configure_mesh()
                .disable_mesh()
                .disable_x_axis()
                .y_desc("dB")
                .draw()
                .map_err(e)?;
            let steps = 64;
            cb.draw_series((0..steps).map(|i| {
                let a = lo as f64 + span as f64 * i as f64 / steps as f64;
                let b = lo as f64 + span as f64 * (i + 1) as f64 / steps as f64;
                Rectangle::new(
                    [(0, a), (1, b)],
                    ViridisRGB::get_color(i as f32 / steps as f32).filled(),
                )
            }))
            .map_err(e)?;
        }
        Chart::Bars {
            title,
            x_label,
            y_label,
            bars,
            marks,
        } => {
            let max = bars
                .iter()
                .chain(marks)
                .map(|b| b.1)
                .fold(0.0, f64::max)
                .max(1e-9)
                * 1.1;
            let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
            let mut c = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d((0..bars.len()).into_segmented(), 0.0..max)
                .map_err(e)?;
            c.configure_mesh()
                .disable_x_mesh()
                .x_desc(x_label.as_str())
                .y_desc(y_label.as_str())
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .draw()
                .map_err(e)?;
            c.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
                Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), *v),
                    ],
                    RGBColor(68, 114, 196).filled(),
                )
            }))
            .map_err(e)?;
            let grey = RGBColor(120, 120, 120);
            for (label, y) in marks {
                let ends = [
                    (SegmentValue::Exact(0), *y),
                    (SegmentValue::Exact(bars.len()), *y),
                ];
                c.draw_series(std::iter::once(PathElement::new(ends, grey)))
                    .map_err(e)?;
                c.draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (SegmentValue::Exact(0), *y),
                    ("sans-serif", 12).into_font().color(&grey),
                )))
                .map_err(e)?;
            }
        }
        Chart::Lines {
            title,
            x_label,
            y_label,
            series,
        } => {
            let pts = series.iter().flat_map(|s| s.1.iter());
            let (x0, x1, y0, y1) = pts.fold(
                (
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                ),
                |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
            );
            let (x0, x1) = if x0.is_finite() {
                (x0, x1.max(x0 + 1e-9))
            } else {
                (0.0, 1.0)
            };
            let (y0, y1) = if y0.is_finite() {
                (y0.min(0.0), y1.max(y0 + 1e-9) * 1.05)
            } else {
                (0.0, 1.0)
            };
            let mut c = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(e)?;
            c.configure_mesh()
                .x_desc(x_label.as_str())
                .y_desc(y_label.as_str())
                .draw()
                .map_err(e)?;
            for (i, (name, pts)) in series.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                c.draw_series(LineSeries::new(pts.iter().cloned(), color.stroke_width(2)))
                    .map_err(e)?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
                c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(e)?;
            }
            c.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(e)?;
        }
    }
    root.present().map_err(e)?;
    Ok(())
}

/// Heat map of one dB mel spectrogram.
pub fn spectrogram(spec: &crate::mel::Spectrogram, title: impl Into<String>) -> Figure {
    Figure::new(Chart::Spectrogram {
        title: title.into(),
        db: spec.db.clone(),
        n_mels: spec.n_mels,
        frames: spec.frames,
    })
}

/// Labelled bars, e.g. an error per calibration target.
pub fn bars(
    title: impl Into<String>,
    y_label: impl Into<String>,
    bars: impl IntoIterator<Item = (String, f64)>,
) -> Figure {
    bars_with_marks(title, y_label, bars, [])
}

/// Labelled bars with labelled horizontal reference lines across them (`marks`).
pub fn bars_with_marks(
    title: impl Into<String>,
    y_label: impl Into<String>,
    bars: impl IntoIterator<Item = (String, f64)>,
    marks: impl IntoIterator<Item = (String, f64)>,
) -> Figure {
    Figure::new(Chart::Bars {
        title: title.into(),
        x_label: String::new(),
        y_label: y_label.into(),
        bars: bars.into_iter().collect(),
        marks: marks.into_iter().collect(),
    })
}

/// Samples of a clip over time.
pub fn waveform(clip: &crate::audio::Clip, title: impl Into<String>) -> Figure {
    let rate = clip.sample_rate.max(1) as f64;
    // At most ~2000 points: the min and max of each bucket keep the envelope.
    let bucket = (clip.samples.len() / 1000).max(1);
    let mut points = Vec::with_capacity(2 * clip.samples.len() / bucket + 2);
    for (i, chunk) in clip.samples.chunks(bucket).enumerate() {
        let t = (i * bucket) as f64 / rate;
        let (lo, hi) = chunk
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        points.push((t, lo as f64));
        points.push((t, hi as f64));
    }
    Figure::new(Chart::Lines {
        title: title.into(),
        x_label: "seconds".into(),
        y_label: "amplitude".into(),
        series: vec![("samples".into(), points)],
    })
}

/// Clips per preference score (the judge's labels), from a scan.
pub fn label_histogram(scan: &crate::dataset::ScanReport) -> Figure {
    let mut bars: Vec<(String, f64)> = Vec::new();
    for s in [0.0f32, 0.2, 0.4, 0.6, 0.8, 1.0] {
        let names: Vec<&str> = crate::dataset::Emotion::ALL
            .iter()
            .filter(|e| e.score() == s)
            .map(|e| e.name())
            .collect();
        let n = scan.clips.iter().filter(|c| c.score() == s).count();
        bars.push((format!("{s:.1} ({})", names.join("/")), n as f64));
    }
    Figure::new(Chart::Bars {
        title: format!("labels of {} clips", scan.clips.len()),
        x_label: "score (emotions)".into(),
        y_label: "clips".into(),
        bars,
        marks: Vec::new(),
    })
}

/// The circuit's sigmoid lookup table (a step per grid cell, as the proof sees it) against the
/// float sigmoid, over the logits the table covers.
pub fn sigmoid_table(scales: &crate::quantize::Scales) -> Figure {
    let g = 2f64.powi(scales.sigmoid_grid as i32);
    let out = 2f64.powi(scales.output as i32);
    let (lo, hi) = scales.sigmoid_index_range();
    // At most ~2000 steps drawn: a finer grid is indistinguishable at this size.
    let every = ((hi - lo) as usize / 2000).max(1);
    let mut table = Vec::new();
    let mut idx = lo;
    while idx < hi {
        let y = scales.sigmoid_q(idx) as f64 / out;
        let next = (idx + every as i64).min(hi);
        table.push((idx as f64 / g, y));
        table.push((next as f64 / g, y));
        idx = next;
    }
    let (x0, x1) = (lo as f64 / g, hi as f64 / g);
    let float: Vec<(f64, f64)> = (0..=400)
        .map(|i| {
            let x = x0 + (x1 - x0) * i as f64 / 400.0;
            (x, crate::network::sigmoid(x))
        })
        .collect();
    Figure::new(Chart::Lines {
        title: format!(
            "sigmoid lookup table: {} entries, step 2^-{} in the logit{}",
            hi - lo,
            scales.sigmoid_grid,
            if every > 1 {
                format!(" (every {every}th drawn)")
            } else {
                String::new()
            }
        ),
        x_label: "logit".into(),
        y_label: "score".into(),
        series: vec![
            ("float sigmoid".into(), float),
            (format!("table (score at 2^{})", scales.output), table),
        ],
    })
}

/// Training and validation MSE per epoch.
pub fn loss_curve(report: &crate::train::TrainReport) -> Figure {
    let pick = |f: fn(&crate::train::EpochLog) -> f64| {
        report
            .history
            .iter()
            .map(|e| (e.epoch as f64, f(e)))
            .collect()
    };
    let base = report.val_mse_mean_baseline;
    let last = report.history.len().max(1) as f64;
    Figure::new(Chart::Lines {
        title: "judge training".into(),
        x_label: "epoch".into(),
        y_label: "MSE".into(),
        series: vec![
            ("train".into(), pick(|e| e.train_loss)),
            ("validation".into(), pick(|e| e.val_loss)),
            (
                "validation, mean-score baseline".into(),
                vec![(1.0, base), (last, base)],
            ),
        ],
    })
}
