//! Reading and writing VMware `.vmx` mask lines.
//!
//! Register lines: `cpuid.<leaf>.<reg>` or `cpuid.<leaf>.<subleaf>.<reg>`, leaf and
//! subleaf in hex without `0x` (upper case accepted), an optional `.amd` suffix,
//! keys compared ignoring case as VMware does. The quoted value holds 32 mask
//! characters, bit 31 first: unseparated, or as 8 nibbles separated by `:` (what
//! VMware writes) or by single spaces (seen in the wild). Named lines:
//! `featMask.vm.cpuid.<NAME> = "Val:N"` (or `Max:N`, `Min:N`).
//!
//! [`parse_vmx`] reads a whole `.vmx`, ignoring every other line; [`parse_mask`]
//! reads a mask file, where every line that is not blank or a `#` comment must be
//! a mask line. Both refuse a key given twice. [`render`] writes what they read.

use crate::cpuid::Reg;
use crate::util::error::{Error, Result};
use crate::util::vmx_syntax::{split_line, unquote, Unquoted};

use super::model::{CpuidMask, FeatMask, FeatOp, MaskChar, RegisterMask};

/// The prefix of named masks, lower case (keys are compared ignoring case).
const FEATMASK_PREFIX: &str = "featmask.vm.cpuid.";

/// How register values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spelling {
    /// `----:----:---0:----:----:----:----:----`, as VMware writes it.
    #[default]
    Colon,
    /// `-----------0--------------------`, the unseparated 32-character form.
    Compact,
}

/// What kind of `.vmx` key a line has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `cpuid.<hex leaf>...`: a register mask line.
    Register,
    /// `featMask.vm.cpuid.<NAME>`: a named mask line.
    FeatMask,
    /// Anything else (including `cpuid.coresPerSocket` and `featMask.vm.hv.*`).
    Other,
}

/// Classifies a key. A `cpuid.` key is a register mask when its second
/// component starts with a digit or is all hex digits, so that malformed mask
/// keys (`cpuid.0x1.ecx`, `cpuid.1.exc`) are reported rather than skipped, while
/// other settings (`cpuid.coresPerSocket`) are left alone.
pub fn classify_key(key: &str) -> KeyKind {
    let lower = key.trim().to_ascii_lowercase();
    if lower.starts_with(FEATMASK_PREFIX) {
        return KeyKind::FeatMask;
    }
    let Some(rest) = lower.strip_prefix("cpuid.") else {
        return KeyKind::Other;
    };
    let first = rest.split('.').next().unwrap_or("");
    let starts_digit = first.chars().next().is_some_and(|c| c.is_ascii_digit());
    let all_hex = !first.is_empty() && first.chars().all(|c| c.is_ascii_hexdigit());
    if starts_digit || all_hex {
        KeyKind::Register
    } else {
        KeyKind::Other
    }
}

/// The shape `cpuid.*` keys must have (in [`MaskLineError`] messages).
const EXPECTED_KEY: &str =
    "expected cpuid.<leaf>.<reg> or cpuid.<leaf>.<subleaf>.<reg>, optionally \
     with .amd (e.g. cpuid.1.ecx, cpuid.7.0.ebx, cpuid.80000001.edx.amd)";

/// The forms a named mask's value may take (in [`MaskLineError`] messages).
const EXPECTED_FEATMASK: &str = "expected \"Val:N\", \"Max:N\" or \"Min:N\" (e.g. \"Val:0\")";

