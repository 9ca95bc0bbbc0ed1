//! Property tests of the VMX mask reader and writer: what is written reads back
//! equal, the reader never panics, and rewriting a `.vmx` is idempotent.

use proptest::prelude::*;

use vmcompat::cpuid::Reg;
use vmcompat::mask::vmx::{classify_key, parse_line, KeyKind};
use vmcompat::mask::{
    parse_mask, parse_vmx, render, rewrite_vmx_bytes, CpuidMask, FeatMask, FeatOp, MaskChar,
    RegisterMask, Spelling,
};

fn mask_char() -> impl Strategy<Value = MaskChar> {
    prop::sample::select(
        "-01TFHRXx"
            .chars()
            .filter_map(MaskChar::from_char)
            .collect::<Vec<_>>(),
    )
}

fn register() -> impl Strategy<Value = RegisterMask> {
    (
        prop_oneof![
            Just(1u32),
            Just(7),
            Just(0xd),
            Just(0x8000_0001),
            any::<u32>()
        ],
        prop::option::of(0u32..64),
        prop::sample::select(Reg::ALL.to_vec()),
        any::<bool>(),
        prop::array::uniform32(mask_char()),
    )
        .prop_map(|(leaf, subleaf, reg, amd, chars)| {
            let mut r = RegisterMask::new(leaf, subleaf, reg, amd);
            r.chars = chars;
            r
        })
}

fn featmask() -> impl Strategy<Value = FeatMask> {
    (
        "[A-Za-z][A-Za-z0-9_]{0,12}",
        prop::sample::select(vec![FeatOp::Val, FeatOp::Max, FeatOp::Min]),
        prop_oneof![0u64..16, any::<u64>()],
    )
        .prop_map(|(name, op, value)| FeatMask::new(name, op, value))
}

fn mask() -> impl Strategy<Value = CpuidMask> {
    (
        prop::collection::vec(register(), 0..8),
        prop::collection::vec(featmask(), 0..6),
    )
        .prop_map(|(regs, feats)| {
            let mut m = CpuidMask::new();
            for r in regs {
                m.insert_register(r);
            }
            for f in feats {
                m.insert_featmask(f);
            }
            m
        })
}

proptest! {
    #[test]
    fn rendered_masks_read_back_equal(m in mask()) {
        for spelling in [Spelling::Colon, Spelling::Compact] {
            let text = render(&m, spelling);
            prop_assert_eq!(parse_mask(&text, "p").ok(), Some(m.clone()), "{}", text);
            prop_assert_eq!(parse_vmx(&text, "p").ok(), Some(m.clone()));
        }
    }

    #[test]
    fn the_reader_never_panics(text in "\\PC{0,200}") {
        let _ = parse_vmx(&text, "p");
        let _ = parse_mask(&text, "p");
    }

    #[test]
    fn the_reader_never_panics_on_near_misses(
        key in "(cpuid|CPUID|featMask\\.vm\\.cpuid)\\.[0-9a-fA-Fx.]{0,12}(eax|ebx|ecx|edx|amd|[a-z]{0,4})",
        value in "\"?[-01TFHRXxQ: ]{0,44}\"?( #.*)?",
    ) {
        let _ = parse_line(&format!("{key} = {value}"));
        let _ = parse_line(&format!("{key}{value}"));
    }

    #[test]
    fn rewriting_is_idempotent_and_reads_back(
        lines in prop::collection::vec(
            prop_oneof![
                "[a-z.]{1,10} = \"[ -~]{0,10}\"",
                "# [ -~]{0,20}",
                Just(String::new()),
                Just("cpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"".to_string()),
                Just("featMask.vm.cpuid.NX = \"Val:0\"".to_string()),
                Just("cpuid.coresPerSocket = \"2\"".to_string()),
            ],
            0..12,
        ),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        m in mask(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(eol);
        if final_newline && !text.is_empty() {
            text.push_str(eol);
        }
        let once = rewrite_vmx_bytes(text.as_bytes(), &m, "p");
        prop_assert!(once.is_ok(), "{:?}", once);
        let once = once.unwrap_or_default();
        prop_assert_eq!(parse_vmx(&String::from_utf8_lossy(&once), "p").ok(), Some(m.clone()));
        let twice = rewrite_vmx_bytes(&once, &m, "p").unwrap_or_default();
        prop_assert_eq!(&twice, &once);
        // Lines that are not mask lines keep their order and bytes.
        let others = |b: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(b)
                .lines()
                .filter(|l| classify_key(l.split('=').next().unwrap_or_default()) == KeyKind::Other)
                .map(str::to_string)
                .collect()
        };
        prop_assert_eq!(others(&once), others(text.as_bytes()));
    }
}
