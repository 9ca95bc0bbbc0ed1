//! The line syntax of VMware `.vmx` files and mask files, lexed once for every
//! reader (the `.vmx` model, the mask-line parser, the in-place rewrite):
//! `key = "value"`, `#` comments, blank lines, an optional byte-order mark.
//! Source: VMware's `.vmx` files as written by ESXi and Workstation (one
//! setting a line, values in double quotes).

/// How the value after `=` is quoted, when it is not `"value"` followed by
/// nothing or a `#` comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unquoted<'a> {
    /// The value does not start with `"`; holds the value as written.
    Bare(&'a str),
    /// `"` opens the value and nothing closes it.
    Unclosed,
    /// Text other than a comment follows the closing quote (holds it, trimmed).
    Trailing(&'a str),
}

/// Splits one line into its key and, after the first `=`, its raw value (both
/// trimmed); `None` for blank lines and `#` comments. A leading byte-order
/// mark is ignored.
pub fn split_line(line: &str) -> Option<(&str, Option<&str>)> {
    let t = line.strip_prefix('\u{feff}').unwrap_or(line).trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    Some(match t.split_once('=') {
        Some((k, v)) => (k.trim(), Some(v.trim())),
        None => (t, None),
    })
}

/// The text between the double quotes of a raw value whose rest is blank or a
/// `#` comment.
pub fn unquote(value: &str) -> Result<&str, Unquoted<'_>> {
    let Some(rest) = value.strip_prefix('"') else {
        return Err(Unquoted::Bare(value));
    };
    let Some(end) = rest.find('"') else {
        return Err(Unquoted::Unclosed);
    };
    let after = rest[end + 1..].trim();
    if after.is_empty() || after.starts_with('#') {
        Ok(&rest[..end])
    } else {
        Err(Unquoted::Trailing(after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_values() {
        assert_eq!(split_line("  # c"), None);
        assert_eq!(split_line("\u{feff}a = \"b\""), Some(("a", Some("\"b\""))));
        assert_eq!(split_line("bare"), Some(("bare", None)));
        assert_eq!(unquote("\"x\" # c"), Ok("x"));
        assert_eq!(unquote("x"), Err(Unquoted::Bare("x")));
        assert_eq!(unquote("\"x"), Err(Unquoted::Unclosed));
        assert_eq!(unquote("\"x\" y"), Err(Unquoted::Trailing("y")));
    }
}
