//! Full-text search over the channels the caller can see.

use super::ApiResult;
use crate::{
    extract::{ApiQuery, Authenticated},
    state::AppState,
};
use axum::{Json, extract::State};
use chatalot_shared::{contracts::messages::*, error::ApiError};

/// Searches the messages of every channel the caller can see now, newest first.
#[utoipa::path(get, path = "/search/messages", tag = "messages", security(("bearer" = [])),
    params(SearchMessagesRequest),
    responses((status = 200, description = "Matching messages, newest first", body = MessageSearchPage),
        (status = "4XX", description = "Invalid query or not authenticated", body = ApiError),
        (status = 503, description = "The message service is unavailable", body = ApiError)))]
pub async fn search_messages(
    State(app): State<AppState>,
    Authenticated(ctx): Authenticated,
    ApiQuery(query): ApiQuery<SearchMessagesRequest>,
) -> ApiResult<Json<MessageSearchPage>> {
    Ok(Json(app.rpc.call(&ctx, &query).await?))
}
