//! `ssm-guard completions SHELL` and `ssm-guard man`: shell completion scripts and man pages,
//! generated from the command-line definition itself, so they never fall behind it.

use std::io::Write;
use std::path::PathBuf;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, exit};

/// The name the scripts complete and the pages document.
const BIN: &str = "ssm-guard";

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write `ssm-guard.1` and a page per subcommand (`ssm-guard-check.1`, ...) into DIR,
    /// instead of `ssm-guard.1` to standard output.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Writes the completion script to standard output. Install it where the shell looks, e.g.
/// `ssm-guard completions bash > ~/.local/share/bash-completion/completions/ssm-guard`.
pub fn completions(args: CompletionsArgs) -> u8 {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, BIN, &mut out);
    if args.shell == Shell::Bash {
        out = fix_bash_states(&out);
    }
    write_stdout(&out)
}

/// clap_complete's bash script (4.6) spells the state of a subcommand of a hyphenated binary
/// two ways: the loop that reads the words arrives at `ssm__guard__subcmd__check`, the `case`
/// that completes names it `ssm__subcmd__guard__subcmd__check`, so nothing after a subcommand
/// would complete (clap-rs/clap#6421). The labels are respelt as the loop spells them.
fn fix_bash_states(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let wrong = format!("{}__subcmd__", BIN.replace('-', "__subcmd__"));
    let right = format!("{}__subcmd__", BIN.replace('-', "__"));
    text.replace(&wrong, &right).into_bytes()
}

/// Writes the man page of `ssm-guard` to standard output, or every page into a folder.
pub fn man(args: ManArgs) -> u8 {
    let command = Cli::command();
    match args.out_dir {
        None => {
            let mut out = Vec::new();
            if let Err(error) = clap_mangen::Man::new(command).render(&mut out) {
                eprintln!("error: cannot render the man page: {error}");
                return exit::USAGE;
            }
            write_stdout(&out)
        }
        Some(dir) => match write_pages(command, &dir) {
            Ok(()) => exit::OK,
            Err(error) => {
                eprintln!(
                    "error: cannot write the man pages to `{}`: {error}",
                    dir.display()
                );
                exit::USAGE
            }
        },
    }
}

/// Writes the page of `command` and, recursively, of each visible subcommand, named as `man`
/// looks them up (`ssm-guard-check.1`).
fn write_pages(command: clap::Command, dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(command, dir)
}

fn write_stdout(bytes: &[u8]) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => exit::OK,
        // A reader that stops reading (`| head`) is not an error of ours.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(error) => {
            eprintln!("error: cannot write to standard output: {error}");
            exit::USAGE
        }
    }
}
