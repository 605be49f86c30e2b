//! The CertificateRequest reconciler: approve, sign, report.
//!
//! Only requests whose `issuerRef.group` is `cert-manager.io` (or empty) are ours; others
//! belong to another signer and are ignored. Approval and signing land in ONE status write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anchorage_api::constants as c;
use anchorage_api::{
    CertificateRequest, CertificateRequestStatus, Condition, IssuerRef, IssuerSpec,
};
use anchorage_pki::{CaMaterial, Issued, ParsedCsr, SignParams};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::ByteString;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch};
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::json;

use crate::conditions::{self, FALSE, TRUE};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::issuers;
use crate::usages;

/// What to do with a request, decided from its conditions alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Not ours, or already finished (Ready reason Issued, Failed or Denied).
    Nothing,
    /// Denied by someone: report Ready=False reason Denied and failureTime.
    MarkDenied,
    /// Neither approved nor denied, and auto-approval is off: wait.
    AwaitApproval,
    /// Approve (auto-approval) and then sign.
    ApproveAndSign,
    /// Approved: sign.
    Sign,
}

/// Whether an issuerRef points at our API group.
pub fn is_our_group(r: &IssuerRef) -> bool {
    matches!(r.group.as_deref(), None | Some("") | Some(c::GROUP))
}

/// Decides the next step for a request (pure).
pub fn step(cr: &CertificateRequest, auto_approve: bool) -> Step {
    if !is_our_group(&cr.spec.issuer_ref) {
        return Step::Nothing;
    }
    let conds = cr
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    if let Some(ready) = conditions::find(&conds, c::CONDITION_READY) {
        let reason = ready.reason.as_deref().unwrap_or_default();
        if [c::reason::ISSUED, c::reason::FAILED, c::reason::DENIED].contains(&reason) {
            return Step::Nothing;
        }
    }
    if conditions::is_true(&conds, c::CONDITION_DENIED) {
        return Step::MarkDenied;
    }
    if conditions::is_true(&conds, c::CONDITION_APPROVED) {
        return Step::Sign;
    }
    if auto_approve {
        Step::ApproveAndSign
    } else {
        Step::AwaitApproval
    }
}

/// The signing outcome that becomes the request's status.
#[derive(Debug)]
pub enum Outcome {
    /// Signed.
    Issued(Issued),
    /// Cannot sign yet (issuer missing or not ready, CA Secret missing or invalid); retried.
    Pending(String),
    /// The request itself is invalid (bad CSR, or the CSR disagrees with the spec); terminal.
    InvalidRequest(String),
    /// Signing failed for good (for example the CA has expired); terminal.
    Failed(String),
}

/// Checks that the CSR's requested extensions agree with `spec.isCA` and `spec.usages`.
pub fn check_csr_matches_spec(
    csr: &ParsedCsr,
    is_ca: bool,
    spec_usages: &[String],
) -> std::result::Result<(), String> {
    if let Some(csr_ca) = csr.is_ca
        && csr_ca != is_ca
    {
        return Err(format!(
            "the CSR's basicConstraints CA:{csr_ca} does not match spec.isCA {is_ca}"
        ));
    }
    if !csr.usages.is_empty() {
        let csr_set = usages::canonical_set(
            &csr.usages.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            is_ca,
        );
        let spec_set = usages::canonical_set(spec_usages, is_ca);
        if csr_set != spec_set {
            return Err(format!(
                "the CSR's key usages {:?} do not match spec.usages {:?}",
                csr_set, spec_set
            ));
        }
    }
    Ok(())
}

/// The issuer a request resolves to.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A CA issuer whose Secret lives in the given namespace.
    Ca {
        /// The issuer's spec.
        spec: IssuerSpec,
        /// Namespace of the CA Secret.
        secret_namespace: String,
    },
    /// A SelfSigned issuer.
    SelfSigned {
        /// The issuer's spec.
        spec: IssuerSpec,
    },
    /// The issuer cannot be used now (missing, unsupported type); the message says why.
    Unavailable(String),
}

