//! `--format table`: tables and lists for people, fitted to the terminal.

use super::{Format, Renderer, Report};

/// The text renderer.
pub struct Table;

impl Renderer for Table {
    fn render(&self, report: &dyn Report) -> String {
        report.text()
    }

    fn is_document(&self) -> bool {
        false
    }
}

/// Its entry in [`super::FORMATS`].
pub const FORMAT: Format = Format {
    name: "table",
    help: "Tables for people",
    renderer: &Table,
};
