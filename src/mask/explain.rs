//! What a mask does, in catalog names: for each line, the features it hides,
//! forces, requires, forbids or asks hosts to agree on. A structured value;
//! rendering it is the job of `render`.

use serde::Serialize;

use crate::catalog::{self, BitLoc, FeatureSet};

use super::build::feature_of_featmask;
use super::model::{CpuidMask, FeatMask, FeatOp, MaskChar, RegisterMask};
use super::per_vm::{dependency_gaps, DependencyGap, GuestView};
use crate::decode::Vendor;

/// One bit a line says something about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BitExplanation {
    /// The bit number, 0..=31.
    pub bit: u8,
    /// The catalog feature at this bit, by canonical name, if any.
    pub feature: Option<&'static str>,
    /// What to call the bit: the feature name, an XSAVE component
    /// (`XSAVE component 2 (AVX (YMM_Hi128))`), or `bit N (unnamed)`.
    pub label: String,
}

/// What one `cpuid.*` line does, grouped by mask character.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct RegisterExplanation {
    /// The line's key (`cpuid.80000001.edx`).
    pub key: String,
    /// True for a `.amd` line (AMD hosts only).
    pub amd_only: bool,
    /// `0`: the guest sees 0.
    pub hides: Vec<BitExplanation>,
    /// `1`: the guest sees 1.
    pub forces: Vec<BitExplanation>,
    /// `T`: the host must have the bit.
    pub requires: Vec<BitExplanation>,
    /// `F`: the host must not have the bit.
    pub forbids: Vec<BitExplanation>,
    /// `H`: the guest sees the host value; source and destination must agree.
    pub must_agree: Vec<BitExplanation>,
    /// `R`: the guest sees 0; source and destination must still agree.
    pub hidden_must_agree: Vec<BitExplanation>,
    /// `X`/`x`: unused by the guest, not checked.
    pub unchecked: Vec<BitExplanation>,
}

/// What a named mask does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeatEffect {
    /// `Val:0` or `Max:0`: the guest sees 0.
    Hides,
    /// `Val:1` on a catalog (one-bit) feature: the guest sees 1.
    Forces,
    /// `Val:N` on anything else: the guest sees N.
    Sets,
    /// `Max:N`, N > 0: the guest sees at most N.
    Caps,
    /// `Min:N`: the host must offer at least N.
    Requires,
}

/// What one `featMask.vm.cpuid.*` line does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeatMaskExplanation {
    /// The line's key (`featMask.vm.cpuid.NX`).
    pub key: String,
    /// The catalog feature VMware's name resolves to, if any (`nx`).
    pub feature: Option<&'static str>,
    /// What the line does.
    pub effect: FeatEffect,
    /// The number in the value.
    pub value: u64,
}

/// What a whole mask does.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Explanation {
    /// One entry per `cpuid.*` line, in mask order.
    pub registers: Vec<RegisterExplanation>,
    /// One entry per `featMask.vm.cpuid.*` line, in mask order.
    pub featmasks: Vec<FeatMaskExplanation>,
    /// Canonical names of every catalog feature the mask hides (on any host).
    pub hidden: Vec<&'static str>,
    /// True for a per-VM EVC configuration (`featureCompat.vm.completeMasks =
    /// "TRUE"`): the guest sees only `granted` and the basic x86-64 set.
    pub complete_masks: bool,
    /// With `complete_masks`: the features the lines grant (Intel meaning of
    /// VMware's names).
    pub granted: Vec<&'static str>,
    /// Features the mask hides while it leaves visible features that require
    /// them (AVX hidden, AVX2 visible), judged on the mask alone.
    pub dependency_gaps: Vec<DependencyGap>,
}

/// Explains every line of a mask (an ordinary mask: what it does not hide, the
/// guest sees).
pub fn explain(mask: &CpuidMask) -> Explanation {
    explain_with(mask, false)
}

