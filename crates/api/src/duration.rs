//! [`Duration`]: a Go-style duration string (`"2160h"`, `"1h30m"`, `"25h0m0s"`) as used by
//! cert-manager's `spec.duration` and `spec.renewBefore` (Go's `metav1.Duration`).
//!
//! The value is kept verbatim as a string so that a manifest round-trips byte for byte and an
//! unparseable value (`"90d"`) still deserializes: the controller then reports it with Go's own
//! error text instead of failing to read the whole object. Parsing and formatting live in
//! `anchorage-pki` ([`anchorage_pki::parse_go_duration`], [`anchorage_pki::format_go_duration`]),
//! the single implementation in the project.

use std::borrow::Cow;
use std::fmt;

use jiff::SignedDuration;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

pub use anchorage_pki::DurationError;

/// Regular expression (RE2 syntax, as the API server evaluates `pattern`) for the syntax Go's
/// `time.ParseDuration` accepts: an optional sign, then either `0` or one or more
/// `<decimal><unit>` pairs with unit `ns`, `us`, `µs` (U+00B5), `μs` (U+03BC), `ms`, `s`, `m`, `h`.
///
/// Values matching the pattern can still be rejected by Go for overflow (more than about
/// 2 562 047h); CEL's `duration()` then fails and the API server rejects the object too.
pub const GO_DURATION_PATTERN: &str =
    r"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$";

/// Maximum length of a duration string in the schema, in characters. Bounds the cost of the CEL
/// rules that call `duration()` on it; real values are a dozen characters at most.
pub const DURATION_MAX_LENGTH: u32 = 64;

/// A Go-style duration, e.g. `"2160h"` or `"48h0m0s"`: a string on the wire, parsed on demand.
///
/// Source: cert-manager `spec.duration`/`spec.renewBefore` are `metav1.Duration`, parsed by Go's
/// `time.ParseDuration`. Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`; no days (`"90d"` is an
/// error, exactly as in cert-manager).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Duration(pub String);

impl Duration {
    /// Wraps a string as given; it is not parsed until [`Duration::parse`] is called.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The canonical Go rendering of `d` (e.g. 90 days -> `"2160h0m0s"`), as Go's
    /// `Duration.String()` and `format_go_duration` produce it.
    pub fn from_signed(d: SignedDuration) -> Self {
        Self(anchorage_pki::format_go_duration(d))
    }

    /// The string exactly as written in the manifest.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the string with Go's `time.ParseDuration` rules (nanosecond precision, signed).
    ///
    /// # Errors
    /// [`DurationError`] whose `Display` is Go's message, e.g.
    /// `time: unknown unit "d" in duration "90d"`.
    pub fn parse(&self) -> Result<SignedDuration, DurationError> {
        anchorage_pki::parse_go_duration(&self.0)
    }

    /// Same as [`Duration::parse`]; named after `metav1.Duration.Duration` conversions in Go code.
    ///
    /// # Errors
    /// See [`Duration::parse`].
    pub fn to_signed(&self) -> Result<SignedDuration, DurationError> {
        self.parse()
    }
}

impl fmt::Display for Duration {
    /// Writes the string as given (not normalised).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Duration {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Duration {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<SignedDuration> for Duration {
    fn from(value: SignedDuration) -> Self {
        Self::from_signed(value)
    }
}

impl JsonSchema for Duration {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "maxLength": DURATION_MAX_LENGTH,
            "pattern": GO_DURATION_PATTERN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_on_the_wire_and_parsed_on_demand() {
        let d: Duration = serde_json::from_str("\"48h\"").expect("string");
        assert_eq!(d.as_str(), "48h");
        assert_eq!(d.parse(), Ok(SignedDuration::from_hours(48)));
        assert_eq!(serde_json::to_string(&d).ok().as_deref(), Some("\"48h\""));
        let bad = Duration::from("90d");
        assert_eq!(
            bad.parse().map_err(|e| e.to_string()),
            Err(r#"time: unknown unit "d" in duration "90d""#.to_owned())
        );
        assert_eq!(
            Duration::from(SignedDuration::from_hours(2160)).as_str(),
            "2160h0m0s"
        );
    }
}
