//! Output formats. Every renderer formats an analysis result; none does analysis.
