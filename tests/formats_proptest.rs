//! No reader panics, whatever the input: arbitrary text, and mutations of real dumps.

use proptest::prelude::*;
use vmcompat::sources::formats::{self, Format};

const SAMPLES: [&str; 5] = [
    "CPU 0:\n   0x00000000 0x00: eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n   0x00000001 0x00: eax=0x00a10f11 ebx=0x01020800 ecx=0xfffa3203 edx=0x178bfbff\n",
    "# expected: family=15 codename=\"X (Y)\"\nleaf=0x00000000 subleaf=0x0 eax=0x0000000d ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n",
    "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nstepping\t: 1\nflags\t\t: fpu sse\naddress sizes\t: 48 bits physical, 48 bits virtual\n",
    "format = \"vmcompat-dump\"\nversion = 1\ncompleteness = \"full\"\n[provenance]\nkind = \"local\"\norigin = \"h\"\n[[cpu]]\nindex = 0\nleaves = [\"0x00000000 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\"]\n",
    "{\"format\": \"vmcompat-dump\", \"version\": 1, \"completeness\": \"full\", \"provenance\": {\"kind\": \"local\", \"origin\": \"h\"}, \"cpu\": [{\"index\": 0, \"leaves\": [\"0x00000000 0x00: eax=0x1 ebx=0x2 ecx=0x3 edx=0x4\"]}]}",
];

fn parse_all(text: &str) {
    let _ = formats::parse_text(text, "fuzz");
    for f in Format::ALL {
        let _ = formats::parse_as(f, text, "fuzz");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        parse_all(&text);
    }

    #[test]
    fn structured_noise_never_panics(
        text in "(CPU [0-9]{0,3}:|processor *: *[0-9x]{0,3}|leaf=0x[0-9a-f]{0,9}|0x[0-9a-f]{0,9}|eax=0x[0-9a-fg]{0,10}|[:=\"{}\\[\\], \t\n]|format = \"vmcompat-dump\"|vendor_id : [A-Za-z]{0,13}|cpu family : [0-9]{0,4}|model : [0-9]{0,4})*"
    ) {
        parse_all(&text);
    }

    #[test]
    fn mutated_samples_never_panic(
        which in 0..SAMPLES.len(),
        cut in any::<prop::sample::Index>(),
        insert in "\\PC{0,8}",
    ) {
        let sample = SAMPLES[which];
        let mut at = cut.index(sample.len() + 1);
        while !sample.is_char_boundary(at) {
            at -= 1;
        }
        let (a, b) = sample.split_at(at);
        parse_all(&format!("{a}{insert}{b}"));
        parse_all(a);
        let _ = b;
    }
}

#[test]
fn samples_parse() {
    for s in SAMPLES {
        formats::parse_text(s, "sample").unwrap_or_else(|e| panic!("{e}\n{s}"));
    }
}
