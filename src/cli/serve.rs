//! `tech-health serve`: the service. Flags take precedence over their environment variables,
//! which take precedence over the settings file.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::api::STACK_BYTES;
use crate::service::{App, Sources};
use crate::settings::{SettingsFile, default_data_dir};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:7070]; port 0 picks a free port
    #[arg(long, env = "TECH_HEALTH_BIND")]
    pub bind: Option<SocketAddr>,
    /// sqlite://PATH or postgres://… [default: a SQLite file in the data folder]
    #[arg(long, env = "DATABASE_URL")]
    pub database: Option<String>,
    /// Service settings file (YAML): auth tokens, retention, limits, catalog, …
    #[arg(long, env = "TECH_HEALTH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Load the bundled example fleet (catalog and facts) on start
    #[arg(long)]
    pub demo: bool,
    /// Folder holding `checks/` and `golden-tech/` [default: the bundled standards]
    #[arg(long, env = "TECH_HEALTH_CONFIG_DIR")]
    pub config_dir: Option<PathBuf>,
    /// Catalog files, folders or globs, read on start and on every reload
    #[arg(long = "catalog", value_name = "PATH")]
    pub catalog: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = LogFormat::Pretty, env = "TECH_HEALTH_LOG_FORMAT")]
    pub log_format: LogFormat,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

pub fn run(args: ServeArgs) -> Result<ExitCode, String> {
    init_logging(args.log_format);
    let settings = match &args.config {
        Some(p) => SettingsFile::read(p).map_err(|e| format!("invalid settings:\n{e}"))?,
        None => SettingsFile::default(),
    };
    let bind = args
        .bind
        .or(settings.bind)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 7070)));
    let database = match args.database.clone().or_else(|| settings.database.clone()) {
        Some(url) => url,
        None => {
            let dir = settings.data_dir.clone().unwrap_or_else(default_data_dir);
            format!("sqlite://{}", dir.join("tech-health.db").display())
        }
    };
    let mut catalog = settings.catalog.clone();
    catalog.extend(args.catalog.iter().cloned());
    let sources = Sources {
        config_dir: args
            .config_dir
            .clone()
            .or_else(|| settings.config_dir.clone()),
        catalog,
        demo: args.demo,
        facts: None,
        kinds: settings.kinds.clone(),
    };
    // Rayon's threads evaluate the fleet, so they get the same stack (an error means the pool
    // was built already, with the default).
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .build_global();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(STACK_BYTES)
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(serve(settings, sources, &database, bind))
}

async fn serve(
    settings: SettingsFile,
    sources: Sources,
    database: &str,
    bind: SocketAddr,
) -> Result<ExitCode, String> {
    let shown = database.split('@').next_back().unwrap_or(database);
    tracing::info!(database = shown, "starting");
    // Held until the process ends: one replica per SQLite file.
    let _claim = crate::store::claim(database).map_err(|e| format!("cannot start:\n{e}"))?;
    let app = App::start(settings, sources, database)
        .await
        .map_err(|e| format!("cannot start:\n{e}"))?;
    let router = crate::api::router(app.clone())?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("tech-health listening on http://{addr}");
    let _ = std::io::stdout().flush();
    tokio::spawn(housekeeping(app.clone()));
    let scheduled = crate::collectors::schedule::spawn(app.clone());
    if !scheduled.is_empty() {
        tracing::info!(collectors = scheduled.len(), "collectors scheduled");
    }
    #[cfg(unix)]
    tokio::spawn(reload_on_hangup(app.clone()));
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// On the leading replica, hourly: prunes fact history to the retention limits, and the change
/// log to a day (a replica further behind reads everything again).
async fn housekeeping(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if !app.is_leader() {
            continue;
        }
        match app.store.prune_history(app.retention, app.now()).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "fact history pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!("pruning fact history failed: {e}"),
        }
        let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
        if let Err(e) = app.store.prune_log(day_ago).await {
            tracing::warn!("pruning the change log failed: {e}");
        }
    }
}

#[cfg(unix)]
async fn reload_on_hangup(app: Arc<App>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        return;
    };
    while hup.recv().await.is_some() {
        match app.reload().await {
            Ok(r) => tracing::info!(scored = r.scored, seconds = r.seconds, "reloaded on SIGHUP"),
            Err(e) => tracing::error!("reload refused, keeping the running configuration:\n{e}"),
        }
    }
}

/// Ctrl-C or SIGTERM: stop accepting, let in-flight requests (and their writes) finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
