//! The `.vmx` (and `.vmsd`) reader: `key = "value"` lines as VMware writes them.
//!
//! Keys are compared ignoring case, as VMware does. Values are usually quoted;
//! inside them VMware escapes bytes as `|XX` (two hex digits: `|22` is `"`,
//! `|7C` is `|`). Blank lines and `#` comments (also after a closing quote) are
//! skipped. A key given twice: the last one wins, and [`Vmx::duplicates`] says
//! so. A line that is not `key = value` is an error naming the file and line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::mask::model::CpuidMask;
use crate::mask::vmx::{classify_key, parse_line, KeyKind, MaskLine};
use crate::util::error::{Error, Result};
use crate::util::text::snippet;
use crate::util::vmx_syntax::{split_line, unquote, Unquoted};

/// One setting as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The key as written in the file (its case kept).
    pub key: String,
    /// The value, unquoted and with `|XX` escapes decoded.
    pub value: String,
    /// 1-based line.
    pub line: usize,
}

/// A key given more than once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// The key (as written the last time).
    pub key: String,
    /// The line of the value that was overridden.
    pub first_line: usize,
    /// The line of the value that wins.
    pub line: usize,
}

/// A parsed `.vmx` file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Vmx {
    /// The file it came from (for messages).
    pub origin: String,
    /// Settings by lower-case key.
    entries: BTreeMap<String, Entry>,
    /// Keys given more than once (the last value wins).
    pub duplicates: Vec<Duplicate>,
}

impl Vmx {
    /// The value of `key` (any case), if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value.as_str())
    }

    /// The entry of `key` (any case), if set.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.get(&key.to_ascii_lowercase())
    }

    /// A boolean setting: `TRUE`/`FALSE` (also `yes`/`no`, `1`/`0`), any case.
    /// `None` when unset or not a boolean.
    pub fn flag(&self, key: &str) -> Option<bool> {
        match self.get(key)?.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Some(true),
            "false" | "no" | "0" | "off" => Some(false),
            _ => None,
        }
    }

    /// Every entry, ordered by lower-case key.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The distinct device prefixes (`ethernet0`, `ide1:0`, `scsi0`, ...) of keys
    /// that start with `family` (lower case) followed by a digit.
    pub fn devices(&self, family: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for k in self.entries.keys() {
            let Some(rest) = k.strip_prefix(family) else {
                continue;
            };
            if !rest.starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            let Some((dev, _)) = k.split_once('.') else {
                continue;
            };
            if out.last().map(String::as_str) != Some(dev) && !out.iter().any(|d| d == dev) {
                out.push(dev.to_string());
            }
        }
        out
    }

    /// The VM's CPUID mask: its `cpuid.*` and `featMask.vm.cpuid.*` lines, read
    /// by the mask parser ([`crate::mask::vmx`]); a malformed mask line is an
    /// error naming the file and the line.
    pub fn mask(&self) -> Result<CpuidMask> {
        let mut mask = CpuidMask::new();
        let mut entries: Vec<&Entry> = self
            .entries
            .values()
            .filter(|e| classify_key(&e.key) != KeyKind::Other)
            .collect();
        entries.sort_by_key(|e| e.line);
        for e in entries {
            let line = format!("{} = \"{}\"", e.key, e.value);
            match parse_line(&line).map_err(|m| Error::at_line(&self.origin, e.line, m))? {
                Some(MaskLine::Register(r)) => mask.registers.push(r),
                Some(MaskLine::FeatMask(f)) => mask.featmasks.push(f),
                None => {}
            }
        }
        Ok(mask)
    }
}

/// A configuration from key/value pairs read elsewhere (vCenter's
/// `config.extraConfig` and devices, as `.vmx` keys), numbered as lines 1.. in
/// order; a key given twice: the last wins, as in a file.
pub fn from_pairs(origin: &str, pairs: impl IntoIterator<Item = (String, String)>) -> Vmx {
    let mut vmx = Vmx {
        origin: origin.to_string(),
        ..Vmx::default()
    };
    for (i, (key, value)) in pairs.into_iter().enumerate() {
        let line = i + 1;
        let lower = key.to_ascii_lowercase();
        if let Some(prev) = vmx.entries.insert(
            lower,
            Entry {
                key: key.clone(),
                value,
                line,
            },
        ) {
            vmx.duplicates.push(Duplicate {
                key,
                first_line: prev.line,
                line,
            });
        }
    }
    vmx
}

