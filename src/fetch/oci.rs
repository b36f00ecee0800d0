//! OCI charts: versions resolved from the registry's tags (`/v2/<name>/tags/list`, over hldc's
//! HTTP client), archives pulled with `helm pull` in an isolated helm environment.
//!
//! A constraint may be empty (whatever helm pulls as latest), one exact version, or a range
//! resolved against the tags; a reference may name one manifest (`chart@sha256:<digest>`).
//! A registry speaks https, or plain http when the source says `plainHttp: true` or it is on
//! this machine and does not answer https.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::fetch::auth::{base64, Challenge};
use crate::fetch::cache::{self, sha256_file};
use crate::fetch::chart::{self, Archive, ChartMeta, Pins};
use crate::fetch::constraint::{parse_chart_version, HelmConstraint};
use crate::fetch::error::{Failure, FetchErrorKind};
use crate::fetch::http;
use crate::fetch::lock::{split_oci_reference, LockKey, LockValue};
use crate::fetch::spec::{is_loopback_authority, may_carry_secrets, origin, redact_url};
use crate::fetch::Ctx;
use crate::process;

/// How long a registry on this machine may take to say whether it speaks https: it answers
/// in milliseconds when it runs at all.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The most pages of a tag list read: distribution pages by 100 at least, so 100,000 tags.
const MAX_TAG_PAGES: usize = 1000;

/// The user a token is sent as, as git and `helm registry login` send it.
const TOKEN_USER: &str = "x-access-token";

pub(crate) fn validate_reference(reference: &str) -> Result<(), Failure> {
    let (repository, chart) = split_oci_reference(reference);
    let bad = |why: &str| {
        Failure::new(
            FetchErrorKind::Invalid,
            format!("{} is not an oci://host/path/chart reference{why}", redact_url(reference)),
        )
    };
    if !reference.trim().starts_with("oci://") || chart.is_empty() || repository.len() <= "oci://".len() {
        return Err(bad(""));
    }
    match chart.split_once('@') {
        Some((name, digest)) if name.is_empty() || !is_sha256_digest(digest) => {
            Err(bad(" (a digest is written chart@sha256:<64 hex digits>)"))
        }
        _ => Ok(()),
    }
}

/// The registry (`host[:port]`) an `oci://` reference is on.
pub(crate) fn registry_host(reference: &str) -> &str {
    reference.trim().trim_start_matches("oci://").split('/').next().unwrap_or("")
}

fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether the reference names one manifest by digest (`chart@sha256:...`).
fn names_digest(reference: &str) -> bool {
    split_oci_reference(reference).1.contains('@')
}

/// What to pull when resolving: the exact version asked, `None` for latest or a digest, or
/// `Range` for a constraint only the registry's tags can settle.
#[derive(Debug)]
enum Wanted {
    Latest,
    Exact(String),
    Range(HelmConstraint),
}

fn wanted(reference: &str, constraint: &str) -> Result<Wanted, Failure> {
    let trimmed = constraint.trim();
    let parsed = HelmConstraint::parse(trimmed).map_err(|e| Failure::new(FetchErrorKind::Invalid, e.to_string()))?;
    if trimmed.is_empty() || names_digest(reference) {
        // A digest names one chart: its version is checked against the constraint once pulled.
        return Ok(Wanted::Latest);
    }
    Ok(match parsed.exact() {
        // Keep the text as written (minus `=`), so a `v` prefix survives.
        Some(_) => Wanted::Exact(trimmed.trim_start_matches('=').trim().to_string()),
        None => Wanted::Range(parsed),
    })
}

