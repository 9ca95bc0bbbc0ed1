//! The one place where untrusted text is made safe for a terminal.
//!
//! vmcompat prints names and messages that come from hosts it does not control:
//! `.vmx` display names, port-group and datastore names from `esxcli`, VM names
//! from `vim-cmd vmsvc/getallvms`, fleet-file names, Ansible messages, parse
//! errors that quote their input. Any of them may carry terminal control
//! sequences (ESC `[2J` clears the screen, OSC 52 writes the clipboard, OSC 8
//! makes links), C1 controls (U+009B is a one-character CSI), or Unicode
//! bidirectional overrides that make text read differently from what it is
//! ("Trojan Source", CVE-2021-42574).
//!
//! Every such character is shown **visibly escaped**, never dropped, so the
//! administrator sees that the name is odd and can still tell two names apart:
//! C0 controls and DEL as `\xNN` (`\x1b`), everything else as `\u{NNNN}`
//! (`\u{202e}`). Line feed and tab are kept in multi-line text ([`text`]) and
//! escaped in one-line text ([`line`]). Everything else, including non-ASCII
//! letters, passes through unchanged. The escaping is idempotent: escaped text
//! contains no character that would be escaped again.
//!
//! **Look-alike characters.** A name such as `pоrtgroup` with a Cyrillic `о`
//! (U+043E) reads as the Latin name it imitates. The rule: within one word (a
//! run of characters between whitespace), when the word has at least one ASCII
//! letter, every letter or digit from a script whose characters imitate Latin
//! ones ([`is_lookalike`]: Greek, Cyrillic, Armenian, Cherokee, small-capital
//! phonetic letters, letterlike symbols such as the Kelvin sign, fullwidth
//! forms, mathematical alphanumerics) is shown escaped as `\u{NNNN}`. Words
//! wholly in one of those scripts (`Сеть`, `Ελλάδα`), Latin letters with
//! diacritics (`Réseau`) and other scripts (`东京`) pass unchanged; a word
//! made wholly of look-alikes (`рое` in Cyrillic for `poe`) is not detected.
//!
//! Where it is applied: every text renderer's output goes through
//! [`terminal_output`] when a command prints it (`commands::output`), every
//! error through [`text`] when `main` prints it, and JSON through [`json_output`]
//! (which keeps the document valid and its values exact). The HTML report keeps
//! its own HTML escaping.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters that must never reach a terminal raw: C0 controls
/// (except `\n` and `\t`, judged by the caller), DEL, C1 controls, bidirectional
/// embeddings/overrides/isolates and marks, invisible formatting characters
/// (zero-width space/joiners, word joiner, invisible operators, BOM, soft hyphen),
/// line/paragraph separators, interlinear annotations, and tag characters.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{ad}'
        | '\u{61c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// True for letters and digits of the scripts and blocks whose characters
/// imitate Latin letters or digits (see the module documentation): Greek and
/// Coptic, Greek Extended, Cyrillic (with its supplement and extensions),
/// Armenian, Cherokee, the phonetic extensions (small capitals such as `ᴀ`),
/// letterlike symbols (`K` Kelvin sign, `Å` Angstrom sign), fullwidth ASCII
/// forms, and the mathematical alphanumeric symbols.
pub fn is_lookalike(c: char) -> bool {
    matches!(c,
        '\u{370}'..='\u{58f}'
        | '\u{13a0}'..='\u{13ff}'
        | '\u{1c80}'..='\u{1c8f}'
        | '\u{1d00}'..='\u{1dbf}'
        | '\u{1f00}'..='\u{1fff}'
        | '\u{2100}'..='\u{214f}'
        | '\u{2de0}'..='\u{2dff}'
        | '\u{a640}'..='\u{a69f}'
        | '\u{ff01}'..='\u{ff5e}'
        | '\u{1d400}'..='\u{1d7ff}')
        && c.is_alphanumeric()
}