/// Why a mask line (`cpuid.*` or `featMask.vm.cpuid.*`) is malformed; each
/// message says what was expected. Callers add the file and line
/// ([`Error::at_line`] takes it as its message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaskLineError {
    /// A mask key without `=`.
    #[error("'{key}' has no '='; expected {shown} = \"value\"")]
    NoEquals {
        /// The key as written.
        key: String,
        /// Its first word, as the example shows it.
        shown: String,
    },
    /// `featMask.vm.cpuid.` followed by something that is not a feature name.
    #[error(
        "'{key}' does not name a feature; expected featMask.vm.cpuid.<NAME> with \
         NAME made of letters, digits and '_' (e.g. featMask.vm.cpuid.NX)"
    )]
    NotAFeatureName {
        /// The key as written.
        key: String,
    },
    /// Text after the closing quote that is not a `#` comment.
    #[error(
        "unexpected '{rest}' after the closing quote of {key}; expected nothing or a # comment"
    )]
    TrailingAfterQuote {
        /// The key.
        key: String,
        /// What follows the quote.
        rest: String,
    },
    /// A value not in double quotes (or with no closing quote).
    #[error("the value of {key} must be in double quotes, e.g. {key} = \"{example}\"")]
    NotQuoted {
        /// The key.
        key: String,
        /// A valid value for that kind of key.
        example: &'static str,
    },
    /// A register key that does not start with `cpuid`.
    #[error("'{key}' is not a cpuid key; {}", EXPECTED_KEY)]
    NotCpuidKey {
        /// The key as written.
        key: String,
    },
    /// A register key without a register.
    #[error("'{key}' has no register; {}", EXPECTED_KEY)]
    NoRegister {
        /// The key as written.
        key: String,
    },
    /// A suffix other than `.amd` after the register.
    #[error("unexpected '.{extra}' in '{key}'; the only suffix is .amd")]
    UnexpectedSuffix {
        /// The key as written.
        key: String,
        /// The unexpected part.
        extra: String,
    },
    /// A register key with more parts than leaf, subleaf, register and `.amd`.
    #[error("'{key}' has too many parts; {}", EXPECTED_KEY)]
    TooManyParts {
        /// The key as written.
        key: String,
    },
    /// A leaf or subleaf written with `0x`.
    #[error("{what} '{text}' in '{key}': write it in hex without 0x (cpuid.80000001.edx, cpuid.d.1.ecx)")]
    HexWith0x {
        /// `leaf` or `subleaf`.
        what: &'static str,
        /// The text given.
        text: String,
        /// The key as written.
        key: String,
    },
    /// A leaf or subleaf that is not 1 to 8 hex digits.
    #[error("{what} '{text}' in '{key}' is not a hex number of at most 8 digits")]
    NotHex {
        /// `leaf` or `subleaf`.
        what: &'static str,
        /// The text given.
        text: String,
        /// The key as written.
        key: String,
    },
    /// A register other than eax, ebx, ecx, edx.
    #[error("unknown register '{reg}' in '{key}'; expected eax, ebx, ecx or edx")]
    UnknownRegister {
        /// The register as written.
        reg: String,
        /// The key as written.
        key: String,
    },
    /// A register value without exactly 32 mask characters.
    #[error(
        "value has {count} mask characters; expected 32 (leftmost = bit 31), e.g. \
         \"----:----:---0:----:----:----:----:----\""
    )]
    CharCount {
        /// How many it has.
        count: usize,
    },
    /// Both `:` and ` ` between nibbles.
    #[error("value mixes ':' and ' ' between nibbles; use one separator")]
    MixedSeparators,
    /// Separators not between 8 groups of 4.
    #[error(
        "separators must come between nibbles: expected 8 groups of 4 characters \
         separated by single '{sep}'"
    )]
    Grouping {
        /// The separator used.
        sep: char,
    },
    /// A character that is not a mask character.
    #[error("unknown mask character '{}' at bit {bit}; expected one of {}", .c.escape_debug(), MaskChar::VALID)]
    UnknownMaskChar {
        /// The character.
        c: char,
        /// Its bit (31 = leftmost).
        bit: usize,
    },
    /// A named mask value without `:`.
    #[error("value '{value}' has no ':'; {}", EXPECTED_FEATMASK)]
    FeatMaskNoColon {
        /// The value given.
        value: String,
    },
    /// A named mask operator other than Val, Max, Min.
    #[error("unknown operator '{op}'; {}", EXPECTED_FEATMASK)]
    UnknownOperator {
        /// The operator given.
        op: String,
    },
    /// A named mask number that does not parse.
    #[error("'{num}' is not a number; expected decimal or 0x-prefixed hex, e.g. \"Val:0\"")]
    NotANumber {
        /// The text given.
        num: String,
    },
}