/// Get an OCI chart archive into the cache (pinned or resolved) and record the pin.
pub(crate) fn get_archive(
    reference: &str,
    plain_http: bool,
    constraint: &str,
    ctx: &Ctx<'_>,
    pins: &mut Pins,
) -> Result<Archive, Failure> {
    validate_reference(reference)?;
    let (repository, chart) = split_oci_reference(reference);
    let key = LockKey::helm(&repository, &chart, constraint);
    // The lock keeps the reference as written; the pull and its proof are the mirror's.
    let mirror = ctx.opts.mirrors.recorded(reference);
    let reference = ctx.opts.mirrors.contacted(reference);
    let reference = reference.as_ref();
    validate_reference(reference)?;
    let shown = redact_url(reference);
    let wanted = wanted(reference, constraint)?;
    let archive = match ctx.lock.get(&key) {
        Some(LockValue::Helm { version, digest, .. }) => {
            chart::check_pinned_version(version, constraint)?;
            chart::pinned_archive(reference, version, digest, &format!("{shown} {version}"), ctx, |sha| {
                let registry = Registry::reach(reference, plain_http, ctx)?;
                let pulled = pull(reference, Some(version), &registry, ctx)?;
                if pulled.sha256 != sha {
                    return Err(Failure::new(
                        FetchErrorKind::DigestMismatch,
                        format!("{shown} {version} has sha256 {}, but the lock file pins {sha}", pulled.sha256),
                    ));
                }
                store(&pulled, ctx)
            })?
        }
        _ => {
            ctx.check_may_resolve(&shown)?;
            let registry = Registry::reach(reference, plain_http, ctx)?;
            let version = match wanted {
                Wanted::Latest => None,
                Wanted::Exact(version) => Some(version),
                Wanted::Range(range) => Some(registry.choose_tag(reference, &range, ctx)?),
            };
            let pulled = pull(reference, version.as_deref(), &registry, ctx)?;
            chart::check_pinned_version(&pulled.version, constraint).map_err(|_| {
                Failure::new(
                    FetchErrorKind::NotFound,
                    format!("{shown} is version {}, which {:?} does not allow", pulled.version, constraint.trim()),
                )
            })?;
            store(&pulled, ctx)?;
            let archive = Archive { sha256: pulled.sha256.clone(), version: pulled.version.clone() };
            chart::prove_archive(reference, &archive, ctx)?;
            archive
        }
    };
    chart::record_pin(key, &archive, mirror, pins);
    Ok(archive)
}

/// How one registry is reached: over which scheme, with which token.
struct Registry {
    /// `host[:port]`
    host: String,
    plain_http: bool,
    /// Never set for a plain http registry off this machine.
    token: Option<String>,
}

impl Registry {
    fn reach(reference: &str, declared_plain_http: bool, ctx: &Ctx<'_>) -> Result<Registry, Failure> {
        let host = registry_host(reference).to_string();
        let loopback = is_loopback_authority(&host);
        let plain_http = declared_plain_http || (loopback && speaks_only_plain_http(&host, ctx)?);
        let token = ctx.opts.tokens.for_url(reference).filter(|_| !plain_http || loopback).map(str::to_string);
        Ok(Registry { host, plain_http, token })
    }

    fn base_url(&self) -> String {
        format!("{}://{}", if self.plain_http { "http" } else { "https" }, self.host)
    }

    /// The highest version among the repository's tags that `range` allows (helm writes a
    /// version's `+` as `_` in a tag).
    fn choose_tag(&self, reference: &str, range: &HelmConstraint, ctx: &Ctx<'_>) -> Result<String, Failure> {
        let shown = redact_url(reference);
        let name = reference.trim().trim_start_matches("oci://").split_once('/').map_or("", |(_, name)| name);
        let client = http::Client::for_registries(ctx.opts)?;
        let mut versions: Vec<(semver::Version, String)> = self
            .tags(&client, name, &shown)?
            .into_iter()
            .map(|tag| tag.replace('_', "+"))
            .filter_map(|text| Some((parse_chart_version(&text)?, text)))
            .collect();
        versions.sort_by(|a, b| b.0.cmp(&a.0));
        if let Some((_, text)) = versions.iter().find(|(version, _)| range.matches(version)) {
            return Ok(text.clone());
        }
        let newest: Vec<&str> = versions.iter().take(10).map(|(_, text)| text.as_str()).collect();
        Err(Failure::new(
            FetchErrorKind::NotFound,
            format!(
                "no tag of {shown} satisfies {range} (newest: {})",
                if newest.is_empty() { "none".to_string() } else { newest.join(", ") }
            ),
        ))
    }

    /// Every tag of repository `name`, page after page as the registry's `Link` headers lead
    /// (distribution 3, GHCR, ECR and Harbor page a long list; the next page stays on this
    /// registry, which is all the token may reach).
    fn tags(&self, client: &http::Client, name: &str, shown: &str) -> Result<Vec<String>, Failure> {
        let base = self.base_url();
        let mut url = format!("{base}/v2/{name}/tags/list");
        let mut tags = Vec::new();
        for _ in 0..MAX_TAG_PAGES {
            let answer = self.get(client, &url, shown)?;
            let listed: TagList = serde_json::from_slice(&answer.body).map_err(|e| {
                Failure::new(
                    FetchErrorKind::Invalid,
                    format!("{shown}: the registry's tag list is not valid JSON: {e}"),
                )
            })?;
            tags.extend(listed.tags.unwrap_or_default());
            match answer.link.as_deref().map(|link| next_page(&base, link)).transpose()?.flatten() {
                Some(next) => url = next,
                None => return Ok(tags),
            }
        }
        // Deciding from part of the list could pick an older version than the range allows.
        Err(Failure::new(
            FetchErrorKind::Invalid,
            format!("{shown}: the registry's tag list runs over {MAX_TAG_PAGES} pages"),
        ))
    }

