//! The operations behind the commands. Each is one function over the pipeline stages.

pub mod clusters;
pub mod config;
pub mod diff;
pub mod edit;
pub mod generate;
pub mod init;
pub mod promote;
pub mod remote;
pub mod strings;
pub mod trace;
pub mod tree;
pub mod update;
pub mod validate;
