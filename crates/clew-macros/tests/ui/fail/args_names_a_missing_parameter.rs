#[clew::trace(args(user_id, amount))]
fn charge(user_id: u64, total: f64) -> f64 {
    let _ = user_id;
    total
}

fn main() {
    charge(1, 2.0);
}
