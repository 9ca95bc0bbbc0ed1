//! Lookups over the catalog table: by id, by any spelling, by bit location, per
//! register, and the dependency closure. Indexes are built once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::def::{BitLoc, Class, FeatureDef};
use super::featureset::{FeatureId, FeatureSet};
pub use super::table::KEPT_EDGES;
use super::table::TABLE;
use crate::cpuid::{LeafKey, Reg};

/// Every catalog entry, in table order (a `FeatureId` indexes this slice).
pub fn all() -> &'static [FeatureDef] {
    TABLE
}

/// The entry for an id.
pub fn by_id(id: FeatureId) -> &'static FeatureDef {
    &TABLE[id.index()]
}

/// The feature bits of one register, for decoding and masking.
#[derive(Debug, Clone)]
pub struct RegisterBits {
    /// The leaf and subleaf.
    pub key: LeafKey,
    /// The register.
    pub reg: Reg,
    /// For each bit 0..=31, the feature defined there, if any.
    pub bits: [Option<FeatureId>; 32],
}

struct Index {
    by_name: HashMap<String, FeatureId>,
    by_loc: HashMap<BitLoc, FeatureId>,
    registers: Vec<RegisterBits>,
    /// For each feature, itself plus everything that requires it, transitively.
    hide_with: Vec<FeatureSet>,
    /// Every feature of a class hosts are compared on.
    compared: FeatureSet,
    /// Every feature a guest sees and a mask may act on.
    guest_visible: FeatureSet,
    /// The features of each class.
    by_class: Vec<(Class, FeatureSet)>,
    /// For psABI levels 1..=4 (index 0..=3), the features that level adds.
    psabi: [FeatureSet; 4],
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(build_index)
}

fn build_index() -> Index {
    let mut by_name = HashMap::new();
    let mut by_loc = HashMap::new();
    let mut registers: Vec<RegisterBits> = Vec::new();
    for (i, def) in TABLE.iter().enumerate() {
        let id = FeatureId(i as u16);
        // Canonical names win over aliases: insert aliases first, then overwrite.
        let aliases = [
            def.qemu_name(),
            def.libvirt_name(),
            def.vmware_name(),
            def.libcpuid_name(),
            Some(def.manual).filter(|m| !m.is_empty()),
        ];
        for alias in aliases.into_iter().flatten() {
            by_name.entry(normalize(alias)).or_insert(id);
        }
        by_loc.insert(def.loc, id);
        let key = LeafKey::new(def.loc.leaf, def.loc.subleaf);
        let pos = registers
            .iter()
            .position(|r| r.key == key && r.reg == def.loc.reg);
        let group = match pos {
            Some(p) => &mut registers[p],
            None => {
                registers.push(RegisterBits {
                    key,
                    reg: def.loc.reg,
                    bits: [None; 32],
                });
                let last = registers.len() - 1;
                &mut registers[last]
            }
        };
        group.bits[def.loc.bit as usize] = Some(id);
    }
    for (i, def) in TABLE.iter().enumerate() {
        by_name.insert(normalize(def.name), FeatureId(i as u16));
    }
    registers.sort_by_key(|r| (r.key, r.reg));
    let mut dependents = vec![Vec::new(); TABLE.len()];
    for (i, def) in TABLE.iter().enumerate() {
        for req in def.requires {
            if let Some(&r) = by_name.get(&normalize(req)) {
                dependents[r.index()].push(FeatureId(i as u16));
            }
        }
    }
    let hide_with = (0..TABLE.len())
        .map(|i| {
            let mut out = FeatureSet::new();
            let mut stack = vec![FeatureId(i as u16)];
            while let Some(id) = stack.pop() {
                if !out.contains(id) {
                    out.insert(id);
                    stack.extend(dependents[id.index()].iter().copied());
                }
            }
            out
        })
        .collect();
    let compared = (0..TABLE.len())
        .filter(|&i| TABLE[i].class.is_compared())
        .map(|i| FeatureId(i as u16))
        .collect();
    let guest_visible = (0..TABLE.len())
        .filter(|&i| TABLE[i].class.is_guest_visible())
        .map(|i| FeatureId(i as u16))
        .collect();
    let mut by_class: Vec<(Class, FeatureSet)> = Vec::new();
    for (i, def) in TABLE.iter().enumerate() {
        match by_class.iter_mut().find(|(c, _)| *c == def.class) {
            Some((_, set)) => set.insert(FeatureId(i as u16)),
            None => by_class.push((def.class, [FeatureId(i as u16)].into_iter().collect())),
        }
    }
    let mut psabi = [FeatureSet::new(); 4];
    for (i, def) in TABLE.iter().enumerate() {
        if let Some(set) = (def.psabi_level as usize)
            .checked_sub(1)
            .and_then(|l| psabi.get_mut(l))
        {
            set.insert(FeatureId(i as u16));
        }
    }
    Index {
        by_name,
        by_loc,
        registers,
        hide_with,
        compared,
        guest_visible,
        by_class,
        psabi,
    }
}

