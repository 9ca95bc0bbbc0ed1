//! Host sources reached by an address `SCHEME:VALUE`: in a fleet file
//! (`from = "SCHEME:VALUE"`) and as a host argument of `diff` and `check`
//! (`vmcompat diff profile:epyc-7002 dump:host.txt`). A source that reads one
//! host from one address is a new file in this folder with a [`Scheme`]
//! constant, declared here (`mod NAME;`) and listed in [`SCHEMES`]; a larger
//! source lives in its own folder under `src/sources/` and adds its scheme here.

use std::path::Path;

use crate::cpuid::RawDump;
use crate::util::error::Result;

/// A kind of host address.
pub struct Scheme {
    /// The part before the `:`.
    pub name: &'static str,
    /// What the part after the `:` names (for messages).
    pub value: &'static str,
    /// Reads the host at `value`; relative paths are anchored at `base` (the
    /// fleet file's folder, or the working directory).
    pub read: fn(value: &str, base: &Path) -> Result<RawDump>,
}

/// Every address scheme. The one place a scheme is registered.
pub const SCHEMES: &[Scheme] = &[
    Scheme {
        name: "dump",
        value: "a dump file (vmcompat, `cpuid -r`, corpus or /proc/cpuinfo)",
        read: |value, base| super::formats::read_file(&base.join(value)),
    },
    Scheme {
        name: "profile",
        value: "a shipped CPU profile (`vmcompat profiles` lists them)",
        read: |value, _| crate::shipped::profiles::load(value),
    },
];

/// The scheme and value of `address` (`SCHEME:VALUE`), if its scheme is one
/// of [`SCHEMES`].
pub fn split(address: &str) -> Option<(&'static Scheme, &str)> {
    let (name, value) = address.split_once(':')?;
    SCHEMES.iter().find(|s| s.name == name).map(|s| (s, value))
}

/// The schemes, for messages: `dump:FILE`, `profile:NAME`.
pub fn names() -> String {
    SCHEMES
        .iter()
        .map(|s| format!("`{}:...` ({})", s.name, s.value))
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Debug for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Scheme {
    fn eq(&self, other: &Scheme) -> bool {
        self.name == other.name
    }
}

impl Eq for Scheme {}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_split_finds_them() {
        for (i, s) in super::SCHEMES.iter().enumerate() {
            assert!(super::SCHEMES[..i].iter().all(|o| o.name != s.name));
        }
        let (s, v) = super::split("profile:intel-haswell").expect("known scheme");
        assert_eq!((s.name, v), ("profile", "intel-haswell"));
        assert!(super::split("nope:x").is_none());
    }
}
