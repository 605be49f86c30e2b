//! When a certificate is due for renewal (DESIGN.md §4, cert-manager's `RenewalTime`).

use jiff::{SignedDuration, Timestamp};

/// Computes the instant at which a certificate should be renewed.
///
/// `not_before`/`not_after` are those of the *issued* certificate (so a lifetime clipped to the
/// CA's notAfter is honoured). With lifetime = `not_after - not_before`:
/// - `renew_before` is used when `0 < renew_before < lifetime`;
/// - otherwise `lifetime * pct / 100` when `0 < pct < 100` (`renewBeforePercentage`,
///   cert-manager ≥ 1.15: the share of the lifetime left at renewal);
/// - otherwise `lifetime / 3` (cert-manager's default: renew at 2/3 of the lifetime).
///
/// The result `not_after - rb` is truncated (floored) to the whole second, so the scheduler and
/// the "is it due" check compare the same instant. Never fails: out-of-range results saturate.
///
/// When notBefore was backdated for clock skew, use [`renewal_time_with_backdate`]: with a
/// backdate, a `renew_before` equal to the requested duration would otherwise fall 0 s after
/// issuance and re-issue in a loop (BC-03).
pub fn renewal_time(
    not_before: Timestamp,
    not_after: Timestamp,
    renew_before: Option<SignedDuration>,
    renew_before_percentage: Option<i32>,
) -> Timestamp {
    renewal_time_with_backdate(
        not_before,
        not_after,
        SignedDuration::ZERO,
        renew_before,
        renew_before_percentage,
    )
}

/// [`renewal_time`] for a certificate whose notBefore was backdated by `backdate` (seconds of
/// clock-skew tolerance, DESIGN.md §4; default 30 s in the controller).
///
/// `renew_before` only counts when it is shorter than the time from *issuance*
/// (`not_before + backdate`) to `not_after`, so the renewal instant is always strictly after
/// issuance and never due at once (BC-03, BC-06). The fallbacks (`pct`, `1/3`) use the actual
/// validity `not_after - not_before`, as BC-03 specifies. With `backdate = 0` this is exactly
/// DESIGN.md §4 and cert-manager's `RenewalTime`.
pub fn renewal_time_with_backdate(
    not_before: Timestamp,
    not_after: Timestamp,
    backdate: SignedDuration,
    renew_before: Option<SignedDuration>,
    renew_before_percentage: Option<i32>,
) -> Timestamp {
    let lifetime_ns = not_after.as_nanosecond() - not_before.as_nanosecond();
    let issued_lifetime_ns = lifetime_ns - backdate.as_nanos().max(0);
    let rb_ns = match (renew_before, renew_before_percentage) {
        (Some(rb), _) if rb.as_nanos() > 0 && rb.as_nanos() < issued_lifetime_ns => rb.as_nanos(),
        (_, Some(pct)) if pct > 0 && pct < 100 => lifetime_ns * i128::from(pct) / 100,
        _ => lifetime_ns / 3,
    };
    let at_ns = not_after.as_nanosecond() - rb_ns;
    let secs = at_ns.div_euclid(1_000_000_000);
    let secs = i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX });
    Timestamp::from_second(secs).unwrap_or(if secs < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }
    fn h(n: i64) -> SignedDuration {
        SignedDuration::from_hours(n)
    }

    #[test]
    fn table() {
        let nb = ts("2026-01-01T00:00:00Z");
        let na = nb + h(8760);
        // (renewBefore, pct, expected)
        let cases: &[(Option<SignedDuration>, Option<i32>, Timestamp)] = &[
            // BC-02: the guide's values renew 1440h after issuance.
            (Some(h(7320)), None, na - h(7320)),
            (Some(h(7320)), None, nb + h(1440)),
            (Some(h(1440)), None, na - h(1440)),
            (None, None, na - h(2920)),
            // renewBefore >= lifetime falls back to lifetime/3.
            (Some(h(8760)), None, na - h(2920)),
            (Some(h(9000)), None, na - h(2920)),
            (Some(SignedDuration::ZERO), None, na - h(2920)),
            (Some(h(-1)), None, na - h(2920)),
            // percentage
            (None, Some(25), na - h(2190)),
            (None, Some(0), na - h(2920)),
            (None, Some(100), na - h(2920)),
            (Some(h(9000)), Some(50), na - h(4380)),
        ];
        for (rb, pct, want) in cases {
            assert_eq!(renewal_time(nb, na, *rb, *pct), *want, "{rb:?} {pct:?}");
        }
    }

    #[test]
    fn bc06_backdating_does_not_move_renewal() {
        let s = ts("2026-05-01T12:00:00Z");
        let nb = s - SignedDuration::from_secs(30);
        let na = s + h(1);
        assert_eq!(
            renewal_time(nb, na, Some(SignedDuration::from_mins(55)), None),
            s + SignedDuration::from_mins(5)
        );
        assert_eq!(
            renewal_time(nb, na, Some(SignedDuration::from_secs(3599)), None),
            s + SignedDuration::from_secs(1)
        );
    }

    #[test]
    fn bc03_clipped_lifetime_with_backdate_falls_back() {
        let t = ts("2026-05-01T12:00:00Z");
        let backdate = SignedDuration::from_secs(30);
        let nb = t - backdate;
        let na = t + h(168); // clipped to the CA's notAfter
        let third = na.duration_since(nb) / 3;
        // A: renewBefore 168h equals the time from issuance to expiry -> fallback.
        assert_eq!(
            renewal_time_with_backdate(nb, na, backdate, Some(h(168)), None),
            na - third
        );
        // B: no renewBefore.
        assert_eq!(
            renewal_time_with_backdate(nb, na, backdate, None, None),
            na - third
        );
        // Without the backdate-aware variant, A would be due at issuance.
        assert_eq!(renewal_time(nb, na, Some(h(168)), None), t);
        // BC-06 D with the backdate-aware variant.
        let na = t + h(1);
        assert_eq!(
            renewal_time_with_backdate(
                nb,
                na,
                backdate,
                Some(SignedDuration::from_secs(3599)),
                None
            ),
            t + SignedDuration::from_secs(1)
        );
    }

    #[test]
    fn truncates_to_the_second() {
        let nb = ts("2026-01-01T00:00:00Z");
        let na = nb + SignedDuration::from_secs(10);
        // lifetime/3 = 3.333..s -> 6.666..s -> floored to 6s.
        assert_eq!(
            renewal_time(nb, na, None, None),
            nb + SignedDuration::from_secs(6)
        );
    }

    #[test]
    fn bc14_identity_issuer() {
        let nb = ts("2026-01-01T00:00:00Z");
        let na = nb + h(48);
        assert_eq!(renewal_time(nb, na, Some(h(25)), None), na - h(25));
    }
}
