//! native format.