/// Resolves `issuer_ref` for a request in `namespace` from the caches.
pub fn resolve(ctx: &Context, namespace: &str, r: &IssuerRef) -> Resolved {
    let kind = r.kind_or_default();
    let spec: Option<IssuerSpec> = match kind {
        "ClusterIssuer" => ctx
            .stores
            .cluster_issuers
            .get(&ObjectRef::new(&r.name))
            .map(|i| i.spec.clone()),
        "Issuer" => ctx
            .stores
            .issuers
            .get(&ObjectRef::new(&r.name).within(namespace))
            .map(|i| i.spec.clone()),
        other => {
            return Resolved::Unavailable(format!(
                "issuerRef.kind {other:?} is not supported; use Issuer or ClusterIssuer"
            ));
        }
    };
    let Some(spec) = spec else {
        return Resolved::Unavailable(match kind {
            "ClusterIssuer" => format!(
                "Referenced \"ClusterIssuer\" not found: clusterissuer.cert-manager.io \"{}\" not found",
                r.name
            ),
            _ => format!(
                "Referenced \"Issuer\" not found: issuer.cert-manager.io \"{}\" not found in namespace \"{namespace}\"",
                r.name
            ),
        });
    };
    if spec.self_signed.is_some() {
        Resolved::SelfSigned { spec }
    } else if spec.ca.is_some() {
        let secret_namespace = if kind == "ClusterIssuer" {
            ctx.config.cluster_resource_namespace.clone()
        } else {
            namespace.to_string()
        };
        Resolved::Ca {
            spec,
            secret_namespace,
        }
    } else {
        Resolved::Unavailable(format!(
            "{kind} \"{}\" is of a type anchorage does not sign for (supported: ca, selfSigned)",
            r.name
        ))
    }
}

fn request_duration(cr: &CertificateRequest) -> std::result::Result<SignedDuration, String> {
    match cr.spec.duration.as_ref() {
        Some(d) => d.to_signed().map_err(|e| format!("spec.duration: {e}")),
        None => Ok(c::DEFAULT_DURATION),
    }
}

fn request_usages(cr: &CertificateRequest) -> Vec<String> {
    match cr.spec.usages.as_ref() {
        Some(u) if !u.is_empty() => u.clone(),
        _ => c::DEFAULT_USAGES.iter().map(|s| s.to_string()).collect(),
    }
}

/// Loads a CA issuer's key pair from its Secret, parsed once per Secret resourceVersion.
/// `Ok(Err(message))` describes a missing or unusable Secret.
pub(crate) async fn load_ca_cached(
    ctx: &Context,
    ns: &str,
    name: &str,
) -> Result<std::result::Result<Arc<CaMaterial>, String>> {
    let Some(secret) = issuers::get_secret(ctx, ns, name).await? else {
        return Ok(Err(format!(
            "Error getting keypair for CA issuer: secrets \"{name}\" not found (searched namespace \"{ns}\")"
        )));
    };
    let rv = secret.resource_version().unwrap_or_default();
    let material = match ctx.ca_cache.get(ns, name, &rv) {
        Some(m) => m,
        None => {
            let crt = secret
                .data
                .as_ref()
                .and_then(|d| d.get("tls.crt"))
                .map(|b| b.0.as_slice());
            let key = secret
                .data
                .as_ref()
                .and_then(|d| d.get("tls.key"))
                .map(|b| b.0.as_slice());
            let ca = secret
                .data
                .as_ref()
                .and_then(|d| d.get("ca.crt"))
                .map(|b| b.0.as_slice());
            let (Some(crt), Some(key)) = (crt, key) else {
                return Ok(Err(format!(
                    "Error loading keypair for CA issuer from Secret \"{ns}/{name}\": it needs tls.crt and tls.key"
                )));
            };
            match CaMaterial::load(crt, key, ca) {
                Ok(m) => {
                    let m = Arc::new(m);
                    ctx.ca_cache.put(ns, name, &rv, m.clone());
                    m
                }
                Err(e) => {
                    return Ok(Err(format!(
                        "Error loading keypair for CA issuer from Secret \"{ns}/{name}\": {e}"
                    )));
                }
            }
        }
    };
    Ok(Ok(material))
}

