//! The output of `cpuid -r` (Todd Allen's `cpuid`, Debian package `cpuid`).
//!
//! ```text
//! CPU 0:
//!    0x00000000 0x00: eax=0x0000001c ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65
//!    0x00000001 0x00: eax=0x00a10f11 ebx=0x01020800 ecx=0xfffa3203 edx=0x178bfbff
//! CPU 1:
//!    ...
//! ```
//!
//! Also accepted: `CPU:` headers (`cpuid -r -1`), leaf lines before any header
//! (one CPU, index 0), and leaf lines without the subleaf column as older
//! versions print them (`0x00000004: eax=...`), where a repeated leaf is the
//! next subleaf (0, 1, 2, ...).

use std::collections::BTreeMap;

use super::leafline::{self, numbered_lines, quote};
use crate::cpuid::{Completeness, CpuLeaves, LeafKey, Provenance, RawDump, SourceKind};
use crate::util::error::{Error, Result};

const EXPECTED: &str = "'CPU <n>:' headers followed by leaf lines \
    '0x00000000 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x...' (the output of `cpuid -r`)";

/// If `line` is a CPU header, its index (`None` inside for a bare `CPU:`).
/// `Err` when it starts like a header but the number is malformed.
fn header(line: &str) -> Option<std::result::Result<Option<u32>, String>> {
    let t = line.trim();
    let rest = t.strip_prefix("CPU")?;
    let body = rest.strip_suffix(':')?.trim();
    if body.is_empty() {
        return Some(Ok(None));
    }
    Some(
        body.parse::<u32>()
            .map(Some)
            .map_err(|_| format!("expected 'CPU <n>:' with a CPU number, found {}", quote(t))),
    )
}

/// True when `line` is a `cpuid -r` CPU header (`CPU 3:` or `CPU:`).
pub fn is_header(line: &str) -> bool {
    matches!(header(line), Some(Ok(_)))
}

