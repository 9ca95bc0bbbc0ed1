//! Family, model and stepping from leaf 1 EAX, by the Intel and AMD rules
//! (see `../shared/reference/family_model_rules.md`).

use serde::Serialize;

use super::vendor::Vendor;

/// The processor signature: raw fields and the display values people quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Signature {
    /// Leaf 1 EAX as read.
    pub raw: u32,
    /// EAX[11:8]
    pub base_family: u32,
    /// EAX[7:4]
    pub base_model: u32,
    /// EAX[3:0]
    pub stepping: u32,
    /// EAX[27:20]
    pub ext_family: u32,
    /// EAX[19:16]
    pub ext_model: u32,
    /// EAX[13:12]: 0 original OEM, 1 OverDrive, 2 dual processor (Intel).
    pub processor_type: u32,
    /// Display family: base + extended only when base is 0xF.
    pub family: u32,
    /// Display model: extended model prepended for Intel families 6 and 0xF,
    /// for AMD/Hygon family 0xF and later, and for families >= 6 on others.
    pub model: u32,
}

impl Signature {
    /// Decodes leaf 1 EAX for a vendor.
    pub fn decode(eax: u32, vendor: Vendor) -> Signature {
        let base_family = (eax >> 8) & 0xf;
        let base_model = (eax >> 4) & 0xf;
        let stepping = eax & 0xf;
        let ext_family = (eax >> 20) & 0xff;
        let ext_model = (eax >> 16) & 0xf;
        let family = if base_family == 0xf {
            base_family + ext_family
        } else {
            base_family
        };
        let uses_ext_model = match vendor {
            Vendor::Intel => base_family == 0x6 || base_family == 0xf,
            Vendor::Amd | Vendor::Hygon => base_family == 0xf,
            // Linux's rule for the rest (Zhaoxin, Centaur, ...).
            _ => family >= 6,
        };
        let model = if uses_ext_model {
            (ext_model << 4) | base_model
        } else {
            base_model
        };
        Signature {
            raw: eax,
            base_family,
            base_model,
            stepping,
            ext_family,
            ext_model,
            processor_type: (eax >> 12) & 0x3,
            family,
            model,
        }
    }

    /// The processor type field in words.
    pub fn processor_type_name(&self) -> &'static str {
        match self.processor_type {
            0 => "original OEM processor",
            1 => "OverDrive processor",
            2 => "dual processor",
            _ => "reserved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples() {
        let h = Signature::decode(0x0003_06c3, Vendor::Intel);
        assert_eq!((h.family, h.model, h.stepping), (6, 0x3c, 3));
        let z3 = Signature::decode(0x00a2_0f12, Vendor::Amd);
        assert_eq!((z3.family, z3.model, z3.stepping), (0x19, 0x21, 2));
        let z5 = Signature::decode(0x00b4_0f40, Vendor::Amd);
        assert_eq!((z5.family, z5.model), (0x1a, 0x44));
        let k7 = Signature::decode(0x0000_0681, Vendor::Amd);
        assert_eq!((k7.family, k7.model), (6, 8));
        let od = Signature::decode(0x0000_1632, Vendor::Intel);
        assert_eq!(od.processor_type, 1);
    }
}
