//! Line-level parsing shared by every dump format: hexadecimal numbers, the
//! `name=0x...` fields of a leaf line, the `cpuid -r` leaf spelling that the
//! native format reuses, line-length checks, and the checks that keep a dump
//! sane (duplicate leaves, per-CPU and per-dump limits, empty dumps).
//!
//! Functions here return `Result<_, String>` with a message saying what was
//! expected; the format readers attach the origin and line number.

use std::collections::BTreeMap;

use crate::cpuid::{limits, Completeness, CpuLeaves, LeafKey, RawDump, Regs};
use crate::util::error::{Error, Result};

/// The longest line any line-oriented dump format accepts, in characters.
/// Real lines are under 100 characters (`/proc/cpuinfo` flags: under 2,000).
pub const MAX_LINE_CHARS: usize = 4096;

/// The lines of `text`, numbered from 1, each checked against [`MAX_LINE_CHARS`].
pub fn numbered_lines<'a>(
    text: &'a str,
    origin: &'a str,
) -> impl Iterator<Item = Result<(usize, &'a str)>> + 'a {
    text.lines().enumerate().map(move |(i, line)| {
        let number = i + 1;
        if line.len() > MAX_LINE_CHARS {
            let chars = line.chars().count();
            if chars > MAX_LINE_CHARS {
                return Err(Error::at_line(
                    origin,
                    number,
                    format!(
                        "line is {chars} characters long; expected at most {MAX_LINE_CHARS} \
                         (is this really a CPUID dump?)"
                    ),
                ));
            }
        }
        Ok((number, line))
    })
}

/// Shortens `s` for quoting in an error message.
pub fn quote(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("'{s}'")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("'{head}...'")
    }
}

/// Parses a `0x`-prefixed hexadecimal 32-bit number (1 to 8 significant digits;
/// leading zeros allowed). `what` names the field in the error message.
pub fn parse_hex_u32(s: &str, what: &str) -> std::result::Result<u32, String> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| {
            format!(
                "{what}: expected a hexadecimal number like 0x1f, found {}",
                quote(s)
            )
        })?;
    parse_bare_hex_u32(digits).ok_or_else(|| {
        format!(
            "{what}: expected a 32-bit hexadecimal number, found {}",
            quote(s)
        )
    })
}

/// Parses hexadecimal digits without a prefix; `None` unless every character is a
/// hex digit and the value fits in 32 bits.
pub fn parse_bare_hex_u32(digits: &str) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    // One pass, no allocation: this runs for every register of every leaf of
    // every dump of a fleet.
    let mut value: u32 = 0;
    for b in digits.bytes() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        value = value.checked_mul(16)?.checked_add(u32::from(d))?;
    }
    Some(value)
}

/// Parses `name=value` tokens separated by whitespace, where every name must be one
/// of `names` (each at most once) and every value is a `0x` hex number. Returns the
/// values in the order of `names`; a name that is absent is an error.
pub fn parse_fields<const N: usize>(
    tokens: &str,
    names: [&str; N],
) -> std::result::Result<[u32; N], String> {
    if let Some(values) = parse_fields_in_order(tokens.as_bytes(), &names) {
        return Ok(values);
    }
    let mut values: [Option<u32>; N] = [None; N];
    for token in tokens.split_whitespace() {
        let (name, value) = token.split_once('=').ok_or_else(|| {
            format!(
                "expected name=0x... fields ({}), found {}",
                names.join(", "),
                quote(token)
            )
        })?;
        // Case-insensitive without allocating: this runs for every field of every
        // leaf line of every dump (millions of times for a large fleet).
        let slot = names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "unknown field {}; expected only {}",
                    quote(name),
                    names.join(", ")
                )
            })?;
        let value = parse_hex_u32(value, name)?;
        match values.get_mut(slot) {
            Some(v @ None) => *v = Some(value),
            _ => {
                return Err(format!(
                    "field '{}' is given twice",
                    name.to_ascii_lowercase()
                ))
            }
        }
    }
    let mut out = [0u32; N];
    for ((o, v), name) in out.iter_mut().zip(values).zip(names) {
        *o =
            v.ok_or_else(|| format!("missing field '{name}=0x...' (the line may be truncated)"))?;
    }
    Ok(out)
}

/// The fast path of [`parse_fields`] for the layout every writer uses: the fields
/// in `names` order, lowercase, `name=0x<hex>` separated by single spaces. Any
/// deviation returns `None` and the general parser (with its error messages)
/// takes over. A fleet of 100,000 dumps parses millions of such lines.
fn parse_fields_in_order<const N: usize>(line: &[u8], names: &[&str; N]) -> Option<[u32; N]> {
    let mut out = [0u32; N];
    let mut rest = line;
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(b" ")?;
        }
        rest = rest.strip_prefix(name.as_bytes())?.strip_prefix(b"=0x")?;
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        let (digits, tail) = rest.split_at(end);
        if digits.is_empty() || digits.len() > 8 {
            return None;
        }
        let mut v: u32 = 0;
        for &b in digits {
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return None,
            };
            v = (v << 4) | u32::from(d);
        }
        out[i] = v;
        rest = tail;
    }
    rest.is_empty().then_some(out)
}

