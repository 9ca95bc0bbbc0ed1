//! `--format json`: one pretty JSON document for scripts.

use super::{Format, Renderer, Report};

/// The JSON renderer.
pub struct Json;

impl Renderer for Json {
    fn render(&self, report: &dyn Report) -> String {
        report.json()
    }

    fn is_document(&self) -> bool {
        true
    }
}

/// Its entry in [`super::FORMATS`].
pub const FORMAT: Format = Format {
    name: "json",
    help: "JSON for scripts",
    renderer: &Json,
};
