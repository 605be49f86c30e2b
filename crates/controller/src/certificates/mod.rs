//! The Certificate reconciler: issuance through a CertificateRequest, the Secret writer and the
//! renewal scheduler (DESIGN.md §4).
//!
//! Gather (caches, plus one GET for an unlabelled Secret) -> decide ([`plan::plan`], pure) ->
//! act. Writes per issuance with our own issuers: create request, request status (approval and
//! signature together), Secret, Certificate status, and on renewals one delete to prune the
//! previous request.

pub mod plan;
pub mod secret;
pub mod spec;
pub mod triggers;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anchorage_api::constants as c;
use anchorage_api::{
    Certificate, CertificateRequest, CertificateRequestSpec, CertificateStatus, Condition,
};
use anchorage_pki::{CsrParams, PrivateKey};
use jiff::Timestamp;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ObjectReference, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::api::{Api, DeleteParams, Patch};
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};

use crate::conditions::{self, FALSE, TRUE};
use crate::context::Context;
use crate::error::{Error, Result};
use plan::{InFlight, Plan};
use spec::RotationPolicy;
use triggers::SecretView;

/// Revision of a request from its `cert-manager.io/certificate-revision` annotation.
pub fn request_revision(cr: &CertificateRequest) -> Option<i32> {
    cr.annotations()
        .get(c::ANNOTATION_CERTIFICATE_REVISION)
        .and_then(|r| r.parse().ok())
}

/// Requests belonging to a Certificate (by owner uid, or name annotation when no uid).
fn requests_of(ctx: &Context, cert: &Certificate, ns: &str) -> Vec<Arc<CertificateRequest>> {
    let uid = cert.uid();
    let name = cert.name_any();
    let mut v: Vec<_> = ctx
        .stores
        .requests
        .state()
        .into_iter()
        .filter(|cr| cr.namespace().as_deref() == Some(ns))
        .filter(|cr| {
            cr.owner_references()
                .iter()
                .any(|o| Some(&o.uid) == uid.as_ref())
                || (cr.owner_references().is_empty()
                    && cr.annotations().get(c::ANNOTATION_CERTIFICATE_NAME) == Some(&name))
        })
        .collect();
    v.sort_by_key(|cr| request_revision(cr).unwrap_or(0));
    v
}

/// The target Secret: from the cache of managed Secrets, else one GET (it may exist
/// unlabelled). A cached copy whose tls.crt is not the current revision's certificate may
/// simply lag behind our own write, so it is re-read before anything is decided from it:
/// acting on it could re-issue a certificate that was just issued.
async fn load_secret(
    ctx: &Context,
    cert: &Certificate,
    ns: &str,
    current_request: Option<&CertificateRequest>,
) -> Result<Option<Secret>> {
    let name = &cert.spec.secret_name;
    let cached = ctx.stores.secrets.get(&ObjectRef::new(name).within(ns));
    let issued = current_request
        .and_then(|cr| cr.status.as_ref())
        .and_then(|s| s.certificate.as_ref())
        .map(|b| b.0.as_slice())
        .filter(|b| !b.is_empty());
    match cached {
        Some(s) => {
            let crt = s
                .data
                .as_ref()
                .and_then(|d| d.get("tls.crt"))
                .map(|b| b.0.as_slice());
            if issued.is_some() && crt != issued {
                crate::issuers::get_secret(ctx, ns, name).await
            } else {
                Ok(Some((*s).clone()))
            }
        }
        None => crate::issuers::get_secret(ctx, ns, name).await,
    }
}

