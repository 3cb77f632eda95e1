#[clew::trace(name = "checkout", level = "info")]
fn checkout() {}

fn main() {
    checkout();
}
