//! HTTP downloads (ureq with the system TLS library) and `SourceSpec::Http`.

use std::io::{self, Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::atomic::NewFile;
use crate::fetch::auth::base64;
use crate::fetch::cache::{self, HashingWriter};
use crate::fetch::error::{Failure, FetchErrorKind};
use crate::fetch::lock::{LockKey, LockValue};
use crate::fetch::registry::Kind;
use crate::fetch::spec::{redact_url, strip_userinfo, userinfo, AccessTokens, Fetched};
use crate::fetch::{Ctx, Outcome};
use crate::model::source::SourceSpec;

/// Largest response read into memory (an index.yaml), under `--max-download`.
const MAX_IN_MEMORY: u64 = 512 * 1024 * 1024;

/// An HTTP client that adds credentials for matching URLs and bounds every download.
pub(crate) struct Client {
    agent: ureq::Agent,
    tokens: AccessTokens,
    max_download: u64,
}

/// What a registry answered, whatever its status (`Client::get_answer`).
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// The `WWW-Authenticate` header of a 401.
    pub(crate) challenge: Option<String>,
    /// The `Link` header: where the next page of a paginated list is.
    pub(crate) link: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Client {
    /// A client that checks servers against the system's trust store.
    pub(crate) fn new(tokens: &AccessTokens, timeout: Duration, max_download: u64) -> Self {
        Client::with_roots(ureq::tls::RootCerts::PlatformVerifier, tokens, timeout, max_download)
    }

    /// A client for OCI registries: their certificates are checked against `--ca-file` when the
    /// pipeline gave one (as helm's `--ca-file` does), else the system's trust store. It knows
    /// no tokens: a registry's credentials go with `get_answer`.
    pub(crate) fn for_registries(options: &super::FetchOptions) -> Result<Self, Failure> {
        let roots = match &options.oci_ca_file {
            None => ureq::tls::RootCerts::PlatformVerifier,
            Some(path) => {
                let bad = |reason: String| {
                    Failure::new(FetchErrorKind::Invalid, format!("`--ca-file` {}: {reason}", path.display()))
                };
                let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
                let certificates = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(certificate)) => Some(Ok(certificate)),
                        Ok(_) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| bad(e.to_string()))?;
                if certificates.is_empty() {
                    return Err(bad("no PEM certificate in it".to_string()));
                }
                ureq::tls::RootCerts::new_with_certs(&certificates)
            }
        };
        Ok(Client::with_roots(roots, &AccessTokens::new(), options.fetch_timeout, options.max_download))
    }

    fn with_roots(roots: ureq::tls::RootCerts, tokens: &AccessTokens, timeout: Duration, max_download: u64) -> Self {
        let tls = ureq::tls::TlsConfig::builder().provider(ureq::tls::TlsProvider::NativeTls).root_certs(roots).build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            // Do not pick up proxies from the environment.
            .proxy(None)
            // A redirect may lead anywhere the server likes: the token stays behind.
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .timeout_connect(Some(Duration::from_secs(30).min(timeout)))
            .timeout_global(Some(timeout))
            .user_agent("hldc")
            .build();
        Client { agent: ureq::Agent::new_with_config(config), tokens: tokens.clone(), max_download }
    }

    fn get(&self, url: &str) -> Result<ureq::http::Response<ureq::Body>, Failure> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::new(FetchErrorKind::Invalid, format!("{} is not an http(s) URL", redact_url(url))));
        }
        let bare = strip_userinfo(url);
        super::progress::going_online();
        let mut request = self.agent.get(bare.as_str());
        if let Some((user, password)) = userinfo(url) {
            let basic = base64(format!("{user}:{password}").as_bytes());
            request = request.header("Authorization", format!("Basic {basic}"));
        } else if let Some(token) = self.tokens.for_url(&bare) {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        request.call().map_err(|e| map_error(e, url))
    }

    /// GET `url` with `authorization` (and no token of the client's), whatever the status: an
    /// OCI registry's 401 says how to authenticate. Errors only when no answer came.
    pub(crate) fn get_answer(&self, url: &str, authorization: Option<&str>) -> Result<Answer, Failure> {
        let mut request = self.agent.get(url).config().http_status_as_error(false).build();
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request.call().map_err(|e| map_error(e, url))?;
        let status = response.status().as_u16();
        let header =
            |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_string);
        let (challenge, link) = (header("www-authenticate"), header("link"));
        let body = response
            .into_body()
            .with_config()
            .limit(MAX_IN_MEMORY.min(self.max_download))
            .read_to_vec()
            .map_err(|e| map_error(e, url))?;
        Ok(Answer { status, challenge, link, body })
    }

    /// The status `url` answers a GET with within `timeout`, or why none came.
    pub(crate) fn probe(&self, url: &str, timeout: Duration) -> Result<u16, FetchErrorKind> {
        let request = self.agent.get(url).config().http_status_as_error(false).timeout_global(Some(timeout)).build();
        match request.call() {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) => Err(map_error(e, url).kind),
        }
    }

    /// GET `url` into memory.
    pub(crate) fn get_bytes(&self, url: &str) -> Result<Vec<u8>, Failure> {
        let response = self.get(url)?;
        response
            .into_body()
            .with_config()
            .limit(MAX_IN_MEMORY.min(self.max_download))
            .read_to_vec()
            .map_err(|e| map_error(e, url))
    }

    /// GET `url` into a temporary file in `dir`; returns the file and the
    /// sha256 (hex) of its bytes.
    pub(crate) fn download(&self, url: &str, dir: &Path) -> Result<(NewFile, String), Failure> {
        let response = self.get(url)?;
        let tmp = cache::temp_file_in(dir)?;
        let mut reader = response.into_body().into_reader();
        let mut writer = HashingWriter::new(io::BufWriter::new(tmp));
        // The temporary file goes with `writer` on every early return.
        copy_stream(&mut reader, &mut writer, self.max_download).map_err(|e| match e {
            Copy::TooLarge => too_large(url, self.max_download),
            Copy::Failed(e) => match e.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()) {
                Some(ureq::Error::Timeout(_)) => timed_out(url),
                _ => Failure::new(FetchErrorKind::Network, format!("download of {} failed: {e}", redact_url(url))),
            },
        })?;
        let (buffered, sha, _) = writer.finish();
        let tmp = buffered.into_inner().map_err(|e| Failure::io("cannot write a download", e.into_error()))?;
        tmp.sync_all().map_err(|e| Failure::io("cannot write a download", e))?;
        Ok((tmp, sha))
    }
}

