//! (area to be written)

use crate::state::AppState;
use chatalot_shared::rpc::RpcRouter;

/// Adds this area's operations.
pub fn routes(router: RpcRouter<AppState>) -> RpcRouter<AppState> {
    router
}
