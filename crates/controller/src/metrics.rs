//! Prometheus metrics with cert-manager's names and labels (DESIGN.md §4), on a registry owned
//! by the process (never the global one).
//!
//! Per-object gauges (`certmanager_certificate_*`, `certmanager_issuer_ready_status`, ...) are
//! computed at scrape time from the controllers' caches, so a deleted object's series disappear
//! with it and label cardinality stays bounded by the number of objects.

use std::sync::Arc;

use anchorage_api::{Certificate, ClusterIssuer, Condition, Issuer};
use kube::ResourceExt;
use kube::runtime::reflector::Store;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{Gauge, GaugeVec, Histogram, HistogramOpts, IntCounterVec, Opts, Registry};

use crate::clock::SharedClock;

/// Process-wide metrics handles.
#[derive(Clone)]
pub struct Metrics {
    /// The registry served on `/metrics`.
    pub registry: Registry,
    /// `certmanager_controller_sync_call_count{controller}`: reconciles started.
    pub sync_calls: IntCounterVec,
    /// `certmanager_controller_sync_error_count{controller}`: reconciles that returned an error.
    pub sync_errors: IntCounterVec,
    /// `anchorage_signing_duration_seconds`: time to sign one CertificateRequest (seconds).
    pub signing_seconds: Histogram,
    /// `anchorage_issuance_duration_seconds`: from creating a CertificateRequest to writing the
    /// Secret (seconds).
    pub issuance_seconds: Histogram,
    /// `anchorage_api_writes_total{resource,verb}`: write calls made to the API server.
    pub api_writes: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Creates the metrics and registers them on a fresh registry.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let sync_calls = IntCounterVec::new(
            Opts::new(
                "certmanager_controller_sync_call_count",
                "The number of sync() calls made by a controller.",
            ),
            &["controller"],
        )?;
        let sync_errors = IntCounterVec::new(
            Opts::new(
                "certmanager_controller_sync_error_count",
                "The number of errors encountered during controller sync().",
            ),
            &["controller"],
        )?;
        let buckets = vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ];
        let signing_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "anchorage_signing_duration_seconds",
                "Time taken to sign one CertificateRequest, in seconds.",
            )
            .buckets(buckets.clone()),
        )?;
        let issuance_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "anchorage_issuance_duration_seconds",
                "Time from creating a CertificateRequest to writing the Secret, in seconds.",
            )
            .buckets(buckets),
        )?;
        let api_writes = IntCounterVec::new(
            Opts::new(
                "anchorage_api_writes_total",
                "Write calls made to the Kubernetes API server, by resource and verb.",
            ),
            &["resource", "verb"],
        )?;
        registry.register(Box::new(sync_calls.clone()))?;
        registry.register(Box::new(sync_errors.clone()))?;
        registry.register(Box::new(signing_seconds.clone()))?;
        registry.register(Box::new(issuance_seconds.clone()))?;
        registry.register(Box::new(api_writes.clone()))?;
        Ok(Self {
            registry,
            sync_calls,
            sync_errors,
            signing_seconds,
            issuance_seconds,
            api_writes,
        })
    }

    /// Registers the scrape-time collector over the controllers' caches.
    pub fn register_stores(
        &self,
        certificates: Store<Certificate>,
        issuers: Store<Issuer>,
        cluster_issuers: Store<ClusterIssuer>,
        clock: SharedClock,
    ) -> Result<(), prometheus::Error> {
        let collector = StoreCollector::new(certificates, issuers, cluster_issuers, clock)?;
        self.registry.register(Box::new(collector))
    }

    /// Renders the registry in the Prometheus text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let families = self.registry.gather();
        prometheus::TextEncoder::new().encode_to_string(&families)
    }
}

const CERT_LABELS: [&str; 5] = [
    "name",
    "namespace",
    "issuer_name",
    "issuer_kind",
    "issuer_group",
];

struct StoreCollector {
    certificates: Store<Certificate>,
    issuers: Store<Issuer>,
    cluster_issuers: Store<ClusterIssuer>,
    clock: SharedClock,
    ready: GaugeVec,
    expiration: GaugeVec,
    not_after: GaugeVec,
    not_before: GaugeVec,
    renewal: GaugeVec,
    issuer_ready: GaugeVec,
    cluster_issuer_ready: GaugeVec,
    clock_time: Gauge,
    descs: Vec<Desc>,
    /// Serialises scrapes: the vectors are reset and refilled on each one.
    scrape: std::sync::Mutex<()>,
}