/// Explains every line of a mask; `complete` is the VM's
/// `featureCompat.vm.completeMasks` flag (per-VM EVC: the lines are the whole
/// list of what the guest may see).
pub fn explain_with(mask: &CpuidMask, complete: bool) -> Explanation {
    let view = GuestView::of(mask, complete, Vendor::Intel);
    let (hidden, granted) = match &view {
        GuestView::Grants { granted, hidden } => (hidden.names(), granted.names()),
        _ => (hidden_features(mask).names(), Vec::new()),
    };
    Explanation {
        registers: mask.registers.iter().map(explain_register).collect(),
        featmasks: mask.featmasks.iter().map(explain_featmask).collect(),
        hidden,
        complete_masks: complete,
        granted,
        dependency_gaps: dependency_gaps(&view, None),
    }
}

/// Explains one `cpuid.*` line.
pub fn explain_register(reg: &RegisterMask) -> RegisterExplanation {
    let mut out = RegisterExplanation {
        key: reg.key(),
        amd_only: reg.amd_only,
        ..RegisterExplanation::default()
    };
    for bit in (0..32u8).rev() {
        let list = match reg.get(bit) {
            MaskChar::Default => continue,
            MaskChar::Hide => &mut out.hides,
            MaskChar::Force => &mut out.forces,
            MaskChar::HostMust => &mut out.requires,
            MaskChar::HostMustNot => &mut out.forbids,
            MaskChar::HostAgree => &mut out.must_agree,
            MaskChar::ZeroAgree => &mut out.hidden_must_agree,
            MaskChar::Unused { .. } => &mut out.unchecked,
        };
        list.push(explain_bit(reg, bit));
    }
    out
}

fn location(reg: &RegisterMask, bit: u8) -> BitLoc {
    BitLoc {
        leaf: reg.leaf,
        subleaf: reg.subleaf.unwrap_or(0),
        reg: reg.reg,
        bit,
    }
}

fn explain_bit(reg: &RegisterMask, bit: u8) -> BitExplanation {
    let loc = location(reg, bit);
    let feature = catalog::by_location(loc).map(|id| catalog::by_id(id).name);
    let label = match (feature, catalog::xsave_component_at(loc)) {
        (Some(name), _) => name.to_string(),
        (None, Some(comp)) => format!("XSAVE component {} ({})", comp.bit, comp.name),
        (None, None) => format!("bit {bit} (unnamed)"),
    };
    BitExplanation {
        bit,
        feature,
        label,
    }
}

/// Explains one `featMask.vm.cpuid.*` line.
/// VMware `featMask.vm.cpuid.<NAME>` keys that are values, not feature bits,
/// so the catalog has no entry for them: the CPU signature fields, the highest
/// leaves, the vendor flags, and the XCR0 state masters. Source: the
/// `featureCapability` keys ESXi prints (`vim-cmd hostsvc/hostconfig`, see
/// ../shared/samples/esxi/).
pub const VMWARE_VALUE_KEYS: [&str; 7] = [
    "FAMILY",
    "MODEL",
    "STEPPING",
    "NUMLEVELS",
    "NUM_EXT_LEVELS",
    "AMD",
    "INTEL",
];

/// True when `name` (after `featMask.vm.cpuid.`) names something: a catalog
/// feature by its VMware or other spelling, a value key
/// ([`VMWARE_VALUE_KEYS`]) or an `XCR0_MASTER_*` state key.
pub fn featmask_name_known(name: &str) -> bool {
    feature_of_featmask(name).is_some()
        || VMWARE_VALUE_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
        || name.to_ascii_uppercase().starts_with("XCR0_MASTER_")
}

/// The featMask names of `mask` that name nothing ([`featmask_name_known`]):
/// a typo that would otherwise hide nothing, silently.
pub fn unknown_featmask_names(mask: &CpuidMask) -> Vec<&str> {
    mask.featmasks
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| !featmask_name_known(n))
        .collect()
}

