//! ESXi hosts: `vim-cmd hostsvc/hosthardware`, whose `cpuFeature` lists give
//! leaves 0, 1, 0x80000000 and 0x80000001 as `0000:0000:...` bit strings (most
//! significant bit first) with the leaf as a signed 32-bit `level`
//! (0x80000001 prints as -2147483647). Nothing else: leaf 7 and beyond (AVX2,
//! AVX-512, BMI, SMEP/SMAP, ...), leaf 0xD (XSAVE) and 0x80000008 are not visible.
//! So [`collect`] also reads `vim-cmd hostsvc/hostconfig` (`featureCapability`:
//! VMware's names for what vMotion and EVC compare) and `vim-cmd
//! hostsvc/hostsummary` (`maxEVCModeKey`) and joins them with the leaves
//! ([`crate::sources::vmware_features`]); without them the dump stays partial.

use std::time::Instant;

use super::transport::Session;
use super::{text, FailureKind, RemoteError, SshOptions, Target};
use crate::cpuid::{Completeness, CpuLeaves, Provenance, RawDump, Regs, SourceKind};
use crate::model::Fingerprint;
use crate::util::text::snippet;

/// The command run on the host.
pub const COMMAND: &str = "vim-cmd hostsvc/hosthardware";

/// What the collection runs: [`COMMAND`] (its exit status is the script's), then,
/// after a marker line, `vmware -v` for the release (the fingerprint's kernel).
const SCRIPT: &str = "vim-cmd hostsvc/hosthardware; rc=$?; echo '@@vmware-v'; vmware -v 2>/dev/null | head -c 300 | head -n1; exit $rc";
/// The marker line between the two outputs.
const VERSION_MARKER: &str = "@@vmware-v\n";

/// The BIOS of a `vim-cmd hostsvc/hosthardware` output (`biosInfo =
/// (vim.host.BIOSInfo) { biosVersion = "...", releaseDate = ..., vendor = "..." }`,
/// the fields of vSphere's `HostBIOSInfo`), on several lines or one; unset or
/// absent fields stay unknown. Values are cleaned like every remote text.
pub fn parse_bios(output: &str) -> Fingerprint {
    use crate::model::fingerprint::Field;
    let mut fp = Fingerprint::default();
    let mut inside: Option<usize> = None;
    for raw in output.lines() {
        let line = raw.trim_end_matches('\r');
        let t = line.trim();
        let indent = line.len() - line.trim_start().len();
        let body = match inside {
            None => match t.strip_prefix("biosInfo") {
                Some(rest) if rest.contains("BIOSInfo") && rest.contains('{') => {
                    let after = rest.split_once('{').map_or("", |(_, a)| a);
                    if after.contains('}') {
                        // One line: `biosInfo = (vim.host.BIOSInfo) { biosVersion = "1.6.2", ... },`
                        for pair in after.split(',') {
                            bios_pair(&mut fp, pair);
                        }
                        break;
                    }
                    inside = Some(indent);
                    continue;
                }
                _ => continue,
            },
            Some(start) => {
                if t.starts_with('}') && indent <= start {
                    break;
                }
                t
            }
        };
        bios_pair(&mut fp, body);
    }
    fn bios_pair(fp: &mut Fingerprint, pair: &str) {
        let Some((k, v)) = pair.split_once('=') else {
            return;
        };
        let field = match k.trim() {
            "biosVersion" => Field::BiosVersion,
            "releaseDate" => Field::BiosDate,
            "vendor" => Field::BiosVendor,
            _ => return,
        };
        let v = v.trim().trim_end_matches(',');
        // Quoted, or unquoted (`releaseDate = 2019-04-12T00:00:00Z`); `<unset>` is unknown.
        if !v.starts_with('<') {
            fp.set(field, token(v));
        }
    }
    fp
}

/// What such a dump cannot show, for reports.
pub const CANNOT_SHOW: &str = "ESXi's cpuFeature holds leaves 0, 1, 0x80000000 and 0x80000001 \
    only: leaf 7 and everything beyond (AVX2, AVX-512, BMI1/2, SMEP/SMAP, ERMS, ADX, SHA, \
    RDSEED, ...), XSAVE details (leaf 0xD) and address sizes (0x80000008) cannot be seen";

/// One `cpuFeature` list found in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Section {
    indent: usize,
    leaves: Vec<(u32, Regs)>,
}

