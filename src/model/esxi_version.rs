//! ESXi versions: read from `vmware -vl` (over SSH) or declared in the fleet
//! file (`esxi_version = "7.0.2"`), and the highest virtual machine hardware
//! version each release runs (`data/vsphere/esxi_hardware_versions.tsv`, from
//! VMware KB 2007240 "ESXi/ESX hosts and compatible virtual machine hardware
//! versions").

use serde::{Deserialize, Serialize};

/// An ESXi release as `vmware -vl` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EsxiVersion {
    /// Major version (7 in 7.0 U2).
    pub major: u32,
    /// Minor version (0 in 7.0 U2).
    pub minor: u32,
    /// Update level (2 in 7.0 U2; from ESXi 7.0 on `vmware -v` prints it as the
    /// third number, 7.0.2; before, only the second line says `Update 2`).
    pub update: u32,
    /// Build number (`17630552`), when known.
    pub build: Option<String>,
}

impl std::fmt::Display for EsxiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ESXi {}.{}", self.major, self.minor)?;
        if self.update > 0 {
            write!(f, " U{}", self.update)?;
        }
        if let Some(b) = &self.build {
            write!(f, " (build {b})")?;
        }
        Ok(())
    }
}

impl EsxiVersion {
    /// True when this release is `major.minor` or later.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

/// The mapping file, compiled in.
const TABLE: &str = include_str!("../../data/vsphere/esxi_hardware_versions.tsv");

/// One row of the mapping: (major, minor, update, max hardware version, release name).
type Row = (u32, u32, u32, u32, &'static str);

/// The table, parsed once (VM readiness asks per VM and destination).
fn rows() -> &'static [Row] {
    static ROWS: std::sync::OnceLock<Vec<Row>> = std::sync::OnceLock::new();
    ROWS.get_or_init(parse_rows)
}

fn parse_rows() -> Vec<Row> {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Some((
                c.first()?.parse().ok()?,
                c.get(1)?.parse().ok()?,
                c.get(2)?.parse().ok()?,
                c.get(3)?.parse().ok()?,
                *c.get(4)?,
            ))
        })
        .collect()
}

/// The highest hardware version `v` runs, with the release row it comes from;
/// `None` for a release the table does not list (older than 3.5, or a
/// major.minor newer than the table).
pub fn max_hardware_version(v: &EsxiVersion) -> Option<(u32, &'static str)> {
    rows()
        .iter()
        .filter(|r| (r.0, r.1) == (v.major, v.minor) && r.2 <= v.update)
        .max_by_key(|r| r.2)
        .map(|r| (r.3, r.4))
}

/// The oldest release that runs hardware version `hw` (for advice), if any.
pub fn first_release_for(hw: u32) -> Option<&'static str> {
    rows().iter().find(|r| r.3 >= hw).map(|r| r.4)
}

/// Why text is not an ESXi version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The text is not a version.
    #[error(
        "expected an ESXi version such as \"6.7.0\", \"7.0.2\", \"7.0 U2\" or \
         \"8.0.3 build-24022510\", got {0:?}"
    )]
    NotAVersion(String),
    /// `vmware -vl` printed no `VMware ESXi` line (holds a snippet of what it printed).
    #[error("`vmware -vl` output has no \"VMware ESXi\" line: {0:?}")]
    NoVersionLine(String),
    /// `vmware -vl`'s version line is not a version.
    #[error("`vmware -vl`: {0}")]
    VmwareVl(Box<VersionError>),
}

/// Parses a declared version: `6.7.0`, `7.0`, `7.0.2`, `7.0 U2`,
/// `6.7.0 Update 2`, `8.0.3 build-24022510`, or a `vmware -v` line
/// (`VMware ESXi 7.0.2 build-17630552`). Errors say what is expected.
pub fn parse(text: &str) -> Result<EsxiVersion, VersionError> {
    let t = text.trim();
    let t = t
        .strip_prefix("VMware ESXi")
        .or_else(|| t.strip_prefix("ESXi"))
        .unwrap_or(t)
        .trim();
    let mut words = t.split_whitespace();
    let first = words
        .next()
        .ok_or_else(|| VersionError::NotAVersion(text.to_string()))?;
    // "8.0U3": the update glued to the number.
    let (num, glued) = match first.find(['U', 'u']) {
        Some(i) => (&first[..i], Some(&first[i..])),
        None => (first, None),
    };
    let parts: Vec<&str> = num.split('.').collect();
    let n = |i: usize| -> Result<u32, VersionError> {
        parts
            .get(i)
            .map_or(Ok(0), |p| p.parse::<u32>())
            .map_err(|_| VersionError::NotAVersion(text.to_string()))
    };
    if parts.len() < 2 || parts.len() > 3 {
        return Err(VersionError::NotAVersion(text.to_string()));
    }
    let mut v = EsxiVersion {
        major: n(0)?,
        minor: n(1)?,
        update: n(2)?,
        build: None,
    };
    let rest: Vec<&str> = glued.into_iter().chain(words).collect();
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i];
        let lower = w.to_ascii_lowercase();
        if let Some(b) = lower.strip_prefix("build-") {
            if b.is_empty() || !b.bytes().all(|c| c.is_ascii_digit()) {
                return Err(VersionError::NotAVersion(text.to_string()));
            }
            v.build = Some(b.to_string());
        } else if lower == "update" || lower == "u" {
            let u = rest.get(i + 1).and_then(|x| x.parse::<u32>().ok());
            v.update = v
                .update
                .max(u.ok_or_else(|| VersionError::NotAVersion(text.to_string()))?);
            i += 1;
        } else if let Some(u) = lower.strip_prefix('u').and_then(|x| x.parse::<u32>().ok()) {
            v.update = v.update.max(u);
        } else if lower == "ga" {
        } else {
            return Err(VersionError::NotAVersion(text.to_string()));
        }
        i += 1;
    }
    Ok(v)
}

