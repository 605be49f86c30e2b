//! Usage-string sets for comparisons, on top of [`KeyUsage`] (which knows the 23 strings and
//! folds cert-manager's aliases: `signing` = digital signature, `s/mime` = email protection).

use std::collections::BTreeSet;

use anchorage_pki::KeyUsage;

/// Canonical name for a usage string (aliases folded by [`KeyUsage::canonical`]), or `None`
/// when it is not one of the 23 known strings.
pub fn canonical(usage: &str) -> Option<&'static str> {
    KeyUsage::parse(usage).ok().map(|u| u.canonical().as_str())
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