/// The message, for [`Error::at_line`] (which takes text).
impl From<MaskLineError> for String {
    fn from(e: MaskLineError) -> String {
        e.to_string()
    }
}

/// One mask line as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaskLine {
    /// A `cpuid.*` line.
    Register(RegisterMask),
    /// A `featMask.vm.cpuid.*` line.
    FeatMask(FeatMask),
}

/// Reads the mask lines of a whole `.vmx`: blank lines, comments and every line
/// whose key is not a mask key are ignored; malformed mask lines are errors that
/// name `origin` and the line.
pub fn parse_vmx(text: &str, origin: &str) -> Result<CpuidMask> {
    parse(text, origin, false)
}

/// Reads a mask file: every line must be blank, a `#` comment or a mask line.
pub fn parse_mask(text: &str, origin: &str) -> Result<CpuidMask> {
    parse(text, origin, true)
}

fn parse(text: &str, origin: &str, strict: bool) -> Result<CpuidMask> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut mask = CpuidMask::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let parsed = parse_line(raw).map_err(|m| Error::at_line(origin, lineno, m))?;
        let line = match parsed {
            Some(l) => l,
            None if strict && split_line(raw).is_some() => {
                return Err(Error::at_line(
                    origin,
                    lineno,
                    "not a mask line; expected cpuid.<leaf>[.<subleaf>].<reg>[.amd] = \"<32 mask \
                     characters>\" or featMask.vm.cpuid.<NAME> = \"Val:N\"",
                ));
            }
            None => continue,
        };
        let key = match &line {
            MaskLine::Register(r) => r.key(),
            MaskLine::FeatMask(f) => f.key().to_ascii_lowercase(),
        };
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            return Err(Error::at_line(
                origin,
                lineno,
                format!("{key} is given twice (first at line {first}); keep one"),
            ));
        }
        seen.push((key, lineno));
        match line {
            MaskLine::Register(r) => mask.registers.push(r),
            MaskLine::FeatMask(f) => mask.featmasks.push(f),
        }
    }
    Ok(mask)
}

/// Reads one line: `Ok(None)` for blank lines, comments and non-mask keys;
/// an error for a malformed mask line (its message says what was expected).
pub fn parse_line(line: &str) -> std::result::Result<Option<MaskLine>, MaskLineError> {
    let Some((key, value)) = split_line(line) else {
        return Ok(None);
    };
    let Some(value) = value else {
        return match classify_key(key) {
            KeyKind::Other => Ok(None),
            _ => Err(MaskLineError::NoEquals {
                key: key.to_string(),
                shown: key.split_whitespace().next().unwrap_or(key).to_string(),
            }),
        };
    };
    match classify_key(key) {
        KeyKind::Other => Ok(None),
        KeyKind::Register => {
            let mut reg = parse_register_key(key)?;
            reg.chars = parse_register_value(quoted(key, value)?)?;
            Ok(Some(MaskLine::Register(reg)))
        }
        KeyKind::FeatMask => {
            let name = key.get(FEATMASK_PREFIX.len()..).unwrap_or("");
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(MaskLineError::NotAFeatureName {
                    key: key.to_string(),
                });
            }
            let (op, value) = parse_featmask_value(quoted(key, value)?)?;
            Ok(Some(MaskLine::FeatMask(FeatMask::new(name, op, value))))
        }
    }
}

