//! vmcompat's own dump format, written by `vmcompat probe`: TOML (default) or JSON
//! with the same structure. Lossless: writing a [`RawDump`] and reading it back
//! gives an equal dump (provenance, completeness, OS flags, CPU indices, leaves).
//!
//! ```toml
//! format = "vmcompat-dump"
//! version = 1
//! completeness = "full"
//! os_flags = ["fpu", "vme"]          # optional
//!
//! [provenance]
//! kind = "local"
//! origin = "host1"
//! detail = "vmcompat 0.1.0 local probe"
//!
//! [fingerprint]                      # optional; every key optional (unknown: absent)
//! microcode = "0x1000065"
//! bios_vendor = "Dell Inc."
//! bios_version = "2.19.0"
//! bios_date = "03/14/2024"
//! kernel = "6.1.0-18-amd64"
//! qemu = "7.2.22"
//! libvirt = "9.0.0"
//!
//! [[cpu]]
//! index = 0
//! leaves = [
//!   "0x00000000 0x00: eax=0x0000001c ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65",
//! ]
//! ```
//!
//! Each leaf is one string in the spelling of `cpuid -r`, so dumps can be read and
//! diffed by eye. Unknown keys are refused, as are other formats and versions.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::leafline::{self, numbered_lines};
use crate::cpuid::{Completeness, CpuLeaves, LeafKey, Provenance, RawDump, Regs, SourceKind};
use crate::model::fingerprint::{Field, Fingerprint};
use crate::util::error::{Error, Result};

/// The value of the `format` key.
pub const FORMAT_TAG: &str = "vmcompat-dump";
/// The version of the format this build writes and reads.
pub const VERSION: u32 = 1;

// ---------------------------------------------------------------- writing

#[derive(Serialize)]
struct DocOut<'a> {
    format: &'static str,
    version: u32,
    completeness: Completeness,
    #[serde(skip_serializing_if = "Option::is_none")]
    os_flags: Option<&'a [String]>,
    provenance: &'a Provenance,
    #[serde(skip_serializing_if = "Fingerprint::is_unknown")]
    fingerprint: &'a Fingerprint,
    cpu: Vec<CpuOut>,
}

#[derive(Serialize)]
struct CpuOut {
    index: u32,
    leaves: Vec<String>,
}

fn cpu_out(cpu: &CpuLeaves) -> CpuOut {
    CpuOut {
        index: cpu.index,
        leaves: cpu
            .leaves
            .iter()
            .map(|(k, r)| leafline::format_leaf(*k, *r))
            .collect(),
    }
}

/// A TOML string literal for `s`, escaped as needed.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The serde (kebab-case) name of a unit enum variant such as a `SourceKind`.
fn variant_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Writes a dump in the native TOML format.
pub fn to_toml(dump: &RawDump) -> String {
    let mut out = String::new();
    // `write!` to a String cannot fail; the results are ignored.
    let _ = writeln!(
        out,
        "# vmcompat CPUID dump: one string per leaf, as `cpuid -r` prints it."
    );
    let _ = writeln!(out, "format = {}", toml_str(FORMAT_TAG));
    let _ = writeln!(out, "version = {VERSION}");
    let _ = writeln!(
        out,
        "completeness = {}",
        toml_str(&variant_name(&dump.completeness))
    );
    if let Some(flags) = &dump.os_flags {
        out.push_str("os_flags = [");
        let mut width = 0;
        for flag in flags {
            let item = toml_str(flag);
            if width == 0 || width + item.len() > 96 {
                out.push_str("\n  ");
                width = 2;
            } else {
                out.push(' ');
                width += 1;
            }
            width += item.len() + 1;
            out.push_str(&item);
            out.push(',');
        }
        out.push_str(if flags.is_empty() { "]\n" } else { "\n]\n" });
    }
    let _ = writeln!(out, "\n[provenance]");
    let _ = writeln!(
        out,
        "kind = {}",
        toml_str(&variant_name(&dump.provenance.kind))
    );
    let _ = writeln!(out, "origin = {}", toml_str(&dump.provenance.origin));
    if !dump.provenance.detail.is_empty() {
        let _ = writeln!(out, "detail = {}", toml_str(&dump.provenance.detail));
    }
    if !dump.fingerprint.is_unknown() {
        let _ = writeln!(out, "\n[fingerprint]");
        for (field, value) in dump.fingerprint.known() {
            let _ = writeln!(out, "{} = {}", field_key(field), toml_str(value));
        }
    }
    for cpu in &dump.cpus {
        let _ = writeln!(out, "\n[[cpu]]\nindex = {}\nleaves = [", cpu.index);
        for (k, r) in &cpu.leaves {
            let _ = writeln!(out, "  \"{}\",", leafline::format_leaf(*k, *r));
        }
        out.push_str("]\n");
    }
    out
}

