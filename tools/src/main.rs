//! qrc-tool: the operator's command line for qrcpkcs11. It is itself a
//! PKCS#11 consumer: everything it does goes through the module's C API.

/// `println!` for progress lines. A reader that went away (`| head`) is
/// not a failure of the command, whose outcome is its exit status.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod bench;
mod demo;
mod init;
mod list;
mod module;
mod names;
mod raw;
mod status;
mod tour;

use anyhow::{anyhow, Result};
use clap::{Parser, Subcommand};
use module::Module;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "qrc-tool",
    version,
    about = "Operate a qrcpkcs11 PKCS#11 token"
)]
struct Cli {
    /// The PKCS#11 module [default: libqrcpkcs11.so next to qrc-tool, then
    /// /usr/lib/x86_64-linux-gnu/pkcs11/libqrcpkcs11.so]
    #[arg(long, global = true, value_name = "PATH")]
    module: Option<PathBuf>,
    /// Token store directory (sets QRC_PKCS11_STORE for the module)
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Slot ID [default: the lowest, i.e. the default token's slot 0]
    #[arg(long, global = true, value_name = "N")]
    slot: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Initialise the token (C_InitToken) and set its user PIN (C_InitPIN)
    Init {
        /// Token label, up to 32 bytes
        #[arg(long, default_value = demo::DEMO_LABEL)]
        label: String,
        /// Security Officer PIN
        #[arg(long, env = "QRC_SO_PIN", hide_env_values = true)]
        so_pin: Option<String>,
        /// User PIN
        #[arg(long, env = "QRC_PIN", hide_env_values = true)]
        pin: Option<String>,
        /// Re-initialise an initialised token, destroying every object on it
        #[arg(long)]
        force: bool,
    },
    /// Library, slots, tokens (flags, PIN counters) and mechanisms
    Status,
    /// Objects on the token (public ones only, unless --pin is given)
    List {
        /// User PIN, to list private objects too
        #[arg(long, env = "QRC_PIN", hide_env_values = true)]
        pin: Option<String>,
    },
    /// A short end-to-end tour of the module: keys, AES-GCM, HMAC, digests,
    /// random, search, sensitivity, wrapping
    Demo {
        /// User PIN of an initialised token (without it, the demo runs in a
        /// throw-away store)
        #[arg(long, env = "QRC_PIN", hide_env_values = true)]
        pin: Option<String>,
        /// Set by qrc-tool on the child that runs in a throw-away store, which
        /// must be fresh: stops a module that ignores QRC_PKCS11_STORE from
        /// making the demo start itself again and again.
        #[arg(long, hide = true)]
        throw_away: bool,
    },
    /// Measure the module (latency, throughput, memory), optionally next to
    /// another module and to the Rust libraries it uses
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qrc-tool: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes a report to stdout. A reader that stops early (`| head`) is not
/// an error: the report was for it.
fn emit(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn run(cli: Cli) -> Result<()> {
    let path = module::locate(cli.module.as_deref())?;
    if let Command::Bench(args) = &cli.command {
        // Before any load: the bench picks its own token and must not open
        // the user's.
        return bench::run(&path, cli.store.as_deref(), cli.slot, args);
    }
    let m = Module::load(&path, cli.store.as_deref())?;
    let wanted = cli.slot;
    let one_slot = || m.slot(wanted);
    match cli.command {
        Command::Init {
            label,
            so_pin,
            pin,
            force,
        } => {
            let so_pin =
                so_pin.ok_or_else(|| anyhow!("give the SO PIN with --so-pin or QRC_SO_PIN"))?;
            let user_pin = pin.ok_or_else(|| anyhow!("give the user PIN with --pin or QRC_PIN"))?;
            let req = init::InitRequest {
                label: &label,
                so_pin: &so_pin,
                user_pin: &user_pin,
                force,
            };
            init::run(&m, one_slot()?, &req)?;
        }
        // Every slot, unless one was named.
        Command::Status => emit(&status::run(&m, wanted.map(|_| one_slot()).transpose()?)?)?,
        Command::List { pin } => emit(&list::run(&m, one_slot()?, pin.as_deref())?)?,
        Command::Demo { pin, throw_away } => {
            let slot = one_slot()?;
            match demo::plan(&m, slot, pin.as_deref(), throw_away)? {
                demo::Plan::Here(pin) => demo::here(&m, slot, &pin)?,
                demo::Plan::ThrowAway => {
                    // Release this process's hold on the store before the child runs.
                    m.finalize()?;
                    return demo::throw_away(&path);
                }
            }
        }
        // Run above, before the module was loaded.
        Command::Bench(_) => {}
    }
    m.finalize()
}
