//! The four CustomResourceDefinitions anchorage installs, generated from the Rust types.
//!
//! `anchorage crds` prints these; `make crds` writes them to `config/crd/` and
//! `charts/anchorage/crds/`, and a test fails when a committed copy drifts.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::crd::v1::CustomResourceExt;

use crate::certificate::Certificate;
use crate::certificate_request::CertificateRequest;
use crate::cluster_issuer::ClusterIssuer;
use crate::issuer::Issuer;

/// All four CRDs, in a fixed order: Certificate, CertificateRequest, Issuer, ClusterIssuer.
///
/// Each is exactly `<Kind>::crd()`; this list is what `anchorage crds` prints.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        Certificate::crd(),
        CertificateRequest::crd(),
        Issuer::crd(),
        ClusterIssuer::crd(),
    ]
}

/// The file name a CRD is written to by `anchorage crds --out-dir`: `<metadata.name>.yaml`,
/// e.g. `certificates.cert-manager.io.yaml`.
pub fn crd_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}.yaml", crd.metadata.name.as_deref().unwrap_or("unnamed"))
}