/// Signs the request (I/O: fetches the CA Secret or the self-signed key).
async fn sign(ctx: &Context, cr: &CertificateRequest, ns: &str) -> Result<Outcome> {
    let now = ctx.clock.now();
    let csr = match anchorage_pki::parse_csr(&cr.spec.request.0) {
        Ok(csr) => csr,
        Err(e) => return Ok(Outcome::InvalidRequest(format!("spec.request: {e}"))),
    };
    let is_ca = cr.spec.is_ca.unwrap_or(false);
    let usage_strings = request_usages(cr);
    if let Err(msg) = check_csr_matches_spec(&csr, is_ca, &usage_strings) {
        return Ok(Outcome::InvalidRequest(msg));
    }
    let duration = match request_duration(cr) {
        Ok(d) => d,
        Err(msg) => return Ok(Outcome::InvalidRequest(msg)),
    };
    let mut params = SignParams {
        now,
        duration,
        backdate: ctx.config.backdate,
        is_ca,
        usages: usages::parse_all(&usage_strings),
        path_len: None,
        crl_distribution_points: Vec::new(),
        ocsp_servers: Vec::new(),
        issuing_certificate_urls: Vec::new(),
    };
    match resolve(ctx, ns, &cr.spec.issuer_ref) {
        Resolved::Unavailable(msg) => Ok(Outcome::Pending(msg)),
        Resolved::Ca {
            spec,
            secret_namespace,
        } => {
            let Some(ca_spec) = spec.ca.as_ref() else {
                return Ok(Outcome::Pending("issuer has no ca section".into()));
            };
            params.crl_distribution_points =
                ca_spec.crl_distribution_points.clone().unwrap_or_default();
            params.ocsp_servers = ca_spec.ocsp_servers.clone().unwrap_or_default();
            params.issuing_certificate_urls =
                ca_spec.issuing_certificate_urls.clone().unwrap_or_default();
            let issuer = format!(
                "Referenced {} \"{}\"",
                cr.spec.issuer_ref.kind_or_default(),
                cr.spec.issuer_ref.name
            );
            let material =
                match load_ca_cached(ctx, &secret_namespace, &ca_spec.secret_name).await? {
                    Ok(m) => m,
                    Err(msg) => return Ok(Outcome::Pending(format!("{issuer}: {msg}"))),
                };
            if let Err(e) = material.check_valid_at(now) {
                let msg = format!(
                    "{issuer}: cannot sign with the CA in Secret \"{secret_namespace}/{}\": {e}",
                    ca_spec.secret_name
                );
                // Expired is terminal for this request (BC-05); not-yet-valid will pass later.
                return Ok(if material.not_after() <= now {
                    Outcome::Failed(msg)
                } else {
                    Outcome::Pending(msg)
                });
            }
            timed_sign(ctx, "signing", move || {
                anchorage_pki::sign_csr(&csr, &material, &params)
            })
            .await
        }
        Resolved::SelfSigned { spec } => {
            params.crl_distribution_points = spec
                .self_signed
                .as_ref()
                .and_then(|s| s.crl_distribution_points.clone())
                .unwrap_or_default();
            let name = cr.name_any();
            let key = match ctx.keys.get(ns, &name, &csr.public_key_der) {
                Some(k) => Some(k),
                None => self_signed_key_from_secret(ctx, cr, ns)
                    .await?
                    .filter(|k| k.public_key_der().is_ok_and(|d| d == csr.public_key_der)),
            };
            // Without the CSR's own key there is nothing to sign with yet: stay Pending (the
            // Certificate reconciler replaces a request whose key was lost).
            let Some(key) = key else {
                return Ok(Outcome::Pending(format!(
                    "the private key for this self-signed request is not available: set annotation {} to a Secret holding tls.key",
                    c::ANNOTATION_PRIVATE_KEY_SECRET_NAME
                )));
            };
            timed_sign(ctx, "self-signing", move || {
                anchorage_pki::self_sign_csr(&csr, &key, &params)
            })
            .await
        }
    }
}