/// Parses the four output registers given as `eax=0x... ebx=0x... ecx=0x... edx=0x...`.
pub fn parse_regs(tokens: &str) -> std::result::Result<Regs, String> {
    let [eax, ebx, ecx, edx] = parse_fields(tokens, ["eax", "ebx", "ecx", "edx"])?;
    Ok(Regs::new(eax, ebx, ecx, edx))
}

/// One leaf in the spelling of `cpuid -r` (and the native format):
/// `0x00000007 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x...`.
pub fn format_leaf(key: LeafKey, regs: Regs) -> String {
    format!(
        "0x{:08x} 0x{:02x}: eax=0x{:08x} ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}",
        key.leaf, key.subleaf, regs.eax, regs.ebx, regs.ecx, regs.edx
    )
}

/// A leaf line in the `cpuid -r` spelling, as parsed: the subleaf is `None` when the
/// line has no subleaf column (old versions of `cpuid`: `0x00000004: eax=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeafLine {
    /// The leaf (EAX input).
    pub leaf: u32,
    /// The subleaf (ECX input), when the line gives one.
    pub subleaf: Option<u32>,
    /// The output registers.
    pub regs: Regs,
}

/// True when `line` looks like a `cpuid -r` leaf line (indentation, then a `0x`
/// number, then either ` 0x..:` or `:`), without fully validating it.
pub fn looks_like_leaf(line: &str) -> bool {
    let t = line.trim_start();
    let Some(rest) = t.strip_prefix("0x") else {
        return false;
    };
    let Some((left, right)) = rest.split_once(':') else {
        return false;
    };
    let mut cols = left.split_whitespace();
    let first_ok = cols
        .next()
        .is_some_and(|c| c.bytes().all(|b| b.is_ascii_hexdigit()));
    first_ok && right.trim_start().to_ascii_lowercase().starts_with("eax")
}

/// Parses a leaf line in the `cpuid -r` spelling (leading whitespace allowed).
pub fn parse_leaf_line(line: &str) -> std::result::Result<LeafLine, String> {
    const EXPECTED: &str =
        "expected a leaf line like '0x00000001 0x00: eax=0x... ebx=0x... ecx=0x... edx=0x...'";
    let t = line.trim();
    let (left, right) = t
        .split_once(':')
        .ok_or_else(|| format!("{EXPECTED}, found {} (no ':')", quote(t)))?;
    let mut cols = left.split_whitespace();
    let leaf_text = cols
        .next()
        .ok_or_else(|| format!("{EXPECTED}, found {}", quote(t)))?;
    let leaf = parse_hex_u32(leaf_text, "leaf")?;
    let subleaf = match cols.next() {
        Some(s) => Some(parse_hex_u32(s, "subleaf")?),
        None => None,
    };
    if let Some(extra) = cols.next() {
        return Err(format!(
            "{EXPECTED}, found an extra column {} before ':'",
            quote(extra)
        ));
    }
    let regs = parse_regs(right)?;
    Ok(LeafLine {
        leaf,
        subleaf,
        regs,
    })
}

/// Records one leaf in `cpu`, refusing a second, different value for the same
/// leaf/subleaf (the same value twice is accepted) and more than
/// [`limits::MAX_LEAVES_PER_CPU`] leaves.
pub fn insert_leaf(
    leaves: &mut BTreeMap<LeafKey, Regs>,
    key: LeafKey,
    regs: Regs,
) -> std::result::Result<(), String> {
    match leaves.get(&key) {
        Some(old) if *old == regs => return Ok(()),
        Some(old) => {
            return Err(format!(
                "leaf 0x{:08x} subleaf 0x{:x} is given twice with different values \
                 (first eax=0x{:08x} ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}, now eax=0x{:08x} \
                 ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x})",
                key.leaf,
                key.subleaf,
                old.eax,
                old.ebx,
                old.ecx,
                old.edx,
                regs.eax,
                regs.ebx,
                regs.ecx,
                regs.edx
            ))
        }
        None => {}
    }
    if leaves.len() >= limits::MAX_LEAVES_PER_CPU {
        return Err(format!(
            "more than {} leaves for one CPU; no real CPU reports that many",
            limits::MAX_LEAVES_PER_CPU
        ));
    }
    leaves.insert(key, regs);
    Ok(())
}

/// Checks that one more CPU may be added to `cpus` (the CPU limit), and
/// that `index` is not already used.
pub fn check_new_cpu(cpus: &[CpuLeaves], index: u32) -> std::result::Result<(), String> {
    if cpus.len() >= limits::MAX_CPUS {
        return Err(format!(
            "more than {} CPUs in one dump; expected at most {}",
            limits::MAX_CPUS,
            limits::MAX_CPUS
        ));
    }
    if cpus.iter().any(|c| c.index == index) {
        return Err(format!("CPU {index} appears twice"));
    }
    Ok(())
}

