//! The format of the real-CPU corpus in `../shared/corpus/libcpuid/*.txt`
//! (libcpuid's test files, converted): `#` header lines, some of which carry
//! libcpuid's expected decode, then one line per leaf:
//!
//! ```text
//! # source: anrieff/libcpuid tests/amd/zen/... @2d1e019 (BSD-2-Clause, ...)
//! # logical-cpu: 0 of 2 in dump (...)
//! # expected: vendor_class=amd family=15 model=0 codename="Dali" ...
//! # expected-cache: l1d_cache=32 ... (-1 = not present/unknown, ...)
//! # expected-flags: fpu vme de pse ...
//! leaf=0x00000000 subleaf=0x0 eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65
//! ```

use std::collections::BTreeMap;

use super::leafline::{self, numbered_lines, quote};
use crate::cpuid::{Completeness, CpuLeaves, LeafKey, Provenance, RawDump, Regs, SourceKind};
use crate::util::error::{Error, Result};

const EXPECTED: &str = "'#' header lines and leaf lines \
    'leaf=0x... subleaf=0x... eax=0x... ebx=0x... ecx=0x... edx=0x...' (the corpus format)";

/// One corpus file: the dump and what libcpuid says it decodes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusFile {
    /// The single logical CPU of the file.
    pub dump: RawDump,
    /// The `# expected:` values (`family`, `model`, `codename`, ...), quotes removed.
    pub expected: BTreeMap<String, String>,
    /// The `# expected-cache:` values (`l1d_cache`, `l2_assoc`, ...; `-1` = unknown).
    pub expected_cache: BTreeMap<String, String>,
    /// The `# expected-flags:` names (libcpuid's spelling).
    pub expected_flags: Vec<String>,
}

/// Parses `key=value key="quoted value" ...`. A token starting with `(` ends the
/// list (a trailing remark, as in `# expected-cache:`).
fn parse_key_values(text: &str) -> std::result::Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        if rest.starts_with('(') {
            break;
        }
        let (key, after) = rest.split_once('=').ok_or_else(|| {
            format!(
                "expected key=value or key=\"quoted value\", found {}",
                quote(rest)
            )
        })?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!(
                "expected key=value with a key of letters, digits and '_', found {}",
                quote(rest.split_whitespace().next().unwrap_or(rest))
            ));
        }
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let (value, after) = quoted.split_once('"').ok_or_else(|| {
                format!("value of '{key}': expected a closing '\"', found end of line")
            })?;
            if after.chars().next().is_some_and(|c| !c.is_whitespace()) {
                return Err(format!(
                    "value of '{key}': expected a space after the closing '\"', found {}",
                    quote(after)
                ));
            }
            (value, after)
        } else {
            match after.find(char::is_whitespace) {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        if out.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("key '{key}' is given twice"));
        }
        rest = after.trim_start();
    }
    Ok(out)
}

/// Parses a corpus file with its expected values; `origin` names it in errors.
pub fn parse_corpus(text: &str, origin: &str) -> Result<CorpusFile> {
    let mut expected = None;
    let mut expected_cache = None;
    let mut expected_flags = None;
    let mut source = String::new();
    let mut cpu_index = 0u32;
    let mut cpu: Option<CpuLeaves> = None;
    for item in numbered_lines(text, origin) {
        let (number, line) = item?;
        let at = |msg: String| Error::at_line(origin, number, msg);
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(comment) = t.strip_prefix('#') {
            let comment = comment.trim_start();
            let Some((tag, value)) = comment.split_once(':') else {
                continue; // free text
            };
            let once = |slot_is_set: bool| {
                if slot_is_set {
                    Err(at(format!("'# {tag}:' is given twice")))
                } else {
                    Ok(())
                }
            };
            match tag {
                "expected" => {
                    once(expected.is_some())?;
                    expected = Some(parse_key_values(value).map_err(at)?);
                }
                "expected-cache" => {
                    once(expected_cache.is_some())?;
                    expected_cache = Some(parse_key_values(value).map_err(at)?);
                }
                "expected-flags" => {
                    once(expected_flags.is_some())?;
                    expected_flags = Some(value.split_whitespace().map(str::to_string).collect());
                }
                "source" => source = value.trim().to_string(),
                "logical-cpu" => {
                    let first = value.split_whitespace().next().unwrap_or("");
                    cpu_index = first.parse().map_err(|_| {
                        at(format!(
                            "logical-cpu: expected a CPU number, found {}",
                            quote(first)
                        ))
                    })?;
                }
                _ => {}
            }
            continue;
        }
        if !t.starts_with("leaf=") {
            return Err(at(format!("expected {EXPECTED}, found {}", quote(t))));
        }
        let [leaf, subleaf, eax, ebx, ecx, edx] =
            leafline::parse_fields(t, ["leaf", "subleaf", "eax", "ebx", "ecx", "edx"])
                .map_err(at)?;
        let cpu = cpu.get_or_insert_with(|| CpuLeaves::new(cpu_index));
        leafline::insert_leaf(
            &mut cpu.leaves,
            LeafKey::new(leaf, subleaf),
            Regs::new(eax, ebx, ecx, edx),
        )
        .map_err(at)?;
    }
    let mut dump = RawDump::new(
        Provenance {
            kind: SourceKind::Corpus,
            origin: origin.to_string(),
            detail: source,
        },
        Completeness::Full,
    );
    dump.cpus.extend(cpu);
    let dump = leafline::finish(dump, origin, EXPECTED)?;
    Ok(CorpusFile {
        dump,
        expected: expected.unwrap_or_default(),
        expected_cache: expected_cache.unwrap_or_default(),
        expected_flags: expected_flags.unwrap_or_default(),
    })
}

