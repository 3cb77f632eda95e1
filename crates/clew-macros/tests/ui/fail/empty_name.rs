#[clew::trace(name = "")]
fn unnamed() {}

fn main() {
    unnamed();
}