/// When the Secret's leaf was clipped to its CA's notAfter and the issuer's CA is unchanged
/// (its chain still ends at or before the leaf's notAfter), returns that instant: renewing from
/// this CA cannot extend the certificate. `None` when renewing is useful or cannot be judged.
async fn renewal_cannot_extend(
    ctx: &Context,
    cert: &Certificate,
    ns: &str,
    leaf: &anchorage_pki::CertInfo,
) -> Result<Option<Timestamp>> {
    let Ok(duration) = spec::duration(&cert.spec) else {
        return Ok(None);
    };
    let lifetime = leaf.not_after.duration_since(leaf.not_before);
    // Not clipped: it got (about) the lifetime it asked for.
    if lifetime + jiff::SignedDuration::from_secs(1) >= duration {
        return Ok(None);
    }
    let crate::requests::Resolved::Ca {
        spec: issuer,
        secret_namespace,
    } = crate::requests::resolve(ctx, ns, &cert.spec.issuer_ref)
    else {
        return Ok(None);
    };
    let Some(ca) = issuer.ca.as_ref() else {
        return Ok(None);
    };
    let Ok(material) =
        crate::requests::load_ca_cached(ctx, &secret_namespace, &ca.secret_name).await?
    else {
        return Ok(None);
    };
    let ca_end = material.chain_not_after();
    Ok((ca_end <= leaf.not_after).then_some(ca_end))
}

/// Whether a request has reached a final Ready reason (Issued, Failed or Denied).
fn request_finished(cr: &CertificateRequest) -> bool {
    cr.status
        .as_ref()
        .and_then(|s| s.conditions.as_deref())
        .and_then(|cs| conditions::find(cs, c::CONDITION_READY))
        .and_then(|r| r.reason.as_deref())
        .is_some_and(|r| [c::reason::ISSUED, c::reason::FAILED, c::reason::DENIED].contains(&r))
}

/// Re-reads an unfinished in-flight request from the API server. This reconcile may have been
/// woken by the request's own status change through a different watch than the cache it was
/// read from; deciding on the stale copy would wait for a requeue instead of completing now.
async fn fresh_request(
    ctx: &Context,
    ns: &str,
    cached: Arc<CertificateRequest>,
) -> Result<Option<Arc<CertificateRequest>>> {
    let api: Api<CertificateRequest> = Api::namespaced(ctx.client.clone(), ns);
    let name = cached.name_any();
    match api.get_opt(&name).await {
        Ok(fresh) => Ok(fresh.map(Arc::new)),
        Err(e) => Err(Error::kube(
            format!("get CertificateRequest {ns}/{name}"),
            e,
        )),
    }
}

/// Desired CSR content for a spec.
pub fn csr_params(cert: &Certificate) -> CsrParams {
    let s = &cert.spec;
    let subj = s.subject.clone().unwrap_or_default();
    CsrParams {
        common_name: s.common_name.clone().filter(|c| !c.is_empty()),
        organization: subj.organizations.clone().unwrap_or_default(),
        countries: subj.countries.clone().unwrap_or_default(),
        organizational_units: subj.organizational_units.clone().unwrap_or_default(),
        localities: subj.localities.clone().unwrap_or_default(),
        provinces: subj.provinces.clone().unwrap_or_default(),
        street_addresses: subj.street_addresses.clone().unwrap_or_default(),
        postal_codes: subj.postal_codes.clone().unwrap_or_default(),
        serial_number: subj.serial_number.clone(),
        dns_names: s.dns_names.clone().unwrap_or_default(),
        ip_addresses: spec::ip_set(s).into_iter().collect(),
        uris: s.uris.clone().unwrap_or_default(),
        email_addresses: s.email_addresses.clone().unwrap_or_default(),
        is_ca: spec::is_ca(s),
        usages: crate::usages::parse_all(&spec::usages(s)),
    }
}

/// Whether a request still asks for what the Certificate spec asks for (names, isCA, usages,
/// duration, issuer).
pub fn request_matches_spec(cert: &Certificate, cr: &CertificateRequest) -> bool {
    let s = &cert.spec;
    if cr.spec.issuer_ref.name != s.issuer_ref.name
        || cr.spec.issuer_ref.kind_or_default() != s.issuer_ref.kind_or_default()
        || cr.spec.issuer_ref.group_or_default() != s.issuer_ref.group_or_default()
    {
        return false;
    }
    if cr.spec.is_ca.unwrap_or(false) != spec::is_ca(s) {
        return false;
    }
    let want_usages = crate::usages::canonical_set(&spec::usages(s), spec::is_ca(s));
    let have_usages =
        crate::usages::canonical_set(&cr.spec.usages.clone().unwrap_or_default(), spec::is_ca(s));
    if want_usages != have_usages {
        return false;
    }
    let want_d = spec::duration(s).ok();
    let have_d = cr.spec.duration.as_ref().and_then(|d| d.to_signed().ok());
    if want_d != have_d {
        return false;
    }
    let Ok(csr) = anchorage_pki::parse_csr(&cr.spec.request.0) else {
        return false;
    };
    let p = csr_params(cert);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    csr.common_name == p.common_name
        && sorted(csr.dns_names.clone()) == sorted(p.dns_names.clone())
        && csr
            .ip_addresses
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            == p.ip_addresses.iter().copied().collect()
        && sorted(csr.uris.clone()) == sorted(p.uris.clone())
        && sorted(csr.email_addresses.clone()) == sorted(p.email_addresses.clone())
}