/// Why a download stopped early.
enum Copy {
    TooLarge,
    Failed(io::Error),
}

fn copy_stream(reader: &mut impl Read, writer: &mut impl Write, limit: u64) -> Result<u64, Copy> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Failed(e)),
        };
        total += n as u64;
        if total > limit {
            return Err(Copy::TooLarge);
        }
        writer.write_all(&buf[..n]).map_err(Copy::Failed)?;
    }
    writer.flush().map_err(Copy::Failed)?;
    Ok(total)
}

fn timed_out(url: &str) -> Failure {
    Failure::new(
        FetchErrorKind::Timeout,
        format!("{} did not answer in full within `--fetch-timeout`", redact_url(url)),
    )
}

fn too_large(url: &str, limit: u64) -> Failure {
    Failure::new(
        FetchErrorKind::TooLarge,
        format!("{} sent more than {} (`--max-download`)", redact_url(url), super::show_size(limit)),
    )
}

fn map_error(e: ureq::Error, url: &str) -> Failure {
    let shown = redact_url(url);
    match e {
        ureq::Error::StatusCode(code @ (401 | 403)) => Failure::new(
            FetchErrorKind::Auth,
            format!("{shown} answered HTTP {code}; check the access token for this URL"),
        ),
        ureq::Error::StatusCode(code @ (404 | 410)) => {
            Failure::new(FetchErrorKind::NotFound, format!("{shown} answered HTTP {code}"))
        }
        ureq::Error::StatusCode(code) => Failure::new(FetchErrorKind::Network, format!("{shown} answered HTTP {code}")),
        ureq::Error::BadUri(reason) => Failure::new(FetchErrorKind::Invalid, format!("bad URL {shown}: {reason}")),
        ureq::Error::BodyExceedsLimit(limit) => too_large(url, limit),
        ureq::Error::Timeout(_) => timed_out(url),
        ureq::Error::HostNotFound => Failure::new(FetchErrorKind::Network, format!("{shown}: host not found")),
        other => Failure::new(FetchErrorKind::Network, format!("{shown}: {other}")),
    }
}

