//! The Certificate issuance decision (pure): given what was observed, what to do next.

use anchorage_api::constants as c;
use anchorage_api::{Certificate, CertificateRequest};
use jiff::{SignedDuration, Timestamp};

use super::spec::{self, RotationPolicy};
use super::triggers::{self, SecretView, Trigger};
use crate::conditions;

/// The in-flight request (revision = status.revision + 1), with what the shell knows of it.
#[derive(Debug, Clone, Copy)]
pub struct InFlight<'a> {
    /// The request.
    pub request: &'a CertificateRequest,
    /// Whether a private key that can complete it is available (in memory, or the Secret's
    /// key matches the CSR).
    pub key_known: bool,
    /// Whether the request still asks for what the spec asks for.
    pub matches_spec: bool,
}

/// Everything the decision needs.
#[derive(Debug)]
pub struct Input<'a> {
    /// The Certificate.
    pub cert: &'a Certificate,
    /// Validation problems of the spec (field path and message).
    pub invalid: Vec<String>,
    /// Name of another live Certificate that owns the target Secret.
    pub owned_by: Option<String>,
    /// The target Secret, parsed.
    pub secret: &'a SecretView,
    /// The current revision's request, if kept.
    pub current_request: Option<&'a CertificateRequest>,
    /// The next revision's request, if any.
    pub in_flight: Option<InFlight<'a>>,
    /// Now.
    pub now: Timestamp,
    /// The signer's notBefore backdate (`--backdate`).
    pub backdate: SignedDuration,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Cannot proceed until the user fixes something: Ready=False with this reason/message.
    Blocked {
        /// Condition reason.
        reason: &'static str,
        /// What to fix.
        message: String,
    },
    /// Nothing to issue. Keep status and Secret metadata correct.
    UpToDate,
    /// Create a request for the next revision (deleting `delete_first` beforehand).
    Request {
        /// Why.
        trigger: Trigger,
        /// A stale, orphaned or failed request of the same revision to delete first.
        delete_first: Option<String>,
    },
    /// A request is in flight and its signer has not reported yet (no write needed).
    AwaitSigner,
    /// A request is in flight and still pending.
    Wait {
        /// Why issuance started.
        trigger: Trigger,
        /// The request's pending message.
        message: String,
    },
    /// The in-flight request was issued and its key is known: write the Secret.
    Complete,
    /// The in-flight request failed: record the failure and back off.
    RecordFailure {
        /// The request's failure message.
        message: String,
    },
    /// A failure was recorded; retry no earlier than `until`.
    BackOff {
        /// Earliest retry.
        until: Timestamp,
    },
    /// rotationPolicy Never but the existing key does not satisfy the spec.
    CannotRegenerateKey {
        /// The trigger (reason SecretMismatch).
        trigger: Trigger,
        /// Mismatching fields, e.g. `spec.privateKey.algorithm`.
        fields: Vec<&'static str>,
    },
}

/// Delay before retry number `n` (1-based) after failed issuances: 1h * 2^(n-1), at most 32h
/// (cert-manager's issuance backoff).
pub fn failure_backoff(n: i32) -> SignedDuration {
    let exp = (n.max(1) - 1).min(5) as u32;
    SignedDuration::from_hours(1i64 << exp).min(SignedDuration::from_hours(32))
}

fn ready_reason(cr: &CertificateRequest) -> (&str, String) {
    let conds = cr
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    match conditions::find(conds, c::CONDITION_READY) {
        Some(r) => (
            r.reason.as_deref().unwrap_or(c::reason::PENDING),
            r.message.clone().unwrap_or_default(),
        ),
        None => (
            c::reason::PENDING,
            "Waiting for the request to be approved and signed".into(),
        ),
    }
}

fn has_ready_condition(cr: &CertificateRequest) -> bool {
    cr.status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .is_some_and(|cs| conditions::find(cs, c::CONDITION_READY).is_some())
}

/// Manual trigger: `Issuing=True` set by someone else (e.g. `cmctl renew`).
pub fn manual_trigger(cert: &Certificate) -> Option<Trigger> {
    let conds = cert
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or_default();
    let issuing = conditions::find(conds, c::CONDITION_ISSUING)?;
    (issuing.status == conditions::TRUE).then(|| Trigger {
        reason: c::reason::MANUALLY_TRIGGERED,
        message: issuing
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "Certificate re-issuance manually triggered".into()),
    })
}

/// Whether the request's failure is already recorded on the Certificate: its lastFailureTime is
/// not older than the request's failureTime. Both are written by this controller's clock (the
/// request's creationTimestamp is the API server's and may be skewed), falling back to the
/// creation time for requests failed by someone else.
fn failure_recorded(cert: &Certificate, cr: &CertificateRequest) -> bool {
    let lft = cert
        .status
        .as_ref()
        .and_then(|s| s.last_failure_time.as_ref());
    let failed = cr
        .status
        .as_ref()
        .and_then(|s| s.failure_time.as_ref())
        .or(cr.metadata.creation_timestamp.as_ref());
    match (lft, failed) {
        (Some(l), Some(f)) => l.0 >= f.0,
        _ => false,
    }
}

