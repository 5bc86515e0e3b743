#![allow(unused_imports)]
use guarded::{guarded, Guard};
use sqlx::Sqlite;

// The guard binds `owner_id` to the caller: `owner_id = ?` with anyone else's id matches
// nothing, and the fn would answer 404 on every call.
#[guarded(owner = "follows.follower_id")]
async fn unfollow(mut guard: Guard<Sqlite>, follower: String, followee: String) -> Result<(), guarded::Error> {
    sqlx::query("DELETE FROM follows WHERE follower_id = ? AND followee_id = ?")
        .bind(follower)
        .bind(followee)
        .execute(&mut guard)
        .await?;
    Ok(())
}

fn main() {}