/// The key of a fingerprint field in the `[fingerprint]` table.
fn field_key(field: Field) -> String {
    variant_name(&field)
}

/// Writes a dump in the native JSON format (same structure as the TOML one).
pub fn to_json(dump: &RawDump) -> String {
    let doc = DocOut {
        format: FORMAT_TAG,
        version: VERSION,
        completeness: dump.completeness,
        os_flags: dump.os_flags.as_deref(),
        provenance: &dump.provenance,
        fingerprint: &dump.fingerprint,
        cpu: dump.cpus.iter().map(cpu_out).collect(),
    };
    // Serializing plain structs, strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

// ---------------------------------------------------------------- reading

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocIn {
    #[serde(deserialize_with = "de_format")]
    #[allow(dead_code)]
    format: (),
    #[serde(deserialize_with = "de_version")]
    #[allow(dead_code)]
    version: (),
    completeness: Completeness,
    #[serde(default)]
    os_flags: Option<Vec<String>>,
    provenance: ProvenanceIn,
    #[serde(default)]
    fingerprint: Fingerprint,
    cpu: Cpus,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvenanceIn {
    kind: SourceKind,
    origin: String,
    #[serde(default)]
    detail: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CpuIn {
    index: u32,
    leaves: Leaves,
}

/// Deserializes a string and checks or converts it inside the deserializer's own
/// call, so that errors carry the string's position (TOML span, JSON line).
fn de_str_with<'de, D, T>(
    d: D,
    expecting: &'static str,
    check: fn(&str) -> std::result::Result<T, String>,
) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct V<T> {
        expecting: &'static str,
        check: fn(&str) -> std::result::Result<T, String>,
    }
    impl<T> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<T, E> {
            (self.check)(s).map_err(E::custom)
        }
    }
    d.deserialize_str(V { expecting, check })
}

fn de_format<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<(), D::Error> {
    de_str_with(d, "the string \"vmcompat-dump\"", |s| {
        if s == FORMAT_TAG {
            Ok(())
        } else {
            Err(format!(
                "format: expected \"{FORMAT_TAG}\", found \"{}\"",
                s.escape_default()
            ))
        }
    })
}

fn de_version<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<(), D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "version {VERSION}")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
            if v == u64::from(VERSION) {
                Ok(())
            } else {
                Err(E::custom(format!(
                    "version: expected {VERSION}, found {v} (written by a newer vmcompat?)"
                )))
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::custom(format!("version: expected {VERSION}, found {v}"))),
            }
        }
    }
    d.deserialize_u64(V)
}

/// One leaf string, parsed while it is deserialized so that errors carry its position.
struct LeafIn(LeafKey, Regs);

fn parse_leaf_string(s: &str) -> std::result::Result<LeafIn, String> {
    let line = leafline::parse_leaf_line(s)?;
    let subleaf = line.subleaf.ok_or_else(|| {
        format!(
            "expected a leaf string with a subleaf column ('0x00000001 0x00: eax=...'), \
             found \"{}\"",
            s.escape_default()
        )
    })?;
    Ok(LeafIn(LeafKey::new(line.leaf, subleaf), line.regs))
}

impl<'de> Deserialize<'de> for LeafIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        de_str_with(
            d,
            "a leaf string like \"0x00000001 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x...\"",
            parse_leaf_string,
        )
    }
}