/// The private key that can complete `cr`: the in-memory key created with it, or the Secret's
/// key when its public key is the CSR's (rotationPolicy Never).
fn completing_key(
    ctx: &Context,
    cr: &CertificateRequest,
    ns: &str,
    view: &SecretView,
) -> Option<PrivateKey> {
    let csr = anchorage_pki::parse_csr(&cr.spec.request.0).ok()?;
    if let Some(k) = ctx.keys.get(ns, &cr.name_any(), &csr.public_key_der) {
        return Some(k);
    }
    let key = view.valid_key()?;
    (key.public_key_der().ok()? == csr.public_key_der).then(|| key.clone())
}

fn owner_ref(cert: &Certificate) -> Option<OwnerReference> {
    let mut o = cert.controller_owner_ref(&())?;
    o.block_owner_deletion = Some(true);
    Some(o)
}

/// Reconciles one Certificate.
pub async fn reconcile(cert: Arc<Certificate>, ctx: Arc<Context>) -> Result<Action> {
    ctx.metrics
        .sync_calls
        .with_label_values(&["certificates"])
        .inc();
    if !ctx.may_write() {
        return Ok(ctx.idle_action());
    }
    let ns = cert
        .namespace()
        .ok_or(Error::MissingMetadata("namespace"))?;
    let name = cert.name_any();
    let now = ctx.clock.now();

    // Gather. Validation first: an invalid spec (e.g. an empty secretName from CRDs installed
    // elsewhere) must become a condition, not a failing API call.
    let invalid: Vec<String> = anchorage_api::validate_certificate_spec(&cert.spec)
        .into_iter()
        .map(|e| e.to_string())
        .collect();
    let requests = requests_of(&ctx, &cert, &ns);
    let revision = cert.status.as_ref().and_then(|s| s.revision).unwrap_or(0);
    // Keys of completed revisions are no longer needed (kept until the status shows the
    // revision, so a reconcile on a stale cache can still complete idempotently).
    for cr in requests
        .iter()
        .filter(|cr| request_revision(cr).is_some_and(|r| r <= revision))
    {
        ctx.keys.remove(&ns, &cr.name_any());
    }
    let current_request = requests
        .iter()
        .find(|cr| request_revision(cr) == Some(revision))
        .cloned();
    let next = requests
        .iter()
        .find(|cr| request_revision(cr) == Some(revision + 1))
        .cloned();
    let next = match next {
        Some(cr) if !request_finished(&cr) => fresh_request(&ctx, &ns, cr).await?,
        other => other,
    };
    let secret = if invalid.is_empty() {
        load_secret(&ctx, &cert, &ns, current_request.as_deref()).await?
    } else {
        None
    };
    let view = SecretView::of(secret.as_ref());
    let owned_by = view
        .annotations
        .get(c::ANNOTATION_CERTIFICATE_NAME)
        .filter(|owner| *owner != &name)
        .filter(|owner| {
            ctx.stores
                .certificates
                .get(&ObjectRef::new(owner).within(&ns))
                .is_some_and(|other| other.spec.secret_name == cert.spec.secret_name)
        })
        .cloned();
    let in_flight = next.as_ref().map(|cr| InFlight {
        request: cr,
        key_known: completing_key(&ctx, cr, &ns, &view).is_some(),
        matches_spec: request_matches_spec(&cert, cr),
    });
    let input = plan::Input {
        cert: &cert,
        invalid,
        owned_by,
        secret: &view,
        current_request: current_request.as_deref(),
        in_flight,
        now,
        backdate: ctx.config.backdate,
    };

    // Decide.
    let decision = plan::plan(&input);
    let (ready, ready_reason, ready_message) = plan::readiness(&input);
    tracing::debug!(namespace = %ns, name = %name, ?decision, "certificate plan");

    // Act.
    let oref = cert.object_ref(&());
    match decision {
        Plan::Blocked { reason, message } => {
            let st = status_with(&cert, |conds| {
                conditions::set(
                    conds,
                    c::CONDITION_READY,
                    FALSE,
                    reason,
                    &message,
                    now,
                    cert.metadata.generation,
                )
            });
            if write_status(&ctx, &cert, &ns, st).await? {
                ctx.event(&oref, true, reason, &message).await;
            }
            Ok(Action::await_change())
        }
        Plan::UpToDate => {
            up_to_date(
                &ctx,
                &cert,
                &ns,
                secret.as_ref(),
                &view,
                current_request.as_deref(),
                now,
            )
            .await?;
            prune(&ctx, &cert, &ns, &requests, revision).await?;
            Ok(wake_at_renewal(&cert, &view, now, ctx.config.backdate))
        }
        Plan::Request {
            trigger,
            delete_first,
        } => {
            if trigger.reason == c::reason::RENEWING
                && let Some(leaf) = view.valid_leaf()
                && let Some(ca_not_after) = renewal_cannot_extend(&ctx, &cert, &ns, leaf).await?
            {
                // The leaf already ends when its CA does: a new one from the same CA would end
                // at the same instant, so renewing would only churn keys (and, near the end,
                // loop). Keep it, say why, and look again later (the CA may be rotated).
                let msg = format!(
                    "Certificate is up to date and has not expired; renewal is deferred because it already lasts until its issuing CA expires at {ca_not_after}: rotate the CA"
                );
                let st = status_with(&cert, |conds| {
                    conditions::set(
                        conds,
                        c::CONDITION_READY,
                        TRUE,
                        c::reason::READY,
                        &msg,
                        now,
                        cert.metadata.generation,
                    )
                });
                if write_status(&ctx, &cert, &ns, st).await? {
                    ctx.event(&oref, true, c::event::CLIPPED_TO_ISSUER_EXPIRY, &msg)
                        .await;
                }
                let later = now
                    .checked_add(jiff::SignedDuration::from_hours(1))
                    .unwrap_or(leaf.not_after)
                    .min(leaf.not_after);
                return Ok(Action::requeue(to_std(later.duration_since(now))));
            }
            if let Some(stale) = delete_first {
                delete_request(&ctx, &ns, &stale).await?;
            }
            create_request(&ctx, &cert, &ns, &view, revision + 1, &trigger).await?;
            Ok(Action::requeue(Duration::from_secs(60)))
        }
        Plan::AwaitSigner => Ok(Action::requeue(Duration::from_secs(60))),
        Plan::Wait { trigger, message } => {
            let req = next.as_ref().map(|r| r.name_any()).unwrap_or_default();
            let issuing_msg =
                format!("Waiting for CertificateRequest \"{req}\" to complete: {message}");
            let st = status_with(&cert, |conds| {
                let conds = conditions::set(
                    conds,
                    c::CONDITION_ISSUING,
                    TRUE,
                    trigger.reason,
                    &issuing_msg,
                    now,
                    cert.metadata.generation,
                );
                if ready {
                    conditions::set(
                        &conds,
                        c::CONDITION_READY,
                        TRUE,
                        ready_reason,
                        &ready_message,
                        now,
                        cert.metadata.generation,
                    )
                } else {
                    conditions::set(
                        &conds,
                        c::CONDITION_READY,
                        FALSE,
                        ready_reason,
                        &format!("{ready_message}; {issuing_msg}"),
                        now,
                        cert.metadata.generation,
                    )
                }
            });
            write_status(&ctx, &cert, &ns, st).await?;
            Ok(Action::requeue(Duration::from_secs(300)))
        }
        Plan::Complete => {
            let Some(cr) = next.as_ref() else {
                return Ok(Action::requeue(Duration::from_secs(1)));
            };
            complete(&ctx, &cert, &ns, cr, secret.as_ref(), &view, now).await?;
            Ok(Action::requeue(Duration::from_secs(1)))
        }
        Plan::RecordFailure { message } => {
            let attempts = cert
                .status
                .as_ref()
                .and_then(|s| s.failed_issuance_attempts)
                .unwrap_or(0)
                + 1;
            let msg = format!(
                "The certificate request has failed to complete and will be retried: {message}"
            );
            let mut st = status_with(&cert, |conds| {
                let conds = conditions::set(
                    conds,
                    c::CONDITION_ISSUING,
                    FALSE,
                    c::reason::FAILED,
                    &msg,
                    now,
                    cert.metadata.generation,
                );
                if ready {
                    conds
                } else {
                    conditions::set(
                        &conds,
                        c::CONDITION_READY,
                        FALSE,
                        c::reason::FAILED,
                        &msg,
                        now,
                        cert.metadata.generation,
                    )
                }
            });
            st.last_failure_time = Some(Time(now));
            st.failed_issuance_attempts = Some(attempts);
            write_status(&ctx, &cert, &ns, st).await?;
            ctx.event(&oref, true, c::reason::FAILED, &msg).await;
            let wait = plan::failure_backoff(attempts);
            Ok(Action::requeue(to_std(wait)))
        }
        Plan::BackOff { until } => Ok(Action::requeue(to_std(until.duration_since(now)))),
        Plan::CannotRegenerateKey { trigger, fields } => {
            let st = status_with(&cert, |conds| {
                conditions::set(
                    conds,
                    c::CONDITION_ISSUING,
                    TRUE,
                    trigger.reason,
                    &trigger.message,
                    now,
                    cert.metadata.generation,
                )
            });
            if write_status(&ctx, &cert, &ns, st).await? {
                let note = format!(
                    "User intervention required: existing private key in Secret \"{}\" does not match requirements on Certificate resource, mismatching fields: [{}], but the key cannot be regenerated because spec.privateKey.rotationPolicy is \"Never\". Delete tls.key from the Secret or set rotationPolicy: Always",
                    cert.spec.secret_name,
                    fields.join(", ")
                );
                ctx.event(&oref, true, c::event::CANNOT_REGENERATE_KEY, &note)
                    .await;
            }
            Ok(Action::await_change())
        }
    }
}

