use guarded::guarded;

#[guarded(owner = "items.owner_id")]
async fn handler(id: i64) -> Result<(), guarded::Error> {
    let _ = id;
    Ok(())
}

fn main() {}
