//! Output formats, as hyperfine's `export/`: one small trait ([`Renderer`]),
//! one file per format, and one list ([`FORMATS`]) that `--format` reads. A
//! new format is a new file here and one line in [`FORMATS`].
//!
//! What every format prints is a [`Report`]: a result that has a text form for
//! people and a serde form for machines.

mod json;
mod table;

/// A result a command prints, as every format needs it.
pub trait Report {
    /// Tables and lists for people.
    fn text(&self) -> String;
    /// The result as pretty JSON (the serde form every machine format starts from).
    fn json(&self) -> String;
}

/// The text form of a result; with `Serialize` it makes the result a [`Report`].
pub trait Text {
    /// Tables and lists for people.
    fn to_text(&self) -> String;
}

impl<T: Text + serde::Serialize> Report for T {
    fn text(&self) -> String {
        self.to_text()
    }

    fn json(&self) -> String {
        super::json(self)
    }
}

/// One output format.
pub trait Renderer: Sync {
    /// What to print for `report`.
    fn render(&self, report: &dyn Report) -> String;
    /// True for documents printed exactly as rendered (JSON: never wrapped);
    /// false for text fitted to the terminal.
    fn is_document(&self) -> bool;
}

/// A `--format` value: its name, its help, and its renderer.
pub struct Format {
    /// The name given on the command line.
    pub name: &'static str,
    /// One line of help for `--help`.
    pub help: &'static str,
    /// What prints it.
    pub renderer: &'static dyn Renderer,
}

/// Every output format, the default first. The one place `--format` is mapped.
pub const FORMATS: &[Format] = &[table::FORMAT, json::FORMAT];

/// The format chosen with `--format`.
#[derive(Clone, Copy)]
pub struct OutputFormat(&'static Format);

impl OutputFormat {
    /// The format called `name` in [`FORMATS`].
    pub fn named(name: &str) -> Option<OutputFormat> {
        FORMATS.iter().find(|f| f.name == name).map(OutputFormat)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// What to print for `report` in this format.
    pub fn render(self, report: &dyn Report) -> String {
        self.0.renderer.render(report)
    }

    /// True for documents printed exactly as rendered (see [`Renderer::is_document`]).
    pub fn is_document(self) -> bool {
        self.0.renderer.is_document()
    }
}

impl Default for OutputFormat {
    fn default() -> OutputFormat {
        OutputFormat(&FORMATS[0])
    }
}

impl PartialEq for OutputFormat {
    fn eq(&self, other: &OutputFormat) -> bool {
        self.0.name == other.0.name
    }
}

impl Eq for OutputFormat {}

impl std::fmt::Debug for OutputFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_the_default_is_table() {
        for (i, f) in FORMATS.iter().enumerate() {
            assert!(FORMATS[..i].iter().all(|g| g.name != f.name), "{}", f.name);
        }
        assert_eq!(OutputFormat::default().name(), "table");
        assert!(OutputFormat::named("json").is_some_and(OutputFormat::is_document));
    }
}