/// The first token of a member value: a quoted string's content, or up to `,`/space.
fn token(value: &str) -> &str {
    let v = value.trim();
    match v.strip_prefix('"') {
        Some(rest) => rest.split('"').next().unwrap_or(""),
        None => v
            .split(|c: char| c == ',' || c.is_whitespace())
            .next()
            .unwrap_or(""),
    }
}

fn bits(value: &str) -> Option<u32> {
    let v = token(value);
    let digits: String = v.chars().filter(|&c| c != ':').collect();
    if digits.len() != 32 || !digits.bytes().all(|b| b == b'0' || b == b'1') {
        return None;
    }
    u32::from_str_radix(&digits, 2).ok()
}

fn level(value: &str) -> Option<u32> {
    let v = token(value);
    if let Ok(i) = v.parse::<i32>() {
        return Some(i as u32);
    }
    v.parse::<u32>().ok()
}

/// Parses the cpuFeature part of `vim-cmd hostsvc/hosthardware` output. The
/// host-level list is preferred (the least indented); else the first package's.
pub fn parse(output: &str, origin: &str) -> Result<RawDump, RemoteError> {
    let mut sections: Vec<Section> = Vec::new();
    let mut current: Option<Section> = None;
    let mut entry: Option<(Option<u32>, [Option<u32>; 4], usize)> = None;
    let bad = |n: usize, msg: String| {
        RemoteError::new(
            FailureKind::Malformed,
            format!("{origin}: `{COMMAND}` output line {n}: {msg}"),
        )
    };
    for (i, raw) in output.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end_matches('\r');
        let t = line.trim();
        let indent = line.len() - line.trim_start().len();
        if t.starts_with("cpuFeature") && t.contains('[') && !t.contains(']') {
            if let Some(s) = current.take() {
                sections.push(s);
            }
            current = Some(Section {
                indent,
                leaves: Vec::new(),
            });
            continue;
        }
        let Some(sec) = current.as_mut() else {
            continue;
        };
        if t.starts_with("(vim.host.CpuIdInfo)") && t.ends_with('{') {
            entry = Some((None, [None; 4], n));
            continue;
        }
        if let Some((lvl, regs, start)) = entry.as_mut() {
            if t.starts_with('}') {
                let (Some(l), [Some(a), Some(b), Some(c), Some(d)]) = (*lvl, *regs) else {
                    return Err(bad(
                        *start,
                        "a CpuIdInfo entry lacks its level or one of eax, ebx, ecx, edx".into(),
                    ));
                };
                sec.leaves.push((l, Regs::new(a, b, c, d)));
                entry = None;
                continue;
            }
            if let Some((k, v)) = t.split_once('=') {
                let k = k.trim();
                let slot = match k {
                    "level" => {
                        *lvl = Some(level(v).ok_or_else(|| {
                            bad(n, format!("level {:?} is not a 32-bit integer", v.trim()))
                        })?);
                        continue;
                    }
                    "eax" => 0,
                    "ebx" => 1,
                    "ecx" => 2,
                    "edx" => 3,
                    _ => continue,
                };
                regs[slot] = Some(bits(v).ok_or_else(|| {
                    bad(
                        n,
                        format!(
                            "{k} = {:?}: expected 32 bits written as \"0000:0000:...\"",
                            snippet(v, 60)
                        ),
                    )
                })?);
            }
            continue;
        }
        if t.starts_with(']') && indent <= sec.indent {
            if let Some(s) = current.take() {
                sections.push(s);
            }
        }
    }
    if let Some(s) = current.take() {
        sections.push(s);
    }
    if entry.is_some() {
        return Err(RemoteError::new(
            FailureKind::Malformed,
            format!("{origin}: `{COMMAND}` output ends inside a CpuIdInfo entry (truncated?)"),
        ));
    }
    let best = sections
        .iter()
        .filter(|s| !s.leaves.is_empty())
        .min_by_key(|s| s.indent)
        .ok_or_else(|| {
            RemoteError::new(
                FailureKind::Malformed,
                format!(
                    "{origin}: `{COMMAND}` printed no cpuFeature list ({} bytes: {:?}). Is this an ESXi host?",
                    output.len(),
                    snippet(output, 100)
                ),
            )
        })?;
    let mut cpu = CpuLeaves::new(0);
    for (leaf, regs) in &best.leaves {
        cpu.insert(*leaf, 0, *regs);
    }
    if cpu.get(0, 0).is_none() || cpu.get(1, 0).is_none() {
        return Err(RemoteError::new(
            FailureKind::Malformed,
            format!("{origin}: `{COMMAND}` cpuFeature lacks level 0 or level 1"),
        ));
    }
    let mut dump = RawDump::new(
        Provenance {
            kind: SourceKind::EsxiHostHardware,
            origin: origin.to_string(),
            detail: CANNOT_SHOW.to_string(),
        },
        Completeness::BasicLeavesOnly,
    );
    dump.cpus.push(cpu);
    Ok(dump)
}