/// The text between the double quotes of a value; anything after the closing
/// quote must be blank or a `#` comment.
fn quoted<'a>(key: &str, value: &'a str) -> std::result::Result<&'a str, MaskLineError> {
    match unquote(value) {
        Ok(inner) => Ok(inner),
        Err(Unquoted::Trailing(rest)) => Err(MaskLineError::TrailingAfterQuote {
            key: key.to_string(),
            rest: rest.to_string(),
        }),
        Err(Unquoted::Bare(_) | Unquoted::Unclosed) => Err(MaskLineError::NotQuoted {
            key: key.to_string(),
            example: if classify_key(key) == KeyKind::FeatMask {
                "Val:0"
            } else {
                "----:----:----:----:----:----:----:----"
            },
        }),
    }
}

/// Parses `cpuid.<leaf>[.<subleaf>].<reg>[.amd]` (ignoring case) into an
/// all-default mask for that key.
pub fn parse_register_key(key: &str) -> std::result::Result<RegisterMask, MaskLineError> {
    let owned = || key.to_string();
    let lower = key.trim().to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('.').collect();
    if parts.first() != Some(&"cpuid") {
        return Err(MaskLineError::NotCpuidKey { key: owned() });
    }
    parts.remove(0);
    let amd_only = parts.last() == Some(&"amd");
    if amd_only {
        parts.pop();
    }
    let suffix_error = |extra: &str| MaskLineError::UnexpectedSuffix {
        key: owned(),
        extra: extra.to_string(),
    };
    let (leaf, subleaf, reg) = match parts.as_slice() {
        [] | [_] => return Err(MaskLineError::NoRegister { key: owned() }),
        [leaf, reg] => (*leaf, None, *reg),
        [_, a, b] if Reg::parse(a).is_some() && Reg::parse(b).is_none() => {
            return Err(suffix_error(b))
        }
        [leaf, sub, reg] => (*leaf, Some(*sub), *reg),
        [_, _, c, d, ..] if Reg::parse(c).is_some() => return Err(suffix_error(d)),
        _ => return Err(MaskLineError::TooManyParts { key: owned() }),
    };
    let leaf = parse_hex(leaf, "leaf", key)?;
    let subleaf = subleaf.map(|s| parse_hex(s, "subleaf", key)).transpose()?;
    let Some(reg) = Reg::parse(reg) else {
        return Err(MaskLineError::UnknownRegister {
            reg: reg.to_string(),
            key: owned(),
        });
    };
    Ok(RegisterMask::new(leaf, subleaf, reg, amd_only))
}

fn parse_hex(s: &str, what: &'static str, key: &str) -> std::result::Result<u32, MaskLineError> {
    if s.starts_with("0x") {
        return Err(MaskLineError::HexWith0x {
            what,
            text: s.to_string(),
            key: key.to_string(),
        });
    }
    let not_hex = || MaskLineError::NotHex {
        what,
        text: s.to_string(),
        key: key.to_string(),
    };
    if s.is_empty() || s.len() > 8 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(not_hex());
    }
    u32::from_str_radix(s, 16).map_err(|_| not_hex())
}

/// Parses the 32 mask characters of a register value (the text inside the
/// quotes), bit 31 first, unseparated or as 8 nibbles separated by `:` or by
/// single spaces. Returns the characters indexed by bit.
pub fn parse_register_value(value: &str) -> std::result::Result<[MaskChar; 32], MaskLineError> {
    let v = value.trim();
    let is_sep = |c: char| c == ':' || c == ' ';
    let count = v.chars().filter(|c| !is_sep(*c)).count();
    if count != 32 {
        return Err(MaskLineError::CharCount { count });
    }
    let has_colon = v.contains(':');
    let has_space = v.contains(' ');
    if has_colon && has_space {
        return Err(MaskLineError::MixedSeparators);
    }
    if has_colon || has_space {
        let sep = if has_colon { ':' } else { ' ' };
        let groups: Vec<&str> = v.split(sep).collect();
        if groups.len() != 8 || groups.iter().any(|g| g.chars().count() != 4) {
            return Err(MaskLineError::Grouping { sep });
        }
    }
    let mut chars = [MaskChar::Default; 32];
    for (i, c) in v.chars().filter(|c| !is_sep(*c)).enumerate() {
        let bit = 31 - i;
        let m = MaskChar::from_char(c).ok_or(MaskLineError::UnknownMaskChar { c, bit })?;
        if let Some(slot) = chars.get_mut(bit) {
            *slot = m;
        }
    }
    Ok(chars)
}

