//! Issuer and ClusterIssuer readiness (types `ca` and `selfSigned`).
//!
//! Gather (the CA Secret, fetched on demand) -> decide ([`evaluate`], pure) -> act (one status
//! write when the verdict changed). Unlike cert-manager we also check that the key matches the
//! certificate and that the CA is currently valid; messages name namespace, Secret and problem.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anchorage_api::constants as c;
use anchorage_api::{ClusterIssuer, Condition, Issuer, IssuerSpec, IssuerStatus};
use anchorage_pki::CaMaterial;
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch};
use kube::runtime::controller::Action;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use serde_json::json;
use tokio::sync::mpsc;

use crate::conditions;
use crate::context::Context;
use crate::error::{Error, Result};

/// The outcome of checking an issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Ready=True?
    pub ready: bool,
    /// Condition reason (cert-manager's: `KeyPairVerified`, `ErrGetKeyPair`, ...).
    pub reason: String,
    /// Human-readable message naming the Secret and the problem.
    pub message: String,
    /// When the verdict will change by itself (the CA's notAfter, or notBefore when not yet
    /// valid), so the reconciler can wake up then.
    pub recheck_at: Option<Timestamp>,
}

/// What a lookup of the CA Secret found.
#[derive(Debug)]
pub enum SecretLookup<'a> {
    /// No such Secret.
    NotFound,
    /// The Secret.
    Found(&'a Secret),
}

/// The Secret an issuer's `ca` type refers to, as (namespace, name).
pub fn ca_secret_ref(spec: &IssuerSpec, secret_namespace: &str) -> Option<(String, String)> {
    spec.ca
        .as_ref()
        .map(|ca| (secret_namespace.to_string(), ca.secret_name.clone()))
}

fn secret_bytes<'a>(secret: &'a Secret, key: &str) -> Option<&'a [u8]> {
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| b.0.as_slice())
        .filter(|b| !b.is_empty())
}

/// Loads and checks CA material from a Secret (`tls.crt`, `tls.key`, optional `ca.crt`):
/// key matches, CA:TRUE + keyCertSign, valid at `now`. Errors are user-facing messages.
pub fn load_ca(secret: &Secret, now: Timestamp) -> std::result::Result<CaMaterial, String> {
    let crt = secret_bytes(secret, "tls.crt").ok_or("the Secret has no tls.crt entry")?;
    let key = secret_bytes(secret, "tls.key").ok_or("the Secret has no tls.key entry")?;
    let ca = secret_bytes(secret, "ca.crt");
    let material = CaMaterial::load(crt, key, ca).map_err(|e| e.to_string())?;
    material.check_valid_at(now).map_err(|e| e.to_string())?;
    Ok(material)
}

