//! The `anchorage` binary.
fn main() {}
