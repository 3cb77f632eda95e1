#[clew::trace(name = "a", name = "b")]
fn charge() {}

fn main() {
    charge();
}