/// Case-insensitive, and `_`, `-`, `.` are treated alike (`sse4_1` = `sse4.1` = `SSE4-1`).
fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Finds a feature by its canonical name or any alias (QEMU, libvirt, VMware,
/// libcpuid, manual), ignoring case and `_`/`-`/`.` differences.
pub fn lookup(name: &str) -> Option<FeatureId> {
    index().by_name.get(&normalize(name)).copied()
}

/// Resolves a feature name written in a shipped data file (profiles, baselines),
/// where only the canonical spelling is accepted so the files stay greppable.
/// The error says what is wrong: an unknown name, or the canonical spelling to use.
pub fn canonical(spelled: &str) -> Result<FeatureId, FeatureNameError> {
    let id = lookup(spelled).ok_or_else(|| FeatureNameError::Unknown(spelled.into()))?;
    let name = TABLE[id.index()].name;
    if name == spelled {
        Ok(id)
    } else {
        Err(FeatureNameError::NotCanonical {
            spelled: spelled.into(),
            canonical: name,
        })
    }
}

/// Why a feature name in a shipped data file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeatureNameError {
    /// No feature has that name or alias.
    #[error("unknown feature {0:?} (not in the feature catalog)")]
    Unknown(String),
    /// An alias where the canonical name is required.
    #[error("feature {spelled:?}: write the canonical name {canonical:?}")]
    NotCanonical {
        /// The name as written.
        spelled: String,
        /// The name to write instead.
        canonical: &'static str,
    },
}

/// The feature defined at a bit location, if any.
pub fn by_location(loc: BitLoc) -> Option<FeatureId> {
    index().by_loc.get(&loc).copied()
}

/// The reason a dependency edge `feature` -> `requires` is kept although some real
/// CPU breaks it (see [`KEPT_EDGES`]); `None` for every other edge.
pub fn kept_edge(feature: &str, requires: &str) -> Option<&'static str> {
    KEPT_EDGES
        .iter()
        .find(|(f, r, _)| *f == feature && *r == requires)
        .map(|(_, _, why)| *why)
}

/// Every register that holds at least one catalog bit, ordered by leaf, subleaf, register.
pub fn registers() -> &'static [RegisterBits] {
    &index().registers
}

/// Every feature of a class hosts are compared on (feature and must-match).
pub fn compared_classes() -> &'static FeatureSet {
    &index().compared
}

/// Every feature a guest sees and a mask may act on: the compared classes plus
/// nested-only and non-migratable bits (see [`Class::is_guest_visible`]).
pub fn guest_visible() -> &'static FeatureSet {
    &index().guest_visible
}

/// Every feature of one class (empty when no bit has it).
pub fn of_class(class: Class) -> FeatureSet {
    index()
        .by_class
        .iter()
        .find(|(c, _)| *c == class)
        .map(|(_, s)| *s)
        .unwrap_or_default()
}

/// The architectural floor of an x86-64 guest ([`Class::Floor`]): never hidden.
pub fn floor() -> FeatureSet {
    of_class(Class::Floor)
}

/// The features x86-64 psABI level `level` (1..=4) adds to the level below;
/// empty for any other level.
pub fn psabi_level_features(level: u8) -> FeatureSet {
    (level as usize)
        .checked_sub(1)
        .and_then(|l| index().psabi.get(l))
        .copied()
        .unwrap_or_default()
}

/// `set` plus every feature that requires, directly or transitively, a feature of
/// `set`: what must be hidden along with `set`.
pub fn closure_of_dependents(set: &FeatureSet) -> FeatureSet {
    let idx = index();
    set.iter()
        .fold(*set, |acc, id| acc.union(&idx.hide_with[id.index()]))
}
