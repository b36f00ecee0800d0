//! OCI charts, pulled with `helm pull` in an isolated helm environment.
//!
//! In this version an OCI constraint must be empty (whatever the registry
//! serves as latest) or one exact version (`1.2.3`, `=1.2.3`, `v1.2.3`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fetch::cache::{self, sha256_file};
use crate::fetch::chart::{self, Archive, ChartMeta, Pins};
use crate::fetch::constraint::HelmConstraint;
use crate::fetch::error::{Failure, FetchErrorKind};
use crate::fetch::lock::{split_oci_reference, LockKey, LockValue};
use crate::fetch::spec::redact_url;
use crate::fetch::Ctx;
use crate::process;

pub(crate) fn validate_reference(reference: &str) -> Result<(), Failure> {
    let (repository, chart) = split_oci_reference(reference);
    if !reference.trim().starts_with("oci://") || chart.is_empty() || repository.len() <= "oci://".len() {
        return Err(Failure::new(
            FetchErrorKind::Invalid,
            format!("{} is not an oci://host/path/chart reference", redact_url(reference)),
        ));
    }
    Ok(())
}

/// The exact version asked by an OCI constraint (`None` = latest).
fn exact_version(constraint: &str) -> Result<Option<String>, Failure> {
    let trimmed = constraint.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let parsed = HelmConstraint::parse(trimmed).ok().and_then(|c| c.exact());
    match parsed {
        Some(v) => {
            // Keep the text as written (minus `=`), so a `v` prefix survives.
            let text = trimmed.trim_start_matches('=').trim();
            Ok(Some(if text.is_empty() { v.to_string() } else { text.to_string() }))
        }
        None => Err(Failure::new(
            FetchErrorKind::Invalid,
            format!(
                "oci:// charts take an exact version or none (latest); {trimmed:?} is a range, which is not supported for OCI yet"
            ),
        )),
    }
}

/// Get an OCI chart archive into the cache (pinned or resolved) and record the pin.
pub(crate) fn get_archive(
    reference: &str,
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
    let wanted = exact_version(constraint)?;
    let archive = match ctx.lock.get(&key) {
        Some(LockValue::Helm { version, digest, .. }) => {
            chart::check_pinned_version(version, constraint)?;
            chart::pinned_archive(reference, version, digest, &format!("{shown} {version}"), ctx, |sha| {
                let pulled = pull(reference, Some(version), ctx)?;
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
            let pulled = pull(reference, wanted.as_deref(), ctx)?;
            store(&pulled, ctx)?;
            let archive = Archive { sha256: pulled.sha256.clone(), version: pulled.version.clone() };
            chart::prove_archive(reference, &archive, ctx)?;
            archive
        }
    };
    chart::record_pin(key, &archive, mirror, pins);
    Ok(archive)
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

/// Run `helm pull` in a throw-away helm home inside the cache.
fn pull(reference: &str, version: Option<&str>, ctx: &Ctx<'_>) -> Result<Pulled, Failure> {
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
    if let Some(token) = ctx.opts.tokens.for_url(reference) {
        let host = reference.trim_start_matches("oci://").split('/').next().unwrap_or("");
        let mut login = process::helm_command(helm, home.path());
        login.args(["registry", "login", host, "--username", "x-access-token", "--password-stdin"]);
        run_helm(helm, login, token.as_bytes(), &format!("helm registry login {host}"), ctx)?;
    }
    let mut pull = process::helm_command(helm, home.path());
    pull.arg("pull").arg(reference.trim()).arg("--destination").arg(&dest);
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
    let kind =
        if lower.contains("unauthorized") || lower.contains("401") || lower.contains("403") || lower.contains("denied")
        {
            FetchErrorKind::Auth
        } else if lower.contains("not found") || lower.contains("404") || lower.contains("manifest unknown") {
            FetchErrorKind::NotFound
        } else {
            FetchErrorKind::Network
        };
    Failure::new(kind, format!("{what} failed: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oci_constraints_must_be_exact() {
        assert_eq!(exact_version("").unwrap(), None);
        assert_eq!(exact_version("1.2.3").unwrap().as_deref(), Some("1.2.3"));
        assert_eq!(exact_version("=1.2.3").unwrap().as_deref(), Some("1.2.3"));
        assert_eq!(exact_version("v1.2.3").unwrap().as_deref(), Some("v1.2.3"));
        assert_eq!(exact_version("^1.2").unwrap_err().kind, FetchErrorKind::Invalid);
        assert_eq!(exact_version("1.2").unwrap_err().kind, FetchErrorKind::Invalid);
    }

    #[test]
    fn references_are_validated() {
        assert!(validate_reference("oci://ghcr.io/org/chart").is_ok());
        assert!(validate_reference("https://ghcr.io/org/chart").is_err());
        assert!(validate_reference("oci://ghcr.io").is_err());
    }
}