fn to_std(d: jiff::SignedDuration) -> Duration {
    Duration::try_from(d)
        .unwrap_or(Duration::ZERO)
        .max(Duration::from_millis(1))
}

/// Requeue so the reconciler wakes at exactly the renewal instant (DESIGN.md §4).
fn wake_at_renewal(
    cert: &Certificate,
    view: &SecretView,
    now: Timestamp,
    backdate: jiff::SignedDuration,
) -> Action {
    match view.valid_leaf() {
        Some(leaf) => {
            let at = triggers::renewal_time(&cert.spec, leaf, backdate);
            Action::requeue(to_std(at.duration_since(now)))
        }
        None => Action::await_change(),
    }
}

fn status_with(
    cert: &Certificate,
    f: impl FnOnce(&[Condition]) -> Vec<Condition>,
) -> CertificateStatus {
    let mut st = cert.status.clone().unwrap_or_default();
    let conds = st.conditions.clone().unwrap_or_default();
    st.conditions = Some(f(&conds));
    st
}

fn same_status(a: &CertificateStatus, b: &CertificateStatus) -> bool {
    conditions::same(
        a.conditions.as_deref().unwrap_or_default(),
        b.conditions.as_deref().unwrap_or_default(),
    ) && a.not_before == b.not_before
        && a.not_after == b.not_after
        && a.renewal_time == b.renewal_time
        && a.revision == b.revision
        && a.last_failure_time == b.last_failure_time
        && a.failed_issuance_attempts == b.failed_issuance_attempts
}

