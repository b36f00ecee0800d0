//! A shared cache in an OCI registry (`--cache-remote oci://HOST/REPO`): an entry of hldc's
//! cache is an OCI artifact tagged `<kind>-<key>` (`render-<sha256>`, `chart-<sha256>`,
//! `git-<sha256>`, `http-<sha256>`, see `Kind`), one layer holding its bytes, pushed once computed or fetched and
//! pulled before computing or fetching it, so runners that start empty share what one of them
//! rendered or fetched (the registry every team already has: ACR, ECR, GHCR, Harbor,
//! distribution).
//!
//! Plain HTTP to the OCI distribution API through ureq, not an OCI client crate: the ones that
//! exist bring an async runtime and a second HTTP stack for five requests (a manifest and a
//! blob each way, a blob upload). Every pulled blob is checked against its digest; a registry
//! that is missing, unreachable or refuses is said once, as a warning, and the run goes on with
//! the local cache alone: the remote never changes an output and never fails a run.
//! Credentials come from the pipeline's environment only (`HLDC_CACHE_REMOTE_USER` and
//! `HLDC_CACHE_REMOTE_PASSWORD`, given to the registry's token service or as basic auth);
//! plain HTTP only to a loopback address.

use std::io::Read as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use crate::diag::Problem;
use crate::fetch::auth::{base64, Challenge};

/// The media type of an hldc cache entry's one layer, and the artifact's type.
const LAYER_MEDIA_TYPE: &str = "application/vnd.hldc.cache.v1";
const ARTIFACT_TYPE: &str = "application/vnd.hldc.cache.v1+type";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI's empty descriptor: the config of an artifact that needs none.
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const EMPTY: &[u8] = b"{}";
/// Largest entry read from the registry, or written to it.
const MAX_ENTRY: u64 = 256 * 1024 * 1024;

/// How many times a registry may stumble on single entries before the run does without it.
const STUMBLES: usize = 5;

/// What an entry of the shared cache holds, and the first part of its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// helm's output for one render key (`render::RenderCache`).
    Render,
    /// A chart archive, keyed by the proof that its source gave its pin (`fetch::chart`).
    Chart,
    /// A pack of one commit and its tree, keyed by the proof that its source gave the commit
    /// for its ref (`fetch::git`).
    Git,
    /// A downloaded file (`method: http`), keyed by the proof that its URL gave it.
    Http,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Render => "render",
            Kind::Chart => "chart",
            Kind::Git => "git",
            Kind::Http => "http",
        }
    }
}

/// What went wrong with the shared cache.
enum Trouble {
    /// It cannot be used this run: unreachable, refusing the credentials, misbehaving.
    Fatal(String),
    /// It failed one entry (a 500 while another runner writes the same tag).
    Passing(String),
}

impl Trouble {
    fn status(status: u16, why: String) -> Trouble {
        match status {
            401 | 403 => Trouble::Fatal(why),
            _ => Trouble::Passing(why),
        }
    }
}

/// Who may read and write the shared cache, from the pipeline's environment.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub user: Option<String>,
    pub password: Option<String>,
}

/// One run's view of the shared cache.
pub struct RemoteCache {
    /// `http(s)://host[:port]`.
    base: String,
    repository: String,
    /// `oci://host/repo`, as given: what messages name.
    shown: String,
    read_only: bool,
    credentials: Credentials,
    agent: ureq::Agent,
    /// A bearer token the registry's token service gave, for the requests after the first.
    token: Mutex<Option<String>>,
    /// Set at the first failure: the rest of the run does without the remote.
    given_up: AtomicBool,
    /// Entries the registry failed on (`Trouble::Passing`).
    stumbles: AtomicUsize,
    /// Whether the registry holds the empty config blob (checked or uploaded this run).
    config_present: AtomicBool,
    warning: Mutex<Option<Problem>>,
    /// Whether a warning was said this run (and maybe taken since).
    warned: AtomicBool,
    renders: Counts,
    sources: Counts,
}

impl std::fmt::Debug for RemoteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteCache").field("shown", &self.shown).field("read_only", &self.read_only).finish()
    }
}