/// Explains one `featMask.vm.cpuid.<NAME>` line.
pub fn explain_featmask(entry: &FeatMask) -> FeatMaskExplanation {
    let feature = feature_of_featmask(&entry.name).map(|id| catalog::by_id(id).name);
    let effect = match (entry.op, entry.value) {
        (FeatOp::Val | FeatOp::Max, 0) => FeatEffect::Hides,
        (FeatOp::Val, 1) if feature.is_some() => FeatEffect::Forces,
        (FeatOp::Val, _) => FeatEffect::Sets,
        (FeatOp::Max, _) => FeatEffect::Caps,
        (FeatOp::Min, _) => FeatEffect::Requires,
    };
    FeatMaskExplanation {
        key: entry.key(),
        feature,
        effect,
        value: entry.value,
    }
}

/// Every catalog feature the mask hides: `0` and `R` bits of its register lines
/// (on any vendor) and named masks that hide a catalog feature.
pub fn hidden_features(mask: &CpuidMask) -> FeatureSet {
    let mut out = FeatureSet::new();
    for reg in &mask.registers {
        for bit in 0..32u8 {
            if matches!(reg.get(bit), MaskChar::Hide | MaskChar::ZeroAgree) {
                if let Some(id) = catalog::by_location(location(reg, bit)) {
                    out.insert(id);
                }
            }
        }
    }
    for entry in mask.featmasks.iter().filter(|f| f.hides()) {
        if let Some(id) = feature_of_featmask(&entry.name) {
            out.insert(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask::vmx::parse_mask;

    #[test]
    fn explains_each_character() {
        let m = parse_mask(
            "cpuid.1.ecx = \"1---:----:----:---R:----:----:--TH:-F-0\"\n\
             cpuid.1.edx = \"----:----:----:----:----:----:----:---x\"\n\
             featMask.vm.cpuid.SSSE3 = \"Max:0\"\n\
             featMask.vm.cpuid.FAMILY = \"Val:6\"\n\
             featMask.vm.cpuid.SSE3 = \"Val:1\"\n\
             featMask.vm.cpuid.AMD = \"Min:1\"\n",
            "t",
        )
        .expect("parses");
        let e = explain(&m);
        let ecx = &e.registers[0];
        assert_eq!(ecx.key, "cpuid.1.ecx");
        assert_eq!(ecx.hides[0].label, "pni");
        assert_eq!(ecx.hides[0].feature, Some("pni"));
        assert_eq!(ecx.forces[0].bit, 31);
        assert_eq!(ecx.requires[0].label, "vmx");
        assert_eq!(ecx.must_agree[0].bit, 4);
        assert_eq!(ecx.forbids[0].bit, 2);
        assert_eq!(ecx.hidden_must_agree[0].label, "bit 16 (unnamed)");
        assert_eq!(e.registers[1].unchecked[0].label, "fpu");
        let effects: Vec<FeatEffect> = e.featmasks.iter().map(|f| f.effect).collect();
        assert_eq!(
            effects,
            [
                FeatEffect::Hides,
                FeatEffect::Sets,
                FeatEffect::Forces,
                FeatEffect::Requires
            ]
        );
        assert_eq!(e.featmasks[0].feature, Some("ssse3"));
        assert_eq!(e.hidden, ["pni", "ssse3"]);
        assert!(serde_json::to_string(&e).is_ok_and(|j| j.contains("\"hides\"")));
    }

    #[test]
    fn xsave_components_are_named() {
        let m = parse_mask(
            "cpuid.d.0.eax = \"----:----:----:----:----:----:----:-0--\"",
            "t",
        )
        .expect("parses");
        let e = explain(&m);
        assert_eq!(
            e.registers[0].hides[0].label,
            "XSAVE component 2 (AVX (YMM_Hi128))"
        );
    }
}