/// Runs a signing closure off the async threads, records its latency, and maps its result.
async fn timed_sign<F>(ctx: &Context, what: &str, f: F) -> Result<Outcome>
where
    F: FnOnce() -> std::result::Result<Issued, anchorage_pki::PkiError> + Send + 'static,
{
    let started = Instant::now();
    let issued = crate::error::blocking(f).await?;
    ctx.metrics
        .signing_seconds
        .observe(started.elapsed().as_secs_f64());
    Ok(match issued {
        Ok(i) => Outcome::Issued(i),
        Err(e) => Outcome::Failed(format!("{what} failed: {e}")),
    })
}

async fn self_signed_key_from_secret(
    ctx: &Context,
    cr: &CertificateRequest,
    ns: &str,
) -> Result<Option<anchorage_pki::PrivateKey>> {
    let Some(secret_name) = cr.annotations().get(c::ANNOTATION_PRIVATE_KEY_SECRET_NAME) else {
        return Ok(None);
    };
    let Some(secret) = issuers::get_secret(ctx, ns, secret_name).await? else {
        return Ok(None);
    };
    let key = secret
        .data
        .as_ref()
        .and_then(|d| d.get("tls.key"))
        .and_then(|b| anchorage_pki::PrivateKey::from_pem(&b.0).ok());
    Ok(key)
}

/// Builds the new status for an outcome (pure).
pub fn status_for(
    old: Option<&CertificateRequestStatus>,
    approve: bool,
    outcome: &Outcome,
    now: Timestamp,
) -> CertificateRequestStatus {
    let mut status = old.cloned().unwrap_or_default();
    let mut conds: Vec<Condition> = status.conditions.clone().unwrap_or_default();
    if approve {
        conds = conditions::set(
            &conds,
            c::CONDITION_APPROVED,
            TRUE,
            c::reason::AUTO_APPROVED,
            "Certificate request has been approved by anchorage",
            now,
            None,
        );
    }
    match outcome {
        Outcome::Issued(issued) => {
            conds = conditions::set(
                &conds,
                c::CONDITION_READY,
                TRUE,
                c::reason::ISSUED,
                "Certificate fetched from issuer successfully",
                now,
                None,
            );
            status.certificate = Some(ByteString(issued.certificate_pem.clone()));
            status.ca = Some(ByteString(issued.ca_pem.clone()));
        }
        Outcome::Pending(msg) => {
            conds = conditions::set(
                &conds,
                c::CONDITION_READY,
                FALSE,
                c::reason::PENDING,
                msg,
                now,
                None,
            );
        }
        Outcome::InvalidRequest(msg) | Outcome::Failed(msg) => {
            if matches!(outcome, Outcome::InvalidRequest(_)) {
                conds = conditions::set(
                    &conds,
                    c::CONDITION_INVALID_REQUEST,
                    TRUE,
                    c::reason::FAILED,
                    msg,
                    now,
                    None,
                );
            }
            conds = conditions::set(
                &conds,
                c::CONDITION_READY,
                FALSE,
                c::reason::FAILED,
                msg,
                now,
                None,
            );
            status.failure_time = Some(Time(now));
        }
    }
    status.conditions = Some(conds);
    status
}