/// The status of a Certificate whose Secret holds `leaf`, valid and up to date: Ready=True,
/// Issuing removed, notBefore/notAfter/renewalTime from the leaf (revision and failure fields
/// as they were).
fn ready_status(
    ctx: &Context,
    cert: &Certificate,
    leaf: &anchorage_pki::CertInfo,
    now: Timestamp,
) -> CertificateStatus {
    let mut st = status_with(cert, |conds| {
        let conds = conditions::remove(conds, c::CONDITION_ISSUING);
        conditions::set(
            &conds,
            c::CONDITION_READY,
            TRUE,
            c::reason::READY,
            "Certificate is up to date and has not expired",
            now,
            cert.metadata.generation,
        )
    });
    st.not_before = Some(Time(leaf.not_before));
    st.not_after = Some(Time(leaf.not_after));
    st.renewal_time = Some(Time(triggers::renewal_time(
        &cert.spec,
        leaf,
        ctx.config.backdate,
    )));
    st
}

/// Merge-patches the status when it changed. Returns whether a write happened.
async fn write_status(
    ctx: &Context,
    cert: &Certificate,
    ns: &str,
    st: CertificateStatus,
) -> Result<bool> {
    let old = cert.status.clone().unwrap_or_default();
    if same_status(&old, &st) {
        return Ok(false);
    }
    let mut body = serde_json::to_value(&st).map_err(|source| Error::Json {
        what: "Certificate status".into(),
        source,
    })?;
    // Explicit nulls so a merge patch clears fields we dropped.
    if let Value::Object(m) = &mut body {
        for k in [
            "lastFailureTime",
            "failedIssuanceAttempts",
            "notBefore",
            "notAfter",
            "renewalTime",
            "revision",
        ] {
            m.entry(k.to_string()).or_insert(Value::Null);
        }
    }
    let api: Api<Certificate> = Api::namespaced(ctx.client.clone(), ns);
    ctx.count_write("certificates", "patch_status");
    // With the resourceVersion, a concurrent edit (e.g. `cmctl renew` setting Issuing=True)
    // makes this write fail with a conflict and the reconcile re-run, instead of being lost.
    let patch = json!({
        "metadata": { "resourceVersion": cert.resource_version() },
        "status": body,
    });
    api.patch_status(
        &cert.name_any(),
        &crate::context::patch_params(),
        &Patch::Merge(&patch),
    )
    .await
    .map_err(|e| {
        Error::kube(
            format!("update status of Certificate {ns}/{}", cert.name_any()),
            e,
        )
    })?;
    Ok(true)
}

