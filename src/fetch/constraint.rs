//! Helm (Masterminds/semver) version constraints, translated to the `semver`
//! crate.
//!
//! Supported forms:
//! - `""`, `*`, `x`: any version (prereleases excluded);
//! - a bare version `1.2.3` (or `v1.2.3`, `=1.2.3`) means exactly that version;
//!   a partial one (`1.2`, `1`) or one with wildcards (`1.2.x`, `1.*`) means
//!   any version in that range;
//! - comparisons `>`, `>=`, `<`, `<=` (`=<`), `!=`, with partial versions
//!   handled like Helm (`>1.2` is `>=1.3.0`, `<=1.2` is `<1.3.0`);
//! - `~1.2.3` (`~>`): `>=1.2.3 <1.3.0`; `^1.2.3`: `>=1.2.3 <2.0.0`,
//!   `^0.2.3`: `>=0.2.3 <0.3.0`, `^0.0.3`: `=0.0.3`;
//! - hyphen ranges `1.2 - 1.4.5`: `>=1.2 <=1.4.5`;
//! - terms separated by spaces or commas must all hold (AND); `||` separates
//!   alternatives (OR).
//!
//! Prerelease versions only match when a term of the same alternative names a
//! prerelease with the same major.minor.patch (as in Cargo, close to Helm).

use std::fmt;

use semver::{Version, VersionReq};

/// A parsed Helm constraint.
#[derive(Debug, Clone)]
pub struct HelmConstraint {
    text: String,
    /// OR of AND-groups.
    alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone)]
struct Alternative {
    /// All positive comparators combined (`semver` prerelease rules apply to
    /// the whole group).
    req: VersionReq,
    /// `!=` terms.
    excluded: Vec<Version>,
}

/// A constraint that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version constraint {constraint:?}: {reason}")]
pub struct ConstraintError {
    pub constraint: String,
    pub reason: String,
}

impl HelmConstraint {
    /// Parse a Helm constraint; `""` means any (non-prerelease) version.
    pub fn parse(text: &str) -> Result<Self, ConstraintError> {
        let err = |reason: String| ConstraintError { constraint: text.to_string(), reason };
        let mut alternatives = Vec::new();
        for alt in text.split("||") {
            let tokens = tokenize(alt);
            let mut comparators: Vec<String> = Vec::new();
            let mut excluded = Vec::new();
            let mut i = 0;
            while i < tokens.len() {
                // Hyphen range: `a - b`.
                if i + 2 < tokens.len() && tokens[i + 1] == "-" {
                    let low = partial(&tokens[i]).map_err(err)?;
                    let high = partial(&tokens[i + 2]).map_err(err)?;
                    if let Some(low) = low {
                        comparators.push(format!(">={low}"));
                    }
                    if let Some(high) = high {
                        comparators.push(format!("<={high}"));
                    }
                    i += 3;
                    continue;
                }
                let token = &tokens[i];
                let (op, rest) = split_operator(token);
                // An operator separated from its version by a space.
                let (op, version_text) = if rest.is_empty() && !op.is_empty() {
                    match tokens.get(i + 1) {
                        Some(next) => {
                            i += 1;
                            (op, next.as_str())
                        }
                        None => return Err(err(format!("operator {op:?} without a version"))),
                    }
                } else {
                    (op, rest)
                };
                i += 1;
                let version = partial(version_text).map_err(err)?;
                match (op, version) {
                    (_, None)
                        if op.is_empty()
                            || op == "="
                            || op == ">="
                            || op == "<="
                            || op == "~"
                            || op == "~>"
                            || op == "^" =>
                    {
                        // `*`, `>=*`, ...: no restriction.
                    }
                    (_, None) => {
                        return Err(err(format!("{op:?} needs a version, not a wildcard")));
                    }
                    ("!=", Some(v)) => {
                        let full =
                            full_version(&v).ok_or_else(|| err(format!("\"!=\" needs a full version, got {v:?}")))?;
                        excluded.push(full);
                    }
                    ("" | "=", Some(v)) => comparators.push(format!("={v}")),
                    ("=<", Some(v)) => comparators.push(format!("<={v}")),
                    ("~>", Some(v)) => comparators.push(format!("~{v}")),
                    (op, Some(v)) => comparators.push(format!("{op}{v}")),
                }
            }
            let req_text = if comparators.is_empty() { "*".to_string() } else { comparators.join(", ") };
            let req = VersionReq::parse(&req_text).map_err(|e| err(e.to_string()))?;
            alternatives.push(Alternative { req, excluded });
        }
        Ok(HelmConstraint { text: text.to_string(), alternatives })
    }