/// Reconciles one CertificateRequest.
pub async fn reconcile(cr: Arc<CertificateRequest>, ctx: Arc<Context>) -> Result<Action> {
    ctx.metrics
        .sync_calls
        .with_label_values(&["certificaterequests"])
        .inc();
    let step = step(&cr, ctx.config.auto_approve);
    if matches!(step, Step::Nothing | Step::AwaitApproval) {
        return Ok(Action::await_change());
    }
    if !ctx.may_write() {
        return Ok(ctx.idle_action());
    }
    let ns = cr.namespace().ok_or(Error::MissingMetadata("namespace"))?;
    let name = cr.name_any();
    let now = ctx.clock.now();
    let api: Api<CertificateRequest> = Api::namespaced(ctx.client.clone(), &ns);
    let oref = cr.object_ref(&());
    if step == Step::MarkDenied {
        let mut status = cr.status.clone().unwrap_or_default();
        let conds = status.conditions.clone().unwrap_or_default();
        status.conditions = Some(conditions::set(
            &conds,
            c::CONDITION_READY,
            FALSE,
            c::reason::DENIED,
            "The CertificateRequest was denied by an approval controller",
            now,
            None,
        ));
        status.failure_time = Some(Time(now));
        patch_status(&ctx, &api, &cr, &status).await?;
        return Ok(Action::await_change());
    }
    let outcome = sign(&ctx, &cr, &ns).await?;
    let approve = step == Step::ApproveAndSign;
    let old_status = cr.status.as_ref();
    let status = status_for(old_status, approve, &outcome, now);
    let unchanged = old_status.is_some_and(|o| {
        conditions::same(
            o.conditions.as_deref().unwrap_or_default(),
            status.conditions.as_deref().unwrap_or_default(),
        ) && o.certificate == status.certificate
    });
    if !unchanged {
        patch_status(&ctx, &api, &cr, &status).await?;
    }
    match &outcome {
        Outcome::Issued(issued) => {
            if issued.clipped {
                let note = format!(
                    "The requested lifetime was clipped to the issuing CA's notAfter {}",
                    issued.not_after
                );
                ctx.event(&oref, true, c::event::CLIPPED_TO_ISSUER_EXPIRY, &note)
                    .await;
                if let Some(owner) = certificate_owner(&cr, &ns) {
                    ctx.event(&owner, true, c::event::CLIPPED_TO_ISSUER_EXPIRY, &note)
                        .await;
                }
            }
            Ok(Action::await_change())
        }
        Outcome::Pending(msg) => {
            if !unchanged {
                tracing::info!(namespace = %ns, name = %name, message = %msg, "request pending");
            }
            // Issuer and CA Secret changes wake us; this is a safety net with a bounded rate.
            Ok(Action::requeue(Duration::from_secs(30)))
        }
        Outcome::InvalidRequest(msg) | Outcome::Failed(msg) => {
            if !unchanged {
                ctx.event(&oref, true, c::reason::FAILED, msg).await;
            }
            Ok(Action::await_change())
        }
    }
}

fn certificate_owner(
    cr: &CertificateRequest,
    ns: &str,
) -> Option<k8s_openapi::api::core::v1::ObjectReference> {
    cr.owner_references()
        .iter()
        .find(|o| o.kind == "Certificate")
        .map(|o| k8s_openapi::api::core::v1::ObjectReference {
            api_version: Some(o.api_version.clone()),
            kind: Some(o.kind.clone()),
            name: Some(o.name.clone()),
            namespace: Some(ns.to_string()),
            uid: Some(o.uid.clone()),
            ..Default::default()
        })
}