/// Reads an ESXi host's cpuFeature through an open session.
pub fn collect(
    session: &mut dyn Session,
    target: &Target,
    opts: &SshOptions,
) -> Result<RawDump, RemoteError> {
    let started = Instant::now();
    let out = session.exec(SCRIPT, opts.deadline.min(super::COMMAND_TIME_LIMIT))?;
    let all = text(&out.stdout);
    let (stdout, release) = match all.rfind(VERSION_MARKER) {
        Some(p) => (
            all[..p].to_string(),
            all[p + VERSION_MARKER.len()..].to_string(),
        ),
        None => (all.clone(), String::new()),
    };
    let stderr = text(&out.stderr);
    if out.status == Some(127) || stderr.contains("not found") && stdout.trim().is_empty() {
        return Err(RemoteError::new(
            FailureKind::CommandMissing,
            format!(
                "`{COMMAND}` is not available on {target} ({}). Is it an ESXi host? For Linux hosts use `ssh = ...`",
                snippet(&stderr, 120)
            ),
        ));
    }
    if stderr.contains("ermission") || stderr.contains("NoPermission") {
        return Err(RemoteError::new(
            FailureKind::PermissionDenied,
            format!(
                "`{COMMAND}` on {target} was refused ({}): log in as root or a user with the Administrator role",
                snippet(&stderr, 160)
            ),
        ));
    }
    if out.status != Some(0) {
        return Err(RemoteError::new(
            FailureKind::Malformed,
            format!(
                "`{COMMAND}` on {target} exited with status {:?}: {}",
                out.status,
                snippet(&stderr, 200)
            ),
        ));
    }
    let mut dump = parse(&stdout, &target.to_string())?;
    dump.fingerprint = parse_bios(&stdout);
    dump.fingerprint
        .set(crate::model::fingerprint::Field::Kernel, release.trim());
    // The features VMware compares: `featureCapability` of `hostsvc/hostconfig`,
    // with the EVC facts of `hostsvc/hostsummary`. Optional: a host (or an old
    // release) without them keeps the basic leaves, marked partial.
    let limit = opts.deadline.min(super::COMMAND_TIME_LIMIT);
    let config = session.exec(CONFIG_COMMAND, limit)?;
    let caps = if config.status == Some(0) {
        crate::sources::vmware_features::parse_feature_capability(&text(&config.stdout)).map_err(
            |m| {
                RemoteError::new(
                    FailureKind::Malformed,
                    format!("{target}: `{CONFIG_COMMAND}` output {m}"),
                )
            },
        )?
    } else {
        Vec::new()
    };
    if caps.is_empty() {
        dump.provenance.detail = format!(
            "`{COMMAND}` over SSH ({}, {:.2} s); {}",
            opts.backend.name(),
            started.elapsed().as_secs_f64(),
            CANNOT_SHOW
        );
        return Ok(dump);
    }
    let summary = session.exec(SUMMARY_COMMAND, limit)?;
    let evc = if summary.status == Some(0) {
        crate::sources::vmware_features::parse_evc_facts(&text(&summary.stdout))
    } else {
        Default::default()
    };
    let Some(basic) = dump.first() else {
        return Ok(dump);
    };
    let how = format!(
        "`{COMMAND}`, `{CONFIG_COMMAND}` and `{SUMMARY_COMMAND}` over SSH ({}, {:.2} s)",
        opts.backend.name(),
        started.elapsed().as_secs_f64()
    );
    let mut joined =
        crate::sources::vmware_features::join(basic, &caps, &evc, &target.to_string(), &how).dump;
    joined.fingerprint = std::mem::take(&mut dump.fingerprint);
    Ok(joined)
}

/// The command giving `featureCapability` (the features VMware compares).
pub const CONFIG_COMMAND: &str = "vim-cmd hostsvc/hostconfig";
/// The command giving `maxEVCModeKey` and `currentEVCModeKey`.
pub const SUMMARY_COMMAND: &str = "vim-cmd hostsvc/hostsummary";