async fn delete_request(ctx: &Context, ns: &str, name: &str) -> Result<()> {
    let api: Api<CertificateRequest> = Api::namespaced(ctx.client.clone(), ns);
    ctx.count_write("certificaterequests", "delete");
    ctx.keys.remove(ns, name);
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(Error::kube(
            format!("delete CertificateRequest {ns}/{name}"),
            e,
        )),
    }
}

async fn create_request(
    ctx: &Context,
    cert: &Certificate,
    ns: &str,
    view: &SecretView,
    revision: i32,
    trigger: &triggers::Trigger,
) -> Result<()> {
    let oref = cert.object_ref(&());
    let reuse = match spec::rotation_policy(&cert.spec) {
        RotationPolicy::Never => view.valid_key().cloned(),
        RotationPolicy::Always => None,
    };
    let (key, reused) = match reuse {
        Some(k) => (k, true),
        None => {
            let alg = match spec::desired_key(&cert.spec) {
                Ok(a) => a,
                Err(msg) => {
                    // Validation normally catches this first; report and stop.
                    ctx.event(&oref, true, c::reason::INVALID_SPEC, &msg).await;
                    return Ok(());
                }
            };
            let key = crate::error::blocking(move || PrivateKey::generate(alg))
                .await?
                .map_err(|source| Error::Pki {
                    context: "generating a private key".into(),
                    source,
                })?;
            (key, false)
        }
    };
    let csr = anchorage_pki::build_csr(&key, &csr_params(cert)).map_err(|source| Error::Pki {
        context: "building the certificate signing request".into(),
        source,
    })?;
    let name = format!("{}-{revision}", cert.name_any());
    let mut annotations = BTreeMap::new();
    annotations.insert(c::ANNOTATION_CERTIFICATE_NAME.to_string(), cert.name_any());
    annotations.insert(
        c::ANNOTATION_CERTIFICATE_REVISION.to_string(),
        revision.to_string(),
    );
    annotations.insert(
        c::ANNOTATION_PRIVATE_KEY_SECRET_NAME.to_string(),
        cert.spec.secret_name.clone(),
    );
    let duration = spec::duration(&cert.spec)
        .ok()
        .map(anchorage_api::Duration::from_signed);
    let cr = CertificateRequest {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(ns.to_string()),
            annotations: Some(annotations),
            owner_references: owner_ref(cert).map(|o| vec![o]),
            ..Default::default()
        },
        spec: CertificateRequestSpec {
            request: ByteString(csr),
            duration,
            issuer_ref: cert.spec.issuer_ref.clone(),
            is_ca: Some(spec::is_ca(&cert.spec)),
            usages: Some(spec::usages(&cert.spec)),
            ..Default::default()
        },
        status: None,
    };
    let api: Api<CertificateRequest> = Api::namespaced(ctx.client.clone(), ns);
    // The key is known before the request exists, so the signer never sees it without one.
    if !reused {
        ctx.keys.insert(ns, &name, key);
    }
    ctx.count_write("certificaterequests", "create");
    if let Err(e) = api.create(&crate::context::post_params(), &cr).await {
        if !reused {
            ctx.keys.remove(ns, &name);
        }
        return Err(Error::kube(
            format!("create CertificateRequest {ns}/{name}"),
            e,
        ));
    }
    tracing::info!(namespace = %ns, certificate = %cert.name_any(), request = %name, reason = trigger.reason, "issuing");
    ctx.event(&oref, false, c::event::ISSUING, &trigger.message)
        .await;
    if reused {
        ctx.event(
            &oref,
            false,
            c::event::REUSED,
            "Reusing private key stored in existing Secret resource",
        )
        .await;
    } else {
        ctx.event(
            &oref,
            false,
            c::event::GENERATED,
            "Stored new private key in memory for the in-flight request",
        )
        .await;
    }
    ctx.event(
        &oref,
        false,
        c::event::REQUESTED,
        &format!("Created new CertificateRequest resource \"{name}\""),
    )
    .await;
    Ok(())
}