/// Parses `vmware -vl` output: `VMware ESXi 6.7.0 build-13006603` and, on a
/// second line, `VMware ESXi 6.7.0 Update 2` (ESXi 6.x keeps the third number 0
/// and names the update only there).
pub fn parse_vmware_vl(text: &str) -> Result<EsxiVersion, VersionError> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("VMware ESXi"))
        .collect();
    let first = lines
        .first()
        .ok_or_else(|| VersionError::NoVersionLine(crate::util::text::snippet(text, 80)))?;
    let mut v = parse(first).map_err(|e| VersionError::VmwareVl(Box::new(e)))?;
    for l in &lines[1..] {
        if let Ok(w) = parse(l) {
            v.update = v.update.max(w.update);
            if v.build.is_none() {
                v.build = w.build;
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> EsxiVersion {
        parse(s).expect(s)
    }

    #[test]
    fn spellings_people_write() {
        assert_eq!(
            (v("6.7.0").major, v("6.7.0").minor, v("6.7.0").update),
            (6, 7, 0)
        );
        assert_eq!(v("7.0.2").update, 2);
        assert_eq!(v("7.0 U2").update, 2);
        assert_eq!(v("6.7.0 Update 2").update, 2);
        assert_eq!(v("ESXi 8.0U3").update, 3);
        let b = v("VMware ESXi 7.0.2 build-17630552");
        assert_eq!((b.update, b.build.as_deref()), (2, Some("17630552")));
        assert_eq!(b.to_string(), "ESXi 7.0 U2 (build 17630552)");
        for bad in [
            "",
            "seven",
            "7",
            "7.0.x",
            "7.0 Update",
            "7.0 build-",
            "7.0 foo",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn vmware_vl_output() {
        let six = parse_vmware_vl("VMware ESXi 6.7.0 build-13006603\nVMware ESXi 6.7.0 Update 2\n")
            .expect("parses");
        assert_eq!((six.major, six.minor, six.update), (6, 7, 2));
        assert_eq!(six.build.as_deref(), Some("13006603"));
        let seven = parse_vmware_vl("VMware ESXi 7.0.2 build-17630552\nVMware ESXi 7.0 Update 2\n")
            .expect("parses");
        assert_eq!(seven.update, 2);
        assert!(parse_vmware_vl("-sh: vmware: not found\n").is_err());
    }

    #[test]
    fn hardware_versions_per_release_from_kb_2007240() {
        let max = |s: &str| max_hardware_version(&v(s)).map(|x| x.0);
        assert_eq!(max("6.0.0"), Some(11));
        assert_eq!(max("6.5.0"), Some(13));
        assert_eq!(max("6.7.0"), Some(14));
        assert_eq!(max("6.7.0 Update 3"), Some(15));
        assert_eq!(max("7.0.0"), Some(17));
        assert_eq!(max("7.0.1"), Some(18));
        assert_eq!(max("7.0.2"), Some(19));
        assert_eq!(max("7.0.3"), Some(19));
        assert_eq!(max("8.0.1"), Some(20));
        assert_eq!(max("8.0.3"), Some(21));
        assert_eq!(max("2.5"), None);
        assert_eq!(
            max("9.9"),
            None,
            "a release newer than the table is not guessed"
        );
        assert_eq!(first_release_for(19), Some("ESXi 7.0 U2"));
        assert_eq!(first_release_for(11), Some("ESXi 6.0"));
        // The table is ordered and never lowers the maximum.
        let r = rows();
        assert!(r.len() >= 16);
        assert!(r
            .windows(2)
            .all(|w| (w[0].0, w[0].1, w[0].2) < (w[1].0, w[1].1, w[1].2) && w[0].3 <= w[1].3));
    }
}
