//! OpenAPI schema pieces and CEL validation rules (`x-kubernetes-validations`) attached to the
//! derived schemas through `#[schemars(transform = ...)]` and `#[schemars(schema_with = ...)]`.
//!
//! All server-side rules live here, next to each other, so they can be read and reviewed against
//! the pure Rust checks in [`crate::validation`], which enforce the same rules (the controller
//! re-checks because CRDs may have been installed from elsewhere).
//!
//! CEL cost: the API server estimates the worst-case cost of every rule from `maxItems` and
//! `maxLength` and refuses CRDs over its budget, so every string or list a rule walks is bounded.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

use crate::constants::KNOWN_USAGES;
use crate::duration::GO_DURATION_PATTERN;

/// Maximum number of entries in `spec.ipAddresses` (bounds the per-item `isIP` rule's cost).
pub const MAX_IP_ADDRESSES: u32 = 100;
/// Maximum length of one `spec.ipAddresses` entry in characters (longest IPv6 text form is 45).
pub const MAX_IP_ADDRESS_LENGTH: u32 = 64;
/// Maximum number of entries in `spec.usages` (23 known usages; duplicates are tolerated).
pub const MAX_USAGES: u32 = 64;
/// Maximum length of `spec.commonName` in characters, bounding the byte-length rule's cost. The
/// real limit, 64 bytes, is the CEL rule's.
pub const MAX_COMMON_NAME_CHARS: u32 = 256;
/// Maximum length of a Kubernetes object name (DNS subdomain, RFC 1123), in characters.
pub const MAX_NAME_LENGTH: u32 = 253;
/// Maximum length of the base64 text of `CertificateRequest.spec.request`: 1 MiB.
pub const MAX_REQUEST_LENGTH: u32 = 1 << 20;
/// Maximum number of `spec.groups` entries and of values per `spec.extra` key on a
/// CertificateRequest (bounds the cost of the immutability rule).
pub const MAX_REQUESTER_ITEMS: u32 = 256;
/// Maximum length of a requester string (username, uid, group, extra value), in characters.
pub const MAX_REQUESTER_STRING: u32 = 1024;

/// One CEL rule: `rule` must hold; otherwise `message` is reported (at `field_path`, relative to
/// the schema node carrying the rule, when given).
fn rule(rule: &str, message: &str, field_path: Option<&str>) -> Value {
    let mut v = json!({ "rule": rule, "message": message });
    if let (Some(path), Some(obj)) = (field_path, v.as_object_mut()) {
        obj.insert("fieldPath".into(), Value::String(path.into()));
    }
    v
}

/// One CEL rule whose message is computed by `message_expression` (a CEL string expression);
/// `message` is the fallback the API server uses if the expression fails.
fn rule_expr(rule: &str, message: &str, message_expression: &str, field_path: &str) -> Value {
    json!({
        "rule": rule,
        "message": message,
        "messageExpression": message_expression,
        "fieldPath": field_path,
    })
}

/// Appends CEL rules to a schema node's `x-kubernetes-validations`.
fn add_rules(schema: &mut Schema, rules: impl IntoIterator<Item = Value>) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let entry = obj
        .entry("x-kubernetes-validations")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = entry.as_array_mut() {
        list.extend(rules);
    }
}

/// Sets (or replaces) one keyword of a schema node.
fn set(schema: &mut Schema, key: &str, value: Value) {
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(key.into(), value);
    }
}