/// Parses `cpuid -r` output; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<RawDump> {
    let mut dump = RawDump::new(
        Provenance {
            kind: SourceKind::CpuidRaw,
            origin: origin.to_string(),
            detail: "cpuid -r output".to_string(),
        },
        Completeness::Full,
    );
    // Per current CPU: the next implicit subleaf of each leaf (old format).
    let mut next_subleaf: BTreeMap<u32, u32> = BTreeMap::new();
    for item in numbered_lines(text, origin) {
        let (number, line) = item?;
        let at = |msg: String| Error::at_line(origin, number, msg);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(h) = header(line) {
            let index = match h.map_err(at)? {
                Some(i) => i,
                None => u32::try_from(dump.cpus.len()).unwrap_or(u32::MAX),
            };
            leafline::check_new_cpu(&dump.cpus, index).map_err(at)?;
            dump.cpus.push(CpuLeaves::new(index));
            next_subleaf.clear();
            continue;
        }
        if !leafline::looks_like_leaf(line) && !line.trim_start().starts_with("0x") {
            return Err(at(format!(
                "expected {EXPECTED}, found {}",
                quote(line.trim())
            )));
        }
        let parsed = leafline::parse_leaf_line(line).map_err(at)?;
        if dump.cpus.is_empty() {
            dump.cpus.push(CpuLeaves::new(0));
        }
        let subleaf = match parsed.subleaf {
            Some(s) => s,
            None => {
                let next = next_subleaf.entry(parsed.leaf).or_insert(0);
                let s = *next;
                *next = next.saturating_add(1);
                s
            }
        };
        let Some(cpu) = dump.cpus.last_mut() else {
            return Err(at("internal: no current CPU".to_string()));
        };
        leafline::insert_leaf(
            &mut cpu.leaves,
            LeafKey::new(parsed.leaf, subleaf),
            parsed.regs,
        )
        .map_err(at)?;
    }
    leafline::finish(dump, origin, EXPECTED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpuid::Regs;

    const TWO: &str = "CPU 0:\n   0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n   0x00000001 0x00: eax=0x00a10f11 ebx=0x01020800 ecx=0xfffa3203 edx=0x178bfbff\nCPU 1:\n   0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n   0x00000001 0x00: eax=0x00a10f11 ebx=0x01020800 ecx=0xfffa3203 edx=0x178bfbff\n";

    fn err(text: &str) -> String {
        parse(text, "f.txt").unwrap_err().to_string()
    }

    #[test]
    fn two_cpus() {
        let d = parse(TWO, "f.txt").unwrap();
        assert_eq!(d.cpus.len(), 2);
        assert_eq!(d.cpus[1].index, 1);
        assert_eq!(d.cpus[0].get(1, 0).unwrap().eax, 0x00a1_0f11);
        assert_eq!(d.provenance.kind, SourceKind::CpuidRaw);
        // These CPUs report XSAVE and leaf 0xD, but the text has no 0xD subleaf 1:
        // not a full dump.
        assert_eq!(d.completeness, Completeness::MissingXsaveSubleaf);
        let with_subleaf = TWO.replace(
            "CPU 1:",
            "   0x0000000d 0x01: eax=0x0000000f ebx=0x00000340 ecx=0x00000000 edx=0x00000000\nCPU 1:",
        ) + "   0x0000000d 0x01: eax=0x0000000f ebx=0x00000340 ecx=0x00000000 edx=0x00000000\n";
        let d = parse(&with_subleaf, "f.txt").unwrap();
        assert_eq!(d.completeness, Completeness::Full);
    }

    #[test]
    fn single_cpu_header_and_headerless() {
        let d = parse(
            "CPU:\n   0x00000000 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n",
            "f",
        )
        .unwrap();
        assert_eq!(d.cpus[0].index, 0);
        let d = parse("0x00000000 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\r\n", "f").unwrap();
        assert_eq!(d.cpus[0].get(0, 0), Some(Regs::new(1, 2, 3, 4)));
    }

    #[test]
    fn old_format_without_subleaf_column() {
        let text = "CPU 0:\n   0x00000004: eax=0x1 ebx=0x0 ecx=0x0 edx=0x0\n   0x00000004: eax=0x2 ebx=0x0 ecx=0x0 edx=0x0\n   0x00000005: eax=0x3 ebx=0x0 ecx=0x0 edx=0x0\n";
        let d = parse(text, "f").unwrap();
        assert_eq!(d.cpus[0].get(4, 0).unwrap().eax, 1);
        assert_eq!(d.cpus[0].get(4, 1).unwrap().eax, 2);
        assert_eq!(d.cpus[0].get(5, 0).unwrap().eax, 3);
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let truncated = "CPU 0:\n   0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n   0x00000001 0x00: eax=0x00a10f11 ebx=0x0102";
        let e = err(truncated);
        assert!(
            e.starts_with("f.txt:3: ") && e.contains("missing field 'ecx"),
            "{e}"
        );
        let e = err("CPU 0:\nhello\n");
        assert!(e.starts_with("f.txt:2: expected 'CPU <n>:'"), "{e}");
        let e = err("CPU x:\n");
        assert!(
            e.starts_with("f.txt:1: expected 'CPU <n>:' with a CPU number"),
            "{e}"
        );
        let e = err("CPU 0:\n 0x00000000 0x00: eax=0xZZ ebx=0x2 ecx=0x3 edx=0x4\n");
        assert!(
            e.starts_with("f.txt:2: eax: expected a 32-bit hexadecimal"),
            "{e}"
        );
    }

    #[test]
    fn duplicates() {
        let same = "CPU 0:\n 0x0 0x0: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n 0x0 0x0: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n";
        assert_eq!(parse(same, "f").unwrap().cpus[0].leaves.len(), 1);
        let diff = "CPU 0:\n 0x0 0x0: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n 0x0 0x0: eax=0x1 ebx=0x2 ecx=0x3 edx=0x5\n";
        let e = err(diff);
        assert!(
            e.starts_with("f.txt:3: leaf 0x00000000 subleaf 0x0 is given twice"),
            "{e}"
        );
        let e = err("CPU 1:\n 0x0 0x0: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\nCPU 1:\n");
        assert!(e.starts_with("f.txt:3: CPU 1 appears twice"), "{e}");
    }

    #[test]
    fn empty_and_limits() {
        assert!(err("").contains("no CPU found"));
        assert!(err("CPU 0:\n").contains("CPU 0 has no leaves"));
        let mut many = String::new();
        for i in 0..=crate::cpuid::limits::MAX_CPUS {
            many.push_str(&format!(
                "CPU {i}:\n 0x0 0x0: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n"
            ));
        }
        let e = err(&many);
        assert!(e.contains("more than 8192 CPUs"), "{e}");
        assert!(
            e.starts_with(&format!(
                "f.txt:{}:",
                2 * crate::cpuid::limits::MAX_CPUS + 1
            )),
            "{e}"
        );
        let mut leaves = String::from("CPU 0:\n");
        for i in 0..=crate::cpuid::limits::MAX_LEAVES_PER_CPU {
            leaves.push_str(&format!(" 0x0 0x{i:x}: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\n"));
        }
        assert!(err(&leaves).contains("more than 4096 leaves"));
        let long = format!("CPU 0:\n{}\n", " ".repeat(5000));
        assert!(err(&long).starts_with("f.txt:2: line is 5000 characters"));
    }
}