/// Parses a named mask's value: `Val:N`, `Max:N` or `Min:N`, N decimal or `0x` hex.
pub fn parse_featmask_value(value: &str) -> std::result::Result<(FeatOp, u64), MaskLineError> {
    let v = value.trim();
    let Some((op, num)) = v.split_once(':') else {
        return Err(MaskLineError::FeatMaskNoColon {
            value: v.to_string(),
        });
    };
    let Some(op) = FeatOp::parse(op.trim()) else {
        return Err(MaskLineError::UnknownOperator {
            op: op.trim().to_string(),
        });
    };
    let num = num.trim();
    let parsed = match num.strip_prefix("0x").or_else(|| num.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => num.parse::<u64>(),
    };
    parsed
        .map(|n| (op, n))
        .map_err(|_| MaskLineError::NotANumber {
            num: num.to_string(),
        })
}

/// The value of a register line in the chosen spelling (without quotes).
pub fn register_value(reg: &RegisterMask, spelling: Spelling) -> String {
    match spelling {
        Spelling::Colon => reg.colon(),
        Spelling::Compact => reg.compact(),
    }
}

/// The mask's lines, without line endings: register lines first, then named
/// masks, each in the mask's order.
pub fn render_lines(mask: &CpuidMask, spelling: Spelling) -> Vec<String> {
    let regs = mask
        .registers
        .iter()
        .map(|r| format!("{} = \"{}\"", r.key(), register_value(r, spelling)));
    let named = mask
        .featmasks
        .iter()
        .map(|f| format!("{} = \"{}\"", f.key(), f.value_text()));
    regs.chain(named).collect()
}