/// Writes leaves as vim-cmd prints them (for fixtures and tests).
pub fn render_cpu_feature(leaves: &[(u32, Regs)], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let b = |v: u32| {
        let s = format!("{v:032b}");
        s.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    };
    let mut out = format!("{pad}cpuFeature = (vim.host.CpuIdInfo) [\n");
    for (i, (leaf, r)) in leaves.iter().enumerate() {
        out.push_str(&format!(
            "{pad}   (vim.host.CpuIdInfo) {{\n{pad}      level = {},\n{pad}      vendor = <unset>,\n\
             {pad}      eax = \"{}\",\n{pad}      ebx = \"{}\",\n{pad}      ecx = \"{}\",\n{pad}      edx = \"{}\"\n{pad}   }}{}\n",
            *leaf as i32,
            b(r.eax),
            b(r.ebx),
            b(r.ecx),
            b(r.edx),
            if i + 1 < leaves.len() { "," } else { "" }
        ));
    }
    out.push_str(&format!("{pad}]"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        let host = [
            (0u32, Regs::new(0x20, 0x756e6547, 0x6c65746e, 0x49656e69)),
            (1, Regs::new(0x806f7, 0x10800, 0xfffa322b, 0x0fabfbff)),
            (0x8000_0000, Regs::new(0x8000_0008, 0, 0, 0)),
            (0x8000_0001, Regs::new(0, 0, 1, 0x2c10_0800)),
        ];
        let pkg = [(0u32, Regs::new(0x1f, 1, 2, 3)), (1, Regs::new(1, 1, 1, 1))];
        format!(
            "(vim.host.HardwareInfo) {{\n   cpuPkg = (vim.host.CpuPackage) [\n      (vim.host.CpuPackage) {{\n         index = 0,\n{},\n      }}\n   ],\n{},\n   memorySize = 1\n}}\n",
            render_cpu_feature(&pkg, 9),
            render_cpu_feature(&host, 3)
        )
    }

    #[test]
    fn host_level_list_wins() {
        let d = parse(&sample(), "esx").unwrap();
        let cpu = d.first().unwrap();
        assert_eq!(cpu.get(0, 0).unwrap().eax, 0x20);
        assert_eq!(cpu.get(0x8000_0001, 0).unwrap().edx, 0x2c10_0800);
        assert_eq!(cpu.leaves.len(), 4);
        assert_eq!(d.completeness, Completeness::BasicLeavesOnly);
        assert_eq!(d.provenance.kind, SourceKind::EsxiHostHardware);
        assert!(sample().contains("level = -2147483647"));
    }

    #[test]
    fn bios_info() {
        let multi = "(vim.host.HardwareInfo) {\n   biosInfo = (vim.host.BIOSInfo) {\n      biosVersion = \"2.19.0\",\n      \
                     releaseDate = \"2023-06-14T00:00:00Z\",\n      vendor = \"Dell Inc.\",\n      majorRelease = 2\n   },\n   \
                     other = (x) {\n      vendor = \"not the BIOS\"\n   }\n}\n";
        let fp = parse_bios(multi);
        assert_eq!(fp.bios_version.as_deref(), Some("2.19.0"));
        assert_eq!(fp.bios_date.as_deref(), Some("2023-06-14T00:00:00Z"));
        assert_eq!(fp.bios_vendor.as_deref(), Some("Dell Inc."));
        let one = "   biosInfo = (vim.host.BIOSInfo) { biosVersion = \"1.6.2\", vendor = <unset>, ... },\n";
        let fp = parse_bios(one);
        assert_eq!(fp.bios_version.as_deref(), Some("1.6.2"));
        assert_eq!(fp.bios_vendor, None);
        assert!(parse_bios(&sample()).is_unknown());
        let sample_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/samples/esxi/vim-cmd_format_and_hosthardware.txt");
        if let Ok(text) = std::fs::read_to_string(sample_file) {
            assert_eq!(parse_bios(&text).bios_version.as_deref(), Some("1.6.2"));
        }
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        let s = sample();
        for cut in [0, 10, s.len() / 2, s.len() - 40] {
            let _ = parse(&s[..cut], "esx");
        }
        let e = parse(
            &s.replace("0000:0000:0000:0000:0000:0000:0000:0000", "0000:zz"),
            "esx",
        )
        .unwrap_err();
        assert_eq!(e.kind, FailureKind::Malformed);
        assert!(e.message.contains("line"), "{}", e.message);
        let e = parse("hello\n", "esx").unwrap_err();
        assert!(e.message.contains("no cpuFeature"), "{}", e.message);
        assert_eq!(level("-2147483648"), Some(0x8000_0000));
        assert_eq!(level("4294967295"), Some(u32::MAX));
        assert_eq!(
            bits("\"0000:0000:0000:0000:0000:0000:0010:0000\","),
            Some(0x20)
        );
    }
}