/// Makes the optional properties of an object schema plain (non-nullable) types.
///
/// schemars renders `Option<T>` as `type: [T, "null"]`, which kube turns into `nullable: true`.
/// cert-manager's CRDs are not nullable: an explicit `null` (e.g. `renewBefore:` with no value)
/// is pruned by the API server, so CEL rules see the field as absent instead of failing on a
/// null. Our `Option` fields are skipped when `None`, so nothing changes on the Rust side.
pub(crate) fn non_nullable(schema: &mut Schema) {
    let Some(props) = schema
        .as_object_mut()
        .and_then(|o| o.get_mut("properties"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for prop in props.values_mut() {
        let Some(obj) = prop.as_object_mut() else {
            continue;
        };
        if let Some(Value::Array(types)) = obj.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let single = types.remove(0);
                obj.insert("type".into(), single);
            }
        }
        // `Option<T>` of a schema without a `type` becomes `anyOf: [T, {type: null}]`.
        if let Some(Value::Array(any_of)) = obj.get("anyOf") {
            let non_null: Vec<Value> = any_of
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .cloned()
                .collect();
            if non_null.len() == 1
                && let Some(Value::Object(inner)) = non_null.into_iter().next()
            {
                obj.remove("anyOf");
                for (k, v) in inner {
                    obj.entry(k).or_insert(v);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// schema_with helpers
// ---------------------------------------------------------------------------------------------

/// An object whose content is kept as-is (`x-kubernetes-preserve-unknown-fields`): issuer types
/// and Certificate features anchorage accepts but does not implement (acme, vault, venafi,
/// keystores, nameConstraints).
pub(crate) fn opaque_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// A list of objects kept as-is (`additionalOutputFormats`, `otherNames`).
pub(crate) fn opaque_object_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
        },
    })
}

/// Bytes as a base64 string (`format: byte`; the API server checks the base64).
pub(crate) fn byte_string(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "format": "byte",
    })
}

/// `CertificateRequest.spec.request`: base64 of a PEM CSR, bounded for the immutability rule.
pub(crate) fn request_bytes(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "format": "byte",
        "maxLength": MAX_REQUEST_LENGTH,
    })
}

/// `spec.usages`: each entry one of cert-manager's 23 key usage names.
pub(crate) fn usages(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "maxItems": MAX_USAGES,
        "items": {
            "type": "string",
            "enum": KNOWN_USAGES,
        },
    })
}

/// `spec.ipAddresses`: each entry must be an IPv4 or IPv6 address (CEL `isIP`, Kubernetes
/// >= 1.30), as cert-manager's webhook requires (`net.ParseIP`).
pub(crate) fn ip_addresses(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "maxItems": MAX_IP_ADDRESSES,
        "items": {
            "type": "string",
            "maxLength": MAX_IP_ADDRESS_LENGTH,
            "x-kubernetes-validations": [
                { "rule": "isIP(self)", "message": "invalid IP address" },
            ],
        },
    })
}

/// A string list of requester data on a CertificateRequest (`groups`).
pub(crate) fn requester_list(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "maxItems": MAX_REQUESTER_ITEMS,
        "items": { "type": "string", "maxLength": MAX_REQUESTER_STRING },
    })
}