/// The leaves of one CPU, checked for conflicting duplicates and the per-CPU limit.
struct Leaves(BTreeMap<LeafKey, Regs>);

impl<'de> Deserialize<'de> for Leaves {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Leaves;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of leaf strings like \"0x00000001 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x...\"")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Leaves, A::Error> {
                let mut leaves = BTreeMap::new();
                let mut n = 0usize;
                while let Some(LeafIn(key, regs)) = seq.next_element()? {
                    n += 1;
                    leafline::insert_leaf(&mut leaves, key, regs)
                        .map_err(|m| de::Error::custom(format!("leaf string #{n}: {m}")))?;
                }
                if leaves.is_empty() {
                    return Err(de::Error::custom(
                        "expected at least one leaf string, found none",
                    ));
                }
                Ok(Leaves(leaves))
            }
        }
        d.deserialize_seq(V)
    }
}

/// The CPUs of a dump, checked for repeated indices and the CPU limit.
struct Cpus(Vec<CpuLeaves>);

impl<'de> Deserialize<'de> for Cpus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cpus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of CPUs, each with an index and leaves")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Cpus, A::Error> {
                let mut cpus: Vec<CpuLeaves> = Vec::new();
                while let Some(CpuIn { index, leaves }) = seq.next_element()? {
                    leafline::check_new_cpu(&cpus, index).map_err(de::Error::custom)?;
                    cpus.push(CpuLeaves {
                        index,
                        leaves: leaves.0,
                    });
                }
                if cpus.is_empty() {
                    return Err(de::Error::custom(
                        "no CPU found: expected at least one [[cpu]]",
                    ));
                }
                Ok(Cpus(cpus))
            }
        }
        d.deserialize_seq(V)
    }
}

impl DocIn {
    fn into_dump(self) -> RawDump {
        RawDump {
            provenance: Provenance {
                kind: self.provenance.kind,
                origin: self.provenance.origin,
                detail: self.provenance.detail,
            },
            completeness: self.completeness,
            os_flags: self.os_flags,
            // Files are untrusted like hosts: the same bounds.
            fingerprint: self.fingerprint.cleaned(),
            cpus: self.cpu.0,
        }
    }
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    let upto = text.as_bytes().get(..at).unwrap_or(text.as_bytes());
    upto.iter().filter(|b| **b == b'\n').count() + 1
}

/// Parses a native TOML dump; `origin` names it in errors.
pub fn parse_toml(text: &str, origin: &str) -> Result<RawDump> {
    for item in numbered_lines(text, origin) {
        item?;
    }
    let doc: DocIn = toml::from_str(text).map_err(|e| {
        let msg = format!("{} (vmcompat TOML dump)", e.message().trim_end());
        match e.span() {
            Some(span) => Error::at_line(origin, line_of(text, span.start), msg),
            None => Error::input(origin, msg),
        }
    })?;
    leafline::finish(
        doc.into_dump(),
        origin,
        "a vmcompat dump with [[cpu]] entries",
    )
}

