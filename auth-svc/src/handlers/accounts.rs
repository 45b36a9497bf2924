//! Accounts: registering, logging in, the caller's own profile and password.

use super::{
    caller::{account_disabled, authenticate},
    sessions::start_session,
};
use crate::{
    domain::{
        DeviceName, DisplayName, Email, InviteCode, Password, Username,
        invite::{self, invite_invalid},
    },
    notify,
    repository::{
        OrInternal,
        audit::{self, NewEntry},
        enums, instance, invites, sessions,
        users::{self, NewUser},
    },
    state::AppState,
};
use chatalot_shared::{
    ApiError, ErrorCode,
    contracts::{
        Empty,
        auth::{
            AuditAction, ChangePasswordRequest, GetMeRequest, InstanceRole, LoginRequest,
            LookupUsersRequest, RegisterRequest, RegistrationMode, SessionTokens, UpdateMeRequest,
            UserProfile, UserSummaries, UserSummary,
        },
    },
    rpc::CallerContext,
};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// Creates an account and logs it in. The first account of the instance becomes its owner.
pub async fn register(
    state: AppState,
    ctx: CallerContext,
    req: RegisterRequest,
) -> Result<SessionTokens, ApiError> {
    let username = Username::parse(&req.username)?;
    let password = Password::parse(req.password, username.as_str())?;
    let email = Email::parse_optional(req.email.as_deref())?;
    let display_name =
        DisplayName::parse(req.display_name.as_deref().unwrap_or(username.as_str()))?;
    let device_name = DeviceName::parse_optional(req.device_name.as_deref())?;
    // Counted after validation: a typo in a form should not use up the hourly allowance, and
    // invalid input costs nothing. Everything that reaches the hash is counted.
    state.throttle.register_attempt(&ctx).await?;

    // Refuse early when the mode already says no, before spending a hash on it.
    {
        let mut conn = state.connection().await?;
        let mode = instance::registration_mode(&mut conn).await?;
        admission(mode, req.invite_code.as_deref())?;
    }
    // Hashing takes tens of milliseconds; do it before the transaction holds locks.
    let password_hash = state.passwords.hash(&password).await?;

    let mut tx = state.begin().await?;
    // Checked again: the mode may have changed while the password was hashed.
    let mode = instance::registration_mode(&mut tx).await?;
    let invite = admission(mode, req.invite_code.as_deref())?;
    if let Some(code) = &invite {
        consume_invite(&mut tx, code).await?;
    }
    users::lock_first_account_decision(&mut tx).await?;
    let role = if users::any_exist(&mut tx).await? {
        InstanceRole::Member
    } else {
        InstanceRole::Owner
    };
    let user = users::insert(
        &mut tx,
        NewUser {
            username: &username,
            email: email.as_ref(),
            password_hash: &password_hash,
            display_name: &display_name,
            role,
        },
    )
    .await?;
    let tokens = start_session(&mut tx, &state, &ctx, &user, device_name.as_ref()).await?;
    let entry = NewEntry::new(AuditAction::Register, &ctx)
        .actor(user.user_id)
        .target(user.user_id)
        .details(json!({
            "username": user.username,
            "role": enums::role_name(role),
            "invite_code": invite.as_ref().map(InviteCode::as_str),
            "session_id": tokens.session_id,
        }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a registration")?;
    tracing::info!(user_id = %user.user_id, role = enums::role_name(role), "account registered");
    Ok(tokens)
}

/// Whether the registration mode lets this request in; the invite code to consume, if any.
/// In open mode a code is ignored, not consumed.
fn admission(
    mode: RegistrationMode,
    invite_code: Option<&str>,
) -> Result<Option<InviteCode>, ApiError> {
    match mode {
        RegistrationMode::Open => Ok(None),
        RegistrationMode::Closed => Err(ApiError::new(
            ErrorCode::RegistrationClosed,
            "this instance does not accept new accounts",
        )),
        RegistrationMode::InviteOnly => invite::required_code(invite_code).map(Some),
    }
}

/// Takes one use of `code`, or says precisely why it cannot be used.
async fn consume_invite(conn: &mut PgConnection, code: &InviteCode) -> Result<(), ApiError> {
    if invites::consume(conn, code).await?.is_some() {
        return Ok(());
    }
    match invites::find(conn, code.as_str()).await? {
        None => Err(invite_invalid()),
        Some(invite) if invite.revoked_at.is_some() => Err(invite_invalid()),
        Some(invite) if invite.expired => Err(ApiError::new(
            ErrorCode::InviteExpired,
            "the invite code has expired",
        )),
        Some(invite) if invite.is_exhausted() => Err(ApiError::new(
            ErrorCode::InviteExhausted,
            "the invite code has been used as often as allowed",
        )),
        // Valid now but not a moment ago (a clock edge): let the registrant try again.
        Some(_) => Err(invite_invalid()),
    }
}

/// Logs in with username and password. Unknown account and wrong password get the same answer
/// in the same time.
pub async fn login(
    state: AppState,
    ctx: CallerContext,
    req: LoginRequest,
) -> Result<SessionTokens, ApiError> {
    let device_name = DeviceName::parse_optional(req.device_name.as_deref())?;
    state.throttle.login_attempt(&ctx).await?;
    // A name that breaks the username rules has no account and no window of its own.
    let username = Username::parse(&req.username).ok();
    if let Some(username) = &username {
        state.throttle.check_account(username.as_str()).await?;
    }

    let user = match &username {
        Some(username) => {
            let mut conn = state.connection().await?;
            users::find_by_username(&mut conn, username.as_str()).await?
        }
        None => None,
    };
    // Overlong input cannot be anyone's password; skip hashing it, for known and unknown
    // accounts alike.
    let password_ok = !Password::is_impossible(&req.password)
        && state
            .passwords
            .verify(
                &req.password,
                user.as_ref().map(|user| user.password_hash.as_str()),
            )
            .await?;

    let user = match user {
        Some(user) if password_ok => user,
        user => {
            if let Some(username) = &username {
                state.throttle.account_failed(username.as_str()).await;
            }
            record_login_failure(
                &state,
                &ctx,
                &req.username,
                user.map(|user| user.user_id),
                None,
            )
            .await?;
            return Err(ApiError::new(
                ErrorCode::InvalidCredentials,
                "wrong username or password",
            ));
        }
    };
    if user.is_disabled() {
        record_login_failure(
            &state,
            &ctx,
            &req.username,
            Some(user.user_id),
            Some("account_disabled"),
        )
        .await?;
        return Err(account_disabled());
    }
    state.throttle.account_succeeded(&user.username).await;

    let mut tx = state.begin().await?;
    let tokens = start_session(&mut tx, &state, &ctx, &user, device_name.as_ref()).await?;
    let entry = NewEntry::new(AuditAction::LoginSucceeded, &ctx)
        .actor(user.user_id)
        .target(user.user_id)
        .details(json!({ "session_id": tokens.session_id }));
    audit::record(&mut tx, entry).await?;
    tx.commit().await.or_internal("committing a login")?;
    Ok(tokens)
}

async fn record_login_failure(
    state: &AppState,
    ctx: &CallerContext,
    username: &str,
    user_id: Option<Uuid>,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    // The name is whatever the client sent; keep the log entry small, and drop control
    // characters: a jsonb value cannot hold U+0000, so one would fail the insert (and the login
    // with a 500 instead of invalid_credentials).
    let username: String = username
        .chars()
        .filter(|c| !c.is_control())
        .take(Username::MAX_CHARS * 2)
        .collect();
    let mut entry = NewEntry::new(AuditAction::LoginFailed, ctx).details(json!({
        "username": username,
        "reason": reason.unwrap_or("invalid_credentials"),
    }));
    if let Some(user_id) = user_id {
        entry = entry.target(user_id);
    }
    let mut conn = state.connection().await?;
    audit::record(&mut conn, entry).await
}

/// The caller's own profile.
pub async fn get_me(
    state: AppState,
    ctx: CallerContext,
    _req: GetMeRequest,
) -> Result<UserProfile, ApiError> {
    let mut conn = state.connection().await?;
    let caller = authenticate(&mut conn, &ctx).await?;
    let user = users::find(&mut conn, caller.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(user.profile())
}

/// Changes the caller's display name and tells all their connections.
pub async fn update_me(
    state: AppState,
    ctx: CallerContext,
    req: UpdateMeRequest,
) -> Result<UserProfile, ApiError> {
    let display_name = req
        .display_name
        .as_deref()
        .map(DisplayName::parse)
        .transpose()?;
    let mut tx = state.begin().await?;
    let caller = authenticate(&mut tx, &ctx).await?;
    let Some(display_name) = display_name else {
        let user = users::find(&mut tx, caller.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        return Ok(user.profile());
    };
    let user = users::set_display_name(&mut tx, caller.user_id, &display_name)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    tx.commit()
        .await
        .or_internal("committing a profile change")?;
    let profile = user.profile();
    notify::user_updated(&state, profile.clone()).await;
    Ok(profile)
}

/// Changes the caller's password after checking the current one, and ends their other sessions.
pub async fn change_password(
    state: AppState,
    ctx: CallerContext,
    req: ChangePasswordRequest,
) -> Result<Empty, ApiError> {
    let user = {
        let mut conn = state.connection().await?;
        let caller = authenticate(&mut conn, &ctx).await?;
        users::find(&mut conn, caller.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?
    };
    let new_password = Password::parse(req.new_password, &user.username)?;
    // A stolen access token must not allow guessing the password faster than logins do.
    state.throttle.check_account(&user.username).await?;
    let current_ok = !Password::is_impossible(&req.current_password)
        && state
            .passwords
            .verify(&req.current_password, Some(&user.password_hash))
            .await?;
    if !current_ok {
        state.throttle.account_failed(&user.username).await;
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "the current password is wrong",
        ));
    }
    let password_hash = state.passwords.hash(&new_password).await?;

    let mut tx = state.begin().await?;
    // Checked again: the session may have ended while the passwords were hashed.
    let caller = authenticate(&mut tx, &ctx).await?;
    users::set_password_hash(&mut tx, caller.user_id, &password_hash).await?;
    let revoked = sessions::revoke_all(
        &mut tx,
        caller.user_id,
        Some(caller.session_id),
        "password_changed",
    )
    .await?;
    let entry = NewEntry::new(AuditAction::PasswordChanged, &ctx)
        .actor(caller.user_id)
        .target(caller.user_id)
        .details(json!({ "sessions_revoked": revoked.len() }));
    audit::record(&mut tx, entry).await?;
    tx.commit()
        .await
        .or_internal("committing a password change")?;
    notify::sessions_revoked(&state, caller.user_id, revoked).await;
    Ok(Empty {})
}

/// Profile basics of some users, for other services (community member lists, for example).
/// Not routed by the gateway; services call it over NATS.
pub async fn lookup_users(
    state: AppState,
    _ctx: CallerContext,
    req: LookupUsersRequest,
) -> Result<UserSummaries, ApiError> {
    if req.user_ids.len() > 1000 {
        return Err(ApiError::invalid_request(
            "at most 1000 user ids per lookup",
        ));
    }
    let mut conn = state.connection().await?;
    let users = users::find_many(&mut conn, &req.user_ids).await?;
    Ok(UserSummaries {
        users: users
            .into_iter()
            .map(|user| UserSummary {
                user_id: user.user_id,
                username: user.username,
                display_name: user.display_name,
            })
            .collect(),
    })
}