async fn patch_status(
    ctx: &Context,
    api: &Api<CertificateRequest>,
    cr: &CertificateRequest,
    status: &CertificateRequestStatus,
) -> Result<()> {
    let name = cr.name_any();
    let name = name.as_str();
    // The resourceVersion makes a reconcile on a stale cache fail with a conflict instead of
    // signing twice and overwriting an issued certificate.
    let body = json!({
        "metadata": { "resourceVersion": cr.resource_version() },
        "status": status,
    });
    ctx.count_write("certificaterequests", "patch_status");
    api.patch_status(name, &crate::context::patch_params(), &Patch::Merge(&body))
        .await
        .map_err(|e| Error::kube(format!("update status of CertificateRequest {name}"), e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchorage_api::CertificateRequestSpec;
    use anchorage_pki::{CsrParams, EcCurve, KeyAlgorithm, KeyUsage, PrivateKey};

    fn cr_with(conds: &[(&str, &str, &str)], group: Option<&str>) -> CertificateRequest {
        let mut cr = CertificateRequest::new("r", CertificateRequestSpec::default());
        cr.spec.issuer_ref = IssuerRef {
            name: "ca".into(),
            kind: None,
            group: group.map(str::to_string),
        };
        if !conds.is_empty() {
            cr.status = Some(CertificateRequestStatus {
                conditions: Some(
                    conds
                        .iter()
                        .map(|(t, s, r)| Condition {
                            type_: t.to_string(),
                            status: s.to_string(),
                            reason: Some(r.to_string()),
                            message: None,
                            last_transition_time: None,
                            observed_generation: None,
                        })
                        .collect(),
                ),
                ..Default::default()
            });
        }
        cr
    }

    #[test]
    fn step_table() {
        let cases: Vec<(&str, CertificateRequest, bool, Step)> = vec![
            (
                "fresh, auto",
                cr_with(&[], None),
                true,
                Step::ApproveAndSign,
            ),
            (
                "fresh, manual",
                cr_with(&[], None),
                false,
                Step::AwaitApproval,
            ),
            (
                "explicit group",
                cr_with(&[], Some("cert-manager.io")),
                true,
                Step::ApproveAndSign,
            ),
            (
                "other signer",
                cr_with(&[], Some("awspca.cert-manager.io")),
                true,
                Step::Nothing,
            ),
            (
                "approved",
                cr_with(&[("Approved", "True", "x")], None),
                false,
                Step::Sign,
            ),
            (
                "denied",
                cr_with(&[("Denied", "True", "x")], None),
                true,
                Step::MarkDenied,
            ),
            (
                "issued",
                cr_with(
                    &[("Approved", "True", "x"), ("Ready", "True", "Issued")],
                    None,
                ),
                true,
                Step::Nothing,
            ),
            (
                "failed",
                cr_with(
                    &[("Approved", "True", "x"), ("Ready", "False", "Failed")],
                    None,
                ),
                true,
                Step::Nothing,
            ),
            (
                "marked denied",
                cr_with(
                    &[("Denied", "True", "x"), ("Ready", "False", "Denied")],
                    None,
                ),
                true,
                Step::Nothing,
            ),
            (
                "pending retried",
                cr_with(
                    &[("Approved", "True", "x"), ("Ready", "False", "Pending")],
                    None,
                ),
                true,
                Step::Sign,
            ),
        ];
        for (name, cr, auto, want) in cases {
            assert_eq!(step(&cr, auto), want, "{name}");
        }
    }

    fn csr(is_ca: bool, usages: &[&str]) -> ParsedCsr {
        let key = PrivateKey::generate(KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        })
        .unwrap();
        let pem = anchorage_pki::build_csr(
            &key,
            &CsrParams {
                dns_names: vec!["a.example.test".into()],
                is_ca,
                usages: usages.iter().map(|u| KeyUsage::parse(u).unwrap()).collect(),
                ..Default::default()
            },
        )
        .unwrap();
        anchorage_pki::parse_csr(&pem).unwrap()
    }

    #[test]
    fn csr_must_agree_with_spec() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let leaf = csr(false, &["digital signature", "key encipherment"]);
        assert!(
            check_csr_matches_spec(&leaf, false, &s(&["digital signature", "key encipherment"]))
                .is_ok()
        );
        assert!(check_csr_matches_spec(&leaf, false, &s(&["signing", "key encipherment"])).is_ok());
        let err =
            check_csr_matches_spec(&leaf, true, &s(&["digital signature", "key encipherment"]))
                .unwrap_err();
        assert!(err.contains("spec.isCA"), "{err}");
        let err = check_csr_matches_spec(&leaf, false, &s(&["server auth"])).unwrap_err();
        assert!(err.contains("spec.usages"), "{err}");
    }

    #[test]
    fn status_for_outcomes() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        let pending = status_for(None, true, &Outcome::Pending("issuer missing".into()), now);
        let conds = pending.conditions.clone().unwrap();
        assert!(conditions::is_true(&conds, "Approved"));
        let ready = conditions::find(&conds, "Ready").unwrap();
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_deref()),
            ("False", Some("Pending"))
        );
        assert!(pending.failure_time.is_none());

        let bad = status_for(
            Some(&pending),
            false,
            &Outcome::InvalidRequest("spec.request: bad".into()),
            now,
        );
        let conds = bad.conditions.clone().unwrap();
        assert!(conditions::is_true(&conds, "InvalidRequest"));
        assert_eq!(
            conditions::find(&conds, "Ready").unwrap().reason.as_deref(),
            Some("Failed")
        );
        assert!(bad.failure_time.is_some());

        let failed = status_for(None, true, &Outcome::Failed("CA expired".into()), now);
        assert!(failed.failure_time.is_some());
        assert!(failed.certificate.is_none());
    }
}