/// The final checks of every reader: at least one CPU, each with at least one leaf.
pub fn finish(mut dump: RawDump, origin: &str, what: &str) -> Result<RawDump> {
    if dump.cpus.is_empty() {
        return Err(Error::input(
            origin,
            format!("no CPU found: expected {what}"),
        ));
    }
    if let Some(cpu) = dump.cpus.iter().find(|c| c.leaves.is_empty()) {
        return Err(Error::input(
            origin,
            format!("CPU {} has no leaves: expected {what}", cpu.index),
        ));
    }
    if dump.completeness == Completeness::Full && dump.cpus.iter().any(lacks_xsave_subleaf) {
        dump.completeness = Completeness::MissingXsaveSubleaf;
    }
    Ok(dump)
}

/// True when a CPU says it has XSAVE (leaf 1 ECX[26]) and reports leaf 0xD, but
/// the dump has no leaf 0xD subleaf 1: not a full dump.
fn lacks_xsave_subleaf(cpu: &crate::cpuid::CpuLeaves) -> bool {
    let max_basic = cpu.get_or_zero(0, 0).eax;
    let xsave = cpu.get_or_zero(1, 0).ecx & (1 << 26) != 0;
    xsave && max_basic >= 0xd && cpu.get(0xd, 1).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_numbers() {
        assert_eq!(parse_hex_u32("0x1f", "x"), Ok(0x1f));
        assert_eq!(parse_hex_u32("0X0000001F", "x"), Ok(0x1f));
        assert_eq!(parse_hex_u32("0x000000000001", "x"), Ok(1));
        assert!(parse_hex_u32("0x100000000", "x").is_err());
        assert!(parse_hex_u32("0x", "x").is_err());
        assert!(parse_hex_u32("0x+1", "x").is_err());
        assert!(parse_hex_u32("12", "x")
            .unwrap_err()
            .contains("x: expected"));
    }

    #[test]
    fn leaf_lines() {
        let l = parse_leaf_line(
            "   0x00000007 0x01: eax=0x00000020 ebx=0x00000000 ecx=0x00000000 edx=0x00000001",
        )
        .unwrap();
        assert_eq!(l.leaf, 7);
        assert_eq!(l.subleaf, Some(1));
        assert_eq!(l.regs, Regs::new(0x20, 0, 0, 1));
        let old = parse_leaf_line("0x00000004: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4").unwrap();
        assert_eq!(old.subleaf, None);
        let e = parse_leaf_line("0x00000007 0x01: eax=0x00000020 ebx=0x00000000 ecx=0x0000")
            .unwrap_err();
        assert!(e.contains("missing field 'edx"), "{e}");
        let e = parse_leaf_line("0x00000007 0x01: eax=0x1 eax=0x2").unwrap_err();
        assert!(e.contains("twice"), "{e}");
        let e = parse_leaf_line("0x00000007 0x01: eax=0x1 ebx=0x1 ecx=0x1 edx=0x1 esi=0x2")
            .unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        assert!(parse_leaf_line("0x7 0x1 0x2: eax=0x1 ebx=0x1 ecx=0x1 edx=0x1").is_err());
        assert!(parse_leaf_line("garbage").is_err());
    }

    #[test]
    fn format_round_trips() {
        let key = LeafKey::new(0x8000_001d, 3);
        let regs = Regs::new(1, 2, 3, 0xffff_ffff);
        let text = format_leaf(key, regs);
        assert_eq!(
            text,
            "0x8000001d 0x03: eax=0x00000001 ebx=0x00000002 ecx=0x00000003 edx=0xffffffff"
        );
        assert!(looks_like_leaf(&text));
        let l = parse_leaf_line(&text).unwrap();
        assert_eq!((l.leaf, l.subleaf, l.regs), (key.leaf, Some(3), regs));
    }

    #[test]
    fn duplicates_and_limits() {
        let mut cpu = BTreeMap::new();
        insert_leaf(&mut cpu, LeafKey::new(1, 0), Regs::new(1, 2, 3, 4)).unwrap();
        insert_leaf(&mut cpu, LeafKey::new(1, 0), Regs::new(1, 2, 3, 4)).unwrap();
        let e = insert_leaf(&mut cpu, LeafKey::new(1, 0), Regs::new(1, 2, 3, 5)).unwrap_err();
        assert!(e.contains("twice with different values"), "{e}");
        for i in 0..limits::MAX_LEAVES_PER_CPU as u32 - 1 {
            insert_leaf(&mut cpu, LeafKey::new(2, i), Regs::default()).unwrap();
        }
        let e = insert_leaf(&mut cpu, LeafKey::new(3, 0), Regs::default()).unwrap_err();
        assert!(e.contains("more than 4096 leaves for one CPU"), "{e}");
    }

    #[test]
    fn long_lines_are_refused() {
        let text = format!("ok\n{}\n", "x".repeat(MAX_LINE_CHARS + 1));
        let results: Vec<_> = numbered_lines(&text, "f").collect();
        assert!(results[0].is_ok());
        let e = results[1].as_ref().unwrap_err().to_string();
        assert!(e.starts_with("f:2: line is 4097 characters"), "{e}");
    }
}
