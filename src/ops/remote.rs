//! The files around fetching: `hldc.lock` (the pins) and `access.yaml` (which environment
//! variable holds the token for a source), both at the HLD root.

use std::path::Path;

use crate::diag::{Location, Problem, Problems};
use crate::fetch::{FetchOptions, Lockfile};
use crate::load::read_document;
use crate::schema::Schema;
use crate::settings::{Settings, TokenGrant};
use crate::sources::Sources;

pub const LOCK_FILE: &str = "hldc.lock";
pub const ACCESS_FILE: &str = "access.yaml";

/// Sources for a command that fetches: the lock and the tokens are read from the HLD root.
/// Returns warnings (a token variable that is not set) beside the sources.
pub fn open(settings: &Settings, mut options: FetchOptions) -> Result<(Sources, Vec<Problem>), Vec<Problem>> {
    let local = Sources::local(&settings.hld_root).map_err(|p| vec![p])?;
    let root = local.hld_root().to_path_buf();
    let mut problems = Problems::default();
    // Every command reads hldc.yaml before it fetches and reports what is wrong with it; until
    // then no mirror applies.
    options.mirrors = crate::project::load(&local).map(|project| project.fetch_mirrors()).unwrap_or_default();
    let lock = read_lock(&local, &root.join(LOCK_FILE), &mut problems);
    let access = root.join(ACCESS_FILE);
    if access.is_file() {
        if let Some(document) = read_document(&local, &access, Schema::Access, &mut problems) {
            for (url, variable) in document.value.as_mapping().into_iter().flatten() {
                let (Some(url), Some(variable)) = (url.as_str(), variable.as_str()) else { continue };
                let at = document.value_location(&[crate::yaml::Segment::Key(url.to_string())]);
                // access.yaml comes with the HLD, maybe from a pull request: it may ask for any
                // variable of the pipeline, so only the ones the pipeline gives are sent.
                let unsent = match settings.token(variable, url) {
                    TokenGrant::Given(_) if !crate::fetch::may_carry_secrets(url) => Problem::warning(
                        "hldc::access::plain-http",
                        format!("`{url}` is plain http, which anyone on the way can read; `{variable}` is not sent"),
                    )
                    .help("use the source's https:// URL"),
                    TokenGrant::Given(token) => {
                        options.tokens.insert(url, token);
                        continue;
                    }
                    TokenGrant::Unset => Problem::warning(
                        "hldc::access::unset",
                        format!("`{variable}` (the token for `{url}`) is not set"),
                    )
                    .help(format!("export {variable}=<token> to fetch this source, or remove the line")),
                    TokenGrant::NotAllowed => Problem::warning(
                        "hldc::access::not-allowed",
                        format!("access.yaml maps `{url}` to `{variable}`, which the pipeline did not allow; no token is sent"),
                    )
                    .help(format!("if the pipeline means to give `{variable}` to `{url}`, pass `--allow-token {variable}` (or set HLDC_ALLOW_TOKENS={variable})")),
                    TokenGrant::NotUnder(under) => Problem::warning(
                        "hldc::access::not-allowed",
                        format!("access.yaml maps `{url}` to `{variable}`, which the pipeline allowed only under `{under}`; no token is sent"),
                    )
                    .help(format!("map only URLs under `{under}` to `{variable}`, or change the pipeline's `--allow-token {variable}={under}`")),
                };
                problems.push(unsent.at(at));
            }
        }
    }
    let (lock, problems) = problems.finish(lock)?;
    let sources = Sources::fetching(&root, options, lock.unwrap_or_default()).map_err(|p| vec![p])?;
    Ok((sources, problems.into_vec()))
}

fn read_lock(sources: &Sources, path: &Path, problems: &mut Problems) -> Option<Lockfile> {
    if !path.exists() {
        return Some(Lockfile::new());
    }
    let document = read_document(sources, path, Schema::Lock, problems)?;
    match Lockfile::parse(document.file.text()) {
        Ok(lock) => Some(lock),
        Err(error) => {
            problems.push(
                Problem::error("hldc::lock::invalid", format!("cannot read `{LOCK_FILE}`: {error}"))
                    .at(Location::file_start(&document.file))
                    .help("restore it from version control, or delete it and run `hldc update`"),
            );
            None
        }
    }
}

/// Writes the lock back when fetching changed it; returns whether it did.
pub fn save_lock(sources: &Sources) -> Result<bool, Problem> {
    let Some(lock) = sources.lock().filter(Lockfile::is_changed) else { return Ok(false) };
    lock.save(&sources.hld_root().join(LOCK_FILE)).map_err(|e| {
        Problem::error("hldc::lock::write", format!("cannot write `{LOCK_FILE}`: {e}"))
            .help("check permissions in the HLD root; the manifests were written")
    })?;
    Ok(true)
}

/// `hldc cache dir`'s and `hldc cache clean`'s work.
pub fn clean_cache(cache_dir: &Path) -> Result<(), Problem> {
    match std::fs::remove_dir_all(cache_dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Problem::error("hldc::cache::clean", format!("cannot delete `{}`: {e}", cache_dir.display()))
            .help("check that no other hldc is running, and the permissions")),
    }
}
