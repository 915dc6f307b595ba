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
mod pin;
mod raw;
mod status;
mod tour;
use qrc_vendor as vendor;

use anyhow::Result;
use clap::{Parser, Subcommand};
use module::Module;
use pin::Pin;
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
        /// Security Officer PIN [default: asked twice on the terminal].
        /// Prefer QRC_SO_PIN or the prompt: other users see arguments (ps)
        #[arg(long, env = "QRC_SO_PIN", hide_env_values = true, value_parser = pin::parse)]
        so_pin: Option<Pin>,
        /// User PIN [default: asked twice on the terminal]. Prefer QRC_PIN
        /// or the prompt: other users see arguments (ps)
        #[arg(long, env = "QRC_PIN", hide_env_values = true, value_parser = pin::parse)]
        pin: Option<Pin>,
        /// Re-initialise an initialised token, destroying every object on it
        #[arg(long)]
        force: bool,
    },
    /// Library, slots, tokens (flags, PIN counters) and mechanisms
    Status,
    /// Objects on the token (public ones only, unless logged in)
    List {
        #[command(flatten)]
        login: UserLogin,
    },
    /// A short end-to-end tour of the module: keys, AES-GCM, HMAC, digests,
    /// random, search, sensitivity, wrapping. On an initialised token it
    /// needs the user's login, else it runs in a throw-away store
    Demo {
        #[command(flatten)]
        login: UserLogin,
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

/// Logging in as the user, for the commands where it is optional.
#[derive(clap::Args)]
struct UserLogin {
    /// Log in as the user, asking for the PIN on the terminal unless
    /// QRC_PIN or --pin gives it
    #[arg(short, long)]
    login: bool,
    /// User PIN (implies --login). Prefer QRC_PIN or the prompt: other
    /// users see arguments (ps)
    #[arg(long, env = "QRC_PIN", hide_env_values = true, value_parser = pin::parse)]
    pin: Option<Pin>,
}

impl UserLogin {
    /// The user PIN to log in with, if logging in.
    fn pin(self) -> Result<Option<Pin>> {
        match (self.login, self.pin) {
            (false, None) => Ok(None),
            (_, given) => pin::USER.or_prompt(given).map(Some),
        }
    }
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
            let so_pin = pin::SO.new_or_prompt(so_pin)?;
            let user_pin = pin::USER.new_or_prompt(pin)?;
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
        Command::List { login } => {
            let pin = login.pin()?;
            emit(&list::run(
                &m,
                one_slot()?,
                pin.as_ref().map(|p| p.as_str()),
            )?)?
        }
        Command::Demo { login, throw_away } => {
            let slot = one_slot()?;
            match demo::plan(&m, slot, login.pin()?, throw_away)? {
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