    /// GET from the registry, answering its challenge: `Basic` with the token, or `Bearer` with
    /// a token from its realm (anonymous, or with the token when the realm is on the same host).
    fn get(&self, client: &http::Client, url: &str, shown: &str) -> Result<http::Answer, Failure> {
        let mut answer = client.get_answer(url, None).map_err(|mut failure| {
            failure.message.push_str(hint(&failure.message));
            failure
        })?;
        if answer.status == 401 {
            let basic = self
                .token
                .as_ref()
                .map(|token| format!("Basic {}", base64(format!("{TOKEN_USER}:{token}").as_bytes())));
            let challenge = Challenge::parse(answer.challenge.as_deref().unwrap_or(""));
            let authorization = match challenge.scheme.as_str() {
                "basic" => basic,
                "bearer" => Some(format!("Bearer {}", self.bearer_token(client, &challenge, url, basic.as_deref())?)),
                _ => None,
            };
            if let Some(authorization) = authorization {
                answer = client.get_answer(url, Some(&authorization))?;
            }
        }
        match answer.status {
            200 => Ok(answer),
            code @ (401 | 403) => Err(Failure::new(
                FetchErrorKind::Auth,
                format!("{shown}: the registry answered HTTP {code}; check the access token for this registry"),
            )),
            code @ 404 => {
                Err(Failure::new(FetchErrorKind::NotFound, format!("{shown}: the registry answered HTTP {code}")))
            }
            code => Err(Failure::new(FetchErrorKind::Network, format!("{shown}: the registry answered HTTP {code}"))),
        }
    }

    fn bearer_token(
        &self,
        client: &http::Client,
        challenge: &Challenge,
        url: &str,
        basic: Option<&str>,
    ) -> Result<String, Failure> {
        let realm = challenge.param("realm").unwrap_or_default();
        let mut query: Vec<String> = Vec::new();
        for name in ["service", "scope"] {
            if let Some(value) = challenge.param(name) {
                query.push(format!("{name}={}", value.replace(' ', "%20")));
            }
        }
        let separator = if realm.contains('?') { '&' } else { '?' };
        let token_url = format!("{realm}{separator}{}", query.join("&"));
        // The token goes where the registry itself is, never to a realm elsewhere.
        let same_host = origin(&token_url).is_some() && origin(&token_url) == origin(url);
        let credentials = basic.filter(|_| same_host && may_carry_secrets(&token_url));
        let answer = client.get_answer(&token_url, credentials)?;
        let issued: IssuedToken = match answer.status {
            200 => serde_json::from_slice(&answer.body).unwrap_or_default(),
            code => {
                return Err(Failure::new(
                    FetchErrorKind::Auth,
                    format!("the registry's token service {} answered HTTP {code}", redact_url(realm)),
                ))
            }
        };
        issued.token.or(issued.access_token).filter(|t| !t.is_empty()).ok_or_else(|| {
            Failure::new(
                FetchErrorKind::Auth,
                format!("the registry's token service {} gave no token", redact_url(realm)),
            )
        })
    }
}

/// The next page a `Link` header names (`<url>; rel="next"`, the url on the registry at `base`
/// or a path on it); `None` on the last page. A next page elsewhere is refused.
fn next_page(base: &str, link: &str) -> Result<Option<String>, Failure> {
    let next = link.split(',').find_map(|value| {
        let (target, params) = value.split_once(';')?;
        let is_next = params.split(';').any(|param| {
            param.trim().strip_prefix("rel=").is_some_and(|rel| rel.trim_matches('"').split(' ').any(|r| r == "next"))
        });
        is_next.then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    });
    match next {
        None => Ok(None),
        Some(path) if path.starts_with('/') && !path.starts_with("//") => Ok(Some(format!("{base}{path}"))),
        Some(url) if url.starts_with(&format!("{base}/")) => Ok(Some(url)),
        Some(url) => Err(Failure::new(
            FetchErrorKind::Invalid,
            format!("the registry {base} sends the next page of its tag list elsewhere ({})", redact_url(&url)),
        )),
    }
}