/// When a retry is allowed after recorded failures, or `None` if not backing off.
pub fn backoff_until(cert: &Certificate) -> Option<Timestamp> {
    let status = cert.status.as_ref()?;
    let n = status.failed_issuance_attempts.unwrap_or(0);
    if n <= 0 {
        return None;
    }
    let lft = status.last_failure_time.as_ref()?;
    // A spec change since the failure bypasses the backoff.
    let conds = status.conditions.as_deref().unwrap_or_default();
    let failed_gen =
        conditions::find(conds, c::CONDITION_ISSUING).and_then(|c| c.observed_generation);
    if let (Some(f), Some(g)) = (failed_gen, cert.metadata.generation)
        && g > f
    {
        return None;
    }
    lft.0.checked_add(failure_backoff(n)).ok()
}

/// Decides what to do (pure).
pub fn plan(i: &Input<'_>) -> Plan {
    if !i.invalid.is_empty() {
        return Plan::Blocked {
            reason: c::reason::INVALID_SPEC,
            message: format!("Certificate spec is invalid: {}", i.invalid.join("; ")),
        };
    }
    if let Some(owner) = &i.owned_by {
        return Plan::Blocked {
            reason: c::reason::SECRET_OWNED_BY_OTHER,
            message: format!(
                "Secret \"{}\" is managed by Certificate \"{owner}\"; refusing to take it over. \
                 Point spec.secretName at another Secret or delete the other Certificate",
                i.cert.spec.secret_name
            ),
        };
    }
    let name = i.cert.metadata.name.as_deref().unwrap_or_default();
    let trigger = triggers::evaluate(&triggers::Input {
        name,
        spec: &i.cert.spec,
        secret: i.secret,
        current_request: i.current_request,
        now: i.now,
        backdate: i.backdate,
    });
    let manual = manual_trigger(i.cert);
    let wanted = trigger.clone().or(manual.clone());

    if let Some(f) = i.in_flight {
        let req_name = f.request.metadata.name.clone().unwrap_or_default();
        let (reason, message) = ready_reason(f.request);
        if !f.matches_spec {
            return match wanted {
                Some(trigger) => Plan::Request {
                    trigger,
                    delete_first: Some(req_name),
                },
                None => Plan::Request {
                    trigger: Trigger {
                        reason: c::reason::SECRET_MISMATCH,
                        message: "Issuing certificate as the in-flight request no longer matches the spec".into(),
                    },
                    delete_first: Some(req_name),
                },
            };
        }
        let trig = wanted.clone().unwrap_or(Trigger {
            reason: c::event::ISSUING,
            message: "Issuing certificate".into(),
        });
        return match reason {
            r if r == c::reason::ISSUED => {
                if f.key_known {
                    Plan::Complete
                } else {
                    // Orphan: the key died with a previous process. Start over.
                    Plan::Request {
                        trigger: trig,
                        delete_first: Some(req_name),
                    }
                }
            }
            r if r == c::reason::FAILED || r == c::reason::DENIED => {
                if !failure_recorded(i.cert, f.request) {
                    Plan::RecordFailure { message }
                } else {
                    match backoff_until(i.cert) {
                        Some(until) if i.now < until && manual.is_none() => Plan::BackOff { until },
                        _ => Plan::Request {
                            trigger: trig,
                            delete_first: Some(req_name),
                        },
                    }
                }
            }
            _ => {
                if f.key_known && !has_ready_condition(f.request) {
                    // Not looked at by the signer yet: nothing worth a status write.
                    Plan::AwaitSigner
                } else if f.key_known {
                    Plan::Wait {
                        trigger: trig,
                        message,
                    }
                } else {
                    Plan::Request {
                        trigger: trig,
                        delete_first: Some(req_name),
                    }
                }
            }
        };
    }

    let Some(trigger) = wanted else {
        return Plan::UpToDate;
    };
    if manual.is_none()
        && let Some(until) = backoff_until(i.cert)
        && i.now < until
    {
        return Plan::BackOff { until };
    }
    if spec::rotation_policy(&i.cert.spec) == RotationPolicy::Never
        && let Some(key) = i.secret.valid_key()
    {
        let fields = triggers::key_mismatch_fields(&i.cert.spec, key);
        if !fields.is_empty() {
            return Plan::CannotRegenerateKey { trigger, fields };
        }
    }
    Plan::Request {
        trigger,
        delete_first: None,
    }
}

/// Readiness from the Secret alone: Ready=True when the pair is valid, matches the spec and
/// has not expired (renewal being due does not make it unready).
pub fn readiness(i: &Input<'_>) -> (bool, &'static str, String) {
    let name = i.cert.metadata.name.as_deref().unwrap_or_default();
    match triggers::evaluate(&triggers::Input {
        name,
        spec: &i.cert.spec,
        secret: i.secret,
        current_request: i.current_request,
        now: i.now,
        backdate: i.backdate,
    }) {
        None => (
            true,
            c::reason::READY,
            "Certificate is up to date and has not expired".into(),
        ),
        Some(t) if t.reason == c::reason::RENEWING => (
            true,
            c::reason::READY,
            "Certificate is up to date and has not expired".into(),
        ),
        Some(t) => (false, t.reason, t.message),
    }
}