/// Decides an issuer's readiness (pure).
///
/// `secret_namespace` is the Issuer's namespace, or the cluster resource namespace for a
/// ClusterIssuer.
pub fn evaluate(
    spec: &IssuerSpec,
    secret_namespace: &str,
    secret: SecretLookup<'_>,
    now: Timestamp,
) -> Verdict {
    let types: Vec<&str> = [
        spec.ca.as_ref().map(|_| "ca"),
        spec.self_signed.as_ref().map(|_| "selfSigned"),
        spec.acme.as_ref().map(|_| "acme"),
        spec.vault.as_ref().map(|_| "vault"),
        spec.venafi.as_ref().map(|_| "venafi"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if types.len() != 1 {
        return Verdict {
            ready: false,
            reason: c::reason::UNSUPPORTED_ISSUER_TYPE.into(),
            message: format!(
                "Issuer spec must set exactly one issuer type (ca or selfSigned); found {}",
                if types.is_empty() {
                    "none".to_string()
                } else {
                    types.join(", ")
                }
            ),
            recheck_at: None,
        };
    }
    if spec.self_signed.is_some() {
        return Verdict {
            ready: true,
            reason: c::reason::IS_READY.into(),
            message: "Self-signed issuer is ready".into(),
            recheck_at: None,
        };
    }
    let Some(ca) = spec.ca.as_ref() else {
        return Verdict {
            ready: false,
            reason: c::reason::UNSUPPORTED_ISSUER_TYPE.into(),
            message: format!(
                "Issuer type {} is not supported by anchorage (supported: ca, selfSigned)",
                types.join(", ")
            ),
            recheck_at: None,
        };
    };
    let secret = match secret {
        SecretLookup::NotFound => {
            return Verdict {
                ready: false,
                reason: c::reason::ERR_GET_KEY_PAIR.into(),
                message: format!(
                    "Error getting keypair for CA issuer: secrets \"{}\" not found \
                     (searched namespace \"{secret_namespace}\")",
                    ca.secret_name
                ),
                recheck_at: None,
            };
        }
        SecretLookup::Found(s) => s,
    };
    match load_ca(secret, now) {
        Ok(material) => Verdict {
            ready: true,
            reason: c::reason::KEY_PAIR_VERIFIED.into(),
            message: "Signing CA verified".into(),
            recheck_at: Some(material.not_after()),
        },
        Err(problem) => {
            // A CA that is merely not yet valid becomes valid by itself: wake up then.
            let recheck_at = CaMaterial::load(
                secret_bytes(secret, "tls.crt").unwrap_or_default(),
                secret_bytes(secret, "tls.key").unwrap_or_default(),
                secret_bytes(secret, "ca.crt"),
            )
            .ok()
            .map(|m| m.not_before())
            .filter(|nb| *nb > now);
            Verdict {
                ready: false,
                reason: c::reason::ERR_INVALID_KEY_PAIR.into(),
                message: format!(
                    "Error loading keypair for CA issuer from Secret \"{secret_namespace}/{}\": {problem}",
                    ca.secret_name
                ),
                recheck_at,
            }
        }
    }
}

/// Fetches a Secret by name; `Ok(None)` when it does not exist.
pub async fn get_secret(ctx: &Context, ns: &str, name: &str) -> Result<Option<Secret>> {
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    api.get_opt(name)
        .await
        .map_err(|e| Error::kube(format!("get Secret {ns}/{name}"), e))
}

/// Registry of narrow watches on referenced CA Secrets: one field-selected watch per
/// (namespace, name), so CA Secret changes re-trigger their issuers without caching every
/// Secret in the cluster (DESIGN.md §4 "Secrets cache").
#[derive(Default)]
pub struct SecretWatches {
    watched: Mutex<HashMap<(String, String), BTreeSet<IssuerKey>>>,
}

impl std::fmt::Debug for SecretWatches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretWatches").finish_non_exhaustive()
    }
}

/// Which issuer a CA Secret change should wake up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum IssuerKey {
    /// Issuer namespace/name.
    Issuer(String, String),
    /// ClusterIssuer name.
    ClusterIssuer(String),
}

/// Senders that wake issuer reconcilers.
#[derive(Clone, Debug)]
pub struct IssuerTriggers {
    /// Wakes an Issuer.
    pub issuers: mpsc::UnboundedSender<ObjectRef<Issuer>>,
    /// Wakes a ClusterIssuer.
    pub cluster_issuers: mpsc::UnboundedSender<ObjectRef<ClusterIssuer>>,
}

