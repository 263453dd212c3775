//! Workspaces, their API keys, and programs.

use async_trait::async_trait;
use vouch_domain::ids::*;

use crate::error::Result;
use crate::model::*;

/// Workspaces, their API keys, and programs: reads and single-statement writes.
#[async_trait]
pub trait ProgramStore: Send + Sync {
    async fn count_workspaces(&self) -> Result<i64>;
    async fn create_workspace(&self, workspace: &Workspace, keys: &[NewApiKey]) -> Result<()>;
    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>>;
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>>;
    /// Fails with `Conflict { what: "slug" }` when the slug is taken.
    async fn insert_program(&self, program: &Program) -> Result<()>;
    async fn update_program(&self, program: &Program) -> Result<()>;
    async fn get_program(&self, ws: &WorkspaceId, id: &ProgramId) -> Result<Option<Program>>;
    async fn get_program_by_slug(&self, slug: &str) -> Result<Option<Program>>;
    /// A program of any workspace (for the operator's command line).
    async fn find_program(&self, id: &ProgramId) -> Result<Option<Program>>;
    async fn list_programs(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Program>>;
}
