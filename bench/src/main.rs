//! `chatalot-bench`: the command line over the `chatalot_bench` library. Prints the report as a
//! table, then as one JSON object on the last line of stdout.

use chatalot_bench::cli::Cli;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (scenario, target, options) = Cli::parse().into_run();
    let report = chatalot_bench::run(&scenario, &target, &options).await?;
    print!("{}", report.table());
    println!("{}", report.to_json());
    if report.errors > 0 {
        eprintln!(
            "{} errors during the run; first ones: {:#?}",
            report.errors, report.error_samples
        );
    }
    Ok(())
}