/// Byte offsets, ascending, of the look-alike characters that must be escaped
/// in `s`: those in words that also contain an ASCII letter. Empty (and cheap)
/// for ASCII text.
fn lookalike_offsets(s: &str) -> Vec<usize> {
    let mut found = Vec::new();
    if s.is_ascii() {
        return found;
    }
    let mut word_start = 0;
    let flush = |found: &mut Vec<usize>, word: &str, at: usize| {
        if word.bytes().any(|b| b.is_ascii_alphabetic()) {
            found.extend(
                word.char_indices()
                    .filter(|&(_, c)| is_lookalike(c))
                    .map(|(i, _)| at + i),
            );
        }
    };
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            flush(&mut found, &s[word_start..i], word_start);
            word_start = i + c.len_utf8();
        }
    }
    flush(&mut found, &s[word_start..], word_start);
    found
}

fn push_escaped(out: &mut String, c: char) {
    let n = u32::from(c);
    if n < 0x80 {
        let _ = write!(out, "\\x{n:02x}");
    } else {
        let _ = write!(out, "\\u{{{n:x}}}");
    }
}

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let lookalikes = lookalike_offsets(s);
    if lookalikes.is_empty() && !s.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, c) in s.char_indices() {
        if (is_unsafe(c) && !keep(c)) || lookalikes.binary_search(&i).is_ok() {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text made safe: line feeds and tabs kept, every other unsafe
/// character visibly escaped (a carriage return too: it could overwrite a line).
pub fn text(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c == '\n' || c == '\t')
}

/// One-line text made safe (names, table cells, quoted input): every unsafe
/// character visibly escaped, line feeds and tabs included.
pub fn line(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// A value that displays as [`line`] of its text: `format!("{}", Safe(name))`.
#[derive(Debug, Clone, Copy)]
pub struct Safe<'a>(pub &'a str);

impl std::fmt::Display for Safe<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&line(self.0))
    }
}

/// The SGR colour sequences our own table renderer (comfy-table over crossterm)
/// emits: foreground red, green, yellow (ANSI 8-16 palette as `38;5;N` or the
/// classic 31-33/91-93) and the resets. Nothing else is ever passed through: no
/// cursor movement, no screen clearing, no hidden/invisible text, no OSC.
fn is_our_colour(params: &str) -> bool {
    matches!(
        params,
        "" | "0"
            | "39"
            | "31"
            | "32"
            | "33"
            | "91"
            | "92"
            | "93"
            | "38;5;1"
            | "38;5;2"
            | "38;5;3"
            | "38;5;9"
            | "38;5;10"
            | "38;5;11"
    )
}