/// Writes the Secret from an issued request, then the status (the issuance's last two writes).
async fn complete(
    ctx: &Context,
    cert: &Certificate,
    ns: &str,
    cr: &CertificateRequest,
    existing: Option<&Secret>,
    view: &SecretView,
    now: Timestamp,
) -> Result<()> {
    let Some(key) = completing_key(ctx, cr, ns, view) else {
        return Ok(());
    };
    let status = cr.status.clone().unwrap_or_default();
    let tls_crt = status.certificate.map(|b| b.0).unwrap_or_default();
    let ca_crt = status.ca.map(|b| b.0).unwrap_or_default();
    let leaf = match anchorage_pki::parse_certificates(&tls_crt)
        .ok()
        .and_then(|v| v.into_iter().next())
    {
        Some(l) => l,
        None => {
            tracing::warn!(namespace = %ns, request = %cr.name_any(), "issued request holds no parseable certificate; requesting again");
            // Delete it: the next reconcile creates a fresh request (no loop on garbage).
            delete_request(ctx, ns, &cr.name_any()).await?;
            return Ok(());
        }
    };
    if key.public_key_der().ok().as_deref() != Some(leaf.public_key_der.as_slice()) {
        tracing::warn!(namespace = %ns, request = %cr.name_any(), "issued certificate does not match the request's key; restarting issuance");
        delete_request(ctx, ns, &cr.name_any()).await?;
        return Ok(());
    }
    let tls_key = key
        .to_pem(spec::desired_encoding(&cert.spec))
        .map_err(|source| Error::Pki {
            context: "encoding the private key".into(),
            source,
        })?;
    let payload = secret::Payload {
        tls_crt,
        tls_key,
        ca_crt,
    };
    let desired = secret::desired(cert, existing, &payload, &leaf);
    // After a failover the previous leader may have written this very Secret already.
    if existing.is_none_or(|e| secret::differs(e, &desired)) {
        write_secret(ctx, ns, existing, desired).await?;
    }

    let mut st = ready_status(ctx, cert, &leaf, now);
    st.revision = Some(request_revision(cr).unwrap_or(1));
    st.last_failure_time = None;
    st.failed_issuance_attempts = None;
    write_status(ctx, cert, ns, st).await?;
    if let Some(created) = cr.metadata.creation_timestamp.as_ref() {
        let secs = now.duration_since(created.0).as_secs_f64();
        ctx.metrics.issuance_seconds.observe(secs.max(0.0));
    }
    let oref = cert.object_ref(&());
    ctx.event(
        &oref,
        false,
        c::event::ISSUED,
        "The certificate has been successfully issued",
    )
    .await;
    Ok(())
}