/// Parses a corpus file, keeping only the dump; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<RawDump> {
    parse_corpus(text, origin).map(|c| c.dump)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# source: anrieff/libcpuid tests/x.test @2d1e019 (BSD-2-Clause)\n\
# logical-cpu: 2 of 4 in dump\n\
# expected: vendor_class=amd family=15 codename=\"Desktop Kit (Zen 2)\" sse_size=\"128 (authoritative)\"\n\
# expected-cache: l1d_cache=32 l4_cache=-1  (-1 = not present/unknown, libcpuid convention; sizes in KiB)\n\
# expected-flags: fpu vme pni\n\
# note: anything: at all\n\
leaf=0x00000000 subleaf=0x0 eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n\
leaf=0x00000001 subleaf=0x0 eax=0x00820f01 ebx=0x00020800 ecx=0x7ed8320b edx=0x178bfbff\n";

    fn err(text: &str) -> String {
        parse_corpus(text, "c.txt").unwrap_err().to_string()
    }

    #[test]
    fn good_file() {
        let c = parse_corpus(GOOD, "c.txt").unwrap();
        assert_eq!(c.expected["family"], "15");
        assert_eq!(c.expected["codename"], "Desktop Kit (Zen 2)");
        assert_eq!(c.expected["sse_size"], "128 (authoritative)");
        assert_eq!(c.expected_cache["l4_cache"], "-1");
        assert_eq!(c.expected_cache.len(), 2);
        assert_eq!(c.expected_flags, ["fpu", "vme", "pni"]);
        assert_eq!(c.dump.cpus.len(), 1);
        assert_eq!(c.dump.cpus[0].index, 2);
        assert_eq!(c.dump.cpus[0].get(1, 0).unwrap().eax, 0x0082_0f01);
        assert_eq!(c.dump.provenance.kind, SourceKind::Corpus);
        assert!(c.dump.provenance.detail.contains("libcpuid"));
    }

    #[test]
    fn malformed() {
        let e = err("leaf=0x1 subleaf=0x0 eax=0x1 ebx=0x2 ecx=0x3\n");
        assert!(e.starts_with("c.txt:1: missing field 'edx"), "{e}");
        let e = err("# x\nleaf=0x1 subleaf=0x0 eax=0x1 ebx=0x2 ecx=0x3 edx=0xq\n");
        assert!(e.starts_with("c.txt:2: edx: expected a 32-bit"), "{e}");
        let e = err("# expected: codename=\"Dali\n");
        assert!(
            e.starts_with("c.txt:1: value of 'codename': expected a closing"),
            "{e}"
        );
        let e = err("# expected: family 15\n");
        assert!(e.starts_with("c.txt:1: expected key=value"), "{e}");
        let e = err("# x\n\nCPU 0:\n");
        assert!(e.starts_with("c.txt:3: expected '#' header lines"), "{e}");
        let e = err("# logical-cpu: many\n");
        assert!(
            e.starts_with("c.txt:1: logical-cpu: expected a CPU number"),
            "{e}"
        );
        let e = err("# only comments\n");
        assert!(e.starts_with("c.txt: no CPU found"), "{e}");
        let e = err("leaf=0x1 subleaf=0x0 eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\nleaf=0x1 subleaf=0x0 eax=0x1 ebx=0x2 ecx=0x3 edx=0x5\n");
        assert!(
            e.starts_with("c.txt:2: leaf 0x00000001 subleaf 0x0 is given twice"),
            "{e}"
        );
    }
}