impl SecretWatches {
    /// Makes sure `secret` (namespace, name) is watched and that changes wake `issuer`.
    pub fn ensure(
        self: &Arc<Self>,
        client: &kube::Client,
        triggers: &IssuerTriggers,
        secret: (String, String),
        issuer: IssuerKey,
    ) {
        let Ok(mut watched) = self.watched.lock() else {
            return;
        };
        if let Some(set) = watched.get_mut(&secret) {
            set.insert(issuer);
            return;
        }
        watched.insert(secret.clone(), BTreeSet::from([issuer]));
        drop(watched);
        let this = Arc::clone(self);
        let api: Api<Secret> = Api::namespaced(client.clone(), &secret.0);
        let triggers = triggers.clone();
        tokio::spawn(async move {
            let cfg = watcher::Config::default().fields(&format!("metadata.name={}", secret.1));
            let mut stream = watcher::watcher(api, cfg).boxed();
            while let Some(ev) = stream.next().await {
                match ev {
                    Ok(
                        watcher::Event::Apply(_)
                        | watcher::Event::Delete(_)
                        | watcher::Event::InitDone,
                    ) => {
                        let targets = this
                            .watched
                            .lock()
                            .map(|w| w.get(&secret).cloned().unwrap_or_default())
                            .unwrap_or_default();
                        for t in targets {
                            match t {
                                IssuerKey::Issuer(ns, name) => {
                                    let _ =
                                        triggers.issuers.send(ObjectRef::new(&name).within(&ns));
                                }
                                IssuerKey::ClusterIssuer(name) => {
                                    let _ = triggers.cluster_issuers.send(ObjectRef::new(&name));
                                }
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::debug!(%err, ns = %secret.0, name = %secret.1, "CA Secret watch error; retrying");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        });
    }
}

/// Shared state of the issuer reconcilers.
pub struct IssuerContext {
    /// Common context.
    pub ctx: Arc<Context>,
    /// CA Secret watches.
    pub watches: Arc<SecretWatches>,
    /// Wake-up channels.
    pub triggers: IssuerTriggers,
}

fn next_action(verdict: &Verdict, now: Timestamp) -> Action {
    if let Some(at) = verdict.recheck_at {
        let wait = at.duration_since(now) + SignedDuration::from_secs(1);
        if let Ok(d) = Duration::try_from(wait) {
            return Action::requeue(d.max(Duration::from_secs(1)));
        }
    }
    if verdict.ready {
        Action::await_change()
    } else {
        // The Secret watch wakes us on change; this is only a safety net.
        Action::requeue(Duration::from_secs(300))
    }
}

fn status_conditions(
    verdict: &Verdict,
    old: &[Condition],
    now: Timestamp,
    generation: Option<i64>,
) -> Vec<Condition> {
    conditions::set(
        old,
        c::CONDITION_READY,
        if verdict.ready {
            conditions::TRUE
        } else {
            conditions::FALSE
        },
        &verdict.reason,
        &verdict.message,
        now,
        generation,
    )
}

async fn evaluate_live(
    ictx: &IssuerContext,
    spec: &IssuerSpec,
    secret_ns: &str,
    key: IssuerKey,
) -> Result<Verdict> {
    let ctx = &ictx.ctx;
    let now = ctx.clock.now();
    let verdict = match ca_secret_ref(spec, secret_ns) {
        Some((ns, name)) => {
            ictx.watches
                .ensure(&ctx.client, &ictx.triggers, (ns.clone(), name.clone()), key);
            let secret = get_secret(ctx, &ns, &name).await?;
            match secret.as_ref() {
                Some(s) => evaluate(spec, secret_ns, SecretLookup::Found(s), now),
                None => evaluate(spec, secret_ns, SecretLookup::NotFound, now),
            }
        }
        None => evaluate(spec, secret_ns, SecretLookup::NotFound, now),
    };
    Ok(verdict)
}

/// Reconciles one Issuer.
pub async fn reconcile_issuer(issuer: Arc<Issuer>, ictx: Arc<IssuerContext>) -> Result<Action> {
    let ctx = &ictx.ctx;
    ctx.metrics.sync_calls.with_label_values(&["issuers"]).inc();
    if !ctx.may_write() {
        return Ok(ctx.idle_action());
    }
    let ns = issuer
        .namespace()
        .ok_or(Error::MissingMetadata("namespace"))?;
    let name = issuer.name_any();
    let verdict = evaluate_live(
        &ictx,
        &issuer.spec,
        &ns,
        IssuerKey::Issuer(ns.clone(), name.clone()),
    )
    .await?;
    let api: Api<Issuer> = Api::namespaced(ctx.client.clone(), &ns);
    write_status(&ictx, issuer.as_ref(), &api, &verdict).await?;
    Ok(next_action(&verdict, ctx.clock.now()))
}

/// Reconciles one ClusterIssuer (its CA Secret lives in the cluster resource namespace).
pub async fn reconcile_cluster_issuer(
    issuer: Arc<ClusterIssuer>,
    ictx: Arc<IssuerContext>,
) -> Result<Action> {
    let ctx = &ictx.ctx;
    ctx.metrics
        .sync_calls
        .with_label_values(&["clusterissuers"])
        .inc();
    if !ctx.may_write() {
        return Ok(ctx.idle_action());
    }
    let name = issuer.name_any();
    let spec: IssuerSpec = issuer.spec.clone();
    let ns = ctx.config.cluster_resource_namespace.clone();
    let verdict = evaluate_live(&ictx, &spec, &ns, IssuerKey::ClusterIssuer(name.clone())).await?;
    let api: Api<ClusterIssuer> = Api::all(ctx.client.clone());
    write_status(&ictx, issuer.as_ref(), &api, &verdict).await?;
    Ok(next_action(&verdict, ctx.clock.now()))
}

/// Anything with an [`IssuerStatus`].
pub trait HasIssuerStatus {
    /// The status, if any.
    fn issuer_status(&self) -> Option<&IssuerStatus>;
}

impl HasIssuerStatus for Issuer {
    fn issuer_status(&self) -> Option<&IssuerStatus> {
        self.status.as_ref()
    }
}

impl HasIssuerStatus for ClusterIssuer {
    fn issuer_status(&self) -> Option<&IssuerStatus> {
        self.status.as_ref()
    }
}

async fn write_status<K>(
    ictx: &IssuerContext,
    obj: &K,
    api: &Api<K>,
    verdict: &Verdict,
) -> Result<()>
where
    K: Resource<DynamicType = ()>
        + HasIssuerStatus
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let ctx = &ictx.ctx;
    let now = ctx.clock.now();
    let old = obj
        .issuer_status()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let new = status_conditions(verdict, &old, now, obj.meta().generation);
    if conditions::same(&old, &new) {
        return Ok(());
    }
    if !ctx.may_write() {
        return Ok(());
    }
    let name = obj.meta().name.clone().unwrap_or_default();
    let patch = json!({ "status": { "conditions": new } });
    ctx.count_write(K::plural(&()).as_ref(), "patch_status");
    api.patch_status(
        &name,
        &crate::context::patch_params(),
        &Patch::Merge(&patch),
    )
    .await
    .map_err(|e| Error::kube(format!("update status of {}", name), e))?;
    let was_ready = conditions::is_true(&old, c::CONDITION_READY);
    let changed = conditions::find(&old, c::CONDITION_READY)
        .map(|o| o.reason.as_deref() != Some(verdict.reason.as_str()) || was_ready != verdict.ready)
        .unwrap_or(true);
    if changed {
        let oref = obj.object_ref(&());
        ctx.event(&oref, !verdict.ready, &verdict.reason, &verdict.message)
            .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use anchorage_api::{CaIssuer, SelfSignedIssuer};
    use anchorage_pki::{
        CsrParams, EcCurve, KeyAlgorithm, KeyEncoding, KeyUsage, PrivateKey, SignParams,
    };
    use k8s_openapi::ByteString;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// A CA Secret valid from `nb` for `hours`, optionally with a foreign key or no CA flag.
    fn ca_secret(nb: Timestamp, hours: i64, is_ca: bool, wrong_key: bool) -> Secret {
        let key = PrivateKey::generate(KeyAlgorithm::Ecdsa {
            curve: EcCurve::P256,
        })
        .unwrap();
        let usages: Vec<KeyUsage> = if is_ca {
            vec![KeyUsage::parse("cert sign").unwrap()]
        } else {
            vec![KeyUsage::parse("digital signature").unwrap()]
        };
        let csr = anchorage_pki::build_csr(
            &key,
            &CsrParams {
                common_name: Some("ca.test".into()),
                is_ca,
                usages: usages.clone(),
                ..Default::default()
            },
        )
        .unwrap();
        let parsed = anchorage_pki::parse_csr(&csr).unwrap();
        let mut p = SignParams::new(nb, SignedDuration::from_hours(hours));
        p.is_ca = is_ca;
        p.usages = usages;
        let issued = anchorage_pki::self_sign_csr(&parsed, &key, &p).unwrap();
        let key_pem = if wrong_key {
            PrivateKey::generate(KeyAlgorithm::Ecdsa {
                curve: EcCurve::P256,
            })
            .unwrap()
            .to_pem(KeyEncoding::Pkcs1)
            .unwrap()
        } else {
            key.to_pem(KeyEncoding::Pkcs1).unwrap()
        };
        Secret {
            data: Some(BTreeMap::from([
                ("tls.crt".to_string(), ByteString(issued.certificate_pem)),
                ("tls.key".to_string(), ByteString(key_pem)),
            ])),
            ..Default::default()
        }
    }

    fn ca_spec() -> IssuerSpec {
        IssuerSpec {
            ca: Some(CaIssuer {
                secret_name: "ca-key-pair".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn issuer_readiness_table() {
        let now = ts("2026-11-30T12:00:00Z");
        let valid = ca_secret(ts("2026-11-30T00:00:00Z"), 8760, true, false);
        let expired = ca_secret(ts("2026-11-28T00:00:00Z"), 24, true, false);
        let future = ca_secret(ts("2026-12-01T00:00:00Z"), 24, true, false);
        let leaf = ca_secret(ts("2026-11-30T00:00:00Z"), 24, false, false);
        let mismatched = ca_secret(ts("2026-11-30T00:00:00Z"), 24, true, true);
        let empty = Secret::default();
        let self_signed = IssuerSpec {
            self_signed: Some(SelfSignedIssuer::default()),
            ..Default::default()
        };
        let acme = IssuerSpec {
            acme: Some(serde_json::json!({"server": "https://acme.invalid"})),
            ..Default::default()
        };
        let cases: Vec<(&str, IssuerSpec, SecretLookup<'_>, bool, &str, &str)> = vec![
            (
                "valid CA",
                ca_spec(),
                SecretLookup::Found(&valid),
                true,
                "KeyPairVerified",
                "verified",
            ),
            (
                "missing Secret",
                ca_spec(),
                SecretLookup::NotFound,
                false,
                "ErrGetKeyPair",
                "secrets \"ca-key-pair\" not found (searched namespace \"cert-manager\")",
            ),
            (
                "expired",
                ca_spec(),
                SecretLookup::Found(&expired),
                false,
                "ErrInvalidKeyPair",
                "expired",
            ),
            (
                "not yet valid",
                ca_spec(),
                SecretLookup::Found(&future),
                false,
                "ErrInvalidKeyPair",
                "cert-manager/ca-key-pair",
            ),
            (
                "not a CA",
                ca_spec(),
                SecretLookup::Found(&leaf),
                false,
                "ErrInvalidKeyPair",
                "cert-manager/ca-key-pair",
            ),
            (
                "key mismatch",
                ca_spec(),
                SecretLookup::Found(&mismatched),
                false,
                "ErrInvalidKeyPair",
                "cert-manager/ca-key-pair",
            ),
            (
                "empty Secret",
                ca_spec(),
                SecretLookup::Found(&empty),
                false,
                "ErrInvalidKeyPair",
                "no tls.crt",
            ),
            (
                "selfSigned",
                self_signed,
                SecretLookup::NotFound,
                true,
                "IsReady",
                "ready",
            ),
            (
                "acme",
                acme,
                SecretLookup::NotFound,
                false,
                "UnsupportedIssuerType",
                "acme",
            ),
            (
                "no type",
                IssuerSpec::default(),
                SecretLookup::NotFound,
                false,
                "UnsupportedIssuerType",
                "none",
            ),
        ];
        for (name, spec, lookup, ready, reason, msg) in cases {
            let v = evaluate(&spec, "cert-manager", lookup, now);
            assert_eq!(v.ready, ready, "{name}: {v:?}");
            assert_eq!(v.reason, reason, "{name}: {v:?}");
            assert!(
                v.message.contains(msg),
                "{name}: {:?} should contain {msg:?}",
                v.message
            );
        }
        // The valid CA is re-checked at its expiry; the future one when it becomes valid.
        let v = evaluate(&ca_spec(), "ns", SecretLookup::Found(&valid), now);
        assert_eq!(v.recheck_at, Some(ts("2027-11-30T00:00:00Z")));
        let v = evaluate(&ca_spec(), "ns", SecretLookup::Found(&future), now);
        assert_eq!(v.recheck_at, Some(ts("2026-12-01T00:00:00Z")));
    }
}