/// A whole rendered text output made safe for a terminal. With `colour`, the
/// few colour sequences our renderers emit (see above) are kept; without it
/// (`NO_COLOR`, or not a terminal) they are removed, leaving no stray `ESC[m`.
/// Every other control sequence is shown escaped.
pub fn terminal_output(s: &str, colour: bool) -> Cow<'_, str> {
    let lookalikes = lookalike_offsets(s);
    if lookalikes.is_empty() && !s.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' {
            if let Some(after) = rest.strip_prefix("\u{1b}[") {
                let len = after
                    .find(|ch: char| !(ch.is_ascii_digit() || ch == ';'))
                    .unwrap_or(after.len());
                if after[len..].starts_with('m') && is_our_colour(&after[..len]) {
                    if colour {
                        out.push_str(&rest[..2 + len + 1]);
                    }
                    rest = &after[len + 1..];
                    continue;
                }
            }
        }
        let at = s.len() - rest.len();
        if (is_unsafe(c) && c != '\n' && c != '\t') || lookalikes.binary_search(&at).is_ok() {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// A JSON document made safe for a terminal while staying valid JSON with the
/// same values: unsafe characters (which serde_json leaves raw when they are not
/// C0 controls, e.g. U+202E or U+009B) become `\uXXXX` escapes. They can occur
/// only inside strings, where that escape means the same character.
pub fn json_output(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) && c != '\n') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) && c != '\n' {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "a\u{1b}[2Jb\u{1b}]52;c;ZXZpbA==\u{7}c\u{9b}31md\u{202e}gpj.exe\r\u{200b}";

    fn clean(s: &str) -> bool {
        !s.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t')
    }

    #[test]
    fn escapes_visibly_and_keeps_the_rest() {
        let l = line(HOSTILE);
        assert!(clean(&l), "{l}");
        assert_eq!(
            l,
            "a\\x1b[2Jb\\x1b]52;c;ZXZpbA==\\x07c\\u{9b}31md\\u{202e}gpj.exe\\x0d\\u{200b}"
        );
        assert_eq!(line("Réseau VM Network 东京"), "Réseau VM Network 东京");
        assert!(matches!(line("plain"), Cow::Borrowed(_)));
        assert_eq!(text("a\nb\tc\rd"), "a\nb\tc\\x0dd");
        assert_eq!(line("a\nb"), "a\\x0ab");
        assert_eq!(format!("{}", Safe("x\u{1b}y")), "x\\x1by");
        // Idempotent.
        assert_eq!(line(&l), l);
    }

    #[test]
    fn lookalikes_in_latin_words_are_escaped() {
        // Cyrillic а (U+0430) and о (U+043E) inside Latin names.
        assert_eq!(line("pоrtgroup"), "p\\u{43e}rtgroup");
        assert_eq!(line("VM Network vаult-01"), "VM Network v\\u{430}ult-01");
        // Greek omicron, fullwidth p, Kelvin sign, mathematical bold a.
        assert_eq!(line("esx\u{3bf}1"), "esx\\u{3bf}1");
        assert_eq!(line("\u{ff50}rod"), "\\u{ff50}rod");
        assert_eq!(line("\u{212a}vm"), "\\u{212a}vm");
        assert_eq!(line("d\u{1d41a}ta"), "d\\u{1d41a}ta");
        // Only the word that mixes is touched.
        assert_eq!(line("Сеть vаult"), "Сеть v\\u{430}ult");
        // Single-script words, Latin diacritics and other scripts pass.
        for ok in ["Сеть", "Ελλάδα", "Réseau VM Network 东京", "Ω1"] {
            assert_eq!(line(ok), ok, "{ok}");
        }
        // Mixed in a word with a look-alike *and* an ASCII letter, "Ω" is escaped.
        assert_eq!(line("ohmΩ"), "ohm\\u{3a9}");
        // Whole outputs and multi-line text follow the same rule; idempotent.
        let out = terminal_output("host  pоrtgroup\n  Сеть\n", false);
        assert_eq!(out, "host  p\\u{43e}rtgroup\n  Сеть\n");
        assert_eq!(terminal_output(&out, false), out);
        assert_eq!(text("a\nxа"), "a\nx\\u{430}");
        assert!(matches!(line("Сеть 东京"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_output_keeps_only_our_colours() {
        let ours = "\u{1b}[38;5;9mNO\u{1b}[39m";
        assert_eq!(terminal_output(ours, true), ours);
        assert_eq!(terminal_output(ours, false), "NO");
        let evil = "x\u{1b}[8mhidden\u{1b}[2J\u{1b}[H\u{1b}]8;;http://e\u{7}";
        let out = terminal_output(evil, true);
        assert!(clean(&out), "{out}");
        assert!(out.contains("\\x1b[8m") && out.contains("\\x1b[2J"));
        // A stray ESC at the very end, and ESC[ without a final byte.
        assert_eq!(terminal_output("a\u{1b}", true), "a\\x1b");
        assert_eq!(terminal_output("a\u{1b}[12", true), "a\\x1b[12");
    }

    #[test]
    fn json_stays_valid_and_exact() {
        let v = serde_json::json!({ "name": "vm\u{202e}exe\u{9b}\u{1b}" });
        let s = serde_json::to_string_pretty(&v).unwrap();
        let safe = json_output(&s);
        assert!(clean(&safe), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
        // Astral tag characters become a surrogate pair.
        let v = serde_json::json!("t\u{e0041}");
        let safe = json_output(&v.to_string()).into_owned();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
    }
}
