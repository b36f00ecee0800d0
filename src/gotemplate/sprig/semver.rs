//! Sprig's `semver` and `semverCompare`, with Masterminds/semver v3's rules (what Helm 4
//! links), which differ from Cargo's and from hldc's chart-range reading (fetch/constraint.rs)
//! where charts lean on them:
//! - a version with a prerelease (`v1.27.3-gke.100`) satisfies an AND group only when some
//!   constraint of that group names a prerelease — any prerelease: `>=1.19-0` admits every
//!   prerelease above 1.19.0-0, which is why charts write it;
//! - partial versions: `1.19-0` is `1.19.0-0`; `>1.2` means a minor above 2; `1.2.x`, `~1.2`,
//!   `^1.2` as in Masterminds' tables; a bare version is exact, a partial one a `~` range;
//! - versions parse leniently (`v` prefix, missing parts, leading zeros), build metadata is
//!   ignored in comparisons.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;
use std::sync::LazyLock;

use regex::Regex;

use super::{fixed, string_arg, Entry, Value};
use crate::gotemplate::Object;

pub(super) const FUNCTIONS: &[Entry] = &[("semver", semver), ("semverCompare", semver_compare)];

fn semver(args: &[Value]) -> Result<Value, String> {
    let [text] = fixed("semver", args)?;
    Ok(Value::Object(Rc::new(Version::parse(string_arg(text)?)?)))
}

fn semver_compare(args: &[Value]) -> Result<Value, String> {
    let [constraint, version] = fixed("semverCompare", args)?;
    Ok(Value::Bool(satisfies(string_arg(constraint)?, string_arg(version)?)?))
}

/// Whether `version` meets `constraint`, as Masterminds/semver v3's `Constraints.Check` (what
/// `semverCompare` and Helm's own range checks, `kubeVersion:` and dependency versions, use);
/// the error is Masterminds' for an unreadable constraint or version.
pub fn satisfies(constraint: &str, version: &str) -> Result<bool, String> {
    Ok(Constraints::parse(constraint)?.check(&Version::parse(version)?))
}

/// A version as Masterminds' `NewVersion` reads it.
#[derive(Clone, Debug)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

const VERSION_PATTERN: &str =
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// A version in a constraint: `x`, `X` and `*` stand for any number.
const CONSTRAINT_VERSION: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

const OPERATORS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

static VERSION: LazyLock<Regex> = LazyLock::new(|| pattern(&format!("^{VERSION_PATTERN}$")));
static ONE_CONSTRAINT: LazyLock<Regex> =
    LazyLock::new(|| pattern(&format!(r"^\s*({OPERATORS})\s*({CONSTRAINT_VERSION})\s*$")));
static HYPHEN_RANGE: LazyLock<Regex> =
    LazyLock::new(|| pattern(&format!(r"\s*({CONSTRAINT_VERSION})\s+-\s+({CONSTRAINT_VERSION})\s*")));
static FIND_CONSTRAINT: LazyLock<Regex> =
    LazyLock::new(|| pattern(&format!(r"({OPERATORS})\s*({CONSTRAINT_VERSION})")));
static VALID_GROUP: LazyLock<Regex> = LazyLock::new(|| {
    pattern(&format!(
        r"^(\s*({OPERATORS})\s*({CONSTRAINT_VERSION})\s*)((?:\s+|,\s*)({OPERATORS})\s*({CONSTRAINT_VERSION})\s*)*$"
    ))
});

