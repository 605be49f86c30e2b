//! End-to-end test fixture for anchorage.
