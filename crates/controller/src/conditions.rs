//! Pure helpers for status conditions (cert-manager's condition semantics).
//!
//! `lastTransitionTime` only moves when `status` changes, as in cert-manager and the
//! Kubernetes API conventions; reason and message changes keep the old transition time.

use anchorage_api::Condition;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// `"True"`.
pub const TRUE: &str = "True";
/// `"False"`.
pub const FALSE: &str = "False";

/// Finds the condition of type `type_`.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether condition `type_` exists with status `"True"`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find(conditions, type_).is_some_and(|c| c.status == TRUE)
}

/// Sets (or replaces) the condition `type_`, keeping `lastTransitionTime` when the status is
/// unchanged. Returns the updated list.
pub fn set(
    conditions: &[Condition],
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
    observed_generation: Option<i64>,
) -> Vec<Condition> {
    let previous = find(conditions, type_);
    let last_transition_time = match previous {
        Some(p) if p.status == status && p.last_transition_time.is_some() => {
            p.last_transition_time.clone()
        }
        _ => Some(Time(now)),
    };
    let updated = Condition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_transition_time,
        observed_generation,
    };
    let mut out: Vec<Condition> = Vec::with_capacity(conditions.len() + 1);
    let mut replaced = false;
    for c in conditions {
        if c.type_ == type_ {
            out.push(updated.clone());
            replaced = true;
        } else {
            out.push(c.clone());
        }
    }
    if !replaced {
        out.push(updated);
    }
    out
}

/// Removes the condition `type_`.
pub fn remove(conditions: &[Condition], type_: &str) -> Vec<Condition> {
    conditions
        .iter()
        .filter(|c| c.type_ != type_)
        .cloned()
        .collect()
}

/// Whether two condition lists are equal ignoring `lastTransitionTime`.
pub fn same(a: &[Condition], b: &[Condition]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter().any(|y| {
                x.type_ == y.type_
                    && x.status == y.status
                    && x.reason == y.reason
                    && x.message == y.message
                    && x.observed_generation == y.observed_generation
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn transition_time_moves_only_on_status_change() {
        let t0 = ts("2026-01-01T00:00:00Z");
        let t1 = ts("2026-01-01T01:00:00Z");
        let c = set(&[], "Ready", TRUE, "Issued", "ok", t0, Some(1));
        let c2 = set(&c, "Ready", TRUE, "Issued", "still ok", t1, Some(2));
        assert_eq!(c2[0].last_transition_time, Some(Time(t0)));
        assert_eq!(c2[0].message.as_deref(), Some("still ok"));
        let c3 = set(&c2, "Ready", FALSE, "Failed", "bad", t1, Some(2));
        assert_eq!(c3[0].last_transition_time, Some(Time(t1)));
        assert_eq!(c3.len(), 1);
    }

    #[test]
    fn remove_and_compare() {
        let t0 = ts("2026-01-01T00:00:00Z");
        let c = set(&[], "Ready", TRUE, "Issued", "ok", t0, None);
        let c = set(&c, "Issuing", TRUE, "Renewing", "due", t0, None);
        assert!(is_true(&c, "Issuing"));
        let r = remove(&c, "Issuing");
        assert_eq!(r.len(), 1);
        assert!(!same(&c, &r));
        let later = set(
            &r,
            "Ready",
            TRUE,
            "Issued",
            "ok",
            ts("2026-02-01T00:00:00Z"),
            None,
        );
        assert!(same(&r, &later));
    }
}
