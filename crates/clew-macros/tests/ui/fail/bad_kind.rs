#[clew::trace(kind = "backend")]
fn handle() {}

fn main() {
    handle();
}