    /// Whether `version` satisfies the constraint.
    pub fn matches(&self, version: &Version) -> bool {
        self.alternatives.iter().any(|alt| alt.req.matches(version) && !alt.excluded.iter().any(|x| x == version))
    }

    /// Whether the constraint is one exact version (`1.2.3`, `=1.2.3`, `v1.2.3`).
    pub fn exact(&self) -> Option<Version> {
        match self.alternatives.as_slice() {
            [alt] if alt.excluded.is_empty() => match alt.req.comparators.as_slice() {
                [c] if c.op == semver::Op::Exact && c.minor.is_some() && c.patch.is_some() => Some(Version {
                    major: c.major,
                    minor: c.minor.unwrap_or(0),
                    patch: c.patch.unwrap_or(0),
                    pre: c.pre.clone(),
                    build: semver::BuildMetadata::EMPTY,
                }),
                _ => None,
            },
            _ => None,
        }
    }

    /// The original text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for HelmConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.trim().is_empty() {
            f.write_str("latest")
        } else {
            f.write_str(&self.text)
        }
    }
}

/// Parse a chart version the way Helm accepts them: an optional `v`, and
/// missing minor/patch numbers read as 0.
pub fn parse_chart_version(text: &str) -> Option<Version> {
    let t = text.trim();
    let t = t.strip_prefix('v').or_else(|| t.strip_prefix('V')).unwrap_or(t);
    if let Ok(v) = Version::parse(t) {
        return Some(v);
    }
    // Pad `1` / `1.2` (keeping any -pre / +build suffix).
    let split = t.find(['-', '+']).unwrap_or(t.len());
    let (core, suffix) = t.split_at(split);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut padded: Vec<&str> = parts.clone();
    while padded.len() < 3 {
        padded.push("0");
    }
    Version::parse(&format!("{}{}", padded.join("."), suffix)).ok()
}

fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty()).map(str::to_string).collect()
}

const OPERATORS: [&str; 10] = [">=", "<=", "=<", "=>", "!=", "~>", ">", "<", "=", "~"];

fn split_operator(token: &str) -> (&str, &str) {
    if let Some(rest) = token.strip_prefix('^') {
        return ("^", rest);
    }
    for op in OPERATORS {
        if let Some(rest) = token.strip_prefix(op) {
            let op = if op == "=>" { ">=" } else { op };
            return (op, rest);
        }
    }
    ("", token)
}

/// A version as written in a constraint: `v` stripped, wildcard components
/// (`x`, `X`, `*`) and everything after them dropped. `None` for a bare
/// wildcard.
fn partial(text: &str) -> Result<Option<String>, String> {
    let t = text.strip_prefix('v').or_else(|| text.strip_prefix('V')).unwrap_or(text);
    let split = t.find(['-', '+']).unwrap_or(t.len());
    let (core, suffix) = t.split_at(split);
    let mut kept: Vec<&str> = Vec::new();
    let mut wildcard = false;
    for part in core.split('.') {
        if matches!(part, "x" | "X" | "*") {
            wildcard = true;
            break;
        }
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{text:?} is not a version"));
        }
        kept.push(part);
    }
    if kept.len() > 3 {
        return Err(format!("{text:?} has more than three numbers"));
    }
    if kept.is_empty() {
        return Ok(None);
    }
    let mut out = kept.join(".");
    if !wildcard && kept.len() == 3 {
        out.push_str(suffix);
    } else if !suffix.is_empty() && !wildcard {
        return Err(format!("{text:?}: a prerelease needs a full major.minor.patch version"));
    }
    Ok(Some(out))
}