impl StoreCollector {
    fn new(
        certificates: Store<Certificate>,
        issuers: Store<Issuer>,
        cluster_issuers: Store<ClusterIssuer>,
        clock: SharedClock,
    ) -> Result<Self, prometheus::Error> {
        let mut ready_labels = CERT_LABELS.to_vec();
        ready_labels.insert(2, "condition");
        let ready = GaugeVec::new(
            Opts::new(
                "certmanager_certificate_ready_status",
                "The ready status of the certificate.",
            ),
            &ready_labels,
        )?;
        let g = |name: &str, help: &str| GaugeVec::new(Opts::new(name, help), &CERT_LABELS);
        let expiration = g(
            "certmanager_certificate_expiration_timestamp_seconds",
            "The timestamp after which the certificate expires, in seconds since the epoch.",
        )?;
        let not_after = g(
            "certmanager_certificate_not_after_timestamp_seconds",
            "The timestamp after which the certificate is invalid, in seconds since the epoch.",
        )?;
        let not_before = g(
            "certmanager_certificate_not_before_timestamp_seconds",
            "The timestamp before which the certificate is invalid, in seconds since the epoch.",
        )?;
        let renewal = g(
            "certmanager_certificate_renewal_timestamp_seconds",
            "The timestamp after which the certificate should be renewed, in seconds since the epoch.",
        )?;
        let issuer_ready = GaugeVec::new(
            Opts::new(
                "certmanager_issuer_ready_status",
                "The ready status of the issuer.",
            ),
            &["name", "namespace", "condition"],
        )?;
        let cluster_issuer_ready = GaugeVec::new(
            Opts::new(
                "certmanager_clusterissuer_ready_status",
                "The ready status of the cluster issuer.",
            ),
            &["name", "condition"],
        )?;
        let clock_time = Gauge::new(
            "certmanager_clock_time_seconds_gauge",
            "The clock time given in seconds (from 1970/01/01 UTC).",
        )?;
        let mut descs = Vec::new();
        for c in [
            &ready,
            &expiration,
            &not_after,
            &not_before,
            &renewal,
            &issuer_ready,
            &cluster_issuer_ready,
        ] {
            descs.extend(c.desc().into_iter().cloned());
        }
        descs.extend(clock_time.desc().into_iter().cloned());
        Ok(Self {
            certificates,
            issuers,
            cluster_issuers,
            clock,
            ready,
            expiration,
            not_after,
            not_before,
            renewal,
            issuer_ready,
            cluster_issuer_ready,
            clock_time,
            descs,
            scrape: std::sync::Mutex::new(()),
        })
    }
}

impl StoreCollector {
    fn vectors(&self) -> [&GaugeVec; 7] {
        [
            &self.ready,
            &self.expiration,
            &self.not_after,
            &self.not_before,
            &self.renewal,
            &self.issuer_ready,
            &self.cluster_issuer_ready,
        ]
    }
}

fn ready_status(conditions: Option<&Vec<Condition>>) -> &'static str {
    match conditions
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.type_ == anchorage_api::constants::CONDITION_READY)
        })
        .map(|c| c.status.as_str())
    {
        Some("True") => "True",
        Some("False") => "False",
        _ => "Unknown",
    }
}

const CONDITIONS: [&str; 3] = ["True", "False", "Unknown"];

impl Collector for StoreCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _one_scrape_at_a_time = self.scrape.lock();
        for v in self.vectors() {
            v.reset();
        }
        self.clock_time
            .set(self.clock.now().as_millisecond() as f64 / 1000.0);
        for cert in self.certificates.state() {
            let name = cert.name_any();
            let namespace = cert.namespace().unwrap_or_default();
            let issuer_name = cert.spec.issuer_ref.name.clone();
            let issuer_kind = cert.spec.issuer_ref.kind_or_default().to_string();
            let issuer_group = cert.spec.issuer_ref.group_or_default().to_string();
            let labels = [
                name.as_str(),
                namespace.as_str(),
                issuer_name.as_str(),
                issuer_kind.as_str(),
                issuer_group.as_str(),
            ];
            let status = cert.status.as_ref();
            let current = ready_status(status.and_then(|s| s.conditions.as_ref()));
            for condition in CONDITIONS {
                let ready_labels = [
                    labels[0], labels[1], condition, labels[2], labels[3], labels[4],
                ];
                let value = if condition == current { 1.0 } else { 0.0 };
                self.ready.with_label_values(&ready_labels).set(value);
            }
            let secs = |t: &Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| {
                t.as_ref().map(|t| t.0.as_second() as f64).unwrap_or(0.0)
            };
            let na = secs(&status.and_then(|s| s.not_after.clone()));
            self.expiration.with_label_values(&labels).set(na);
            self.not_after.with_label_values(&labels).set(na);
            self.not_before
                .with_label_values(&labels)
                .set(secs(&status.and_then(|s| s.not_before.clone())));
            self.renewal
                .with_label_values(&labels)
                .set(secs(&status.and_then(|s| s.renewal_time.clone())));
        }
        for issuer in self.issuers.state() {
            let name = issuer.name_any();
            let namespace = issuer.namespace().unwrap_or_default();
            let current = ready_status(issuer.status.as_ref().and_then(|s| s.conditions.as_ref()));
            for condition in CONDITIONS {
                self.issuer_ready
                    .with_label_values(&[name.as_str(), namespace.as_str(), condition])
                    .set(if condition == current { 1.0 } else { 0.0 });
            }
        }
        for issuer in self.cluster_issuers.state() {
            let name = issuer.name_any();
            let current = ready_status(issuer.status.as_ref().and_then(|s| s.conditions.as_ref()));
            for condition in CONDITIONS {
                self.cluster_issuer_ready
                    .with_label_values(&[name.as_str(), condition])
                    .set(if condition == current { 1.0 } else { 0.0 });
            }
        }
        let mut out = Vec::new();
        for v in self.vectors() {
            out.extend(v.collect());
        }
        out.extend(self.clock_time.collect());
        out
    }
}

/// Shared metrics handle.
pub type SharedMetrics = Arc<Metrics>;
