//! "Did you mean" hints for names a user may have mistyped.

/// The candidate closest to `wanted`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len().max(wanted.len()) / 3).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn near_misses() {
        let envs = ["common", "dev", "prod", "staging"];
        assert_eq!(did_you_mean("prd", envs), Some("prod"));
        assert_eq!(did_you_mean("stagign", envs), Some("staging"));
        assert_eq!(did_you_mean("qa", envs), None);
        assert_eq!(did_you_mean("trivia-ap", ["trivia-api", "trivia-web"]), Some("trivia-api"));
    }
}