/// Parses a native JSON dump; `origin` names it in errors. (Long lines are
/// accepted here: compact JSON is legitimately one line.)
pub fn parse_json(text: &str, origin: &str) -> Result<RawDump> {
    let doc: DocIn = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let msg = match full.rfind(" at line ") {
            Some(cut) => full.get(..cut).unwrap_or(&full).to_string(),
            None => full.clone(),
        };
        let msg = format!("{msg} (vmcompat JSON dump, column {})", e.column());
        if e.line() > 0 {
            Error::at_line(origin, e.line(), msg)
        } else {
            Error::input(origin, msg)
        }
    })?;
    leafline::finish(doc.into_dump(), origin, "a vmcompat dump with cpu entries")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RawDump {
        let mut d = RawDump::new(
            Provenance {
                kind: SourceKind::Local,
                origin: "host \"one\"\\ \u{e9}\nx".to_string(),
                detail: "vmcompat 0.1.0 local probe".to_string(),
            },
            Completeness::Full,
        );
        d.os_flags = Some((0..60).map(|i| format!("flag_{i}")).collect());
        d.fingerprint = Fingerprint {
            microcode: Some("0x1000065".into()),
            bios_vendor: Some("Dell \"Inc.\"".into()),
            bios_date: Some("03/14/2024".into()),
            qemu: Some("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)".into()),
            ..Default::default()
        };
        for index in [0u32, 2, 7] {
            let mut cpu = CpuLeaves::new(index);
            cpu.insert(0, 0, Regs::new(0x1c, 0x6874_7541, 0x444d_4163, 0x6974_6e65));
            cpu.insert(
                1,
                0,
                Regs::new(0x00a1_0f11, index << 24, 0xfffa_3203, 0x178b_fbff),
            );
            cpu.insert(0xd, 0x3f, Regs::new(u32::MAX, 0, 0, 1));
            // A full dump of a CPU with XSAVE has leaf 0xD subleaf 1.
            cpu.insert(0xd, 1, Regs::new(0xf, 0x340, 0, 0));
            cpu.insert(0x8000_001d, 3, Regs::new(1, 2, 3, 4));
            d.cpus.push(cpu);
        }
        d
    }

    #[test]
    fn toml_round_trip() {
        for flags in [None, Some(vec![]), sample().os_flags] {
            let mut d = sample();
            d.os_flags = flags;
            let text = to_toml(&d);
            assert!(
                text.lines().any(|l| l == "format = \"vmcompat-dump\""),
                "{text}"
            );
            assert_eq!(parse_toml(&text, "t").unwrap(), d, "{text}");
        }
        let mut d = sample();
        d.fingerprint = Fingerprint::default();
        let text = to_toml(&d);
        assert!(!text.contains("[fingerprint]"), "{text}");
        assert_eq!(parse_toml(&text, "t").unwrap(), d);
        let mut d = sample();
        d.provenance.detail.clear();
        d.completeness = Completeness::FromCpuinfoFlags;
        d.provenance.kind = SourceKind::EsxiHostHardware;
        assert_eq!(parse_toml(&to_toml(&d), "t").unwrap(), d);
    }

    #[test]
    fn json_round_trip() {
        for flags in [None, Some(vec![]), sample().os_flags] {
            let mut d = sample();
            d.os_flags = flags;
            let text = to_json(&d);
            assert_eq!(parse_json(&text, "j").unwrap(), d, "{text}");
        }
        // Compact JSON (one long line) is accepted.
        let v: serde_json::Value = serde_json::from_str(&to_json(&sample())).unwrap();
        let compact = serde_json::to_string(&v).unwrap();
        assert_eq!(parse_json(&compact, "j").unwrap(), sample());
    }

    const SMALL: &str = "format = \"vmcompat-dump\"\nversion = 1\ncompleteness = \"full\"\n\n[provenance]\nkind = \"local\"\norigin = \"h\"\n\n[[cpu]]\nindex = 0\nleaves = [\n  \"0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\",\n  \"0x00000001 0x00: eax=0x00a10f11 ebx=0x01020800 ecx=0xfffa3203 edx=0x178bfbff\",\n]\n";

    fn toml_err(text: &str) -> String {
        parse_toml(text, "d.toml").unwrap_err().to_string()
    }

    #[test]
    fn toml_errors_name_the_line() {
        assert_eq!(parse_toml(SMALL, "d").unwrap().cpus[0].leaves.len(), 2);
        let e = toml_err(&SMALL.replace("edx=0x178bfbff", "edx=0x178bfbfg"));
        assert!(
            e.starts_with("d.toml:13: edx: expected a 32-bit hexadecimal"),
            "{e}"
        );
        let e = toml_err(&SMALL.replace(" edx=0x178bfbff", ""));
        assert!(e.starts_with("d.toml:13: missing field 'edx"), "{e}");
        let e = toml_err(&SMALL.replace("version = 1", "version = 2"));
        assert!(
            e.starts_with("d.toml:2: version: expected 1, found 2"),
            "{e}"
        );
        let e = toml_err(&SMALL.replace("\"vmcompat-dump\"", "\"other\""));
        assert!(
            e.starts_with("d.toml:1: format: expected \"vmcompat-dump\""),
            "{e}"
        );
        let e = toml_err(&SMALL.replace("index = 0", "index = 0\ncolour = 1"));
        assert!(e.starts_with("d.toml:11: unknown field `colour`"), "{e}");
        let e = toml_err(&SMALL.replace("kind = \"local\"", "kind = \"local\"\nwhen = 1"));
        assert!(e.contains("unknown field `when`"), "{e}");
        let e = toml_err(&SMALL.replace("origin = \"h\"", "origin = \"h"));
        assert!(e.starts_with("d.toml:7: "), "{e}");
        let e = toml_err(&SMALL.replace("eax=0x00a10f11", "eax=0x00a10f12").replace(
            "0x00000001 0x00: eax=0x00a10f12",
            "0x00000000 0x00: eax=0x00a10f12",
        ));
        assert!(
            e.contains("leaf string #2: leaf 0x00000000 subleaf 0x0 is given twice"),
            "{e}"
        );
        let e = toml_err(&SMALL.replace("0x00000001 0x00:", "0x00000001:"));
        assert!(
            e.starts_with("d.toml:13: expected a leaf string with a subleaf"),
            "{e}"
        );
        let e = toml_err(&format!("{SMALL}\n[[cpu]]\nindex = 0\nleaves = [\"0x0 0x0: eax=0x1 ebx=0x1 ecx=0x1 edx=0x1\"]\n"));
        assert!(e.contains("CPU 0 appears twice"), "{e}");
        let e = toml_err(&SMALL.replace(
            "leaves = [\n  \"0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\",\n  \"0x00000001 0x00: eax=0x00a10f11 ebx=0x01020800 ecx=0xfffa3203 edx=0x178bfbff\",\n]",
            "leaves = []",
        ));
        assert!(e.contains("expected at least one leaf string"), "{e}");
        let cut = SMALL.find("[[cpu]]").unwrap();
        let e = toml_err(&SMALL[..cut]);
        assert!(e.contains("missing field `cpu`"), "{e}");
        let e = toml_err(
            "format = \"vmcompat-dump\"\nversion = 1\ncompleteness = \"full\"\ncpu = []\n\
             [provenance]\nkind = \"local\"\norigin = \"h\"\n",
        );
        assert!(e.contains("no CPU found"), "{e}");
        let with_fp =
            |body: &str| SMALL.replace("\n[[cpu]]", &format!("\n[fingerprint]\n{body}\n\n[[cpu]]"));
        let e = toml_err(&with_fp("bios = \"x\""));
        assert!(e.starts_with("d.toml:10: unknown field `bios`"), "{e}");
        let d = parse_toml(
            &with_fp("kernel = \"6.1\\u001b[2J\"\nmicrocode = \" \""),
            "d",
        )
        .unwrap();
        assert_eq!(d.fingerprint.kernel.as_deref(), Some("6.1[2J"));
        assert_eq!(d.fingerprint.microcode, None);
        let e = toml_err(&format!("# {}\n{SMALL}", "x".repeat(5000)));
        assert!(e.starts_with("d.toml:1: line is 5002 characters"), "{e}");
    }

    #[test]
    fn json_errors_name_the_line() {
        let text = to_json(&sample());
        let bad = text.replacen("eax=0x0000001c", "eax=0x0000001x", 1);
        let e = parse_json(&bad, "d.json").unwrap_err().to_string();
        let line = text
            .lines()
            .position(|l| l.contains("eax=0x0000001c"))
            .unwrap()
            + 1;
        assert!(
            e.starts_with(&format!("d.json:{line}: eax: expected a 32-bit")),
            "{e}"
        );
        let bad = text.replacen("\"version\": 1", "\"version\": 1, \"extra\": true", 1);
        let e = parse_json(&bad, "d.json").unwrap_err().to_string();
        assert!(e.starts_with("d.json:3: unknown field `extra`"), "{e}");
        let e = parse_json("{\"format\": \"vmcompat-dump\"", "d.json")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("d.json:1: "), "{e}");
        let e = parse_json("", "d.json").unwrap_err().to_string();
        assert!(e.starts_with("d.json"), "{e}");
    }
}
