//! `scripts/journey-demo` itself: five real generations of examples/fabrikam-trivia (set, set
//! --trace, promote) into a manifest repository, east-us synced by its Flux v1 tag, west-us by
//! `--synced`; then the journey's rows, read by their fixed commit times.

mod common;

use std::process::Command;

use serde_json::Value;

/// (service, ring, cluster, HLD commit time, image tag, status).
type Row = (String, String, String, String, String, String);

fn row(service: &str, ring: &str, cluster: &str, hld: &str, tag: &str, status: &str) -> Row {
    let text = |s: &str| s.to_string();
    (text(service), text(ring), text(cluster), text(hld), text(tag), text(status))
}

#[test]
fn the_example_journey_from_the_demo_script() {
    let out = common::repo().join("target/journey");
    let run = Command::new(common::repo().join("scripts/journey-demo"))
        .arg(&out)
        .env("HLDC", env!("CARGO_BIN_EXE_hldc"))
        .env("HLDC_HELM", common::helm())
        .output()
        .expect("run scripts/journey-demo");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "journey-demo failed:\n{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let journey: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("example.json")).expect("example.json")).expect("json");

    let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let rows: Vec<Row> = journey["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .filter(|d| d["images"].as_array().is_some_and(|images| !images.is_empty()))
        .map(|d| {
            let service = text(&d["component"]).trim_start_matches("fabrikam-trivia/").to_string();
            let hld = text(&d["hldCommitTime"]).get(11..16).unwrap_or_default().to_string();
            let tag = text(&d["images"][0]).rsplit(':').next().unwrap_or_default().to_string();
            (service, text(&d["ring"]), text(&d["cluster"]), hld, tag, text(&d["status"]))
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            // The canary changed only at 1.5.1: promoting it (12:00) moved its release into
            // stable and left it as it was, its one replica its own; api 1.4.3 (10:00) and its
            // trace block never touched it.
            row("trivia-api", "canary", "east-us", "13:00", "1.5.1", "pending"),
            row("trivia-api", "canary", "east-us", "09:00", "1.5.0-rc.1", "running"),
            row("trivia-api", "canary", "west-us", "13:00", "1.5.1", "pending"),
            row("trivia-api", "canary", "west-us", "09:00", "1.5.0-rc.1", "running"),
            // east-us's tag moved to the promotion; west-us is synced to the web release.
            row("trivia-api", "stable", "east-us", "13:00", "1.5.1", "pending"),
            row("trivia-api", "stable", "east-us", "12:00", "1.5.0-rc.1", "running"),
            row("trivia-api", "stable", "east-us", "10:00", "1.4.3", "superseded"),
            row("trivia-api", "stable", "east-us", "09:00", "1.4.2", "superseded"),
            row("trivia-api", "stable", "west-us", "13:00", "1.5.1", "pending"),
            row("trivia-api", "stable", "west-us", "12:00", "1.5.0-rc.1", "pending"),
            row("trivia-api", "stable", "west-us", "10:00", "1.4.3", "running"),
            row("trivia-api", "stable", "west-us", "09:00", "1.4.2", "superseded"),
            row("trivia-web", "-", "east-us", "11:00", "1.4.3", "running"),
            row("trivia-web", "-", "east-us", "09:00", "1.4.2", "superseded"),
            row("trivia-web", "-", "west-us", "11:00", "1.4.3", "running"),
            row("trivia-web", "-", "west-us", "09:00", "1.4.2", "superseded"),
        ]
    );
    // The trace blocks `hldc set --trace` wrote, from the release on.
    let deployments = journey["deployments"].as_array().expect("deployments");
    let api = deployments.iter().find(|d| d["ring"] == "canary").expect("the newest canary row");
    assert_eq!(
        (text(&api["sourceRepo"]), text(&api["sourceCommit"]), text(&api["author"])),
        (
            "https://github.com/fabrikam/trivia-api.git".to_string(),
            "c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4".to_string(),
            "alice@fabrikam.example".to_string()
        )
    );
    // Manifest commits came minutes after their HLD commits; trivia-api's three changes that
    // no cluster was seen running before a later one replaced them: east-us 1.4.2 and 1.4.3,
    // west-us 1.4.2 (the tag only dates where it points now).
    let stats = journey["stats"].as_array().expect("stats");
    let api = stats.iter().find(|s| s["component"] == "fabrikam-trivia/trivia-api").expect("api stats");
    assert_eq!((&api["p50HldToManifestSeconds"], &api["p90HldToManifestSeconds"]), (&240.into(), &360.into()));
    assert_eq!(api["superseded"], 3);

    // The route between trivia-api's rings is a row of its own, serving every ring.
    let routes: Vec<&Value> = deployments.iter().filter(|d| d["route"] == true).collect();
    assert!(!routes.is_empty(), "no route row");
    assert!(routes.iter().all(|d| d["component"] == "fabrikam-trivia/trivia-api" && d["ring"].is_null()));

    let html = std::fs::read_to_string(out.join("example.html")).expect("example.html");
    assert!(html.contains("east-us") && html.contains("fabrikam.azurecr.io/trivia-api:1.5.1"), "page content");
    assert!(html.contains("\"r\":\"route (every ring)\""), "the route row shows what it serves");
    assert!(html.contains("grouped by service, ring and cluster, newest first in each"), "the caption says the order");
}
