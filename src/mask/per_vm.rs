//! What one VM's guest sees through its own mask, and what a mask read from a
//! user leaves inconsistent. Pure: no I/O.
//!
//! Two kinds of VM mask exist in `.vmx` files:
//!
//! - **Ordinary masks** (`cpuid.1.ecx = "..."`, `featMask.vm.cpuid.AVX512F =
//!   "Max:0"`): the guest sees what the host (or the cluster's EVC mode) offers,
//!   minus what the lines hide.
//! - **Per-VM EVC** (`featMask.vm.cpuid.<NAME> = "Val:1"` lines with
//!   `featureCompat.vm.completeMasks = "TRUE"`, vSphere 6.7 and later): the lines
//!   are the complete list of what the VM may see; every other maskable feature
//!   is hidden. VMware's exports list only the features beyond the basic x86-64
//!   set (the public Westmere and Sandy Bridge exports have no `FPU`, `SSE2` or
//!   `CMOV` line), so that set is granted implicitly (see [`implicit_features`]).

use serde::Serialize;

use crate::catalog::{self, BitLoc, FeatureId, FeatureSet};
use crate::cpuid::Reg;
use crate::decode::Vendor;

use super::build::feature_of_featmask_on;
use super::model::{CpuidMask, FeatOp, MaskChar};

/// How a VM's mask decides what its guest sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum GuestView {
    /// No mask: the guest sees every feature its host offers.
    Host,
    /// An ordinary mask: the host's features minus these.
    Hides {
        /// The catalog features the mask hides (on this vendor).
        #[serde(serialize_with = "names")]
        hidden: FeatureSet,
    },
    /// Per-VM EVC (`featureCompat.vm.completeMasks = "TRUE"`): only these (and
    /// the basic x86-64 set), and only where the host has them.
    Grants {
        /// The catalog features the featMask lines grant (value 1 or more).
        #[serde(serialize_with = "names")]
        granted: FeatureSet,
        /// Features a line sets to 0 (`Val:0`, `Max:0`), even if implicit.
        #[serde(serialize_with = "names")]
        hidden: FeatureSet,
    },
}

fn names<S: serde::Serializer>(set: &FeatureSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(set.names())
}

impl GuestView {
    /// Reads a VM's mask: `complete` is its `featureCompat.vm.completeMasks`
    /// flag, `vendor` the vendor of the host it runs on (VMware's
    /// speculation-control names mean different bits on Intel and AMD).
    pub fn of(mask: &CpuidMask, complete: bool, vendor: Vendor) -> GuestView {
        let hidden = hidden_on(mask, vendor);
        if complete {
            GuestView::Grants {
                granted: granted_on(mask, vendor),
                hidden,
            }
        } else if mask.is_empty() {
            GuestView::Host
        } else {
            GuestView::Hides { hidden }
        }
    }

    /// The features the guest sees on a host offering `host` (compared
    /// features of the host or of its EVC mode).
    pub fn visible(&self, host: &FeatureSet) -> FeatureSet {
        match self {
            GuestView::Host => *host,
            GuestView::Hides { hidden } => host.difference(hidden),
            GuestView::Grants { granted, hidden } => host
                .intersection(&granted.union(&implicit_features()))
                .difference(hidden),
        }
    }
}

/// The basic x86-64 set a per-VM EVC mask grants without listing it: the psABI
/// x86-64-v1 features (`fpu cx8 cmov fxsr mmx sse sse2 syscall lm`, catalog
/// `psabi_level` 1) and the vendor-neutral CPUID.1:EDX bits every x86-64 CPU has
/// (`vme de pse tsc msr pae mce apic sep mtrr pge mca pat pse36 clflush`).
pub fn implicit_features() -> FeatureSet {
    catalog::all()
        .iter()
        .filter(|d| {
            d.class.is_compared()
                && (d.psabi_level == 1
                    || (d.loc.leaf == 1 && d.loc.reg == Reg::Edx && !d.intel_only && !d.amd_only))
        })
        .filter_map(|d| catalog::lookup(d.name))
        .collect()
}

