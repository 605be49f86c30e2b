//! Normalisation of cert-manager usage strings for comparisons.
//!
//! cert-manager treats some usage strings as aliases of the same X.509 bit or OID:
//! `signing` is keyUsage digitalSignature, `s/mime` is extKeyUsage emailProtection.

use std::collections::BTreeSet;

use anchorage_pki::KeyUsage;

/// Canonical name for a usage string, or `None` when it is not one of the 23 known strings.
pub fn canonical(usage: &str) -> Option<&'static str> {
    let u = KeyUsage::parse(usage).ok()?;
    Some(match u.as_str() {
        "signing" => "digital signature",
        "s/mime" => "email protection",
        other => other,
    })
}

/// Canonical set of usages; `is_ca` adds `cert sign` (cert-manager behaviour).
pub fn canonical_set<S: AsRef<str>>(usages: &[S], is_ca: bool) -> BTreeSet<&'static str> {
    let mut set: BTreeSet<&'static str> = usages
        .iter()
        .filter_map(|u| canonical(u.as_ref()))
        .collect();
    if is_ca {
        set.insert("cert sign");
    }
    set
}

/// Parses usage strings into [`KeyUsage`] values, skipping unknown ones (validation reports
/// those separately).
pub fn parse_all<S: AsRef<str>>(usages: &[S]) -> Vec<KeyUsage> {
    usages
        .iter()
        .filter_map(|u| KeyUsage::parse(u.as_ref()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_collapse() {
        let a = canonical_set(&["signing", "s/mime"], false);
        let b = canonical_set(&["digital signature", "email protection"], false);
        assert_eq!(a, b);
        assert!(canonical_set(&["server auth"], true).contains("cert sign"));
        assert_eq!(canonical("bogus"), None);
    }
}