async fn write_secret(
    ctx: &Context,
    ns: &str,
    existing: Option<&Secret>,
    desired: Secret,
) -> Result<()> {
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let name = desired.name_any();
    match existing {
        Some(_) => {
            ctx.count_write("secrets", "replace");
            api.replace(&name, &crate::context::post_params(), &desired)
                .await
                .map_err(|e| Error::kube(format!("update Secret {ns}/{name}"), e))?;
        }
        None => {
            ctx.count_write("secrets", "create");
            api.create(&crate::context::post_params(), &desired)
                .await
                .map_err(|e| Error::kube(format!("create Secret {ns}/{name}"), e))?;
        }
    }
    Ok(())
}

/// Steady state: restore managed Secret metadata, ca.crt and key encoding without re-issuing,
/// and keep the status in line with the Secret. Zero writes when all is in order.
async fn up_to_date(
    ctx: &Context,
    cert: &Certificate,
    ns: &str,
    existing: Option<&Secret>,
    view: &SecretView,
    current_request: Option<&CertificateRequest>,
    now: Timestamp,
) -> Result<()> {
    let (Some(existing), Some(leaf), Some(key)) = (existing, view.valid_leaf(), view.valid_key())
    else {
        return Ok(());
    };
    let want_enc = spec::desired_encoding(&cert.spec);
    let tls_key = if secret::pem_key_encoding(&view.tls_key) == Some(want_enc) {
        view.tls_key.clone()
    } else {
        key.to_pem(want_enc).map_err(|source| Error::Pki {
            context: "re-encoding the private key".into(),
            source,
        })?
    };
    let ca_crt = if view.ca_crt.is_empty() {
        current_request
            .and_then(|cr| cr.status.as_ref())
            .and_then(|s| s.ca.as_ref())
            .map(|b| b.0.clone())
            .unwrap_or_default()
    } else {
        view.ca_crt.clone()
    };
    let payload = secret::Payload {
        tls_crt: view.tls_crt.clone(),
        tls_key,
        ca_crt,
    };
    let desired = secret::desired(cert, Some(existing), &payload, leaf);
    if secret::differs(existing, &desired) {
        write_secret(ctx, ns, Some(existing), desired).await?;
    }
    let mut st = ready_status(ctx, cert, leaf, now);
    if st.revision.is_none() {
        st.revision = Some(1);
    }
    write_status(ctx, cert, ns, st).await?;
    Ok(())
}

/// Deletes requests beyond revisionHistoryLimit (oldest first), never the current revision's.
async fn prune(
    ctx: &Context,
    cert: &Certificate,
    ns: &str,
    requests: &[Arc<CertificateRequest>],
    revision: i32,
) -> Result<()> {
    let limit = spec::revision_history_limit(&cert.spec);
    let finished: Vec<_> = requests
        .iter()
        .filter(|cr| request_revision(cr).unwrap_or(0) <= revision)
        .collect();
    if finished.len() <= limit {
        return Ok(());
    }
    let excess = finished.len() - limit;
    for cr in finished.into_iter().take(excess) {
        delete_request(ctx, ns, &cr.name_any()).await?;
    }
    Ok(())
}

/// Object reference helper for events about Secrets.
pub fn secret_ref(ns: &str, name: &str) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Secret".into()),
        name: Some(name.into()),
        namespace: Some(ns.into()),
        ..Default::default()
    }
}
