//! `IsCompatibleRange` (Masterminds/semver constraints): whether a subchart's version meets a
//! dependency's `version:`. `||` alternatives, comma or space separated comparators,
//! `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards (`1.2.x`, `*`), hyphen ranges.

type Version = (u64, u64, u64, bool);

fn parse_version(text: &str) -> Option<Version> {
    let text = text.trim().trim_start_matches(['v', 'V']);
    let (core, pre) = match text.split_once(['-', '+']) {
        Some((core, rest)) => (core, text.as_bytes()[core.len()] == b'-' && !rest.is_empty()),
        None => (text, false),
    };
    let mut parts = core.split('.').map(|p| p.parse::<u64>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch, pre))
}

/// A constraint's version: its numbers and how many were given before a wildcard.
fn parse_partial(text: &str) -> Option<(Vec<u64>, bool)> {
    let text = text.trim().trim_start_matches(['v', 'V']);
    let (core, pre) = match text.split_once(['-', '+']) {
        Some((core, _)) => (core, text.as_bytes()[core.len()] == b'-'),
        None => (text, false),
    };
    let mut numbers = Vec::new();
    for part in core.split('.') {
        if matches!(part, "x" | "X" | "*") {
            break;
        }
        numbers.push(part.parse::<u64>().ok()?);
    }
    (numbers.len() <= 3).then_some((numbers, pre))
}

fn key(v: &Version) -> (u64, u64, u64) {
    (v.0, v.1, v.2)
}

fn padded(numbers: &[u64]) -> (u64, u64, u64) {
    (numbers.first().copied().unwrap_or(0), numbers.get(1).copied().unwrap_or(0), numbers.get(2).copied().unwrap_or(0))
}

/// The exclusive upper bound of a partial version (`1.2` → `1.3.0`).
fn next_after(numbers: &[u64]) -> (u64, u64, u64) {
    match numbers.len() {
        0 => (u64::MAX, 0, 0),
        1 => (numbers[0] + 1, 0, 0),
        2 => (numbers[0], numbers[1] + 1, 0),
        _ => (numbers[0], numbers[1], numbers[2] + 1),
    }
}

fn check(comparator: &str, version: &Version) -> Option<(bool, bool)> {
    let comparator = comparator.trim();
    let operators = [">=", "<=", "!=", "~>", "=>", "=<", ">", "<", "=", "~", "^"];
    let (operator, rest) =
        operators.iter().find_map(|op| comparator.strip_prefix(op).map(|rest| (*op, rest))).unwrap_or(("", comparator));
    let (numbers, pre) = parse_partial(rest)?;
    if numbers.is_empty() {
        // `*`, `x`, `~*`: any version.
        return Some((operator != "<" && operator != "!=", pre));
    }
    let v = key(version);
    let low = padded(&numbers);
    let ok = match operator {
        "" | "=" => numbers.len() == 3 && v == low || numbers.len() < 3 && v >= low && v < next_after(&numbers),
        "!=" => !(v >= low && v < next_after(&numbers)),
        ">" => v >= next_after(&numbers) || numbers.len() == 3 && v > low,
        "<" => v < low,
        ">=" | "=>" => v >= low,
        "<=" | "=<" => v < next_after(&numbers),
        "~" | "~>" => v >= low && v < next_after(&numbers[..numbers.len().min(2)]),
        "^" => {
            let significant = match numbers.iter().position(|n| *n != 0) {
                Some(at) if numbers.len() > at => at + 1,
                _ => numbers.len().max(1),
            };
            v >= low && v < next_after(&numbers[..significant.min(numbers.len())])
        }
        _ => return None,
    };
    Some((ok, pre))
}

pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    let Some(version) = parse_version(version) else { return false };
    let constraint = constraint.trim();
    if constraint.is_empty() {
        return true;
    }
    constraint.split("||").any(|alternative| {
        let mut comparators: Vec<String> = Vec::new();
        let tokens: Vec<&str> = alternative.split([',', ' ']).filter(|t| !t.is_empty()).collect();
        let mut i = 0;
        while i < tokens.len() {
            if tokens.get(i + 1) == Some(&"-") && i + 2 < tokens.len() {
                comparators.push(format!(">={}", tokens[i]));
                comparators.push(format!("<={}", tokens[i + 2]));
                i += 3;
                continue;
            }
            if matches!(tokens[i], ">=" | "<=" | ">" | "<" | "=" | "!=" | "~" | "^") && i + 1 < tokens.len() {
                comparators.push(format!("{}{}", tokens[i], tokens[i + 1]));
                i += 2;
                continue;
            }
            comparators.push(tokens[i].to_string());
            i += 1;
        }
        let mut allows_prerelease = false;
        let all = comparators.iter().all(|c| match check(c, &version) {
            Some((ok, pre)) => {
                allows_prerelease |= pre;
                ok
            }
            None => false,
        });
        all && (!version.3 || allows_prerelease)
    })
}

#[cfg(test)]
mod tests {
    use super::is_compatible_range as ok;

    #[test]
    fn native_semver_ranges_as_masterminds() {
        assert!(ok("1.2.3", "1.2.3"));
        assert!(!ok("1.2.3", "1.2.4"));
        assert!(ok("~1.2.0", "1.2.9"));
        assert!(!ok("~1.2.0", "1.3.0"));
        assert!(ok("^1.2.0", "1.9.0"));
        assert!(ok(">=1.0.0 <2.0.0", "1.5.0"));
        assert!(ok("1.x", "1.7.2"));
        assert!(ok("*", "0.1.0"));
        assert!(!ok("*", "0.1.0-rc1"));
        assert!(ok("^0.2.1", "0.2.5"));
        assert!(!ok("^0.2.1", "0.3.0"));
        assert!(ok("~*", "1.0.0") && ok("^x", "2.0.0") && ok("x", "3.1.4"));
    }
}