fn full_version(text: &str) -> Option<Version> {
    if text.split(['-', '+']).next().map(|core| core.split('.').count()) == Some(3) {
        Version::parse(text).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: &str, v: &str) -> bool {
        let c = HelmConstraint::parse(c).unwrap_or_else(|e| panic!("{e}"));
        c.matches(&Version::parse(v).unwrap())
    }

    #[test]
    fn empty_and_wildcards_match_releases_only() {
        for c in ["", "*", "x", " "] {
            assert!(m(c, "0.0.1"), "{c}");
            assert!(m(c, "99.1.0"), "{c}");
            assert!(!m(c, "1.0.0-rc.1"), "{c}");
        }
    }

    #[test]
    fn bare_version_is_exact() {
        assert!(m("1.2.3", "1.2.3"));
        assert!(!m("1.2.3", "1.2.4"));
        assert!(!m("1.2.3", "1.3.0"));
        assert!(m("v1.2.3", "1.2.3"));
        assert!(m("=1.2.3", "1.2.3"));
        assert!(m("1.2", "1.2.9"));
        assert!(!m("1.2", "1.3.0"));
        assert!(m("1.x", "1.9.0"));
        assert!(!m("1.x", "2.0.0"));
        assert!(m("1.2.x", "1.2.7"));
        assert!(m("1.2.*", "1.2.7"));
        assert!(!m("1.2.x", "1.3.0"));
        assert_eq!(HelmConstraint::parse("1.2.3").unwrap().exact(), Some(Version::new(1, 2, 3)));
        assert_eq!(HelmConstraint::parse("1.2").unwrap().exact(), None);
        assert_eq!(HelmConstraint::parse("^1.2.3").unwrap().exact(), None);
    }

    #[test]
    fn caret_and_tilde() {
        assert!(m("^1.2", "1.9.0"));
        assert!(m("^1.2", "1.2.0"));
        assert!(!m("^1.2", "2.0.0"));
        assert!(!m("^1.2", "1.1.9"));
        assert!(m("^0.2.3", "0.2.9"));
        assert!(!m("^0.2.3", "0.3.0"));
        assert!(m("~1.2.3", "1.2.9"));
        assert!(!m("~1.2.3", "1.3.0"));
        assert!(m("~> 1.2.3", "1.2.5"));
        assert!(m("~1", "1.9.0"));
    }

    #[test]
    fn ranges_and_or() {
        assert!(m(">=1.0 <2.0", "1.5.0"));
        assert!(!m(">=1.0 <2.0", "2.0.0"));
        assert!(m(">=1.0, <2.0", "1.0.0"));
        assert!(m(">= 1.0 < 2.0", "1.9.9"));
        assert!(m("<1.0 || >=3.0", "0.5.0"));
        assert!(m("<1.0 || >=3.0", "3.1.0"));
        assert!(!m("<1.0 || >=3.0", "2.0.0"));
        assert!(m("1.2 - 1.4.5", "1.4.5"));
        assert!(!m("1.2 - 1.4.5", "1.4.6"));
        assert!(m(">1.2", "1.3.0"));
        assert!(!m(">1.2", "1.2.9"));
        assert!(m("<=1.2", "1.2.9"));
        assert!(m("=<1.2", "1.2.9"));
        assert!(m(">=1.0.0 !=1.5.0", "1.4.0"));
        assert!(!m(">=1.0.0 !=1.5.0", "1.5.0"));
    }

    #[test]
    fn prereleases_only_when_named() {
        assert!(!m("^1.0", "1.1.0-beta.1"));
        assert!(m(">=1.1.0-alpha", "1.1.0-beta.1"));
        assert!(m("1.1.0-beta.1", "1.1.0-beta.1"));
    }

    #[test]
    fn invalid_constraints() {
        assert!(HelmConstraint::parse("abc").is_err());
        assert!(HelmConstraint::parse(">=").is_err());
        assert!(HelmConstraint::parse("1.2.3.4").is_err());
    }

    #[test]
    fn chart_versions() {
        assert_eq!(parse_chart_version("v1.2.3"), Some(Version::new(1, 2, 3)));
        assert_eq!(parse_chart_version("1.2"), Some(Version::new(1, 2, 0)));
        assert_eq!(parse_chart_version("2"), Some(Version::new(2, 0, 0)));
        assert!(parse_chart_version("1.2.3-rc.1").is_some_and(|v| !v.pre.is_empty()));
        assert_eq!(parse_chart_version("latest"), None);
    }
}
