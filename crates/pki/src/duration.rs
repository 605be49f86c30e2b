//! Go's `time.ParseDuration` and `time.Duration.String`, the one implementation in the project.
//!
//! cert-manager's `duration`/`renewBefore` fields and step's `--not-after` are Go durations, so
//! we accept and print exactly what Go does (same units, same fractions, same error texts).

use jiff::SignedDuration;

use crate::DurationError;

const NS: u64 = 1;
const US: u64 = 1_000;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;
const MIN: u64 = 60 * SEC;
const HOUR: u64 = 60 * MIN;
const LIMIT: u64 = 1 << 63;

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => NS,
        "us" | "\u{b5}s" | "\u{3bc}s" => US,
        "ms" => MS,
        "s" => SEC,
        "m" => MIN,
        "h" => HOUR,
        _ => return None,
    })
}

/// Quotes a string the way Go's `strconv.Quote` does for the texts we produce: double quotes,
/// with `"`, `\` and control characters escaped.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses a Go duration string (`"8760h"`, `"1h30m"`, `"1.5h"`, `"-1h"`, `"100ms"`).
///
/// Units: `ns`, `us`/`µs`, `ms`, `s`, `m` (minutes), `h`. There is no day unit, exactly like Go.
/// The result has nanosecond precision and is limited to Go's range (±2^63 ns, about 292 years).
///
/// # Errors
/// A [`DurationError`] whose `Display` is Go's own message, e.g.
/// `time: unknown unit "d" in duration "90d"` or `time: invalid duration " 24h"`.
pub fn parse_go_duration(input: &str) -> Result<SignedDuration, DurationError> {
    let invalid = || DurationError::Invalid {
        input: input.to_string(),
    };
    let mut s = input.as_bytes();
    let mut neg = false;
    if let Some((&c, rest)) = s.split_first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = rest;
    }
    if s == b"0" {
        return Ok(SignedDuration::ZERO);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part.
        let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let pre = digits > 0;
        let mut v: u64 = 0;
        for &c in &s[..digits] {
            if v > (LIMIT - 1) / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(c - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
        }
        s = &s[digits..];
        // Fraction part.
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let fdigits = s.iter().take_while(|c| c.is_ascii_digit()).count();
            post = fdigits > 0;
            let mut overflow = false;
            for &c in &s[..fdigits] {
                if overflow {
                    continue;
                }
                if frac > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = frac * 10 + u64::from(c - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                frac = y;
                scale *= 10.0;
            }
            s = &s[fdigits..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        // Unit.
        let ulen = s
            .iter()
            .take_while(|c| !(**c == b'.' || c.is_ascii_digit()))
            .count();
        if ulen == 0 {
            return Err(DurationError::MissingUnit {
                input: input.to_string(),
            });
        }
        let unit_str = String::from_utf8_lossy(&s[..ulen]).into_owned();
        s = &s[ulen..];
        let unit = unit_nanos(&unit_str).ok_or_else(|| DurationError::UnknownUnit {
            unit: unit_str.clone(),
            input: input.to_string(),
        })?;
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if frac > 0 {
            // Same float maths as Go, so "1.5h" and "0.1s" round identically.
            let add = (frac as f64 * (unit as f64 / scale)) as u64;
            v = v.checked_add(add).ok_or_else(invalid)?;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        total = total.checked_add(v).ok_or_else(invalid)?;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    let nanos: i64 = if neg {
        // total <= 2^63, so the negation fits (2^63 maps to i64::MIN).
        (total as i128).wrapping_neg() as i64
    } else {
        i64::try_from(total).map_err(|_| invalid())?
    };
    Ok(SignedDuration::from_nanos(nanos))
}

/// Formats like Go's `time.Duration.String`: `2160h0m0s`, `5m0s`, `1h0m0s`, `0s`, `1.5s`,
/// `100ms`, `-1h0m0s`. Durations beyond Go's range (±2^63 ns) are clamped to it.
pub fn format_go_duration(d: SignedDuration) -> String {
    let nanos = d
        .as_nanos()
        .clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    let neg = nanos < 0;
    let mut u = nanos.unsigned_abs() as u64;
    let mut out = String::new();
    if u < SEC {
        if u == 0 {
            return "0s".to_string();
        }
        let (prec, unit) = if u < US {
            (0, "ns")
        } else if u < MS {
            (3, "\u{b5}s")
        } else {
            (6, "ms")
        };
        let (frac, int) = fmt_frac(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = fmt_frac(u, 9);
        u = secs;
        let s = u % 60;
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&format!("{s}{frac}s"));
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Splits `v` into (".fraction" without trailing zeros, or "", and v / 10^prec).
fn fmt_frac(v: u64, prec: u32) -> (String, u64) {
    let div = 10u64.pow(prec);
    let frac = v % div;
    if frac == 0 {
        return (String::new(), v / div);
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / div)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        let cases: &[(&str, i64)] = &[
            ("8760h", 31_536_000),
            ("87600h", 315_360_000),
            ("1h30m", 5_400),
            ("1.5h", 5_400),
            ("1h", 3_600),
            ("59m59s", 3_599),
            ("1m", 60),
            ("-1h", -3_600),
            ("+5m", 300),
            ("0", 0),
            ("-0", 0),
            ("2160h0m0s", 7_776_000),
            ("25h", 90_000),
        ];
        for (s, secs) in cases {
            assert_eq!(
                parse_go_duration(s).unwrap(),
                SignedDuration::from_secs(*secs),
                "{s}"
            );
        }
        let sub: &[(&str, i64)] = &[
            ("100ms", 100_000_000),
            ("1.5s", 1_500_000_000),
            ("1us", 1_000),
            ("1µs", 1_000),
            ("1μs", 1_000),
            ("3ns", 3),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("0.1s", 100_000_000),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
        ];
        for (s, n) in sub {
            assert_eq!(
                parse_go_duration(s).unwrap(),
                SignedDuration::from_nanos(*n),
                "{s}"
            );
        }
    }

    #[test]
    fn errors_use_go_wording() {
        let cases = [
            ("90d", r#"time: unknown unit "d" in duration "90d""#),
            (" 24h", r#"time: invalid duration " 24h""#),
            ("", r#"time: invalid duration """#),
            ("-", r#"time: invalid duration "-""#),
            ("10", r#"time: missing unit in duration "10""#),
            ("1h ", r#"time: unknown unit "h " in duration "1h ""#),
            (".h", r#"time: invalid duration ".h""#),
            ("1y2h", r#"time: unknown unit "y" in duration "1y2h""#),
            (
                "9223372036854775808ns",
                r#"time: invalid duration "9223372036854775808ns""#,
            ),
            ("3000000h", r#"time: invalid duration "3000000h""#),
            ("a\tb", r#"time: invalid duration "a\tb""#),
        ];
        for (input, msg) in cases {
            assert_eq!(
                parse_go_duration(input).unwrap_err().to_string(),
                msg,
                "{input:?}"
            );
        }
    }

    #[test]
    fn formats_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (100_000_000, "100ms"),
            (1_500_000_000, "1.5s"),
            (300_000_000_000, "5m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (7_776_000_000_000_000, "2160h0m0s"),
            (-3_600_000_000_000, "-1h0m0s"),
            (5_400_000_000_000, "1h30m0s"),
            (3_599_000_000_000, "59m59s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (n, s) in cases {
            assert_eq!(format_go_duration(SignedDuration::from_nanos(*n)), *s);
        }
    }

    #[test]
    fn format_parse_round_trip() {
        for s in ["2160h0m0s", "1h30m0s", "25h0m0s", "1.5s", "100ms", "-5m0s"] {
            assert_eq!(format_go_duration(parse_go_duration(s).unwrap()), s);
        }
    }
}
