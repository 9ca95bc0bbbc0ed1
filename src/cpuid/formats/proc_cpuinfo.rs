//! `/proc/cpuinfo` text.

/// The `flags` of the first processor in `/proc/cpuinfo` text.
pub fn first_flags(text: &str) -> Option<Vec<String>> {
    text.lines()
        .find(|l| l.starts_with("flags"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().map(str::to_string).collect())
}