/// Entries pulled and pushed.
#[derive(Debug, Default)]
struct Counts {
    pulled: AtomicUsize,
    pushed: AtomicUsize,
}

/// What a run got from the shared cache: renders, and sources (chart archives, git commits, http files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    pub renders_pulled: usize,
    pub renders_pushed: usize,
    pub sources_pulled: usize,
    pub sources_pushed: usize,
}

impl RemoteCache {
    /// `reference` is `oci://HOST[:PORT]/REPOSITORY`; plain HTTP is used for a loopback host
    /// only. A malformed reference is an error: it is the pipeline's flag or variable.
    pub fn new(
        reference: &str,
        read_only: bool,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<RemoteCache, Problem> {
        let invalid = |why: &str| {
            Problem::error(
                "hldc::cache::remote",
                format!("`--cache-remote {reference}` is not a registry repository: {why}"),
            )
            .help("write `oci://HOST[:PORT]/REPOSITORY`, e.g. `oci://ghcr.io/example/hldc-cache`")
        };
        let rest = reference.strip_prefix("oci://").ok_or_else(|| invalid("it does not start with `oci://`"))?;
        let (host, repository) = rest.split_once('/').ok_or_else(|| invalid("it names no repository"))?;
        let repository = repository.trim_end_matches('/');
        let valid_repository = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if host.is_empty() || host.contains('@') || !valid_repository {
            return Err(invalid(
                "the host or the repository name is not one a registry takes (lower-case letters, digits, `._-/`)",
            ));
        }
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
        let scheme = if loopback { "http" } else { "https" };
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .proxy(None)
            .http_status_as_error(false)
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
            .timeout_connect(Some(Duration::from_secs(10).min(timeout)))
            .timeout_global(Some(timeout))
            .user_agent("hldc")
            .build();
        Ok(RemoteCache {
            base: format!("{scheme}://{host}"),
            repository: repository.to_string(),
            shown: reference.to_string(),
            read_only,
            credentials,
            agent: ureq::Agent::new_with_config(config),
            token: Mutex::new(None),
            given_up: AtomicBool::new(false),
            stumbles: AtomicUsize::new(0),
            config_present: AtomicBool::new(false),
            warning: Mutex::new(None),
            warned: AtomicBool::new(false),
            renders: Counts::default(),
            sources: Counts::default(),
        })
    }

    /// The entry `<kind>-<key>`, when the registry has it whole and `accept` takes it (a source's
    /// archive must be what the lock pins); `None` when it has not, cannot be asked, or sent
    /// what `accept` refused (said once, see `take_warning`: the caller then makes it itself).
    pub fn pull<T>(&self, kind: Kind, key: &str, accept: impl FnOnce(Vec<u8>) -> Result<T, String>) -> Option<T> {
        if self.given_up.load(Ordering::Relaxed) {
            return None;
        }
        let tag = format!("{}-{key}", kind.name());
        let manifest = match self.request("GET", &format!("manifests/{tag}"), None, &[("Accept", MANIFEST_MEDIA_TYPE)])
        {
            Ok((200, body)) => body,
            Ok((404, _)) => return None,
            Ok((status, _)) => {
                return self.trouble(Trouble::status(status, format!("answered HTTP {status} for `{tag}`")))
            }
            Err(why) => return self.trouble(Trouble::Fatal(why)),
        };
        let Some((digest, size)) = layer_of(&manifest) else {
            return self.trouble(Trouble::Passing(format!("holds `{tag}`, but not as an hldc cache entry")));
        };
        if size > MAX_ENTRY {
            return self.trouble(Trouble::Passing(format!("holds `{tag}` at over 256 MiB, more than hldc reads")));
        }
        let blob = match self.request("GET", &format!("blobs/{digest}"), None, &[]) {
            Ok((200, body)) => body,
            Ok((status, _)) => {
                return self.trouble(Trouble::status(status, format!("answered HTTP {status} for the blob of `{tag}`")))
            }
            Err(why) => return self.trouble(Trouble::Fatal(why)),
        };
        if blob.len() as u64 != size || sha256_digest(&blob) != digest {
            return self.trouble(Trouble::Passing(format!("sent a blob for `{tag}` that does not match its digest")));
        }
        match accept(blob) {
            Ok(taken) => {
                self.counts(kind).pulled.fetch_add(1, Ordering::Relaxed);
                Some(taken)
            }
            Err(why) => self.trouble(Trouble::Passing(format!("sent `{tag}`, which {why}, so it was refused"))),
        }
    }

    /// Stores `bytes` as the entry `<kind>-<key>`, unless the cache is read-only; a failure is
    /// said once and only means other runners compute the entry themselves.
    pub fn push(&self, kind: Kind, key: &str, bytes: &[u8]) {
        // An entry no pull would take (a large repository's pack) is not worth the upload.
        if !self.writes() || bytes.len() as u64 > MAX_ENTRY {
            return;
        }
        let tag = format!("{}-{key}", kind.name());
        let pushed = self.upload_config().and_then(|config| -> Result<(), Trouble> {
            let layer = self.upload(bytes)?;
            let manifest = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": MANIFEST_MEDIA_TYPE,
                "artifactType": ARTIFACT_TYPE,
                "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": config, "size": EMPTY.len()},
                "layers": [{"mediaType": LAYER_MEDIA_TYPE, "digest": layer, "size": bytes.len()}],
            });
            let body = serde_json::to_vec(&manifest).unwrap_or_default();
            let headers = [("Content-Type", MANIFEST_MEDIA_TYPE)];
            match self.request("PUT", &format!("manifests/{tag}"), Some(&body), &headers).map_err(Trouble::Fatal)? {
                (200 | 201, _) => Ok(()),
                (status, _) => {
                    Err(Trouble::status(status, format!("answered HTTP {status} to the manifest of `{tag}`")))
                }
            }
        });
        match pushed {
            Ok(()) => {
                self.counts(kind).pushed.fetch_add(1, Ordering::Relaxed);
            }
            Err(trouble) => {
                self.trouble::<()>(trouble);
            }
        }
    }

    /// Whether `push` would store anything: not read-only, not given up. Lets a caller skip
    /// preparing what it would push (packing a commit).
    pub fn writes(&self) -> bool {
        !self.read_only && !self.given_up.load(Ordering::Relaxed)
    }

    /// What the remote gave and took this run.
    pub fn traffic(&self) -> Traffic {
        let count = |counter: &AtomicUsize| counter.load(Ordering::Relaxed);
        Traffic {
            renders_pulled: count(&self.renders.pulled),
            renders_pushed: count(&self.renders.pushed),
            sources_pulled: count(&self.sources.pulled),
            sources_pushed: count(&self.sources.pushed),
        }
    }

    /// What went wrong with the remote since last asked, once: the first stumble, or why the run
    /// went on without it. Taken, so the run judges it (`-D`, hldc.yaml's `diagnostics:`) and
    /// says it once, however many compiles share the remote.
    pub fn take_warning(&self) -> Option<Problem> {
        self.warning.lock().ok()?.take()
    }

    fn counts(&self, kind: Kind) -> &Counts {
        match kind {
            Kind::Render => &self.renders,
            Kind::Chart | Kind::Git | Kind::Http => &self.sources,
        }
    }

    /// Says what went wrong, once: a registry that cannot be used gives up the remote for the
    /// rest of the run; one that stumbles on an entry (a 500 while another runner writes the same
    /// tag) only loses that entry, until it has stumbled `STUMBLES` times.
    fn trouble<T>(&self, trouble: Trouble) -> Option<T> {
        let (why, give_up) = match trouble {
            Trouble::Fatal(why) => (why, true),
            Trouble::Passing(why) => {
                let stumbles = self.stumbles.fetch_add(1, Ordering::Relaxed) + 1;
                (why, stumbles >= STUMBLES)
            }
        };
        let first_to_give_up = give_up && !self.given_up.swap(true, Ordering::Relaxed);
        let first_said = !self.warned.swap(true, Ordering::Relaxed);
        let Ok(mut slot) = self.warning.lock() else { return None };
        if first_said || first_to_give_up {
            let outcome = if give_up {
                "this run goes on with the local cache alone"
            } else {
                "that entry was made or fetched here instead"
            };
            *slot = Some(
                Problem::warning(
                    "hldc::cache::remote-unavailable",
                    format!("the shared cache `{}` {why}: {outcome}", self.shown),
                )
                .help("check the registry and its credentials (HLDC_CACHE_REMOTE_USER, HLDC_CACHE_REMOTE_PASSWORD); the output is the same without it"),
            );
        }
        None
    }

    /// The empty config every entry shares: asked for (and uploaded) once per run, not once per push.
    fn upload_config(&self) -> Result<String, Trouble> {
        if self.config_present.load(Ordering::Relaxed) {
            return Ok(sha256_digest(EMPTY));
        }
        let digest = self.upload(EMPTY)?;
        self.config_present.store(true, Ordering::Relaxed);
        Ok(digest)
    }

    /// Uploads a blob unless the registry has it; returns its digest.
    fn upload(&self, bytes: &[u8]) -> Result<String, Trouble> {
        let digest = sha256_digest(bytes);
        if let (200, _) = self.request("HEAD", &format!("blobs/{digest}"), None, &[]).map_err(Trouble::Fatal)? {
            return Ok(digest);
        }
        let (status, _, location) =
            self.send("POST", &self.url("blobs/uploads/"), Some(&[]), &[]).map_err(Trouble::Fatal)?;
        let location = location
            .filter(|_| status == 202)
            .ok_or_else(|| Trouble::status(status, format!("answered HTTP {status} to a blob upload")))?;
        let location = if location.starts_with('/') { format!("{}{location}", self.base) } else { location };
        if !location.starts_with(&format!("{}/", self.base)) {
            return Err(Trouble::Fatal("sent a blob upload elsewhere".to_string()));
        }
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        match self
            .send("PUT", &url, Some(bytes), &[("Content-Type", "application/octet-stream")])
            .map_err(Trouble::Fatal)?
        {
            (201, _, _) => Ok(digest),
            (status, _, _) => Err(Trouble::status(status, format!("answered HTTP {status} to a blob upload"))),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.base, self.repository)
    }

    /// One request to the repository, answering the registry's authentication challenge once.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), String> {
        let (status, body, _) = self.send(method, &self.url(path), body, headers)?;
        Ok((status, body))
    }

    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>, Option<String>), String> {
        let mut answered = self.send_once(method, url, body, headers, self.authorization())?;
        if answered.0 == 401 {
            if let Some(authorization) = self.answer_challenge(answered.3.as_deref())? {
                answered = self.send_once(method, url, body, headers, Some(authorization))?;
            }
        }
        let (status, body, location, _) = answered;
        Ok((status, body, location))
    }

    fn authorization(&self) -> Option<String> {
        self.token.lock().ok()?.as_ref().map(|token| format!("Bearer {token}"))
    }

    fn send_once(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
        authorization: Option<String>,
    ) -> Result<(u16, Vec<u8>, Option<String>, Option<String>), String> {
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        let request = request.body(body.map(<[u8]>::to_vec).unwrap_or_default()).map_err(|e| e.to_string())?;
        let response = self.agent.run(request).map_err(|e| format!("cannot be reached ({e})"))?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (location, challenge) = (header("Location"), header("WWW-Authenticate"));
        let mut bytes = Vec::new();
        if method != "HEAD" {
            response
                .into_body()
                .into_reader()
                .take(MAX_ENTRY + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("broke off an answer ({e})"))?;
            if bytes.len() as u64 > MAX_ENTRY {
                return Err("sent an answer over 256 MiB".to_string());
            }
        }
        Ok((status, bytes, location, challenge))
    }

    /// The `Authorization` a 401's challenge asks for: basic with the pipeline's credentials,
    /// or a bearer token from the registry's token service (anonymous without credentials).
    fn answer_challenge(&self, challenge: Option<&str>) -> Result<Option<String>, String> {
        let Some(challenge) = challenge else { return Ok(None) };
        let basic = match (&self.credentials.user, &self.credentials.password) {
            (Some(user), Some(password)) => Some(format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))),
            _ => None,
        };
        let challenge = Challenge::parse(challenge);
        if challenge.scheme != "bearer" {
            return Ok(basic.filter(|_| challenge.scheme == "basic"));
        }
        let Some(realm) =
            challenge.param("realm").filter(|realm| realm.starts_with("https://") || realm.starts_with(&self.base))
        else {
            return Err("asks for a token from a service hldc does not trust (not https)".to_string());
        };
        let mut query: Vec<String> = ["service", "scope"]
            .into_iter()
            .filter_map(|name| Some(format!("{name}={}", percent_encode(challenge.param(name)?))))
            .collect();
        if challenge.param("scope").is_none() {
            query.push(format!("scope=repository:{}:pull,push", self.repository));
        }
        let url = format!("{realm}?{}", query.join("&"));
        let (status, body, _, _) = self.send_once("GET", &url, None, &[], basic)?;
        if status != 200 {
            return Err(format!("token service answered HTTP {status}"));
        }
        let answer: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| "token service sent no JSON".to_string())?;
        let token = answer.get("token").or_else(|| answer.get("access_token")).and_then(|t| t.as_str());
        let token = token.ok_or_else(|| "token service sent no token".to_string())?.to_string();
        if let Ok(mut slot) = self.token.lock() {
            *slot = Some(token.clone());
        }
        Ok(Some(format!("Bearer {token}")))
    }
}