/// The mask as `.vmx` text, one line each, every line ending in `\n`.
pub fn render(mask: &CpuidMask, spelling: Spelling) -> String {
    render_lines(mask, spelling)
        .into_iter()
        .map(|l| l + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> RegisterMask {
        match parse_line(line) {
            Ok(Some(MaskLine::Register(r))) => r,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn err(line: &str) -> String {
        match parse_line(line) {
            Err(e) => e.to_string(),
            other => panic!("{line}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn errors_are_typed_and_say_what_to_write() {
        assert_eq!(
            parse_line(r#"cpuid.0x1.ecx = "--------------------------------""#),
            Err(MaskLineError::HexWith0x {
                what: "leaf",
                text: "0x1".into(),
                key: "cpuid.0x1.ecx".into(),
            })
        );
        assert_eq!(
            err(r#"cpuid.1 = "--------------------------------""#),
            "'cpuid.1' has no register; expected cpuid.<leaf>.<reg> or \
             cpuid.<leaf>.<subleaf>.<reg>, optionally with .amd (e.g. cpuid.1.ecx, \
             cpuid.7.0.ebx, cpuid.80000001.edx.amd)"
        );
        assert_eq!(
            parse_line(r#"cpuid.1.ecx = "-------------------------------q""#),
            Err(MaskLineError::UnknownMaskChar { c: 'q', bit: 0 })
        );
        assert_eq!(
            err(r#"featMask.vm.cpuid.NX = "Set:0""#),
            "unknown operator 'Set'; expected \"Val:N\", \"Max:N\" or \"Min:N\" (e.g. \"Val:0\")"
        );
        let e: String = MaskLineError::MixedSeparators.into();
        assert_eq!(
            e,
            "value mixes ':' and ' ' between nibbles; use one separator"
        );
    }

    #[test]
    fn nx_three_spellings_and_amd() {
        let a = one(r#"cpuid.80000001.edx = "----:----:---0:----:----:----:----:----""#);
        let b = one(r#"cpuid.80000001.edx = "-----------0--------------------""#);
        let c = one(r#"cpuid.80000001.edx = "---- ---- ---0 ---- ---- ---- ---- ----""#);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.bits_with(MaskChar::Hide), 1 << 20);
        assert_eq!(a.subleaf, None);
        let amd = one(r#"cpuid.80000001.edx.amd = "----:----:---0:----:----:----:----:----"  # x"#);
        assert!(amd.amd_only);
        assert_eq!(amd.chars, a.chars);
        assert_eq!(amd.key(), "cpuid.80000001.edx.amd");
    }

    #[test]
    fn keys_ignore_case_and_take_subleaves() {
        let r = one(r#"CPUID.7.0.EBX="----:----:----:----:----:----:--0-:----""#);
        assert_eq!((r.leaf, r.subleaf, r.reg), (7, Some(0), Reg::Ebx));
        assert_eq!(r.get(5), MaskChar::Hide);
        let r = one(r#"cpuid.D.1.ecx.AMD = "--------------------------------""#);
        assert_eq!((r.leaf, r.subleaf, r.amd_only), (0xd, Some(1), true));
    }

    #[test]
    fn old_lowercase_x_is_kept() {
        let r = one(r#"cpuid.80000001.edx = "xx0xxxxxxxx0xxxxxxxxxxxxxxxxxxxx""#);
        assert_eq!(r.bits_with(MaskChar::Hide), (1 << 29) | (1 << 20));
        assert_eq!(r.compact(), "xx0xxxxxxxx0xxxxxxxxxxxxxxxxxxxx");
    }

    #[test]
    fn malformed_values_say_what_was_expected() {
        let e = err(r#"cpuid.1.ecx = "----:----:----:----:----:----:----:---""#);
        assert!(
            e.contains("value has 31 mask characters; expected 32 (leftmost = bit 31)"),
            "{e}"
        );
        let e = err(r#"cpuid.1.ecx = "----:----:----:----:----:----:Q---:----""#);
        assert!(e.contains("unknown mask character 'Q' at bit 7"), "{e}");
        let e = err(r#"cpuid.1.ecx = "----:----:----:----:---- ----:----:----""#);
        assert!(e.contains("mixes"), "{e}");
        let e = err(r#"cpuid.1.ecx = "--------:--------:--------:--------""#);
        assert!(e.contains("8 groups of 4"), "{e}");
        let e = err("cpuid.1.ecx = ----:----:----:----:----:----:----:----");
        assert!(e.contains("double quotes"), "{e}");
        let e = err(r#"cpuid.1.ecx = "--------------------------------" extra"#);
        assert!(e.contains("after the closing quote"), "{e}");
    }

    #[test]
    fn malformed_keys_say_what_was_expected() {
        assert!(err(r#"cpuid.1.exc = "--------------------------------""#)
            .contains("unknown register 'exc'"));
        assert!(err(r#"cpuid.0x1.ecx = "--------------------------------""#).contains("without 0x"));
        assert!(err(r#"cpuid.1 = "--------------------------------""#).contains("no register"));
        assert!(
            err(r#"cpuid.1.ecx.intel = "--------------------------------""#)
                .contains("the only suffix is .amd")
        );
        assert!(
            err(r#"cpuid.123456789.ecx = "--------------------------------""#)
                .contains("at most 8 digits")
        );
        assert!(err("cpuid.1.ecx").contains("no '='"));
    }

    #[test]
    fn other_keys_are_not_mask_lines() {
        for line in [
            r#"cpuid.coresPerSocket = "2""#,
            r#"featMask.vm.hv.capable = "Val:1""#,
            r#".encoding = "UTF-8""#,
            "# cpuid.1.ecx = broken",
            "",
        ] {
            assert_eq!(parse_line(line), Ok(None), "{line}");
        }
    }

    #[test]
    fn featmask_lines() {
        let ok = |l: &str| match parse_line(l) {
            Ok(Some(MaskLine::FeatMask(f))) => f,
            other => panic!("{l}: {other:?}"),
        };
        assert_eq!(
            ok(r#"featMask.vm.cpuid.NX = "Val:0""#),
            FeatMask::new("NX", FeatOp::Val, 0)
        );
        assert_eq!(
            ok(r#"FEATMASK.VM.CPUID.AVX512F="Max:0""#),
            FeatMask::new("AVX512F", FeatOp::Max, 0)
        );
        assert_eq!(ok(r#"featMask.vm.cpuid.MODEL = "Val:0x2d""#).value, 0x2d);
        assert_eq!(ok(r#"featMask.vm.cpuid.AMD = "Min:1""#).op, FeatOp::Min);
        assert!(err(r#"featMask.vm.cpuid.NX = "Bool:0""#).contains("unknown operator"));
        assert!(err(r#"featMask.vm.cpuid.NX = "Val:yes""#).contains("not a number"));
        assert!(err(r#"featMask.vm.cpuid. = "Val:0""#).contains("does not name"));
    }

    #[test]
    fn whole_file_errors_name_origin_and_line() {
        let text = "# masks\n\ncpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"\n\
                    cpuid.80000001.edx = \"----:----:---0:----:----:----:----:---\"\n";
        let e = parse_mask(text, "hide.vmx").expect_err("bad").to_string();
        assert!(
            e.starts_with("hide.vmx:4: value has 31 mask characters"),
            "{e}"
        );
        let e = parse_mask("displayName = \"x\"\n", "m.txt").expect_err("strict");
        assert!(e.to_string().starts_with("m.txt:1: not a mask line"), "{e}");
        assert!(parse_vmx("displayName = \"x\"\n", "m.vmx").is_ok_and(|m| m.is_empty()));
        let dup = "cpuid.1.ecx = \"--------------------------------\"\n\
                   CPUID.1.ECX = \"--------------------------------\"\n";
        let e = parse_vmx(dup, "d.vmx").expect_err("dup").to_string();
        assert!(
            e.starts_with("d.vmx:2: cpuid.1.ecx is given twice (first at line 1)"),
            "{e}"
        );
    }

    #[test]
    fn render_and_read_back() {
        let mut m = CpuidMask::new();
        m.register_mut(0x8000_0001, None, Reg::Edx, false)
            .set(20, MaskChar::Hide);
        let r = m.register_mut(7, Some(0), Reg::Ebx, true);
        r.set(5, MaskChar::Hide);
        r.set(31, MaskChar::HostAgree);
        r.set(0, MaskChar::Unused { lowercase: true });
        m.insert_featmask(FeatMask::new("NX", FeatOp::Val, 0));
        m.insert_featmask(FeatMask::new("MODEL", FeatOp::Val, 0x2d));
        let colon = render(&m, Spelling::Colon);
        assert!(
            colon.starts_with("cpuid.80000001.edx = \"----:----:---0:----:----:----:----:----\"\n")
        );
        assert!(colon.contains("featMask.vm.cpuid.MODEL = \"Val:0x2d\"\n"));
        for spelling in [Spelling::Colon, Spelling::Compact] {
            let text = render(&m, spelling);
            assert_eq!(parse_mask(&text, "t").ok().as_ref(), Some(&m), "{text}");
            assert_eq!(
                parse_vmx(&text.replace('\n', "\r\n"), "t").ok(),
                Some(m.clone())
            );
        }
    }
}
