//! The `chatalot` binary: every service and a gateway in one process, or one of them when named
//! by the first argument (`chatalot gateway`). See the library docs.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .first()
        .is_some_and(|a| a == "-h" || a == "--help" || a == "help")
    {
        println!("{}", chatalot::USAGE);
        return ExitCode::SUCCESS;
    }
    if args.len() == 1 && args[0] == "openapi" {
        // The REST API's OpenAPI document, for generating clients (web/ generates its types so).
        return match chatalot_gateway::routes::openapi_json() {
            Ok(document) => {
                println!("{document}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("chatalot: cannot serialise the OpenAPI document: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let role = match chatalot::Role::from_args(args.into_iter()) {
        Ok(role) => role,
        Err(message) => {
            eprintln!("chatalot: {message}");
            return ExitCode::from(2);
        }
    };
    chatalot_shared::process::run(
        role.process_name(),
        move |config, readiness, shutdown| async move {
            chatalot::run(role, &config, &readiness, shutdown).await
        },
    )
    .await
}