/// Every catalog feature the mask hides on a host of `vendor`: `0` and `R` bits
/// of its register lines (`.amd` lines only on AMD) and named masks that set a
/// one-bit feature to 0 (`Val:0`, `Max:0`).
pub fn hidden_on(mask: &CpuidMask, vendor: Vendor) -> FeatureSet {
    let mut out = FeatureSet::new();
    for (id, c) in register_bits(mask, vendor) {
        if matches!(c, MaskChar::Hide | MaskChar::ZeroAgree) {
            out.insert(id);
        }
    }
    for f in mask.featmasks.iter().filter(|f| f.hides()) {
        if let Some(id) = feature_of_featmask_on(&f.name, vendor) {
            out.insert(id);
        }
    }
    out
}

/// Every catalog feature the mask lets the guest see when it is a complete
/// (per-VM EVC) list: named masks with a value of 1 or more (`Val:1`, `Max:1`,
/// `Min:1`), and register bits `1`, `T` or `H`.
pub fn granted_on(mask: &CpuidMask, vendor: Vendor) -> FeatureSet {
    let mut out = FeatureSet::new();
    for (id, c) in register_bits(mask, vendor) {
        if matches!(
            c,
            MaskChar::Force | MaskChar::HostMust | MaskChar::HostAgree
        ) {
            out.insert(id);
        }
    }
    for f in &mask.featmasks {
        let grants = match f.op {
            FeatOp::Val | FeatOp::Max | FeatOp::Min => f.value >= 1,
        };
        if grants {
            if let Some(id) = feature_of_featmask_on(&f.name, vendor) {
                out.insert(id);
            }
        }
    }
    out
}

/// (feature, mask character) of every catalog bit a register line of the mask
/// sets on a host of `vendor`: `.amd` lines apply on AMD and Hygon only, and
/// there override the line without the suffix.
fn register_bits(mask: &CpuidMask, vendor: Vendor) -> Vec<(FeatureId, MaskChar)> {
    let amd = matches!(vendor, Vendor::Amd | Vendor::Hygon);
    let mut out = Vec::new();
    for reg in &mask.registers {
        if reg.amd_only && !amd {
            continue;
        }
        let overridden = !reg.amd_only
            && amd
            && mask
                .register(reg.leaf, reg.subleaf, reg.reg, true)
                .is_some();
        if overridden {
            continue;
        }
        for bit in 0..32u8 {
            let c = reg.get(bit);
            if c == MaskChar::Default {
                continue;
            }
            let loc = BitLoc {
                leaf: reg.leaf,
                subleaf: reg.subleaf.unwrap_or(0),
                reg: reg.reg,
                bit,
            };
            if let Some(id) = catalog::by_location(loc) {
                out.push((id, c));
            }
        }
    }
    out
}

/// A feature a mask hides while it leaves visible features that require it:
/// a guest that checks only the dependent (AVX2) uses it and faults, or finds
/// its prerequisite (AVX, XSAVE state) missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyGap {
    /// The hidden feature (canonical name).
    pub hidden: &'static str,
    /// Where it lives (`CPUID.1:ECX[28]`).
    pub hidden_bit: String,
    /// The features that require it and stay visible: (name, bit).
    pub visible: Vec<(&'static str, String)>,
}

impl DependencyGap {
    /// The visible features that require the hidden one, as `name (bit)`.
    pub fn visible_names(&self) -> Vec<String> {
        self.visible
            .iter()
            .map(|(n, bit)| format!("{n} ({bit})"))
            .collect()
    }
}

