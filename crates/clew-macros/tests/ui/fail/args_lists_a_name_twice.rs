#[clew::trace(args(user_id, user_id))]
fn charge(user_id: u64) {
    let _ = user_id;
}

fn main() {
    charge(1);
}
