//! Dump file formats: detection and dispatch. Each reader names the file, the
//! line and what was expected when the input is malformed, and refuses absurd
//! inputs (huge files, thousands of CPUs, conflicting duplicate leaves).

pub mod corpus;
pub mod cpuid_r;
pub mod leafline;
pub mod native;
pub mod proc_cpuinfo;

use std::path::Path;

use crate::cpuid::RawDump;
use crate::util::error::{Error, Result};

/// Reads a dump file of any supported format, detected from its content.
pub fn read_file(path: &Path) -> Result<RawDump> {
    let text = read_text(path)?;
    parse_text(&text, &crate::util::local_file::origin(path))
}

/// Reads a file (or standard input for `-`) as UTF-8 text: regular files only,
/// no larger than the dump size limit ([`crate::util::local_file::read_bytes`]).
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = crate::util::local_file::read_bytes(path, crate::cpuid::limits::MAX_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| {
        Error::input(
            crate::util::local_file::origin(path),
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// A dump file format that vmcompat reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// vmcompat's native dump, TOML.
    Native,
    /// vmcompat's native dump, JSON.
    Json,
    /// The output of `cpuid -r`.
    CpuidRaw,
    /// The corpus format of `../shared/corpus` (converted libcpuid tests).
    Corpus,
    /// `/proc/cpuinfo` text (lossy: flags only).
    ProcCpuinfo,
}

/// How many lines format detection looks at before giving up.
const DETECT_LINES: usize = 1000;

/// What `parse_text` says when it cannot tell the format.
const ACCEPTED: &str = "expected one of: a vmcompat dump (TOML with 'format = \"vmcompat-dump\"', \
    or JSON), the output of `cpuid -r` ('CPU 0:' then '   0x00000000 0x00: eax=0x... ...'), \
    a corpus file ('leaf=0x... subleaf=0x... eax=0x... ...'), or /proc/cpuinfo text \
    ('processor : 0' ...)";

impl Format {
    /// Every format, in detection order.
    pub const ALL: [Format; 5] = [
        Format::Native,
        Format::Json,
        Format::CpuidRaw,
        Format::Corpus,
        Format::ProcCpuinfo,
    ];

    /// A short name, as accepted by [`Format::from_name`] (`toml`, `json`, `cpuid-r`,
    /// `corpus`, `cpuinfo`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Native => "toml",
            Format::Json => "json",
            Format::CpuidRaw => "cpuid-r",
            Format::Corpus => "corpus",
            Format::ProcCpuinfo => "cpuinfo",
        }
    }

    /// The format with the given short name (see [`Format::name`]); a few common
    /// spellings are accepted too (`native`, `cpuid`, `proc-cpuinfo`).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "toml" | "native" => Some(Format::Native),
            "json" => Some(Format::Json),
            "cpuid-r" | "cpuid" => Some(Format::CpuidRaw),
            "corpus" | "libcpuid" => Some(Format::Corpus),
            "cpuinfo" | "proc-cpuinfo" => Some(Format::ProcCpuinfo),
            _ => None,
        }
    }

    /// Tells the format from the content, or `None` when it looks like none of them.
    pub fn detect(text: &str) -> Option<Format> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            return trimmed.contains(native::FORMAT_TAG).then_some(Format::Json);
        }
        for line in text.lines().take(DETECT_LINES) {
            let t = line.trim();
            if let Some(value) = t.strip_prefix("format").map(str::trim_start) {
                if let Some(value) = value.strip_prefix('=') {
                    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
                    if v == native::FORMAT_TAG {
                        return Some(Format::Native);
                    }
                }
            }
            if t.starts_with("leaf=0x") {
                return Some(Format::Corpus);
            }
            if cpuid_r::is_header(line) || leafline::looks_like_leaf(line) {
                return Some(Format::CpuidRaw);
            }
            if let Some(rest) = t.strip_prefix("processor") {
                if rest.trim_start().starts_with(':') {
                    return Some(Format::ProcCpuinfo);
                }
            }
        }
        None
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses dump text of any supported format, detected from its content;
/// `origin` names it in errors.
pub fn parse_text(text: &str, origin: &str) -> Result<RawDump> {
    match Format::detect(text) {
        Some(format) => parse_as(format, text, origin),
        None if text.trim().is_empty() => Err(Error::input(
            origin,
            format!("the input is empty: no CPU found; {ACCEPTED}"),
        )),
        None => Err(Error::input(
            origin,
            format!("cannot tell the dump format; {ACCEPTED}"),
        )),
    }
}

/// Parses dump text in the given format; `origin` names it in errors.
pub fn parse_as(format: Format, text: &str, origin: &str) -> Result<RawDump> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::Native => native::parse_toml(text, origin),
        Format::Json => native::parse_json(text, origin),
        Format::CpuidRaw => cpuid_r::parse(text, origin),
        Format::Corpus => corpus::parse(text, origin),
        Format::ProcCpuinfo => proc_cpuinfo::parse(text, origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let cases = [
            ("format = \"vmcompat-dump\"\n", Some(Format::Native)),
            ("# c\nformat=\"vmcompat-dump\"\n", Some(Format::Native)),
            ("  {\"format\": \"vmcompat-dump\"}", Some(Format::Json)),
            ("{\"other\": 1}", None),
            ("CPU 0:\n", Some(Format::CpuidRaw)),
            ("CPU:\n", Some(Format::CpuidRaw)),
            (
                "   0x00000000 0x00: eax=0x1 ebx=0x1 ecx=0x1 edx=0x1\n",
                Some(Format::CpuidRaw),
            ),
            ("# x\nleaf=0x0 subleaf=0x0\n", Some(Format::Corpus)),
            ("processor\t: 0\n", Some(Format::ProcCpuinfo)),
            ("\u{feff}processor : 0\n", Some(Format::ProcCpuinfo)),
            ("hello\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(Format::detect(text), want, "{text:?}");
        }
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.name()), Some(f));
        }
    }

    #[test]
    fn unknown_format_lists_the_accepted_ones() {
        let e = parse_text("hello world\n", "x.txt")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.txt: cannot tell the dump format; expected one of"),
            "{e}"
        );
        for word in ["vmcompat dump", "cpuid -r", "corpus", "/proc/cpuinfo"] {
            assert!(e.contains(word), "{e}");
        }
        let e = parse_text("\n  \n", "x.txt").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn dispatch() {
        let d = parse_text("CPU 0:\n 0x0 0x0: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n", "x").unwrap();
        assert_eq!(d.provenance.kind, crate::cpuid::SourceKind::CpuidRaw);
        let d = parse_text(
            "leaf=0x0 subleaf=0x0 eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n",
            "x",
        )
        .unwrap();
        assert_eq!(d.provenance.kind, crate::cpuid::SourceKind::Corpus);
        let native = native::to_toml(&d);
        assert_eq!(parse_text(&native, "y").unwrap(), d);
        assert_eq!(parse_text(&native::to_json(&d), "y").unwrap(), d);
    }
}
