//! `ClusterIssuer`: the cluster-scoped twin of [`Issuer`], with the same [`IssuerSpec`] and
//! [`IssuerStatus`] types.
//!
//! kube's `CustomResource` derive generates one root type per spec struct, which would give
//! `ClusterIssuer` a spec type of its own. Instead this module writes out what the derive would
//! generate (the `Resource`, `HasSpec`, `HasStatus` and `CustomResourceExt` impls and a
//! `Serialize` that adds `apiVersion`/`kind`), reusing `IssuerSpec`. Its CRD is the `Issuer` CRD
//! with the names and scope changed, so the two schemas can never drift apart.

use std::borrow::Cow;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::crd::v1::CustomResourceExt;
use kube::core::dynamic::ApiResource;
use kube::core::object::{HasSpec, HasStatus};
use kube::core::{ClusterResourceScope, Resource};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use crate::constants::{API_VERSION, CATEGORY, CLUSTER_ISSUER_KIND, GROUP, VERSION};
use crate::issuer::{Issuer, IssuerSpec, IssuerStatus};

/// Plural resource name of ClusterIssuers.
pub const CLUSTER_ISSUER_PLURAL: &str = "clusterissuers";
/// Name of the ClusterIssuer CRD.
pub const CLUSTER_ISSUER_CRD_NAME: &str = "clusterissuers.cert-manager.io";
/// Description of the ClusterIssuer CRD (cert-manager's wording).
const CLUSTER_ISSUER_DOC: &str = "A ClusterIssuer represents a certificate issuing authority which can be referenced as part of `issuerRef` fields. It is similar to an Issuer, however it is cluster-scoped and therefore can be referenced by resources that exist in *any* namespace, not just the same namespace as the referent.";

/// A cluster-scoped issuer (`cert-manager.io/v1`, kind `ClusterIssuer`).
///
/// Its `ca.secretName` Secret lives in the controller's cluster resource namespace (a flag;
/// the chart's default is the release namespace), as in cert-manager.
#[derive(Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIssuer {
    /// Standard object metadata (no namespace).
    pub metadata: ObjectMeta,
    /// Desired state; the same type as an `Issuer`'s spec.
    pub spec: IssuerSpec,
    /// Observed state, written by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IssuerStatus>,
}

impl ClusterIssuer {
    /// A ClusterIssuer with the given name and spec, like the derived `Issuer::new`.
    pub fn new(name: &str, spec: IssuerSpec) -> Self {
        Self {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        }
    }
}

impl Serialize for ClusterIssuer {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let fields = if self.status.is_some() { 5 } else { 4 };
        let mut obj = ser.serialize_struct("ClusterIssuer", fields)?;
        obj.serialize_field("apiVersion", API_VERSION)?;
        obj.serialize_field("kind", CLUSTER_ISSUER_KIND)?;
        obj.serialize_field("metadata", &self.metadata)?;
        obj.serialize_field("spec", &self.spec)?;
        if let Some(status) = &self.status {
            obj.serialize_field("status", status)?;
        }
        obj.end()
    }
}

impl Resource for ClusterIssuer {
    type DynamicType = ();
    type Scope = ClusterResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        CLUSTER_ISSUER_KIND.into()
    }

    fn group(_: &()) -> Cow<'_, str> {
        GROUP.into()
    }

    fn version(_: &()) -> Cow<'_, str> {
        VERSION.into()
    }

    fn api_version(_: &()) -> Cow<'_, str> {
        API_VERSION.into()
    }

    fn plural(_: &()) -> Cow<'_, str> {
        CLUSTER_ISSUER_PLURAL.into()
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

impl HasSpec for ClusterIssuer {
    type Spec = IssuerSpec;

    fn spec(&self) -> &IssuerSpec {
        &self.spec
    }

    fn spec_mut(&mut self) -> &mut IssuerSpec {
        &mut self.spec
    }
}

impl HasStatus for ClusterIssuer {
    type Status = IssuerStatus;

    fn status(&self) -> Option<&IssuerStatus> {
        self.status.as_ref()
    }

    fn status_mut(&mut self) -> &mut Option<IssuerStatus> {
        &mut self.status
    }
}

impl CustomResourceExt for ClusterIssuer {
    /// The `Issuer` CRD renamed to `clusterissuers.cert-manager.io`, scope `Cluster`, short name
    /// `ciss`; schema, printer columns and status subresource are the Issuer's.
    fn crd() -> CustomResourceDefinition {
        let mut crd = Issuer::crd();
        crd.metadata.name = Some(CLUSTER_ISSUER_CRD_NAME.into());
        crd.spec.scope = "Cluster".into();
        let names = &mut crd.spec.names;
        names.kind = CLUSTER_ISSUER_KIND.into();
        names.plural = CLUSTER_ISSUER_PLURAL.into();
        names.singular = Some("clusterissuer".into());
        names.short_names = Some(vec!["ciss".into()]);
        names.categories = Some(vec![CATEGORY.into()]);
        for version in &mut crd.spec.versions {
            if let Some(schema) = version
                .schema
                .as_mut()
                .and_then(|s| s.open_api_v3_schema.as_mut())
            {
                schema.description = Some(CLUSTER_ISSUER_DOC.into());
                schema.title = Some(CLUSTER_ISSUER_KIND.into());
            }
        }
        crd
    }

    fn crd_name() -> &'static str {
        CLUSTER_ISSUER_CRD_NAME
    }

    fn api_resource() -> ApiResource {
        ApiResource::erase::<Self>(&())
    }

    fn shortnames() -> &'static [&'static str] {
        &["ciss"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::CaIssuer;

    #[test]
    fn serializes_with_api_version_and_kind_and_reads_back() {
        let ci = ClusterIssuer::new(
            "ca",
            IssuerSpec {
                ca: Some(CaIssuer {
                    secret_name: "ca-key-pair".into(),
                    ..CaIssuer::default()
                }),
                ..IssuerSpec::default()
            },
        );
        let json = serde_json::to_value(&ci).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "apiVersion": "cert-manager.io/v1",
                "kind": "ClusterIssuer",
                "metadata": {"name": "ca"},
                "spec": {"ca": {"secretName": "ca-key-pair"}},
            })
        );
        let back: ClusterIssuer = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, ci);
        assert_eq!(ClusterIssuer::kind(&()), "ClusterIssuer");
        assert_eq!(ClusterIssuer::plural(&()), "clusterissuers");
        assert_eq!(ClusterIssuer::api_resource().plural, "clusterissuers");
    }
}