#[derive(Deserialize)]
struct TagList {
    tags: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct IssuedToken {
    token: Option<String>,
    access_token: Option<String>,
}

/// Whether a registry on this machine answers plain http and not https: as docker does for
/// loopback registries, which are mostly plain http. A registry off this machine must say so.
fn speaks_only_plain_http(host: &str, ctx: &Ctx<'_>) -> Result<bool, Failure> {
    let client = http::Client::for_registries(ctx.opts)?;
    match client.probe(&format!("https://{host}/v2/"), PROBE_TIMEOUT) {
        // Silent or slow over https: plain http would not help, and the pull says what is wrong.
        Ok(_) | Err(FetchErrorKind::Timeout) => Ok(false),
        // An https server answers a plain request too (400): only a registry's answer counts.
        Err(_) => Ok(matches!(client.probe(&format!("http://{host}/v2/"), PROBE_TIMEOUT), Ok(200 | 401))),
    }
}

/// What to do about a failure whose message is `text`, when the message can tell.
fn hint(text: &str) -> &'static str {
    let lower = text.to_ascii_lowercase();
    if lower.contains("http response to https client") {
        "; the registry speaks plain http: say `plainHttp: true` on the component if it may (anyone on the path can read and change what it serves)"
    } else if lower.contains("certificate") {
        "; if the registry's certificate comes from a private CA, pass it with `--ca-file`"
    } else {
        ""
    }
}

struct Pulled {
    /// Keeps the isolated helm home alive until the archive is stored.
    _home: tempfile::TempDir,
    file: PathBuf,
    sha256: String,
    version: String,
}

fn store(pulled: &Pulled, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let dest = ctx.cache.helm_archive(&pulled.sha256);
    if dest.is_file() {
        return Ok(());
    }
    cache::create_dir_all(&ctx.cache.helm_archives())?;
    fs::rename(&pulled.file, &dest)
        .or_else(|_| fs::copy(&pulled.file, &dest).map(|_| ()))
        .map_err(|e| Failure::io(format!("cannot store {}", dest.display()), e))
}