/// Decodes VMware's `|XX` escapes (a `|` not followed by two hex digits stays).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'|' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `.vmx` text; `origin` names the file in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vmx> {
    let mut vmx = Vmx {
        origin: origin.to_string(),
        ..Vmx::default()
    };
    for (i, raw) in text.split('\n').enumerate() {
        let lineno = i + 1;
        let Some((key, value)) = split_line(raw) else {
            continue;
        };
        let err = |m: String| Error::at_line(origin, lineno, m);
        let Some(value) = value else {
            return Err(err(format!(
                "'{}' is not a setting; expected key = \"value\"",
                snippet(key, 60)
            )));
        };
        if key.is_empty() || key.contains(|c: char| c.is_whitespace() || c == '"') {
            return Err(err(format!(
                "'{}' is not a valid key; expected key = \"value\"",
                snippet(key, 60)
            )));
        }
        let value = match unquote(value) {
            Ok(inner) => inner,
            Err(Unquoted::Bare(v)) => v.split(" #").next().unwrap_or(v).trim(),
            Err(Unquoted::Unclosed) => {
                return Err(err(format!("the value of {key} has no closing quote")))
            }
            Err(Unquoted::Trailing(after)) => {
                return Err(err(format!(
                    "unexpected text after the quoted value of {key}: '{}'",
                    snippet(after, 40)
                )))
            }
        };
        let entry = Entry {
            key: key.to_string(),
            value: unescape(value),
            line: lineno,
        };
        if let Some(prev) = vmx.entries.insert(key.to_ascii_lowercase(), entry) {
            vmx.duplicates.push(Duplicate {
                key: key.to_string(),
                first_line: prev.line,
                line: lineno,
            });
        }
    }
    Ok(vmx)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\u{feff}.encoding = \"UTF-8\"\r\n\
config.version = \"8\"\r\n\
virtualHW.version = \"19\"\r\n\
# a comment\r\n\
\r\n\
displayName = \"web |22prod|22 |7C 01\"\r\n\
ETHERNET0.Present = \"TRUE\"\r\n\
ethernet0.networkName = \"VM Network\"   # trailing comment\r\n\
sched.cpu.affinity = all\r\n\
ethernet0.present = \"FALSE\"\r\n\
annotation = \"a|0Ab|ZZ|\"\r\n\
cpuid.1.ecx = \"----:----:---0:----:----:----:----:----\"\r\n\
featMask.vm.cpuid.AVX = \"Val:0\"\r\n";

    #[test]
    fn reads_quoting_case_escapes_comments_crlf_and_duplicates() {
        let v = parse(SAMPLE, "web.vmx").expect("parses");
        assert_eq!(v.get(".encoding"), Some("UTF-8"));
        assert_eq!(v.get("DISPLAYNAME"), Some("web \"prod\" | 01"));
        assert_eq!(v.get("ethernet0.networkname"), Some("VM Network"));
        assert_eq!(v.get("sched.cpu.affinity"), Some("all"));
        assert_eq!(v.get("annotation"), Some("a\nb|ZZ|"));
        assert_eq!(v.flag("ethernet0.present"), Some(false), "last one wins");
        assert_eq!(
            v.duplicates,
            vec![Duplicate {
                key: "ethernet0.present".into(),
                first_line: 7,
                line: 10
            }]
        );
        assert_eq!(v.devices("ethernet"), vec!["ethernet0".to_string()]);
        let mask = v.mask().expect("mask");
        assert_eq!((mask.registers.len(), mask.featmasks.len()), (1, 1));
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for (text, line, what) in [
            ("a = \"1\"\njunk line\n", 2, "not a setting"),
            ("a = \"1\"\n\nb = \"unterminated\n", 3, "no closing quote"),
            ("= \"1\"\n", 1, "not a valid key"),
            ("a b = \"1\"\n", 1, "not a valid key"),
            ("a = \"1\" x\n", 1, "unexpected text"),
            ("x = \"1\"\ncpuid.1.ecx = \"bogus\"\n", 2, ""),
        ] {
            let e = match parse(text, "/vm/x.vmx").and_then(|v| v.mask().map(|_| v)) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{text:?} parsed"),
            };
            assert!(e.contains(&format!("/vm/x.vmx:{line}")), "{e}");
            assert!(e.contains(what), "{e}");
        }
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for t in [
            "|",
            "a=|",
            "a=\"|4\"",
            "a=\"|\u{e9}9\"",
            "\"",
            "=",
            "a=\"",
            "#",
            "\r",
        ] {
            let _ = parse(t, "x");
        }
        assert_eq!(unescape("|4"), "|4");
        assert_eq!(unescape("x|41"), "xA");
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_parses_or_names_a_line(text in "[a-zA-Z0-9:._\"|# =\\r\\n\u{e9}-]{0,200}") {
            match super::parse(&text, "p.vmx") {
                Ok(v) => { let _ = v.mask(); }
                Err(e) => prop_assert!(e.to_string().starts_with("p.vmx:")),
            }
        }
    }
}