fn pattern(text: &str) -> Regex {
    Regex::new(text).expect("Masterminds' patterns are valid regular expressions")
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, String> {
        let invalid = || "invalid semantic version".to_string();
        let found = VERSION.captures(text).ok_or_else(invalid)?;
        let number = |index: usize| -> Result<u64, String> {
            match found.get(index) {
                None => Ok(0),
                Some(part) => part
                    .as_str()
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|error| format!("error parsing version segment: {error}")),
            }
        };
        let pre = found.get(5).map_or("", |m| m.as_str()).to_string();
        let metadata = found.get(8).map_or("", |m| m.as_str()).to_string();
        for part in pre.split('.').filter(|_| !pre.is_empty()) {
            if part.bytes().all(|b| b.is_ascii_digit()) && part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        }
        Ok(Version { major: number(1)?, minor: number(2)?, patch: number(3)?, pre, metadata, original: text.into() })
    }

    /// Masterminds' `Compare`: by numbers, then a prerelease below none, then prerelease parts.
    fn compare(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch)).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            }
        })
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for index in 0..a.len().max(b.len()) {
        let order = compare_prerelease_part(a.get(index).copied().unwrap_or(""), b.get(index).copied().unwrap_or(""));
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Numbers below words; numbers by value, words by bytes; a missing part is lowest.
fn compare_prerelease_part(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    if a.is_empty() {
        return Ordering::Less;
    }
    if b.is_empty() {
        return Ordering::Greater;
    }
    match (a.parse::<u64>(), b.parse::<u64>()) {
        // Go answers -1 for equal numbers written differently (`01`, `1`).
        (Ok(x), Ok(y)) => {
            if x > y {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

impl fmt::Display for Version {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(out, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(out, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(out, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

/// What a template may read off a version (Masterminds/semver's methods without arguments;
/// the comparisons, `LessThan` and kin, are left to the helm binary).
pub const VERSION_MEMBERS: &[&str] = &["Major", "Minor", "Patch", "Prerelease", "Metadata", "Original", "String"];

impl Object for Version {
    fn type_name(&self) -> &str {
        "semver.Version"
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::Int(self.major as i64),
            "Minor" => Value::Int(self.minor as i64),
            "Patch" => Value::Int(self.patch as i64),
            "Prerelease" => Value::string(self.pre.as_str()),
            "Metadata" => Value::string(self.metadata.as_str()),
            "Original" => Value::string(self.original.as_str()),
            "String" => Value::string(self.to_string()),
            _ => return None,
        })
    }

    fn members(&self) -> &'static [&'static str] {
        VERSION_MEMBERS
    }

    fn display(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, out)
    }

    /// Its JSON form is its string.
    fn to_value(&self) -> Value {
        Value::string(self.to_string())
    }
}

/// One comparison of a constraint: `>=1.19-0`, `~1.2`, `1.x`.
struct Constraint {
    operator: String,
    version: Version,
    /// The minor is a wildcard or missing (`1`, `1.x`).
    minor_dirty: bool,
    /// The patch is a wildcard or missing (`1.2`, `1.2.x`).
    patch_dirty: bool,
    /// Any part is a wildcard or missing.
    dirty: bool,
}

/// A whole constraint: alternatives (`||`) of AND groups.
struct Constraints {
    groups: Vec<Vec<Constraint>>,
}

fn is_wildcard(part: &str) -> bool {
    matches!(part, "x" | "X" | "*")
}

impl Constraints {
    fn parse(text: &str) -> Result<Constraints, String> {
        let text = rewrite_hyphen_ranges(text);
        let mut groups = Vec::new();
        for group in text.split("||") {
            if !VALID_GROUP.is_match(group) {
                return Err(format!("improper constraint: {group}"));
            }
            let found: Vec<&str> = FIND_CONSTRAINT.find_iter(group).map(|m| m.as_str()).collect();
            let found = if found.is_empty() { vec![group] } else { found };
            groups.push(found.into_iter().map(Constraint::parse).collect::<Result<Vec<_>, _>>()?);
        }
        Ok(Constraints { groups })
    }

    /// Whether some alternative holds; a prerelease `version` only counts in a group that names
    /// a prerelease.
    fn check(&self, version: &Version) -> bool {
        self.groups.iter().any(|group| {
            let prereleases = group.iter().any(|c| !c.version.pre.is_empty());
            group.iter().all(|c| c.check(version, prereleases))
        })
    }
}

/// `1.2 - 1.4.5` becomes `>= 1.2, <= 1.4.5`.
fn rewrite_hyphen_ranges(text: &str) -> String {
    let mut out = text.to_string();
    for found in HYPHEN_RANGE.captures_iter(text) {
        let replacement = format!(">= {}, <= {} ", &found[1], &found[11]);
        out = out.replacen(&found[0], &replacement, 1);
    }
    out
}

impl Constraint {
    fn parse(text: &str) -> Result<Constraint, String> {
        let found = ONE_CONSTRAINT.captures(text).ok_or_else(|| format!("improper constraint: {text}"))?;
        let part = |index: usize| found.get(index).map_or("", |m| m.as_str());
        let (major, minor, patch, pre) =
            (part(3), part(4).trim_start_matches('.'), part(5).trim_start_matches('.'), part(6));
        let (version, minor_dirty, patch_dirty) = if is_wildcard(major) {
            (format!("0.0.0{pre}"), false, false)
        } else if is_wildcard(minor) || minor.is_empty() {
            (format!("{major}.0.0{pre}"), true, false)
        } else if is_wildcard(patch) || patch.is_empty() {
            (format!("{major}.{minor}.0{pre}"), false, true)
        } else {
            (part(2).to_string(), false, false)
        };
        let dirty = is_wildcard(major) || minor_dirty || patch_dirty;
        let version = Version::parse(&version).map_err(|_| "constraint parser error".to_string())?;
        Ok(Constraint { operator: part(1).to_string(), version, minor_dirty, patch_dirty, dirty })
    }

    fn check(&self, v: &Version, prereleases: bool) -> bool {
        if !v.pre.is_empty() && !prereleases {
            return false;
        }
        let c = &self.version;
        match self.operator.as_str() {
            "" | "=" if self.dirty => self.tilde(v),
            "" | "=" => v.compare(c).is_eq(),
            "!=" => self.not_equal(v),
            ">" => self.greater(v),
            "<" => v.compare(c).is_lt(),
            ">=" | "=>" => v.compare(c).is_ge(),
            "<=" | "=<" => self.less_or_equal(v),
            "~" | "~>" => self.tilde(v),
            "^" => self.caret(v),
            _ => false,
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if self.dirty {
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if c.patch != v.patch && !self.patch_dirty {
                return true;
            }
            if self.patch_dirty {
                return (!v.pre.is_empty() || !c.pre.is_empty()) && compare_prerelease(&v.pre, &c.pre).is_ne();
            }
        }
        !v.compare(c).is_eq()
    }

    fn greater(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.compare(c).is_gt();
        }
        if v.major != c.major {
            return v.major > c.major;
        }
        if self.minor_dirty {
            return false;
        }
        if self.patch_dirty {
            return v.minor > c.minor;
        }
        v.compare(c).is_gt()
    }

    fn less_or_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.compare(c).is_le();
        }
        !(v.major > c.major || v.major == c.major && v.minor > c.minor && !self.minor_dirty)
    }

    /// `~1.2.3` is `>=1.2.3 <1.3.0`; `~1` is `>=1.0.0 <2.0.0`; `~0.0.0` is anything.
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c).is_lt() {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    /// `^1.2.3` is `>=1.2.3 <2.0.0`; `^0.2.3` is `>=0.2.3 <0.3.0`; `^0.0.3` is `0.0.3`.
    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.compare(c).is_lt() {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    fn compare(constraint: &str, version: &str) -> String {
        super::super::strval(&call("semverCompare", &[s(constraint), s(version)]).unwrap())
    }

    #[test]
    fn semver_compare_as_helm_renders_it() {
        for (constraint, version, expected) in [
            (">=1.19-0", "v1.34.0", "true"),
            (">=1.19-0", "v1.27.3-gke.100", "true"),
            (">=1.19-0", "v1.18.9", "false"),
            (">=1.19", "v1.27.3-gke.100", "false"),
            (">=1.19.0", "v1.34.0", "true"),
            ("<1.19-0", "v1.18.20-eks-123", "true"),
            (">=1.16-0 <1.22-0", "v1.21.1", "true"),
            (">=1.16-0, <1.22-0", "v1.22.0", "false"),
            ("^1.2", "1.9.0", "true"),
            ("^1.2", "2.0.0", "false"),
            ("^0.2.3", "0.2.9", "true"),
            ("^0.2.3", "0.3.0", "false"),
            ("~1.2", "1.2.9", "true"),
            ("~1.2", "1.3.0", "false"),
            ("1.2.x", "1.2.7", "true"),
            ("1.2.x", "1.3.0", "false"),
            ("1.2", "1.2.5", "true"),
            ("1.2.3", "1.2.3+build", "true"),
            (">1.2", "1.2.9", "false"),
            (">1.2", "1.3.0", "true"),
            ("<=1.2", "1.2.9", "true"),
            ("<1.0 || >=3.0", "3.1.0", "true"),
            ("<1.0 || >=3.0", "2.0.0", "false"),
            ("1.2 - 1.4.5", "1.4.5", "true"),
            ("1.2 - 1.4.5", "1.4.6", "false"),
            ("!=1.5.0", "1.5.0", "false"),
            ("*", "1.0.0-rc.1", "false"),
            ("*", "7.0.0", "true"),
            (">= 1.2.3-alpha.2", "1.2.3-alpha.10", "true"),
            (">= 1.2.3-alpha.10", "1.2.3-alpha.beta", "true"),
        ] {
            assert_eq!(compare(constraint, version), expected, "semverCompare {constraint:?} {version:?}");
        }
    }

    #[test]
    fn semver_objects_and_errors() {
        check("semver", &[s("v1.2.3-rc.1+b5")], "1.2.3-rc.1+b5");
        fails("semverCompare", &[s(">=1.2"), s("latest")], "invalid semantic version");
        fails("semverCompare", &[s("foo"), s("1.2.3")], "improper constraint");
        fails("semver", &[s("1.2.3-01")], "version segment starts with 0");
    }
}