/// Run `helm pull` in a throw-away helm home inside the cache. A digest reference pulls that
/// manifest whatever `version` says.
fn pull(reference: &str, version: Option<&str>, registry: &Registry, ctx: &Ctx<'_>) -> Result<Pulled, Failure> {
    let shown = redact_url(reference);
    let helm = ctx.opts.helm.as_ref().ok_or_else(|| {
        Failure::new(
            FetchErrorKind::Invalid,
            "oci:// charts are pulled with the helm binary, and no helm binary was configured; install helm and pass its path".to_string(),
        )
    })?;
    let home = cache::temp_dir_in(&ctx.cache.helm_tmp())?;
    let dest = home.path().join("pull");
    cache::create_dir_all(&dest)?;
    let transport = |command: &mut Command| {
        if registry.plain_http {
            command.arg("--plain-http");
        }
        if let Some(ca_file) = &ctx.opts.oci_ca_file {
            command.arg("--ca-file").arg(ca_file);
        }
    };
    if let Some(token) = &registry.token {
        let host = &registry.host;
        let mut login = process::helm_command(helm, home.path());
        login.args(["registry", "login", host, "--username", TOKEN_USER, "--password-stdin"]);
        transport(&mut login);
        run_helm(helm, login, token.as_bytes(), &format!("helm registry login {host}"), ctx)?;
    }
    let mut pull = process::helm_command(helm, home.path());
    pull.arg("pull").arg(reference.trim()).arg("--destination").arg(&dest);
    transport(&mut pull);
    let version = version.filter(|_| !names_digest(reference));
    if let Some(v) = version {
        pull.arg("--version").arg(v);
    }
    run_helm(helm, pull, b"", &format!("helm pull {shown}"), ctx)?;
    let mut archives: Vec<PathBuf> = fs::read_dir(&dest)
        .map_err(|e| Failure::io(format!("cannot read {}", dest.display()), e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tgz"))
        .collect();
    let file = match (archives.pop(), archives.is_empty()) {
        (Some(file), true) => file,
        _ => {
            return Err(Failure::new(
                FetchErrorKind::Invalid,
                format!("helm pull {shown} did not produce exactly one .tgz archive"),
            ))
        }
    };
    // helm pull has no size limit of its own: what it brought is at least kept out of the cache.
    let size = fs::metadata(&file).map_err(|e| Failure::io(format!("cannot read {}", file.display()), e))?.len();
    if size > ctx.opts.max_download {
        return Err(Failure::new(
            FetchErrorKind::TooLarge,
            format!("{shown} is larger than {} (`--max-download`)", crate::fetch::show_size(ctx.opts.max_download)),
        ));
    }
    let sha256 = sha256_file(&file)?;
    let meta = ChartMeta::from_archive(&file)?;
    let version = match version {
        Some(v) => v.to_string(),
        None if !meta.version.is_empty() => meta.version,
        None => return Err(Failure::new(FetchErrorKind::Invalid, format!("{shown}: the chart has no version"))),
    };
    Ok(Pulled { _home: home, file, sha256, version })
}

fn run_helm(helm: &Path, command: Command, input: &[u8], what: &str, ctx: &Ctx<'_>) -> Result<(), Failure> {
    super::progress::going_online();
    let failure = match process::run(command, input, ctx.opts.helm_timeout) {
        Ok(_) => return Ok(()),
        Err(failure) => failure,
    };
    Err(match &failure {
        process::Failure::Spawn(e) => Failure::new(
            FetchErrorKind::Io,
            format!("cannot run helm at {}: {e}; oci:// charts need a working helm binary", helm.display()),
        ),
        process::Failure::Exit { stderr, .. } => classify(what, stderr),
        // A registry that does not answer looks like a network failure from here.
        process::Failure::Timeout(_) => Failure::new(
            FetchErrorKind::Network,
            format!("{what} failed: {failure}; raise `--helm-timeout` if the registry is just slow"),
        ),
        process::Failure::Input(_) | process::Failure::Output(_) | process::Failure::Wait(_) => {
            Failure::new(FetchErrorKind::Io, format!("{what} failed: {failure}"))
        }
    })
}

fn classify(what: &str, stderr: &str) -> Failure {
    let text = stderr.trim();
    let lower = text.to_ascii_lowercase();
    let kind = if ["unauthorized", "401", "403", "denied", "credential"].iter().any(|word| lower.contains(word)) {
        FetchErrorKind::Auth
    } else if lower.contains("not found") || lower.contains("404") || lower.contains("manifest unknown") {
        FetchErrorKind::NotFound
    } else {
        FetchErrorKind::Network
    };
    Failure::new(kind, format!("{what} failed: {text}{}", hint(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_say_what_to_pull() {
        let web = "oci://ghcr.io/org/web";
        assert!(matches!(wanted(web, "").unwrap(), Wanted::Latest));
        for (constraint, text) in [("1.2.3", "1.2.3"), ("=1.2.3", "1.2.3"), ("v1.2.3", "v1.2.3")] {
            assert!(matches!(wanted(web, constraint).unwrap(), Wanted::Exact(t) if t == text), "{constraint}");
        }
        assert!(matches!(wanted(web, "^1.2").unwrap(), Wanted::Range(_)));
        assert!(matches!(wanted(web, "1.2").unwrap(), Wanted::Range(_)));
        let pinned = format!("{web}@sha256:{}", "a".repeat(64));
        assert!(matches!(wanted(&pinned, "^1.2").unwrap(), Wanted::Latest));
        assert_eq!(wanted(web, ">>1").unwrap_err().kind, FetchErrorKind::Invalid);
    }

    #[test]
    fn the_next_page_of_a_tag_list_stays_on_the_registry() {
        let base = "http://127.0.0.1:5000";
        let next = |link: &str| next_page(base, link).map_err(|f| f.kind);
        assert_eq!(
            next(r#"</v2/charts/web/tags/list?n=2&last=1.1.0>; rel="next""#),
            Ok(Some(format!("{base}/v2/charts/web/tags/list?n=2&last=1.1.0")))
        );
        assert_eq!(
            next(&format!(r#"<{base}/v2/a/tags/list?last=b>; rel=next"#)),
            Ok(Some(format!("{base}/v2/a/tags/list?last=b")))
        );
        assert_eq!(next(r#"</v2/a/tags/list?last=a>; rel="prev""#), Ok(None));
        assert_eq!(next(r#"<https://elsewhere.example/v2/a/tags/list>; rel="next""#), Err(FetchErrorKind::Invalid));
        assert_eq!(next(r#"<//elsewhere.example/v2/a/tags/list>; rel="next""#), Err(FetchErrorKind::Invalid));
    }

    #[test]
    fn references_are_validated() {
        assert!(validate_reference("oci://ghcr.io/org/chart").is_ok());
        assert!(validate_reference("https://ghcr.io/org/chart").is_err());
        assert!(validate_reference("oci://ghcr.io").is_err());
        assert!(validate_reference(&format!("oci://ghcr.io/org/chart@sha256:{}", "0".repeat(64))).is_ok());
        assert!(validate_reference("oci://ghcr.io/org/chart@sha256:abc").is_err());
        assert!(validate_reference("oci://ghcr.io/org/chart@latest").is_err());
    }
}
