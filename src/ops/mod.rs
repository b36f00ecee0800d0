//! The operations behind the commands. Each is one function over the pipeline stages.

pub mod config;
pub mod diff;
pub mod edit;
pub mod generate;
pub mod promote;
pub mod init;
pub mod remote;
pub mod tree;
pub mod trace;
pub mod update;
pub mod validate;