/// `CPUID.1:ECX[28]`, `CPUID.7.0:EBX[5]`: the spelling of the Intel SDM.
pub fn bit_name(id: FeatureId) -> String {
    let loc = catalog::by_id(id).loc;
    let reg = loc.reg.name().to_ascii_uppercase();
    if loc.subleaf != 0 || crate::cpuid::enumerate::has_subleaves(loc.leaf) {
        format!("CPUID.{:X}H.{}:{reg}[{}]", loc.leaf, loc.subleaf, loc.bit)
    } else {
        format!("CPUID.{:X}H:{reg}[{}]", loc.leaf, loc.bit)
    }
}

/// The dependency gaps of a guest view: each hidden feature whose dependents
/// (closed under the catalog's `requires` edges) stay visible. `host`: the
/// features the guest's host offers, when known (only what the guest would
/// really see counts); `None` judges the mask alone (`mask --explain`), where
/// every dependent not hidden counts.
pub fn dependency_gaps(view: &GuestView, host: Option<&FeatureSet>) -> Vec<DependencyGap> {
    let all_compared = *catalog::compared_classes();
    let offered = host.copied().unwrap_or(all_compared);
    let visible = view.visible(&offered);
    // What the view takes away that the host (or any host) could offer.
    let hidden = match view {
        GuestView::Host => FeatureSet::new(),
        GuestView::Hides { hidden } => hidden.intersection(&offered),
        GuestView::Grants { .. } => offered.difference(&visible),
    };
    let mut out = Vec::new();
    for id in hidden.iter() {
        let single: FeatureSet = std::iter::once(id).collect();
        let dependents = catalog::closure_of_dependents(&single).intersection(&visible);
        if dependents.is_empty() {
            continue;
        }
        out.push(DependencyGap {
            hidden: catalog::by_id(id).name,
            hidden_bit: bit_name(id),
            visible: dependents
                .iter()
                .map(|d| (catalog::by_id(d).name, bit_name(d)))
                .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::vmx::parse_mask;

    fn set(names: &[&str]) -> FeatureSet {
        FeatureSet::from_names(names).expect("catalog names")
    }

    #[test]
    fn speculation_names_follow_the_host_vendor() {
        let m = parse_mask(
            "featMask.vm.cpuid.IBRS = \"Val:1\"\nfeatMask.vm.cpuid.IBPB = \"Val:1\"\n\
             featMask.vm.cpuid.STIBP = \"Val:1\"\nfeatMask.vm.cpuid.SSBD = \"Val:1\"\n",
            "t",
        )
        .expect("parses");
        assert_eq!(
            granted_on(&m, Vendor::Intel),
            set(&["spec_ctrl", "intel_stibp", "spec_ctrl_ssbd"])
        );
        assert_eq!(
            granted_on(&m, Vendor::Amd),
            set(&["amd_ibrs", "amd_ibpb", "amd_stibp", "amd_ssbd"])
        );
    }

    #[test]
    fn every_featmask_name_the_catalog_knows_resolves_on_its_vendor() {
        use crate::mask::build::vendor_dependent_featmask_names;
        let mut checked = 0;
        for def in catalog::all() {
            let Some(name) = def.vmware_name() else {
                continue;
            };
            let id = catalog::lookup(def.name).expect("catalog name");
            let vendors: &[Vendor] = match (def.intel_only, def.amd_only) {
                (true, _) => &[Vendor::Intel],
                (_, true) => &[Vendor::Amd, Vendor::Hygon],
                _ => &[Vendor::Intel, Vendor::Amd],
            };
            let dependent = vendor_dependent_featmask_names().any(|n| n.eq_ignore_ascii_case(name));
            for &v in vendors {
                let got = feature_of_featmask_on(name, v);
                if dependent {
                    // A function name: on each vendor, a bit that vendor defines.
                    let got = got.map(catalog::by_id);
                    assert!(
                        got.is_some_and(|g| match v {
                            Vendor::Intel => !g.amd_only,
                            _ => !g.intel_only,
                        }),
                        "{name} on {v}: {:?}",
                        got.map(|g| g.name)
                    );
                } else {
                    assert_eq!(got, Some(id), "featMask {name} on {v} is not {}", def.name);
                }
                // A grant and a hide of the name act on that bit.
                let m = crate::mask::vmx::parse_mask(
                    &format!("featMask.vm.cpuid.{name} = \"Val:1\"\n"),
                    "t",
                )
                .expect("parses");
                assert_eq!(granted_on(&m, v).len(), 1, "{name} on {v}");
                checked += 1;
            }
        }
        assert!(checked > 200, "only {checked} featMask names checked");
        // The function names on the vendor that lacks the bit: none on AMD for
        // the leaf-7 bit itself.
        assert_eq!(feature_of_featmask_on("IBRSIBPB", Vendor::Amd), None);
    }

    #[test]
    fn complete_masks_grant_only_their_lines_and_the_basic_set() {
        let m = parse_mask(
            "featMask.vm.cpuid.AVX = \"Val:1\"\nfeatMask.vm.cpuid.XSAVE = \"Val:1\"\n\
             featMask.vm.cpuid.SSE3 = \"Val:1\"\n",
            "t",
        )
        .expect("parses");
        let host = set(&["fpu", "sse2", "pni", "avx", "xsave", "avx2", "fma"]);
        let v = GuestView::of(&m, true, Vendor::Intel);
        assert_eq!(
            v.visible(&host),
            set(&["fpu", "sse2", "pni", "avx", "xsave"])
        );
        // Without completeMasks the same lines only force; nothing is hidden.
        let v = GuestView::of(&m, false, Vendor::Intel);
        assert_eq!(v.visible(&host), host);
        assert!(implicit_features().contains(catalog::lookup("sse2").expect("sse2")));
        assert!(!implicit_features().contains(catalog::lookup("nx").expect("nx")));
    }

    #[test]
    fn gaps_name_hidden_prerequisites_of_visible_features() {
        let m = parse_mask("featMask.vm.cpuid.AVX = \"Val:0\"\n", "t").expect("parses");
        let v = GuestView::of(&m, false, Vendor::Intel);
        let host = set(&["xsave", "avx", "avx2", "fma", "sse2"]);
        let gaps = dependency_gaps(&v, Some(&host));
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].hidden, "avx");
        assert_eq!(gaps[0].hidden_bit, "CPUID.1H:ECX[28]");
        let names: Vec<&str> = gaps[0].visible.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["fma", "avx2"]);
        assert!(gaps[0]
            .visible
            .iter()
            .any(|(n, b)| *n == "avx2" && b == "CPUID.7H.0:EBX[5]"));
        // Hiding the dependents too closes the gap.
        let m = parse_mask(
            "featMask.vm.cpuid.AVX = \"Val:0\"\nfeatMask.vm.cpuid.AVX2 = \"Max:0\"\n\
             featMask.vm.cpuid.FMA = \"Val:0\"\n",
            "t",
        )
        .expect("parses");
        let v = GuestView::of(&m, false, Vendor::Intel);
        assert!(dependency_gaps(&v, Some(&host)).is_empty());
        // Judged alone, every catalog dependent counts (AVX-512 among them).
        let m = parse_mask("featMask.vm.cpuid.AVX = \"Val:0\"\n", "t").expect("parses");
        let alone = dependency_gaps(&GuestView::of(&m, false, Vendor::Intel), None);
        assert!(alone[0].visible.iter().any(|(n, _)| *n == "avx512f"));
        // A per-VM EVC list that grants AVX2 but not AVX.
        let m = parse_mask(
            "featMask.vm.cpuid.AVX2 = \"Val:1\"\nfeatMask.vm.cpuid.XSAVE = \"Val:1\"\n",
            "t",
        )
        .expect("parses");
        let v = GuestView::of(&m, true, Vendor::Intel);
        let gaps = dependency_gaps(&v, Some(&host));
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].hidden, "avx");
    }
}
