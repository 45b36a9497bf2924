//! One async function per operation, grouped by area. Each parses its request into domain
//! types, checks who is calling, runs repository functions in a transaction, and only after the
//! commit tells other processes (see [`crate::notify`]).

mod accounts;
mod admin;
mod caller;
mod instance;
mod presence;
mod sessions;

use crate::state::AppState;
use chatalot_shared::{rpc::RpcRouter, subjects::Service};

/// Every operation of the auth service.
pub fn router(state: AppState) -> RpcRouter<AppState> {
    RpcRouter::new(Service::Auth, state)
        .route(accounts::register)
        .route(accounts::login)
        .route(accounts::get_me)
        .route(accounts::update_me)
        .route(accounts::change_password)
        .route(sessions::refresh)
        .route(sessions::logout)
        .route(sessions::logout_all)
        .route(sessions::list_sessions)
        .route(sessions::revoke_session)
        .route(instance::get_instance)
        .route(instance::update_instance)
        .route(instance::create_registration_invite)
        .route(instance::list_registration_invites)
        .route(instance::revoke_registration_invite)
        .route(admin::list_users)
        .route(admin::set_user_disabled)
        .route(admin::set_user_role)
        .route(admin::query_audit_log)
        .route(accounts::lookup_users)
        .route(presence::get_presence_settings)
        .route(presence::set_presence_settings)
        .route(presence::presence_settings_of)
}
