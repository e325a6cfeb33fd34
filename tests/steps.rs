//! The notebook-facing layer: where the data comes from, inline figures and HTML reports.

use cryptoidol::prelude::*;

#[test]
fn voice_data_uses_the_folder_given_or_generates_the_synthetic_default_once() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::new(dir.path().join("ws")).unwrap();

    // A VOICE_DATA_DIR that does not exist: an error naming it and the fix.
    let missing = dir.path().join("nowhere");
    let err = steps::voice_data_from(&ws, Some(missing.clone()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nowhere") && err.contains("voice_data.sh"),
        "{err}"
    );

    // No folder: the synthetic corpus is written, and said so plainly.
    let first = steps::voice_data_from(&ws, None).unwrap();
    assert!(first.synthetic);
    assert!(first.generated.unwrap() > 100);
    assert!(first.to_string().contains("SYNTHETIC"), "{first}");
    let found = scan(&first.root).unwrap();
    assert_eq!(found.clips.len(), first.generated.unwrap());

    // Second time: reused, not regenerated.
    let again = steps::voice_data_from(&ws, None).unwrap();
    assert_eq!(again.generated, None);
    assert_eq!(again.root, first.root);

    // A real folder (here: the generated one) is used as given, not called synthetic.
    let given = steps::voice_data_from(&ws, Some(ws.dir.clone())).unwrap();
    assert!(!given.synthetic);
    assert_eq!(
        given.root, first.root,
        "DIR/data is resolved as voice_data.sh leaves it"
    );

    // The scan report renders as a table with one row per corpus and the right total.
    let html = found.to_html();
    assert_eq!(html.matches("<tr>").count(), 1 + found.counts().len());
    assert!(html.contains(&format!("{} clips", found.clips.len())));
}

#[test]
fn figures_render_as_png_and_svg() {
    let chart = plot::bars(
        "errors",
        "score error",
        [("a".to_string(), 0.001), ("b".to_string(), 0.002)],
    );
    let png = chart.png().unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert!(png.len() > 1000);
    let svg = chart.svg();
    assert!(svg.starts_with("<svg") && svg.contains("errors"));
}