/// `CertificateRequest.spec.extra`: map of string lists.
pub(crate) fn requester_extra(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_REQUESTER_ITEMS,
        "additionalProperties": {
            "type": "array",
            "maxItems": MAX_REQUESTER_ITEMS,
            "items": { "type": "string", "maxLength": MAX_REQUESTER_STRING },
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Field transforms
// ---------------------------------------------------------------------------------------------

/// `status.conditions`: a list map keyed by `type`, so server-side apply merges conditions one
/// by one (as in cert-manager's CRDs).
pub(crate) fn conditions_list(schema: &mut Schema) {
    set(schema, "x-kubernetes-list-type", json!("map"));
    set(schema, "x-kubernetes-list-map-keys", json!(["type"]));
}

/// Evaluates `rule` only when the string is a well-formed Go duration: a malformed one is
/// already reported by the schema's `pattern`, and calling CEL's `duration()` on it would add a
/// confusing "type conversion error" to the API server's answer.
fn guarded(rule: &str) -> String {
    format!("!self.matches(r'{GO_DURATION_PATTERN}') || {rule}")
}

/// `Certificate.spec.duration`: at least 1h (cert-manager `MinimumCertificateDuration`).
pub(crate) fn certificate_duration(schema: &mut Schema) {
    add_rules(
        schema,
        [rule(
            &guarded("duration(self) >= duration('1h')"),
            "certificate duration must be greater than 1h0m0s",
            None,
        )],
    );
}

/// `Certificate.spec.renewBefore`: at least 5m (cert-manager `MinimumRenewBefore`).
pub(crate) fn certificate_renew_before(schema: &mut Schema) {
    add_rules(
        schema,
        [rule(
            &guarded("duration(self) >= duration('5m')"),
            "certificate renewBefore must be greater than 5m0s",
            None,
        )],
    );
}

/// `Certificate.spec.commonName`: at most 64 bytes (RFC 5280 `ub-common-name`), counting UTF-8
/// bytes, not characters; `maxLength` only bounds the rule's cost.
pub(crate) fn common_name(schema: &mut Schema) {
    set(schema, "maxLength", json!(MAX_COMMON_NAME_CHARS));
    add_rules(
        schema,
        [rule(
            "bytes(self).size() <= 64",
            "Too long: must have at most 64 bytes",
            None,
        )],
    );
}

/// `Certificate.spec.renewBeforePercentage`: strictly between 0 and 100.
pub(crate) fn renew_before_percentage(schema: &mut Schema) {
    set(schema, "minimum", json!(1));
    set(schema, "maximum", json!(99));
}

/// Kubernetes object names referenced by the spec (`secretName`, `issuerRef.name`): non-empty,
/// at most 253 characters.
pub(crate) fn object_name(schema: &mut Schema) {
    set(schema, "minLength", json!(1));
    set(schema, "maxLength", json!(MAX_NAME_LENGTH));
}

/// Short bounded strings (kinds, groups, enum-like names).
pub(crate) fn short_string(schema: &mut Schema) {
    set(schema, "maxLength", json!(MAX_NAME_LENGTH));
}

/// Requester strings on a CertificateRequest (`username`, `uid`).
pub(crate) fn requester_string(schema: &mut Schema) {
    set(schema, "maxLength", json!(MAX_REQUESTER_STRING));
}

/// `spec.privateKey.algorithm`.
pub(crate) fn key_algorithm(schema: &mut Schema) {
    set(schema, "enum", json!(["RSA", "ECDSA", "Ed25519"]));
}

/// `spec.privateKey.encoding`.
pub(crate) fn key_encoding(schema: &mut Schema) {
    set(schema, "enum", json!(["PKCS1", "PKCS8"]));
}

/// `spec.privateKey.rotationPolicy`.
pub(crate) fn rotation_policy(schema: &mut Schema) {
    set(schema, "enum", json!(["Never", "Always"]));
}

/// `spec.revisionHistoryLimit`: at least 1 (cert-manager webhook).
pub(crate) fn revision_history_limit(schema: &mut Schema) {
    set(schema, "minimum", json!(1));
}

/// Condition `status`.
pub(crate) fn condition_status(schema: &mut Schema) {
    set(schema, "enum", json!(["True", "False", "Unknown"]));
}

// ---------------------------------------------------------------------------------------------
// Struct transforms (each also strips `nullable`)
// ---------------------------------------------------------------------------------------------

/// Any struct without rules of its own.
pub(crate) fn plain(schema: &mut Schema) {
    non_nullable(schema);
}

/// `IssuerRef`: `kind` is `Issuer` or `ClusterIssuer` when the group is cert-manager's (empty
/// means cert-manager.io); other groups are external issuers and any kind is allowed there.
pub(crate) fn issuer_ref(schema: &mut Schema) {
    non_nullable(schema);
    add_rules(
        schema,
        [rule(
            "(has(self.group) && self.group != '' && self.group != 'cert-manager.io') || !has(self.kind) || self.kind in ['', 'Issuer', 'ClusterIssuer']",
            "must be one of Issuer or ClusterIssuer",
            Some(".kind"),
        )],
    );
}

/// `Certificate.spec.privateKey`: `size` valid for `algorithm` (RSA 2048..8192, ECDSA 256, 384
/// or 521, Ed25519 ignores it; 0 or unset means the default).
pub(crate) fn private_key(schema: &mut Schema) {
    non_nullable(schema);
    add_rules(
        schema,
        [
            rule(
                "!has(self.size) || self.size == 0 || (has(self.algorithm) && self.algorithm != 'RSA') || (self.size >= 2048 && self.size <= 8192)",
                "must be between 2048 & 8192 for rsa keyAlgorithm",
                Some(".size"),
            ),
            rule(
                "!has(self.size) || self.size == 0 || !has(self.algorithm) || self.algorithm != 'ECDSA' || self.size in [256, 384, 521]",
                "Unsupported value: supported values: \"256\", \"384\", \"521\" for ecdsa keyAlgorithm",
                Some(".size"),
            ),
        ],
    );
    if let Some(size) = schema
        .as_object_mut()
        .and_then(|o| o.get_mut("properties"))
        .and_then(|p| p.get_mut("size"))
        .and_then(Value::as_object_mut)
    {
        size.insert("minimum".into(), json!(0));
    }
}

/// The CEL expression for the effective `spec.duration` (default 2160h).
const EFFECTIVE_DURATION: &str =
    "(has(self.duration) ? duration(self.duration) : duration('2160h'))";

/// `Certificate.spec` cross-field rules: at least one subject name; renewBefore < duration;
/// renewBefore xor renewBeforePercentage; the percentage yields at least 5m.
pub(crate) fn certificate_spec(schema: &mut Schema) {
    non_nullable(schema);
    let renew_before_lt_duration =
        format!("!has(self.renewBefore) || duration(self.renewBefore) < {EFFECTIVE_DURATION}");
    let percentage_min = format!(
        "!has(self.renewBeforePercentage) || {EFFECTIVE_DURATION}.getSeconds() * self.renewBeforePercentage / 100 >= 300"
    );
    add_rules(
        schema,
        [
            rule(
                "(has(self.commonName) && self.commonName != '') || has(self.literalSubject) || (has(self.dnsNames) && size(self.dnsNames) > 0) || (has(self.uris) && size(self.uris) > 0) || (has(self.ipAddresses) && size(self.ipAddresses) > 0) || (has(self.emailAddresses) && size(self.emailAddresses) > 0) || (has(self.otherNames) && size(self.otherNames) > 0)",
                "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, uriSANs, ipAddresses, emailSANs or otherNames must be set",
                None,
            ),
            rule_expr(
                &renew_before_lt_duration,
                "certificate duration must be greater than renewBefore",
                "'certificate duration ' + (has(self.duration) ? self.duration : '2160h') + ' must be greater than renewBefore ' + self.renewBefore",
                ".renewBefore",
            ),
            rule(
                "!(has(self.renewBefore) && has(self.renewBeforePercentage))",
                "renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set",
                Some(".renewBefore"),
            ),
            rule(
                &percentage_min,
                "certificate renewBeforePercentage must result in a renewBefore greater than 5m0s",
                Some(".renewBeforePercentage"),
            ),
        ],
    );
}

/// `CertificateRequest.spec`: immutable once created (cert-manager's webhook refuses updates).
pub(crate) fn certificate_request_spec(schema: &mut Schema) {
    non_nullable(schema);
    add_rules(
        schema,
        [rule(
            "self == oldSelf",
            "field is immutable: CertificateRequest spec cannot be changed after creation",
            None,
        )],
    );
}

/// `Issuer.spec` / `ClusterIssuer.spec`: exactly one issuer type.
pub(crate) fn issuer_spec(schema: &mut Schema) {
    non_nullable(schema);
    add_rules(
        schema,
        [rule(
            "(has(self.ca) ? 1 : 0) + (has(self.selfSigned) ? 1 : 0) + (has(self.acme) ? 1 : 0) + (has(self.vault) ? 1 : 0) + (has(self.venafi) ? 1 : 0) == 1",
            "exactly one of ca, selfSigned, acme, vault or venafi must be set",
            None,
        )],
    );
}