/// The digest and size of an hldc cache manifest's one layer.
fn layer_of(manifest: &[u8]) -> Option<(String, u64)> {
    let manifest: serde_json::Value = serde_json::from_slice(manifest).ok()?;
    let layers = manifest.get("layers")?.as_array()?;
    let [layer] = layers.as_slice() else { return None };
    if layer.get("mediaType")?.as_str()? != LAYER_MEDIA_TYPE {
        return None;
    }
    let digest = layer.get("digest")?.as_str()?;
    let hex_part = digest.strip_prefix("sha256:")?;
    (hex_part.len() == 64 && hex_part.chars().all(|c| c.is_ascii_hexdigit())).then_some(())?;
    Some((digest.to_string(), layer.get("size")?.as_u64()?))
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'/' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_host_and_a_repository_and_only_loopback_is_plain_http() {
        let remote =
            |reference: &str| RemoteCache::new(reference, false, Credentials::default(), Duration::from_secs(1));
        assert_eq!(
            remote("oci://127.0.0.1:5000/cache/hldc").unwrap().url("x"),
            "http://127.0.0.1:5000/v2/cache/hldc/x"
        );
        assert_eq!(remote("oci://ghcr.io/example/cache/").unwrap().url("x"), "https://ghcr.io/v2/example/cache/x");
        for bad in
            ["ghcr.io/a", "oci://ghcr.io", "oci://ghcr.io/", "oci://u:p@ghcr.io/a", "oci://ghcr.io/Upper", "oci://h//a"]
        {
            assert_eq!(remote(bad).unwrap_err().code, "hldc::cache::remote", "{bad}");
        }
    }

    #[test]
    fn a_manifest_is_an_entry_only_with_one_layer_of_hldcs_type() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let manifest = |media: &str, digest: &str| {
            serde_json::to_vec(&serde_json::json!({"layers": [{"mediaType": media, "digest": digest, "size": 3}]}))
                .unwrap()
        };
        assert_eq!(layer_of(&manifest(LAYER_MEDIA_TYPE, &digest)), Some((digest.clone(), 3)));
        assert_eq!(layer_of(&manifest("application/vnd.oci.image.layer.v1.tar", &digest)), None);
        assert_eq!(layer_of(&manifest(LAYER_MEDIA_TYPE, "sha256:../../etc")), None);
        assert_eq!(layer_of(b"not json"), None);
    }

    #[test]
    fn token_requests_are_encoded() {
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
        assert_eq!(percent_encode("repository:a/b:pull,push"), "repository:a/b:pull,push");
    }
}
