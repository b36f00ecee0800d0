//! `hldc trace`: where an object came from.

use std::process::ExitCode;

use super::output::{self, Printable};
use super::Ran;
use crate::cli::TraceArgs;
use crate::diag::Problem;
use crate::ops;
use crate::ops::trace::Journey;
use crate::settings::Settings;

pub fn run(args: &TraceArgs, settings: &Settings) -> Ran {
    let (name, text) = if args.file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
            vec![Problem::error("hldc::trace::read", format!("cannot read the object from stdin: {e}"))
                .help("pipe the object's YAML in, e.g. `kubectl get pod NAME -o yaml | hldc trace -`")]
        })?;
        ("<stdin>".to_string(), text)
    } else {
        let name = args.file.display().to_string();
        let text = std::fs::read_to_string(&args.file).map_err(|e| {
            vec![Problem::error("hldc::trace::read", format!("cannot read `{name}`: {e}"))
                .help("give the file holding the object's YAML, or `-` to read it from stdin")]
        })?;
        (name, text)
    };
    let out_root = args.out.clone().unwrap_or_else(|| settings.hld_root.clone());
    let journeys = ops::trace::trace(&name, text, &out_root).map_err(|p| vec![p])?;
    for note in journeys.iter().flat_map(|journey| &journey.notes) {
        settings.say(format!("note: {note}"));
    }
    output::print(&journeys, args.output.into(), settings);
    Ok(ExitCode::SUCCESS)
}

impl Printable for Vec<Journey> {
    fn human(&self, _: &Settings) {
        print!("{}", ops::trace::to_text(self));
    }

    fn json(&self) -> String {
        ops::trace::to_json(self)
    }
}