/// Resolve a possibly relative `reference` against a base URL (a Helm
/// repository: relative chart URLs are relative to `<repo>/index.yaml`).
pub(crate) fn resolve_url(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_string();
    }
    let base = base.trim_end_matches('/');
    if let Some(rest) = reference.strip_prefix('/') {
        // Absolute path: keep scheme and authority of the base.
        if let Some(scheme_end) = base.find("://") {
            let after = &base[scheme_end + 3..];
            let authority_end = after.find('/').unwrap_or(after.len());
            return format!("{}/{}", &base[..scheme_end + 3 + authority_end], rest);
        }
    }
    let reference = reference.strip_prefix("./").unwrap_or(reference);
    format!("{base}/{reference}")
}

/// Fetch one http file: from the cache when pinned, else download and pin. The lock keeps `url`;
/// the download and its proof are the mirror's when one applies.
pub(crate) fn fetch_file(url: &str, ctx: &Ctx<'_>) -> Result<(Outcome, String), Failure> {
    let key = LockKey::for_spec(&SourceSpec::Http { url: url.to_string() });
    let pinned = match ctx.lock.get(&key) {
        Some(LockValue::Http { sha256, .. }) => Some(sha256.clone()),
        _ => None,
    };
    let mirror = ctx.opts.mirrors.recorded(url);
    let url = ctx.opts.mirrors.contacted(url);
    let url = url.as_ref();
    let shown = redact_url(url);
    let source = strip_userinfo(url);
    let pin = |sha: &str| format!("http {sha}");
    let proof = |sha: &str| ctx.cache.proof(&source, &pin(sha));
    // The entry of the shared cache vouching for the same pair as the proof.
    let shared_key = |sha: &str| cache::proof_key(&source, &pin(sha));
    let sha = match pinned {
        Some(sha) => {
            let dest = ctx.cache.http_file(&sha);
            if !(dest.is_file() && proof(&sha).is_file()) {
                ctx.check_may_download(&format!("{shown} (sha256 {sha})"))?;
                let _guard = ctx.cache.lock_entry("http", &sha)?;
                if ctx.pull_shared_file(Kind::Http, &shared_key(&sha), &sha, &dest)? {
                    cache::touch(&proof(&sha))?;
                    return Ok(http_outcome(key, sha, mirror, ctx));
                }
                let (tmp, got) = ctx.http.download(url, &ctx.cache.http_dir())?;
                if got != sha {
                    return Err(Failure::new(
                        FetchErrorKind::DigestMismatch,
                        format!("{shown} has sha256 {got}, but the lock file pins {sha}"),
                    ));
                }
                cache::persist_file(tmp, &dest)?;
                ctx.push_shared_file(Kind::Http, &shared_key(&sha), &dest);
            }
            sha
        }
        None => {
            ctx.check_may_resolve(&shown)?;
            let (tmp, got) = ctx.http.download(url, &ctx.cache.http_dir())?;
            let _guard = ctx.cache.lock_entry("http", &got)?;
            cache::persist_file(tmp, &ctx.cache.http_file(&got))?;
            ctx.push_shared_file(Kind::Http, &shared_key(&got), &ctx.cache.http_file(&got));
            got
        }
    };
    cache::touch(&proof(&sha))?;
    Ok(http_outcome(key, sha, mirror, ctx))
}

/// The file of pin `sha` in the cache, with its pin.
fn http_outcome(key: LockKey, sha: String, mirror: Option<String>, ctx: &Ctx<'_>) -> (Outcome, String) {
    let outcome = Outcome {
        fetched: Fetched { root: ctx.cache.http_file(&sha) },
        pins: vec![(key, LockValue::Http { sha256: sha.clone(), mirror })],
    };
    (outcome, format!("sha256:{sha}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_chart_urls() {
        assert_eq!(resolve_url("https://h/charts", "c-1.0.0.tgz"), "https://h/charts/c-1.0.0.tgz");
        assert_eq!(resolve_url("https://h/charts/", "./c.tgz"), "https://h/charts/c.tgz");
        assert_eq!(resolve_url("https://h/charts", "/other/c.tgz"), "https://h/other/c.tgz");
        assert_eq!(resolve_url("https://h/charts", "https://cdn/c.tgz"), "https://cdn/c.tgz");
    }
}
